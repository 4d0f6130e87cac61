//! Stages: a staged session's private working copy of the project.
//!
//! For a git project the stage is a clone of it at HEAD (detached) that
//! borrows the project's objects read-only (`git clone --shared`: an
//! alternates file, no copies), with the user's uncommitted and
//! untracked-but-not-ignored files copied over it and files deleted in the
//! working tree deleted; for any other folder it is a plain copy that honours
//! `.gitignore`. Either way the stage starts equal to the project as the
//! user's editor sees it, ignored files aside.
//!
//! A clone rather than a worktree because a sandboxed agent may not write
//! into the project's `.git` (a hook planted there would run at the user's
//! next commit): a worktree keeps its index and new objects there, so `git
//! add` and `git commit` in it would fail; a clone keeps both in its own
//! `.git`. Stages made as worktrees by earlier versions are still removed
//! properly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::WalkBuilder;

use crate::error::{EngineError, IoContext, Result};
use crate::fsx::{self, FileState};

pub mod bring;

/// Runs git in `dir` and returns its stdout.
fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context(|| "run git (is git installed?)".to_string())?;
    if !out.status.success() {
        return Err(EngineError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when `project` is a git work tree with at least one commit.
pub fn has_git_head(project: &Path) -> bool {
    project.join(".git").exists() && git(project, &["rev-parse", "--verify", "-q", "HEAD"]).is_ok()
}

/// Creates the stage for a session at `stage` and brings it level with
/// `project`; from `base` (a branch or commit) instead, it holds that
/// commit's files as committed.
pub fn create(project: &Path, stage: &Path, base: Option<&str>) -> Result<()> {
    if let Some(base) = base.filter(|b| !b.trim().is_empty()) {
        return create_from(project, stage, base);
    }
    if has_git_head(project) {
        let head = git(project, &["rev-parse", "--verify", "HEAD"])?;
        clone_at(project, stage, head.trim())?;
    } else {
        std::fs::create_dir_all(stage).context(|| format!("create {}", stage.display()))?;
    }
    sync(project, stage)
}

/// A stage checked out at `base`, a branch or commit of the project.
fn create_from(project: &Path, stage: &Path, base: &str) -> Result<()> {
    if !has_git_head(project) {
        return Err(EngineError::BadRequest(format!(
            "cannot start from `{base}`: the project is not a git repository with a commit"
        )));
    }
    let commit = git(
        project,
        &[
            "rev-parse",
            "--verify",
            "-q",
            "--end-of-options",
            &format!("{base}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        EngineError::BadRequest(format!(
            "`{base}` is not a branch or commit of the project: run `git branch` to see them"
        ))
    })?;
    clone_at(project, stage, commit.trim())
}

/// A clone of `project` at `stage` that borrows its objects, checked out
/// (detached) at `commit`.
fn clone_at(project: &Path, stage: &Path, commit: &str) -> Result<()> {
    let (project_s, stage_s) = (project.to_string_lossy(), stage.to_string_lossy());
    git(
        project,
        &[
            "clone",
            "--shared",
            "--no-checkout",
            "--quiet",
            &project_s,
            &stage_s,
        ],
    )?;
    git(stage, &["checkout", "--quiet", "--detach", commit])?;
    Ok(())
}

/// Removes a stage (and its worktree registration).
pub fn remove(project: &Path, stage: &Path) -> Result<()> {
    if stage.join(".git").is_file() {
        let stage_s = stage.to_string_lossy();
        // A worktree whose folder vanished is pruned instead.
        if git(project, &["worktree", "remove", "--force", &stage_s]).is_err() {
            let _ = git(project, &["worktree", "prune"]);
        }
    }
    if stage.exists() {
        std::fs::remove_dir_all(stage).context(|| format!("remove {}", stage.display()))?;
    }
    // A stage whose folder was already gone leaves git's record of the
    // worktree behind; forget it (a plain folder's project has none).
    if project.join(".git").exists() {
        let _ = git(project, &["worktree", "prune"]);
    }
    Ok(())
}

/// The project's files that are not ignored, as relative paths.
pub fn walk_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .filter_entry(|e| !crate::fsx::is_git_dir(e.file_name()))
        .build();
    for entry in walker.flatten() {
        let is_file = entry
            .file_type()
            .is_some_and(|t| t.is_file() || t.is_symlink());
        if !is_file {
            continue;
        }
        if let Some(rel) = fsx::rel_path(root, entry.path()) {
            out.push(rel);
        }
    }
    out.sort();
    out
}

/// Makes the stage's non-ignored files equal to the project's.
pub fn sync(project: &Path, stage: &Path) -> Result<()> {
    let project_files = walk_files(project);
    for rel in &project_files {
        let src = project.join(rel);
        let dst = stage.join(rel);
        let meta = std::fs::symlink_metadata(&src).context(|| format!("stat {}", src.display()))?;
        if meta.file_type().is_symlink() {
            let target =
                std::fs::read_link(&src).context(|| format!("readlink {}", src.display()))?;
            if std::fs::read_link(&dst).ok().as_deref() != Some(target.as_path()) {
                let _ = std::fs::remove_file(&dst);
                if let Some(parent) = dst.parent() {
                    std::fs::create_dir_all(parent)
                        .context(|| format!("create {}", parent.display()))?;
                }
                std::os::unix::fs::symlink(&target, &dst)
                    .context(|| format!("symlink {}", dst.display()))?;
            }
            continue;
        }
        let want = FileState::read(&src)?;
        if FileState::read(&dst)? != want {
            fsx::mirror(&want, stage, &dst)?;
        }
    }
    let keep: std::collections::HashSet<&str> = project_files.iter().map(String::as_str).collect();
    for rel in walk_files(stage) {
        if !keep.contains(rel.as_str()) {
            fsx::remove_file(stage, &stage.join(&rel))?;
        }
    }
    Ok(())
}

/// Says whether a stage path is ignored: `.git` and whatever the `.gitignore`
/// files in the tree (and the project's `.git/info/exclude`) ignore.
pub struct IgnoreFilter {
    root: PathBuf,
    by_dir: HashMap<PathBuf, Gitignore>,
}

impl IgnoreFilter {
    /// Reads every `.gitignore` below `root`, plus `exclude` if given.
    pub fn new(root: &Path, exclude: Option<&Path>) -> Self {
        let mut by_dir = HashMap::new();
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .parents(false)
            .filter_entry(|e| !crate::fsx::is_git_dir(e.file_name()))
            .build();
        for entry in walker.flatten() {
            if entry.file_name() != ".gitignore" {
                continue;
            }
            let dir = entry.path().parent().unwrap_or(root).to_path_buf();
            let mut b = GitignoreBuilder::new(&dir);
            b.add(entry.path());
            if dir == root {
                if let Some(ex) = exclude.filter(|p| p.exists()) {
                    b.add(ex);
                }
            }
            if let Ok(gi) = b.build() {
                by_dir.insert(dir, gi);
            }
        }
        if !by_dir.contains_key(root) {
            if let Some(ex) = exclude.filter(|p| p.exists()) {
                let mut b = GitignoreBuilder::new(root);
                b.add(ex);
                if let Ok(gi) = b.build() {
                    by_dir.insert(root.to_path_buf(), gi);
                }
            }
        }
        Self {
            root: root.to_path_buf(),
            by_dir,
        }
    }

    /// True when `path` (absolute, below the root) must not produce changes.
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return true;
        };
        if rel
            .components()
            .any(|c| crate::fsx::is_git_dir(c.as_os_str()))
        {
            return true;
        }
        // Deeper .gitignore files override shallower ones, as in git.
        let mut verdict = false;
        let mut dir = self.root.clone();
        let check = |dir: &Path, verdict: &mut bool| {
            if let Some(gi) = self.by_dir.get(dir) {
                let m = gi.matched_path_or_any_parents(path, is_dir);
                if m.is_ignore() {
                    *verdict = true;
                } else if m.is_whitelist() {
                    *verdict = false;
                }
            }
        };
        check(&dir, &mut verdict);
        if let Some(parent) = rel.parent() {
            for c in parent.components() {
                dir.push(c);
                check(&dir, &mut verdict);
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) {
        let ok = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .status()
            .expect("sh")
            .success();
        assert!(ok, "{script}");
    }

    #[test]
    fn git_stage_carries_uncommitted_state() {
        let tmp = tempfile::tempdir().expect("tmp");
        let project = tmp.path().join("p");
        std::fs::create_dir(&project).expect("mkdir");
        sh(
            &project,
            "git init -q && git config user.email t@t && git config user.name t && \
             printf 'a\\n' > a.txt && printf 'gone\\n' > gone.txt && printf 'ignored/\\n' > .gitignore && \
             git add -A && git commit -qm init && printf 'a2\\n' > a.txt && rm gone.txt && \
             printf 'new\\n' > new.txt && mkdir ignored && printf 'x' > ignored/x",
        );
        let stage = tmp.path().join("stage");
        create(&project, &stage, None).expect("create");
        assert_eq!(
            std::fs::read_to_string(stage.join("a.txt")).expect("a"),
            "a2\n"
        );
        assert_eq!(
            std::fs::read_to_string(stage.join("new.txt")).expect("new"),
            "new\n"
        );
        assert!(!stage.join("gone.txt").exists());
        assert!(!stage.join("ignored").exists());
        let filter = IgnoreFilter::new(&stage, None);
        assert!(filter.is_ignored(&stage.join("ignored/y"), false));
        assert!(filter.is_ignored(&stage.join(".git"), false));
        assert!(!filter.is_ignored(&stage.join("a.txt"), false));
        remove(&project, &stage).expect("remove");
        assert!(!stage.exists());
    }

    #[test]
    fn plain_folder_stage_is_a_copy() {
        let tmp = tempfile::tempdir().expect("tmp");
        let project = tmp.path().join("p");
        std::fs::create_dir_all(project.join("sub")).expect("mkdir");
        std::fs::write(project.join("sub/f.txt"), "f").expect("w");
        std::fs::write(project.join(".gitignore"), "*.log\n").expect("w");
        std::fs::write(project.join("x.log"), "log").expect("w");
        let stage = tmp.path().join("stage");
        create(&project, &stage, None).expect("create");
        assert_eq!(
            std::fs::read_to_string(stage.join("sub/f.txt")).expect("f"),
            "f"
        );
        assert!(!stage.join("x.log").exists());
    }
}
