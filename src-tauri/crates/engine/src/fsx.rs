//! File operations that landing and staging rely on: reading a file's state,
//! atomic writes that keep the mode, and joins that never leave a root.

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::error::{EngineError, IoContext, Result};

/// Whether a path component is git's folder: `.git`, in any case (on a
/// case-insensitive file system `.GIT/hooks` is `.git/hooks`). Never staged,
/// watched or landed.
pub fn is_git_dir(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().eq_ignore_ascii_case(b".git")
}

/// A file's bytes, shared rather than copied.
pub type Bytes = std::sync::Arc<[u8]>;

/// What is at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Nothing.
    Missing,
    /// A regular file.
    File {
        /// Its bytes, shared: a proposal, its base and the views of it hold
        /// one copy between them.
        bytes: Bytes,
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
            bytes: bytes.into(),
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

/// A folder below `root` opened through each of `parts` in turn without
/// following a link (`O_NOFOLLOW | O_DIRECTORY` at every step, creating
/// missing folders when asked). A session writing the same tree cannot
/// swap a folder for a link between Airlock's look and its write: the
/// write happens relative to the descriptor, never by name from `/`.
fn open_dir_beneath(root: &Path, parts: &[OsString], create: bool) -> Result<OwnedFd> {
    let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
    let mut dir = rfs::openat(rfs::CWD, root, flags, Mode::empty())
        .map_err(|e| EngineError::io(format!("open {}", root.display()), e.into()))?;
    let mut at = root.to_path_buf();
    for part in parts {
        at.push(part);
        let open = |dir: &OwnedFd| {
            rfs::openat(
                dir,
                part.as_os_str(),
                flags | OFlags::NOFOLLOW,
                Mode::empty(),
            )
        };
        dir = match open(&dir) {
            Ok(next) => next,
            Err(Errno::NOENT) if create => {
                match rfs::mkdirat(&dir, part.as_os_str(), Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => {
                        return Err(EngineError::io(
                            format!("create {}", at.display()),
                            e.into(),
                        ))
                    }
                }
                open(&dir)
                    .map_err(|e| EngineError::io(format!("open {}", at.display()), e.into()))?
            }
            Err(e @ (Errno::LOOP | Errno::NOTDIR)) => {
                let link = rfs::statat(&dir, part.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
                    .is_ok_and(|st| {
                        rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::Symlink
                    });
                if link {
                    // Never written through: it could point anywhere.
                    return Err(EngineError::OutsideProject(format!(
                        "{} (a link where a folder should be)",
                        at.display()
                    )));
                }
                return Err(EngineError::io(
                    format!("{} is a file where a folder should be", at.display()),
                    e.into(),
                ));
            }
            Err(e) => return Err(EngineError::io(format!("open {}", at.display()), e.into())),
        };
    }
    Ok(dir)
}

/// `path`'s folders below `root` and its name; refuses a path that is not
/// below `root` or that holds `..`.
fn split_beneath(root: &Path, path: &Path) -> Result<(Vec<OsString>, OsString)> {
    let outside = || EngineError::OutsideProject(path.display().to_string());
    let rel = path.strip_prefix(root).map_err(|_| outside())?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_os_string()),
            _ => return Err(outside()),
        }
    }
    let name = parts.pop().ok_or_else(outside)?;
    Ok((parts, name))
}

/// A temp file written beside its target, waiting to be renamed over it.
/// It holds no descriptor (a landing of 10,000 files keeps 10,000 of
/// these): its folder is opened again, link-free, to rename or remove it.
pub struct Temp {
    root: PathBuf,
    parts: Vec<OsString>,
    tmp: OsString,
    name: OsString,
    /// The target, for messages.
    path: PathBuf,
}

impl Temp {
    /// Renames the temp file over its target (in the folder it was made in).
    pub fn place(self) -> Result<()> {
        let dir = open_dir_beneath(&self.root, &self.parts, false)?;
        rename_into_place(&dir, &self.tmp, &self.name, &self.path)
    }

    /// Removes the temp file.
    pub fn discard(&self) {
        if let Ok(dir) = open_dir_beneath(&self.root, &self.parts, false) {
            let _ = rfs::unlinkat(&dir, self.tmp.as_os_str(), AtFlags::empty());
        }
    }
}

fn rename_into_place(dir: &OwnedFd, tmp: &OsString, name: &OsString, path: &Path) -> Result<()> {
    rfs::renameat(dir, tmp.as_os_str(), dir, name.as_os_str()).map_err(|e| {
        let _ = rfs::unlinkat(dir, tmp.as_os_str(), AtFlags::empty());
        EngineError::io(format!("rename onto {}", path.display()), e.into())
    })
}

/// Writes `bytes` (with `mode`) into a new temp file in the folder `dir`
/// (already opened link-free) beside `name`: the file, open, and its name.
fn temp_in(
    dir: &OwnedFd,
    name: &OsString,
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<(std::fs::File, OsString)> {
    let tmp: OsString = format!(
        ".{}.airlock-{}",
        name.to_string_lossy(),
        crate::home::random_token().get(..12).unwrap_or("tmp")
    )
    .into();
    let fd = rfs::openat(
        dir,
        tmp.as_os_str(),
        OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| {
        EngineError::io(
            format!("create a temp file for {}", path.display()),
            e.into(),
        )
    })?;
    let mut file = std::fs::File::from(fd);
    let written = file
        .write_all(bytes)
        .and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(mode)));
    match written {
        Ok(()) => Ok((file, tmp)),
        Err(e) => {
            let _ = rfs::unlinkat(dir, tmp.as_os_str(), AtFlags::empty());
            Err(EngineError::io(format!("write {}", path.display()), e))
        }
    }
}

/// Puts `bytes` (with `mode`) into a new temp file beside `path` (below
/// `root`, reached without following links), creating missing folders,
/// without syncing it: the first half of a write that many files share
/// one sync for ([`sync_under`], then [`Temp::place`]).
pub fn write_temp(root: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<Temp> {
    let (parts, name) = split_beneath(root, path)?;
    let dir = open_dir_beneath(root, &parts, true)?;
    let (_file, tmp) = temp_in(&dir, &name, path, bytes, mode)?;
    Ok(Temp {
        root: root.to_path_buf(),
        parts,
        tmp,
        name,
        path: path.to_path_buf(),
    })
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
/// rename over, fsync the folder. Creates missing parent folders. For
/// Airlock's own files; a file in a tree a session writes goes through
/// [`mirror`], which never follows a link on the way.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| EngineError::BadRequest(format!("no folder for {}", path.display())))?;
    std::fs::create_dir_all(dir).context(|| format!("create {}", dir.display()))?;
    write_beneath(dir, path, bytes, mode)
}

/// [`atomic_write`] below `root`, reached without following links.
fn write_beneath(root: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let (parts, name) = split_beneath(root, path)?;
    let dir = open_dir_beneath(root, &parts, true)?;
    let (file, tmp) = temp_in(&dir, &name, path, bytes, mode)?;
    if let Err(e) = file.sync_all() {
        let _ = rfs::unlinkat(&dir, tmp.as_os_str(), AtFlags::empty());
        return Err(EngineError::io(format!("fsync {}", path.display()), e));
    }
    drop(file);
    rename_into_place(&dir, &tmp, &name, path)?;
    // A folder fsync can fail on some file systems; the rename is done either way.
    let _ = rfs::fsync(&dir);
    Ok(())
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

/// Points `path` (below `root`) at `target` atomically: a temp link
/// renamed over it, in a folder reached without following links.
fn symlink_beneath(root: &Path, path: &Path, target: &Path) -> Result<()> {
    let (parts, name) = split_beneath(root, path)?;
    let dir = open_dir_beneath(root, &parts, true)?;
    let tmp = format!(
        ".airlock-link-{}",
        crate::home::random_token().get(..12).unwrap_or("tmp")
    );
    rfs::symlinkat(target, &dir, tmp.as_str())
        .map_err(|e| EngineError::io(format!("symlink beside {}", path.display()), e.into()))?;
    rfs::renameat(&dir, tmp.as_str(), &dir, name.as_os_str()).map_err(|e| {
        let _ = rfs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
        EngineError::io(format!("rename onto {}", path.display()), e.into())
    })
}

/// How many hard links the file at `path` has (1 for a normal file, 0 if none).
pub fn link_count(path: &Path) -> u64 {
    std::fs::symlink_metadata(path)
        .map(|m| if m.is_file() { m.nlink() } else { 1 })
        .unwrap_or(0)
}

/// Removes a file (missing is fine) and then any folders it leaves empty,
/// up to `root`; every folder is reached without following a link.
pub fn remove_file(root: &Path, path: &Path) -> Result<()> {
    let (parts, name) = split_beneath(root, path)?;
    let dir = match open_dir_beneath(root, &parts, false) {
        Ok(dir) => dir,
        // No folder, no file.
        Err(EngineError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(())
        }
        Err(e) => return Err(e),
    };
    match rfs::unlinkat(&dir, name.as_os_str(), AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => {
            return Err(EngineError::io(
                format!("remove {}", path.display()),
                e.into(),
            ))
        }
    }
    for depth in (0..parts.len()).rev() {
        let Ok(parent) = open_dir_beneath(root, &parts[..depth], false) else {
            break;
        };
        if rfs::unlinkat(&parent, parts[depth].as_os_str(), AtFlags::REMOVEDIR).is_err() {
            break;
        }
    }
    Ok(())
}

/// Makes `dst` (below `dst_root`) hold what `src` holds (a file, or
/// nothing). Every folder on the way is reached without following a link,
/// so a session that swaps one for a link cannot send the write elsewhere.
pub fn mirror(src: &FileState, dst_root: &Path, dst: &Path) -> Result<()> {
    match src {
        FileState::File { bytes, mode } => write_beneath(dst_root, dst, bytes, *mode),
        FileState::Missing => remove_file(dst_root, dst),
        FileState::Symlink { target } => symlink_beneath(dst_root, dst, target),
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
mod tests;
