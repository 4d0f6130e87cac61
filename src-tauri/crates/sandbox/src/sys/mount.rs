//! The user and mount namespace calls behind a session's own view of the
//! file system (`unshare`, `mount`, and a child process that tries them).
//! Part of [`crate::sys`], the only place `unsafe` is allowed: each block is
//! a single libc call with a SAFETY note.

use std::io;
use std::mem::zeroed;

/// A path as the C string a system call takes.
fn c_path(path: &std::path::Path) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Moves the calling process into a new user namespace and a new mount
/// namespace (`unshare(CLONE_NEWUSER | CLONE_NEWNS)`). The process must be
/// single-threaded. Its uid and gid are then unmapped until the caller
/// writes `/proc/self/{uid_map,gid_map}`.
pub fn unshare_user_and_mounts() -> io::Result<()> {
    // SAFETY: unshare takes flags only.
    check(unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) })
}

/// `mount(source, target, fstype, flags, data)` with optional parts.
fn mount(
    source: Option<&std::path::Path>,
    target: &std::path::Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let source = source.map(c_path).transpose()?;
    let target = c_path(target)?;
    let fstype = fstype
        .map(|t| std::ffi::CString::new(t).map_err(|_| io::Error::other("NUL in fstype")))
        .transpose()?;
    let data = data
        .map(|d| {
            std::ffi::CString::new(d)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in mount options"))
        })
        .transpose()?;
    let ptr = |c: &Option<std::ffi::CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: every pointer is null or a live NUL-terminated string owned above.
    check(unsafe {
        libc::mount(
            ptr(&source),
            target.as_ptr(),
            ptr(&fstype),
            flags,
            ptr(&data).cast(),
        )
    })
}

/// Stops mount events from spreading back to the parent namespace.
pub fn make_mounts_private() -> io::Result<()> {
    mount(
        None,
        std::path::Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
}

/// Mounts an empty tmpfs (mode 0755) over `target`.
pub fn mount_empty(target: &std::path::Path) -> io::Result<()> {
    mount(
        Some(std::path::Path::new("tmpfs")),
        target,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=0755,size=1m"),
    )
}

/// Makes the tmpfs at `target` read-only.
pub fn remount_read_only(target: &std::path::Path) -> io::Result<()> {
    mount(
        None,
        target,
        None,
        libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
        None,
    )
}

/// Makes `target` read-only in this mount namespace: a bind mount of it onto
/// itself, remounted read-only with the flags its file system is already
/// mounted with (a user namespace may not drop them).
pub fn bind_read_only(target: &std::path::Path) -> io::Result<()> {
    bind(target, target)?;
    let path = c_path(target)?;
    // SAFETY: all-zero is a valid statvfs, filled in by the call.
    let mut st: libc::statvfs = unsafe { zeroed() };
    // SAFETY: `path` is a live NUL-terminated string and `st` is ours.
    check(unsafe { libc::statvfs(path.as_ptr(), &mut st) })?;
    let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
    for (st_flag, ms_flag) in [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if st.f_flag & st_flag != 0 {
            flags |= ms_flag;
        }
    }
    mount(None, target, None, flags, None)
}

/// Shows `source` (a path, or `/proc/self/fd/N` of an `O_PATH` descriptor)
/// at `target` as well.
pub fn bind(source: &std::path::Path, target: &std::path::Path) -> io::Result<()> {
    mount(
        Some(source),
        target,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )
}

/// Mounts an overlay at `target`: `lower` read through, writes kept in
/// `upper` (`work` is overlayfs's scratch folder on the same file system).
pub fn mount_overlay(
    target: &std::path::Path,
    lower: &std::path::Path,
    upper: &std::path::Path,
    work: &std::path::Path,
) -> io::Result<()> {
    let opt = |p: &std::path::Path| -> io::Result<String> {
        let s = p
            .to_str()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a non-UTF-8 path"))?;
        // overlayfs splits its options at `,` and lower layers at `:`.
        if s.contains([',', ':', '\\']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{s:?} holds a character overlayfs options cannot carry (`,` `:` `\\`)"),
            ));
        }
        Ok(s.to_string())
    };
    let data = format!(
        "lowerdir={},upperdir={},workdir={},userxattr",
        opt(lower)?,
        opt(upper)?,
        opt(work)?
    );
    mount(
        Some(std::path::Path::new("overlay")),
        target,
        Some("overlay"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some(&data),
    )
}

/// Whether this process may make a user and mount namespace and mount in it
/// (some systems forbid unprivileged user namespaces): a child process tries
/// and reports.
pub fn can_unshare() -> bool {
    // SAFETY: the child only calls async-signal-safe functions (unshare,
    // _exit) before exiting; the parent waits for it.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return false;
    }
    if pid == 0 {
        // SAFETY: async-signal-safe calls in the forked child.
        unsafe {
            let ok = libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) == 0;
            libc::_exit(if ok { 0 } else { 1 });
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
    rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}
