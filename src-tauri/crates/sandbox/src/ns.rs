//! The session's own view of the file system (Linux: a user namespace and a
//! mount namespace), set up before Landlock confines the process.
//!
//! Landlock up to ABI 7 does not govern `connect()` to a pathname Unix
//! socket, and such a socket is often a door out of any sandbox: the D-Bus
//! session bus starts unconfined programs (`systemd-run --user`), tmux and
//! screen run commands in the user's other terminals, ssh-agent signs, a
//! docker socket is root. So the session gets a private mount namespace in
//! which:
//!
//! - every [`Isolate::mask`] folder (the user runtime folders under
//!   `/run/user`, the system bus, X11's socket folder, Airlock's data folder…)
//!   is an empty read-only tmpfs, with the spec's own paths inside it (the
//!   stage, its temp folder, its hook settings, Airlock's socket for agents) shown
//!   again at the same place;
//! - every other socket found under `/tmp`, `/var/tmp`, `/dev/shm`, `/run`
//!   and the [`Isolate::scan`] folders (the home), four levels down, is
//!   hidden: its folder becomes an empty tmpfs when it holds sockets only
//!   (tmux's, ssh-agent's), or else — it holds files too, or a path of the
//!   spec — the socket itself is covered by `/dev/null`, so `connect()`
//!   fails with "Connection refused";
//! - each [`Isolate::layers`] folder (the agents' state: `~/.claude`,
//!   `~/.codex`…) is an overlay: the user's files read through, the session's
//!   writes kept in its own upper folder, so nothing a session writes there
//!   (a hook in `settings.json`, a poisoned cache) reaches the user's own
//!   runs of the same agent;
//! - each [`Isolate::copies`] file (`~/.claude.json`) is the session's copy;
//! - each [`Isolate::read_only`] path is a read-only bind mount of itself,
//!   so a gated session, which may write the project, still cannot plant a
//!   git hook, set `core.hooksPath` or write Airlock's policy.
//!
//! The session cannot undo any of it: Landlock forbids `mount` and `umount`
//! to a confined process, and mounts inherited into a namespace it might make
//! itself are locked to the ones below them. A socket made after the session
//! started, outside the masked folders, stays reachable: that is the gap left.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::{sys, Error, Isolate, Spec};

/// Where sockets are looked for when the session starts.
const SCAN_ROOTS: [&str; 4] = ["/tmp", "/var/tmp", "/dev/shm", "/run"];
/// How deep below a scan root, and how many entries at most in all.
const SCAN_DEPTH: usize = 4;
const SCAN_ENTRIES: usize = 20_000;

/// What [`isolate`] did, for [`crate::Enforced`].
#[derive(Debug, Default)]
pub(crate) struct Isolated {
    /// Folders shown empty.
    pub(crate) masked: usize,
    /// Sockets covered one by one.
    pub(crate) covered: usize,
}

fn step(what: &'static str) -> impl Fn(io::Error) -> Error {
    move |source| Error::Namespace { step: what, source }
}

/// Gives the calling (single-threaded) process its own view; see the module
/// documentation.
pub(crate) fn isolate(spec: &Spec, iso: &Isolate) -> Result<Isolated, Error> {
    let me = fs::metadata("/proc/self").map_err(step("read the process's ids"))?;
    let (uid, gid) = (me.uid(), me.gid());
    sys::unshare_user_and_mounts().map_err(step("make a user and mount namespace"))?;
    // Map the user to itself: files keep their owners, and nothing is gained.
    fs::write("/proc/self/setgroups", "deny").map_err(step("deny setgroups"))?;
    fs::write("/proc/self/uid_map", format!("{uid} {uid} 1")).map_err(step("map the uid"))?;
    fs::write("/proc/self/gid_map", format!("{gid} {gid} 1")).map_err(step("map the gid"))?;
    sys::make_mounts_private().map_err(step("make mounts private"))?;

    // The layers and copies first: their upper folders and copies live in
    // Airlock's data folder, which a mask is about to hide.
    for layer in &iso.layers {
        let Ok(at) = fs::canonicalize(&layer.at) else {
            continue;
        };
        if !at.is_dir() {
            continue;
        }
        sys::mount_overlay(&at, &at, &layer.upper, &layer.work)
            .map_err(step("layer an agent state folder"))?;
    }
    for copy in &iso.copies {
        let (Ok(at), true) = (fs::canonicalize(&copy.at), copy.copy.is_file()) else {
            continue;
        };
        if at.is_file() {
            sys::bind(&copy.copy, &at).map_err(step("show a state file's copy"))?;
        }
    }

    for path in &iso.read_only {
        let Ok(path) = fs::canonicalize(path) else {
            continue;
        };
        sys::bind_read_only(&path).map_err(step("keep a path read-only"))?;
    }

    let keep = kept_paths(spec, iso);
    let mut masks: Vec<PathBuf> = iso
        .mask
        .iter()
        .filter_map(|m| fs::canonicalize(m).ok())
        .filter(|m| m.is_dir())
        .collect();
    masks.sort();
    masks.dedup();
    let outer: Vec<PathBuf> = masks
        .iter()
        .filter(|m| !masks.iter().any(|o| o != *m && m.starts_with(o)))
        .cloned()
        .collect();
    let mut done = Isolated::default();
    for mask in &outer {
        mask_folder(mask, &keep)?;
        done.masked += 1;
    }
    hide_sockets(&outer, &keep, &iso.scan, &mut done)?;
    Ok(done)
}

/// Every path of the spec the session must still reach, resolved. (Not
/// the exec gate's socket: the entry connects to it before isolating.)
fn kept_paths(spec: &Spec, iso: &Isolate) -> Vec<PathBuf> {
    spec.write
        .iter()
        .chain(&spec.read)
        .chain(&iso.sockets)
        .filter_map(|p| fs::canonicalize(p).ok())
        .collect()
}

/// Shows `mask` empty, with each kept path below it shown again.
fn mask_folder(mask: &Path, keep: &[PathBuf]) -> Result<(), Error> {
    // Hold every kept path below the mask before the mask hides it.
    let mut held = Vec::new();
    for path in keep.iter().filter(|k| k.starts_with(mask) && *k != mask) {
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_NOFOLLOW)
            .open(path)
            .map_err(step("hold a session path"))?;
        let dir = file.metadata().map(|m| m.is_dir()).unwrap_or(false);
        held.push((path, file, dir));
    }
    sys::mount_empty(mask).map_err(step("mask a folder"))?;
    for (path, file, dir) in &held {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(step("recreate a session path's folders"))?;
        }
        if *dir {
            fs::create_dir_all(path)
        } else {
            fs::write(path, b"")
        }
        .map_err(step("recreate a session path"))?;
        let source = PathBuf::from(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(file)
        ));
        sys::bind(&source, path).map_err(step("show a session path again"))?;
    }
    sys::remount_read_only(mask).map_err(step("make a masked folder read-only"))
}

/// Hides every socket found under the scan roots, except kept ones.
fn hide_sockets(
    masks: &[PathBuf],
    keep: &[PathBuf],
    more: &[PathBuf],
    done: &mut Isolated,
) -> Result<(), Error> {
    let mut found = Vec::new();
    // The system's folders first, then each extra one with a budget of its
    // own: a large home cannot use up the look at /tmp.
    let mut budget = SCAN_ENTRIES;
    for root in SCAN_ROOTS {
        let root = Path::new(root);
        if root.is_dir() {
            scan(root, 0, masks, keep, &mut budget, &mut found);
        }
    }
    let more: Vec<PathBuf> = more
        .iter()
        .filter_map(|r| fs::canonicalize(r).ok())
        .collect();
    for root in &more {
        let mut budget = SCAN_ENTRIES;
        if root.is_dir() && !masks.iter().any(|m| root.starts_with(m)) {
            scan(root, 0, masks, keep, &mut budget, &mut found);
        }
    }
    // A home under /tmp is looked at twice.
    found.sort();
    found.dedup();
    let mut emptied: Vec<PathBuf> = Vec::new();
    for socket in found {
        if emptied.iter().any(|d| socket.starts_with(d)) {
            continue;
        }
        let parent = socket.parent().unwrap_or(Path::new("/"));
        // The folder goes whole (so a socket made there later is hidden
        // too) only when it is a socket folder: not a scan root, no path of
        // the session, and nothing in it but sockets and folders of them.
        // A folder that also holds files keeps them: systemd-resolved's
        // holds the `resolv.conf` that `/etc/resolv.conf` links to.
        let may_empty = !SCAN_ROOTS.iter().any(|r| parent == Path::new(r))
            && !more.iter().any(|r| parent == r.as_path())
            && !keep
                .iter()
                .any(|k| k.starts_with(parent) || parent.starts_with(k))
            && only_sockets(parent);
        if may_empty {
            sys::mount_empty(parent).map_err(step("mask a socket's folder"))?;
            sys::remount_read_only(parent).map_err(step("make a masked folder read-only"))?;
            emptied.push(parent.to_path_buf());
            done.masked += 1;
        } else {
            sys::bind(Path::new("/dev/null"), &socket).map_err(step("cover a socket"))?;
            done.covered += 1;
        }
    }
    Ok(())
}

/// Whether `dir` holds nothing but sockets (at most [`SCAN_ENTRIES`] looked
/// at; a folder with more is not a socket folder).
fn only_sockets(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut seen = 0;
    for entry in entries {
        seen += 1;
        let is_socket = entry
            .ok()
            .and_then(|e| e.file_type().ok())
            .is_some_and(|t| t.is_socket());
        if !is_socket || seen > SCAN_ENTRIES {
            return false;
        }
    }
    true
}

/// Collects the sockets below `dir`, not descending into masks or kept paths.
fn scan(
    dir: &Path,
    depth: usize,
    masks: &[PathBuf],
    keep: &[PathBuf],
    budget: &mut usize,
    found: &mut Vec<PathBuf>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_socket() {
            if !keep.contains(&path) {
                found.push(path);
            }
        } else if kind.is_dir()
            && depth + 1 < SCAN_DEPTH
            && !masks.contains(&path)
            && !keep.contains(&path)
        {
            scan(&path, depth + 1, masks, keep, budget, found);
        }
    }
}
