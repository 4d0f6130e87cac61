//! File operations that landing and staging rely on: reading a file's state,
//! atomic writes that keep the mode, and joins that never leave a root.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use crate::error::{EngineError, IoContext, Result};

/// Whether a path component is git's folder: `.git`, in any case (on a
/// case-insensitive file system `.GIT/hooks` is `.git/hooks`). Never staged,
/// watched or landed.
pub fn is_git_dir(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().eq_ignore_ascii_case(b".git")
}

/// What is at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Nothing.
    Missing,
    /// A regular file.
    File {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Its permission bits.
        mode: u32,
    },
    /// A symbolic link (never followed).
    Symlink {
        /// Where it points, as written.
        target: PathBuf,
    },
    /// A folder. For review a folder at a file's path is no file: its own
    /// files are changes of their own.
    Folder,
    /// A FIFO, a socket or a device: never opened, never reviewed.
    Special(&'static str),
}

impl FileState {
    /// Reads what is at `path`, not following a final symlink.
    ///
    /// The file is opened with `O_NOFOLLOW | O_NONBLOCK` and its type checked
    /// on the open descriptor (`fstat`), so a FIFO or a link swapped in
    /// between a look and the open can neither hang the engine nor lead it
    /// outside the tree.
    pub fn read(path: &Path) -> Result<Self> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if gone(&e) => return Ok(FileState::Missing),
            Err(e) => return Err(EngineError::io(format!("stat {}", path.display()), e)),
        };
        if let Some(state) = Self::not_a_file(path, &meta)? {
            return Ok(state);
        }
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path);
        let mut file = match opened {
            Ok(f) => f,
            Err(e) if gone(&e) => return Ok(FileState::Missing),
            // Replaced by a symlink since the look: read it as one.
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return match std::fs::read_link(path) {
                    Ok(target) => Ok(FileState::Symlink { target }),
                    Err(_) => Ok(FileState::Missing),
                }
            }
            Err(e) => return Err(EngineError::io(format!("open {}", path.display()), e)),
        };
        let meta = file
            .metadata()
            .context(|| format!("fstat {}", path.display()))?;
        if let Some(state) = Self::not_a_file(path, &meta)? {
            return Ok(state);
        }
        // The size is a hint: a sparse or growing file must not make one
        // huge allocation up front.
        let mut bytes = Vec::with_capacity((meta.len() as usize).min(64 << 20));
        file.read_to_end(&mut bytes)
            .context(|| format!("read {}", path.display()))?;
        Ok(FileState::File {
            bytes,
            // Permission bits only: a setuid, setgid or sticky bit an agent
            // set is not something to land (the review shows `rwx` only).
            mode: meta.mode() & 0o777,
        })
    }

    /// What is at `path` when `meta` says it is not a regular file.
    fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> Result<Option<Self>> {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        Ok(Some(if t.is_file() {
            return Ok(None);
        } else if t.is_symlink() {
            let target = match std::fs::read_link(path) {
                Ok(t) => t,
                Err(e) if gone(&e) => return Ok(Some(FileState::Missing)),
                Err(e) => return Err(EngineError::io(format!("readlink {}", path.display()), e)),
            };
            FileState::Symlink { target }
        } else if t.is_dir() {
            FileState::Folder
        } else if t.is_fifo() {
            FileState::Special("a FIFO")
        } else if t.is_socket() {
            FileState::Special("a socket")
        } else {
            FileState::Special("a device")
        }))
    }

    /// This state as one side of a file's change: a folder holds no file.
    pub fn as_file(self) -> Self {
        match self {
            FileState::Folder => FileState::Missing,
            other => other,
        }
    }

    /// The bytes, if a regular file.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            FileState::File { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// The mode, if a regular file.
    pub fn mode(&self) -> Option<u32> {
        match self {
            FileState::File { mode, .. } => Some(*mode),
            _ => None,
        }
    }
}

/// Joins a `/`-separated relative path onto `root`, refusing absolute paths,
/// `..`, and any existing folder on the way below `root` that is a symlink
/// (which could point anywhere).
pub fn safe_join(root: &Path, rel: &str) -> Result<PathBuf> {
    let rel_path = Path::new(rel);
    if rel.is_empty() {
        return Err(EngineError::OutsideProject(rel.to_string()));
    }
    let mut out = root.to_path_buf();
    for c in rel_path.components() {
        match c {
            Component::Normal(part) => {
                out.push(part);
            }
            _ => return Err(EngineError::OutsideProject(rel.to_string())),
        }
    }
    // Every ancestor between root and the file must be a real folder.
    let mut cur = out.parent();
    while let Some(dir) = cur {
        if dir == root || !dir.starts_with(root) {
            break;
        }
        if let Ok(meta) = std::fs::symlink_metadata(dir) {
            if meta.file_type().is_symlink() {
                return Err(EngineError::OutsideProject(rel.to_string()));
            }
        }
        cur = dir.parent();
    }
    // A symlink as the last part is fine: every write replaces the path by
    // rename, so nothing is ever written through a link.
    Ok(out)
}

/// Whether an error means nothing is there (or a file stands where a folder
/// on the path should be).
fn gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

/// A temp file's name beside `path`, for a write that is renamed over it.
fn temp_beside(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = path
        .parent()
        .ok_or_else(|| EngineError::BadRequest(format!("no folder for {}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.airlock-{}",
        crate::home::random_token().get(..12).unwrap_or("tmp")
    ));
    Ok((dir.to_path_buf(), tmp))
}

/// Puts `bytes` (with `mode`) into a new temp file beside `path`, creating
/// missing folders, without syncing it: the first half of a write that many
/// files share one sync for ([`sync_under`], then [`place`]).
pub fn write_temp(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
    temp_file(path, bytes, mode).map(|(tmp, _)| tmp)
}

/// [`write_temp`], keeping the open file for a caller that syncs it.
fn temp_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(PathBuf, std::fs::File)> {
    let (dir, tmp) = temp_beside(path)?;
    std::fs::create_dir_all(&dir).context(|| format!("create {}", dir.display()))?;
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).context(|| format!("create {}", tmp.display()))?;
        f.write_all(bytes)
            .context(|| format!("write {}", tmp.display()))?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .context(|| format!("chmod {}", tmp.display()))?;
        Ok(f)
    })();
    match written {
        Ok(f) => Ok((tmp, f)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Renames a temp file from [`write_temp`] over `path`.
pub fn place(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path).context(|| format!("rename onto {}", path.display()))
}

/// Makes everything written on the file system that holds `root` durable:
/// one `syncfs` for a whole landing rather than two `fsync`s per file
/// (about 1.5 ms each on a VM's disk).
pub fn sync_under(root: &Path) -> Result<()> {
    let dir = std::fs::File::open(root).context(|| format!("open {}", root.display()))?;
    rustix::fs::syncfs(&dir)
        .map_err(|e| EngineError::io(format!("sync {}", root.display()), e.into()))
}

/// Writes `bytes` to `path` atomically: a temp file beside it, fsync, chmod,
/// rename over, fsync the folder. Creates missing parent folders.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let (tmp, file) = temp_file(path, bytes, mode)?;
    let result = (|| {
        file.sync_all()
            .context(|| format!("fsync {}", tmp.display()))?;
        place(&tmp, path)?;
        if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
            // A folder fsync can fail on some file systems; the rename is done either way.
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes temp files [`atomic_write`] left beside `path` when it was killed.
pub fn remove_temp_files(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.airlock-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Points `path` at `target` atomically (a temp link renamed over it).
pub fn atomic_symlink(path: &Path, target: &Path) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| EngineError::BadRequest(format!("no folder for {}", path.display())))?;
    std::fs::create_dir_all(dir).context(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".airlock-link-{}",
        crate::home::random_token().get(..12).unwrap_or("tmp")
    ));
    std::os::unix::fs::symlink(target, &tmp).context(|| format!("symlink {}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        EngineError::io(format!("rename onto {}", path.display()), e)
    })
}

/// How many hard links the file at `path` has (1 for a normal file, 0 if none).
pub fn link_count(path: &Path) -> u64 {
    std::fs::symlink_metadata(path)
        .map(|m| if m.is_file() { m.nlink() } else { 1 })
        .unwrap_or(0)
}

/// Removes a file (missing is fine) and then any folders it leaves empty, up to `root`.
pub fn remove_file(root: &Path, path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(EngineError::io(format!("remove {}", path.display()), e)),
    }
    let mut cur = path.parent();
    while let Some(dir) = cur {
        if dir == root || !dir.starts_with(root) {
            break;
        }
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
        cur = dir.parent();
    }
    Ok(())
}

/// Makes `dst` hold what `src` holds (a file, or nothing).
pub fn mirror(src: &FileState, dst_root: &Path, dst: &Path) -> Result<()> {
    match src {
        FileState::File { bytes, mode } => atomic_write(dst, bytes, *mode),
        FileState::Missing => remove_file(dst_root, dst),
        FileState::Symlink { target } => atomic_symlink(dst, target),
        FileState::Folder | FileState::Special(_) => Err(EngineError::BadRequest(format!(
            "{} is not a regular file",
            dst.display()
        ))),
    }
}

/// `path` relative to `root` with `/` separators, if it is below it.
pub fn rel_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            _ => return None,
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_join_refuses_escapes() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        assert!(safe_join(root, "a/b.txt").is_ok());
        assert!(safe_join(root, "../x").is_err());
        assert!(safe_join(root, "a/../../x").is_err());
        assert!(safe_join(root, "/etc/passwd").is_err());
        assert!(safe_join(root, "").is_err());
        std::os::unix::fs::symlink("/tmp", root.join("link")).expect("symlink");
        assert!(safe_join(root, "link/x").is_err());
        assert!(
            safe_join(root, "link").is_ok(),
            "a link itself is replaced, never written through"
        );
    }

    #[test]
    fn atomic_write_keeps_mode_and_creates_folders() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("new/deep/run.sh");
        atomic_write(&p, b"#!/bin/sh\n", 0o755).expect("write");
        assert_eq!(
            FileState::read(&p).expect("read"),
            FileState::File {
                bytes: b"#!/bin/sh\n".to_vec(),
                mode: 0o755
            }
        );
        remove_file(dir.path(), &p).expect("rm");
        assert!(!dir.path().join("new").exists());
    }

    #[test]
    fn git_folder_names_match_in_any_case() {
        use std::ffi::OsStr;
        for name in [".git", ".GIT", ".Git"] {
            assert!(is_git_dir(OsStr::new(name)), "{name}");
        }
        for name in ["git", ".github", ".gitignore", "x.git"] {
            assert!(!is_git_dir(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn setuid_setgid_and_sticky_bits_are_not_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("tool");
        std::fs::write(&p, b"x").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o6755)).expect("chmod");
        assert_eq!(
            std::fs::metadata(&p).expect("stat").permissions().mode() & 0o7777,
            0o6755,
            "the file system kept the bits"
        );
        assert_eq!(FileState::read(&p).expect("read").mode(), Some(0o755));
    }
}
