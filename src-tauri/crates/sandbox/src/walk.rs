//! Path resolution and the read walk: which hierarchies get a read rule so
//! that everything is readable except the hidden paths.
//!
//! Landlock rules only ever add rights, so "all but these" has to be spelt out
//! as the largest hierarchies that contain nothing hidden.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::Error;

/// Resolves an absolute path as far as it exists (following symlinks) and
/// appends the part that does not exist yet, so a hidden `~/.aws` that is
/// missing today is still matched against the real home folder.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf, Error> {
    if !path.is_absolute() {
        return Err(Error::RelativePath { path: path.into() });
    }
    for existing in path.ancestors() {
        match fs::canonicalize(existing) {
            Ok(base) => {
                // `ancestors` only strips trailing components, so this holds.
                let rest = path.strip_prefix(existing).unwrap_or(Path::new(""));
                return Ok(normalise(&base.join(rest)));
            }
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Path {
                    path: path.into(),
                    source,
                })
            }
        }
    }
    // Only reached when even `/` cannot be resolved.
    Err(Error::Path {
        path: path.into(),
        source: std::io::ErrorKind::NotFound.into(),
    })
}

/// Removes `.` and folds `..` lexically; only applied to the part of a path
/// that does not exist, where there is no symlink to follow.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// True when `dir` is a proper ancestor of some hidden path.
fn holds_hidden(dir: &Path, hidden: &[PathBuf]) -> bool {
    hidden.iter().any(|h| h != dir && h.starts_with(dir))
}

/// True when `path` is a hidden path or lies inside one.
fn is_hidden(path: &Path, hidden: &[PathBuf]) -> bool {
    hidden.iter().any(|h| path.starts_with(h))
}

/// The hierarchies to grant read access to: every path on the system except
/// those in `hidden` (resolved, absolute). Sorted and without duplicates.
pub(crate) fn read_grants(hidden: &[PathBuf]) -> Vec<PathBuf> {
    let root = PathBuf::from("/");
    let mut out = Vec::new();
    if is_hidden(&root, hidden) {
        return out;
    }
    if holds_hidden(&root, hidden) {
        visit(&root, hidden, &mut out);
    } else {
        out.push(root);
    }
    out.sort();
    out.dedup();
    out
}

/// Grants each entry of `dir`, a proper ancestor of a hidden path, that is
/// safe to grant whole, and walks down the entries that hold hidden paths.
fn visit(dir: &Path, hidden: &[PathBuf], out: &mut Vec<PathBuf>) {
    // An unlistable ancestor yields no rules: its contents stay unreadable,
    // which errs on the side of hiding.
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = dir.join(entry.file_name());
        if is_hidden(&path, hidden) {
            continue;
        }
        let is_link = entry.file_type().map_or(true, |t| t.is_symlink());
        if !is_link {
            if holds_hidden(&path, hidden) {
                visit(&path, hidden, out);
            } else {
                out.push(path);
            }
            continue;
        }
        // A rule lands on what the link points to, so judge the target: a link
        // into a hidden folder, or to `/` or home, must not be granted whole.
        // A dangling link needs no rule.
        let Ok(target) = fs::canonicalize(&path) else {
            continue;
        };
        if !is_hidden(&target, hidden) && !holds_hidden(&target, hidden) {
            out.push(target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = fs::canonicalize(dir.path()).expect("canonical");
        for d in [
            "home/.ssh",
            "home/src",
            "home/.config/gh",
            "home/.config/fish",
        ] {
            fs::create_dir_all(base.join(d)).expect("mkdir");
        }
        fs::write(base.join("home/.bashrc"), "x").expect("write");
        (dir, base)
    }

    #[test]
    fn resolve_keeps_missing_tail_and_follows_links() {
        let (_dir, base) = tree();
        std::os::unix::fs::symlink(base.join("home"), base.join("link")).expect("symlink");
        let got = resolve(&base.join("link/.aws/credentials")).expect("resolve");
        assert_eq!(got, base.join("home/.aws/credentials"));
        let got = resolve(&base.join("home/nope/../.ssh")).expect("resolve");
        assert_eq!(got, base.join("home/.ssh"));
        assert!(matches!(
            resolve(Path::new("rel/path")),
            Err(Error::RelativePath { .. })
        ));
    }

    #[test]
    fn grants_siblings_of_hidden_and_walks_ancestors() {
        let (_dir, base) = tree();
        let home = base.join("home");
        let hidden = vec![
            home.join(".ssh"),
            home.join(".config/gh"),
            home.join(".aws"),
        ];
        let grants = read_grants(&hidden);
        let ours: Vec<_> = grants.iter().filter(|p| p.starts_with(&base)).collect();
        assert_eq!(
            ours,
            vec![
                &home.join(".bashrc"),
                &home.join(".config/fish"),
                &home.join("src"),
            ]
        );
        // Ancestors are walked, never granted whole.
        assert!(!grants.contains(&home) && !grants.contains(&base));
        assert!(!grants.contains(&PathBuf::from("/")));
        assert!(grants.contains(&PathBuf::from("/usr")) || !Path::new("/usr").exists());
    }

    #[test]
    fn links_into_hidden_or_up_to_an_ancestor_are_skipped() {
        let (_dir, base) = tree();
        let home = base.join("home");
        std::os::unix::fs::symlink(home.join(".ssh"), home.join("keys")).expect("symlink");
        std::os::unix::fs::symlink("/", home.join("rootlink")).expect("symlink");
        std::os::unix::fs::symlink(home.join("src"), home.join("code")).expect("symlink");
        let grants = read_grants(&[home.join(".ssh")]);
        assert!(!grants.contains(&home.join(".ssh")));
        assert!(!grants.contains(&PathBuf::from("/")));
        // A harmless link is granted through its target.
        assert!(grants.contains(&home.join("src")));
        assert!(!grants.contains(&home.join("code")));
    }

    #[test]
    fn nothing_hidden_means_one_rule_for_root() {
        assert_eq!(read_grants(&[]), vec![PathBuf::from("/")]);
        assert!(read_grants(&[PathBuf::from("/")]).is_empty());
    }
}
