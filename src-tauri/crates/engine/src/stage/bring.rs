//! What a new stage gets besides the project's tracked and unignored files
//! (`.airlock/stage.toml`): ignored paths brought in (`node_modules`,
//! `.env`, `target`), and a setup command.
//!
//! Brought-in files are copies the stage owns: each regular file is cloned
//! copy-on-write (`FICLONE`) where the file system can share its blocks, and
//! copied otherwise. Never a hard link (it shares the inode, so a write in
//! the stage would reach the project) nor a symlink into the project: a
//! symlink met inside a brought-in folder that points into the project is
//! made to point at the same place in the stage. Nothing is written through
//! a symlink already in the stage.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use airlock_protocol::StageConfig;
use toml_edit::{value, Array, DocumentMut};

use crate::error::{EngineError, IoContext, Result};

/// The settings file, relative to the project.
pub const CONFIG_FILE: &str = ".airlock/stage.toml";

/// Reads the project's stage settings; none when the file is absent.
pub fn read_config(project: &Path) -> Result<StageConfig> {
    let path = project.join(CONFIG_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StageConfig::default()),
        Err(e) => return Err(EngineError::io(format!("read {}", path.display()), e)),
    };
    parse_config(&text).map_err(|why| {
        EngineError::BadRequest(format!("{}: {why}; fix or delete the file", path.display()))
    })
}

/// Parses the settings' text.
pub fn parse_config(text: &str) -> std::result::Result<StageConfig, String> {
    let doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let bring = match doc.get("bring") {
        None => Vec::new(),
        Some(item) => item
            .as_array()
            .ok_or("`bring` must be a list of paths")?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or("`bring` holds a non-string")
            })
            .collect::<std::result::Result<_, _>>()?,
    };
    let setup = match doc.get("setup") {
        None => None,
        Some(item) => Some(item.as_str().ok_or("`setup` must be a string")?.to_string()),
    };
    let config = StageConfig {
        bring,
        setup: setup.filter(|s| !s.trim().is_empty()),
    };
    check(&config)?;
    Ok(config)
}

/// Refuses paths that are absolute or climb out of the project.
fn check(config: &StageConfig) -> std::result::Result<(), String> {
    for p in &config.bring {
        let path = Path::new(p);
        let inside = !p.trim().is_empty()
            && path
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !inside
            || path
                .components()
                .any(|c| crate::fsx::is_git_dir(c.as_os_str()))
        {
            return Err(format!(
                "`{p}` in `bring` must be a relative path inside the project (not .git)"
            ));
        }
    }
    Ok(())
}

/// Writes the project's stage settings.
pub fn write_config(project: &Path, config: &StageConfig) -> Result<()> {
    check(config).map_err(EngineError::BadRequest)?;
    let mut doc = DocumentMut::new();
    let mut bring = Array::new();
    for p in &config.bring {
        bring.push(p.as_str());
    }
    doc["bring"] = value(bring);
    if let Some(setup) = config.setup.as_deref().filter(|s| !s.trim().is_empty()) {
        doc["setup"] = value(setup);
    }
    let path = project.join(CONFIG_FILE);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).context(|| format!("create {}", dir.display()))?;
    }
    crate::fsx::atomic_write(&path, doc.to_string().as_bytes(), 0o644)
}

/// How a brought-in tree was copied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Brought {
    /// Files cloned copy-on-write.
    pub cloned: u64,
    /// Files copied byte by byte (the file system cannot clone).
    pub copied: u64,
}

/// Copies each of `paths` (relative) from the project into the stage; a
/// path the project lacks is skipped.
pub fn bring_in(project: &Path, stage: &Path, paths: &[String]) -> Result<Brought> {
    let mut brought = Brought::default();
    check(&StageConfig {
        bring: paths.to_vec(),
        setup: None,
    })
    .map_err(EngineError::BadRequest)?;
    for rel in paths {
        let src = project.join(rel);
        if fs::symlink_metadata(&src).is_err() {
            continue;
        }
        let dst = stage.join(rel);
        if through_symlink(stage, &dst) {
            return Err(EngineError::BadRequest(format!(
                "`{rel}` lies below a symlink in the stage: not brought in"
            )));
        }
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).context(|| format!("create {}", parent.display()))?;
        }
        let mut ctx = Tree {
            project,
            stage,
            brought: &mut brought,
        };
        ctx.copy(&src, &dst)?;
    }
    Ok(brought)
}

/// True when a folder between `stage` and `path` is a symlink.
fn through_symlink(stage: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(stage) else {
        return true;
    };
    let mut at = stage.to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(c) = parts.next() {
        at.push(c);
        if parts.peek().is_none() {
            break;
        }
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return true;
        }
    }
    false
}

struct Tree<'a> {
    project: &'a Path,
    stage: &'a Path,
    brought: &'a mut Brought,
}

impl Tree<'_> {
    fn copy(&mut self, src: &Path, dst: &Path) -> Result<()> {
        let meta = fs::symlink_metadata(src).context(|| format!("stat {}", src.display()))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(src).context(|| format!("readlink {}", src.display()))?;
            let target = self.relinked(src, &target);
            if fs::symlink_metadata(dst).is_err() {
                std::os::unix::fs::symlink(&target, dst)
                    .context(|| format!("symlink {}", dst.display()))?;
            }
        } else if kind.is_dir() {
            match fs::create_dir(dst) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let m =
                        fs::symlink_metadata(dst).context(|| format!("stat {}", dst.display()))?;
                    if !m.is_dir() {
                        return Ok(());
                    }
                }
                Err(e) => return Err(EngineError::io(format!("create {}", dst.display()), e)),
            }
            let mode = meta.permissions().mode() & 0o7777;
            let _ = fs::set_permissions(dst, fs::Permissions::from_mode(mode | 0o700));
            let entries = fs::read_dir(src).context(|| format!("list {}", src.display()))?;
            for entry in entries.flatten() {
                self.copy(&entry.path(), &dst.join(entry.file_name()))?;
            }
        } else if kind.is_file() {
            let cloned = clone_file(src, dst, meta.permissions().mode() & 0o7777)?;
            if cloned {
                self.brought.cloned += 1;
            } else {
                self.brought.copied += 1;
            }
        }
        // Sockets, fifos and devices are not brought.
        Ok(())
    }

    /// A symlink's target as the stage's copy needs it: one resolving into
    /// the project points at the same place in the stage; one leaving the
    /// project is made absolute, as the stage lies elsewhere.
    fn relinked(&self, link: &Path, target: &Path) -> PathBuf {
        let base = link.parent().unwrap_or(self.project);
        let resolved = normalize(&base.join(target));
        match resolved.strip_prefix(self.project) {
            Ok(rel) if target.is_absolute() => self.stage.join(rel),
            Ok(_) => target.to_path_buf(),
            Err(_) => resolved,
        }
    }
}

/// `path` with `.` and `..` taken out, without asking the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Makes `dst` a new file with `src`'s bytes: cloned where the file system
/// shares blocks (true), copied otherwise (false). Never follows a symlink
/// at `dst` and never replaces an existing file.
fn clone_file(src: &Path, dst: &Path, mode: u32) -> Result<bool> {
    let from = File::open(src).context(|| format!("open {}", src.display()))?;
    let to = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode | 0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dst)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(EngineError::io(format!("create {}", dst.display()), e)),
    };
    let cloned = reflink(&from, &to);
    if !cloned {
        let (mut from, mut to) = (from, to);
        std::io::copy(&mut from, &mut to).context(|| format!("copy to {}", dst.display()))?;
        let _ = to.set_permissions(fs::Permissions::from_mode(mode));
        return Ok(false);
    }
    let _ = to.set_permissions(fs::Permissions::from_mode(mode));
    Ok(true)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn reflink(from: &File, to: &File) -> bool {
    rustix::fs::ioctl_ficlone(to, from).is_ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn reflink(_from: &File, _to: &File) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn config_round_trips_and_refuses_paths_that_leave() {
        let tmp = tempfile::tempdir().expect("tmp");
        let config = StageConfig {
            bring: vec!["node_modules".into(), ".env".into()],
            setup: Some("npm run build".into()),
        };
        write_config(tmp.path(), &config).expect("write");
        assert_eq!(read_config(tmp.path()).expect("read"), config);
        assert!(parse_config("bring = [\"../x\"]").is_err());
        assert!(parse_config("bring = [\"/etc\"]").is_err());
        assert!(parse_config("bring = [\".git/hooks\"]").is_err());
        assert_eq!(
            read_config(&tmp.path().join("none")).expect("absent"),
            StageConfig::default()
        );
    }

    #[test]
    fn brought_files_are_copies_the_stage_owns() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (project, stage) = (tmp.path().join("p"), tmp.path().join("s"));
        fs::create_dir_all(project.join("nm/pkg")).expect("mkdir");
        fs::create_dir_all(&stage).expect("mkdir");
        fs::write(project.join("nm/pkg/index.js"), "one").expect("w");
        std::os::unix::fs::symlink(project.join("nm/pkg"), project.join("nm/abs")).expect("ln");
        std::os::unix::fs::symlink("pkg/index.js", project.join("nm/rel")).expect("ln");
        bring_in(&project, &stage, &["nm".into(), "missing".into()]).expect("bring");
        let (a, b) = (
            project.join("nm/pkg/index.js"),
            stage.join("nm/pkg/index.js"),
        );
        let (ma, mb) = (fs::metadata(&a).expect("a"), fs::metadata(&b).expect("b"));
        assert_ne!(ma.ino(), mb.ino(), "not a hard link");
        assert_eq!(
            fs::read_link(stage.join("nm/abs")).expect("abs"),
            stage.join("nm/pkg")
        );
        assert_eq!(
            fs::read_link(stage.join("nm/rel")).expect("rel"),
            Path::new("pkg/index.js")
        );
        fs::write(stage.join("nm/rel"), "two").expect("write through the stage's link");
        assert_eq!(fs::read_to_string(&a).expect("a"), "one");
        assert_eq!(fs::read_to_string(&b).expect("b"), "two");
    }
}
