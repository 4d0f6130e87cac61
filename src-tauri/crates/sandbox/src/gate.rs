//! The exec gate: every program a session's processes start is reported to
//! the engine before it runs, and runs only if the engine says so.
//!
//! The `sandbox-exec` entry installs a seccomp filter whose `execve` and
//! `execveat` become user notifications ([`crate::sys`]), passes the
//! filter's listener to the engine over the engine's gate socket together
//! with a one-time token, waits for "ok", closes its own copy of the
//! listener and only then execs the session's command — so the session never
//! holds the descriptor that answers for it. The engine reads each call with
//! an [`ExecListener`]: the program as given, its arguments and the caller's
//! folder, read from `/proc/<pid>/mem` while the caller waits in the kernel.
//!
//! Limits (as every seccomp-notification supervisor has them; see
//! seccomp_unotify(2)): the caller's memory is read, judged, and the call is
//! then let through with `SECCOMP_USER_NOTIF_FLAG_CONTINUE`, which makes the
//! kernel read the arguments again. A program that rewrites those arguments
//! from another thread (or a `vfork` parent) between the two reads runs
//! something other than what was judged. The gate is how every agent asks
//! before a risky command; the file and network boundary is Landlock's.
//! If the engine dies, the listener closes and every exec of the session
//! fails (`ENOSYS`): closed, never open.

mod read;

use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sys;
use crate::ExecGate;
use read::read_call;

/// Connects to the engine's gate socket. Called by the entry before it
/// confines itself, so the session's own view of the file system need not
/// show that socket: no process of the session can reach it later.
pub(crate) fn connect(gate: &ExecGate) -> Result<UnixStream, String> {
    // Nothing is filtered yet, and a dead engine is a clear error instead of
    // a process whose every exec fails.
    UnixStream::connect(&gate.socket).map_err(|e| {
        format!(
            "cannot reach Airlock's exec gate at {}: {e}",
            gate.socket.display()
        )
    })
}

/// Installs the exec filter on this process, hands the listener to the
/// engine over `sock` (from [`connect`]) and waits for its "ok". Called by
/// the entry after Landlock and right before `exec`.
pub(crate) fn hand_over(sock: UnixStream, gate: &ExecGate) -> Result<(), String> {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let listener =
        sys::install_exec_filter().map_err(|e| format!("cannot install the exec filter: {e}"))?;
    let line = format!("{}\n", gate.token);
    sys::send_fd(&sock, line.as_bytes(), listener.as_fd())
        .map_err(|e| format!("cannot hand the exec gate to Airlock: {e}"))?;
    // Our copy goes before the exec: only the engine may answer.
    drop(listener);
    let mut answer = String::new();
    BufReader::new(&sock)
        .read_line(&mut answer)
        .map_err(|e| format!("Airlock's exec gate did not answer: {e}"))?;
    match answer.trim_end() {
        "ok" => Ok(()),
        "" => Err("Airlock's exec gate closed without an answer".into()),
        other => Err(format!("Airlock's exec gate refused: {other}")),
    }
}

/// The engine's side of one hand-over: the token line and the listener.
pub fn accept_hand_over(sock: &UnixStream) -> io::Result<(String, u32, OwnedFd)> {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 256];
    let (n, fd) = sys::recv_fd(sock, &mut buf)?;
    let fd = fd.ok_or_else(|| io::Error::other("no listener came with the hand-over"))?;
    let token = std::str::from_utf8(&buf[..n])
        .map_err(|_| io::Error::other("the hand-over token is not UTF-8"))?
        .trim_end()
        .to_string();
    let pid = sys::peer_pid(sock)?;
    Ok((token, pid, fd))
}

/// Answers a hand-over: "ok", or why not.
pub fn answer_hand_over(mut sock: &UnixStream, refusal: Option<&str>) -> io::Result<()> {
    let line = match refusal {
        None => "ok\n".to_string(),
        Some(why) => format!("{}\n", why.replace('\n', " ")),
    };
    sock.write_all(line.as_bytes())
}

/// One exec waiting for a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCall {
    /// The notification's id: answer with it.
    pub id: u64,
    /// The calling thread.
    pub pid: u32,
    /// The program as the caller named it, made absolute against its
    /// folder (or the directory descriptor of `execveat`).
    pub program: PathBuf,
    /// The file [`ExecCall::program`] names, links followed, when it was read.
    pub file: FileId,
    /// The arguments, `argv[0]` first (which the caller may set to anything:
    /// judge [`ExecCall::program`], not `argv[0]`).
    pub argv: Vec<String>,
    /// The caller's working folder.
    pub cwd: PathBuf,
    /// True when the arguments were longer than what was read.
    pub truncated: bool,
}

impl ExecCall {
    /// [`ExecCall::program`] as the caller sees it: through its own root
    /// and mounts (an isolated session sees its own agent state folders and
    /// empty masked ones; see [`crate::Isolate`]). Open this, not `program`,
    /// to read the file that would run.
    pub fn seen(&self) -> PathBuf {
        in_view(self.pid, &self.program)
    }

    /// `path` (absolute) with every link resolved as the caller sees it —
    /// `std::fs::canonicalize` in the caller's mount namespace — or `None`
    /// when it does not resolve there (or the caller is gone).
    /// A caller that changed its root (`chroot` in a user namespace of its
    /// own) resolves nothing: its `/usr/bin/cat` may be a file it made.
    pub fn real(&self, path: &Path) -> Option<PathBuf> {
        let root = std::fs::read_link(format!("/proc/{}/root", self.pid)).ok()?;
        if root != Path::new("/") {
            return None;
        }
        real_path_in(self.pid, path).ok()
    }
}

/// Resolves `path` as `realpath` would, but looking every component up
/// through process `pid`'s root: an absolute link restarts at the caller's
/// root, not the engine's.
fn real_path_in(pid: u32, path: &Path) -> io::Result<PathBuf> {
    use std::path::Component;
    let root = PathBuf::from(format!("/proc/{pid}/root"));
    let push = |pending: &mut Vec<std::ffi::OsString>, p: &Path| {
        for c in p.components().rev() {
            match c {
                Component::Normal(n) => pending.push(n.to_os_string()),
                Component::ParentDir => pending.push("..".into()),
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            }
        }
    };
    let mut pending = Vec::new();
    push(&mut pending, path);
    let mut out = PathBuf::from("/");
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&name);
        let seen = root.join(next.strip_prefix("/").unwrap_or(&next));
        if std::fs::symlink_metadata(&seen)?.file_type().is_symlink() {
            links += 1;
            if links > 40 {
                return Err(io::Error::from_raw_os_error(libc::ELOOP));
            }
            let target = std::fs::read_link(&seen)?;
            if target.is_absolute() {
                out = PathBuf::from("/");
            }
            push(&mut pending, &target);
        } else {
            out = next;
        }
    }
    Ok(out)
}

/// `path` (absolute) through process `pid`'s root and mount namespace.
pub(crate) fn in_view(pid: u32, path: &Path) -> PathBuf {
    let rel = path.strip_prefix("/").unwrap_or(path);
    PathBuf::from(format!("/proc/{pid}/root")).join(rel)
}

/// Which file a path named, and its last change: equal ids are the same
/// file, unchanged (a cache keyed by path can check it is still right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The file system.
    pub dev: u64,
    /// The inode.
    pub ino: u64,
    /// Its status change time, in nanoseconds (a rename, `chmod` or write
    /// moves it).
    pub ctime_ns: i128,
}

impl FileId {
    /// The id of what `meta` describes.
    pub fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        }
    }
}

/// What [`ExecListener::next`] found.
#[derive(Debug)]
pub enum Next {
    /// A call to judge.
    Call(ExecCall),
    /// A call whose arguments could not be read (the caller's memory is not
    /// readable, or a pointer is bad): answer it, refusing is the safe way.
    Unreadable {
        /// The notification's id.
        id: u64,
        /// The calling thread.
        pid: u32,
        /// What went wrong.
        why: String,
    },
    /// Nothing came within the timeout, or a call vanished before it was read.
    Idle,
    /// Every process the listener watched is gone.
    Closed,
    /// The stop descriptor became readable.
    Stopped,
}

/// The engine's end of one session's exec filter.
#[derive(Debug)]
pub struct ExecListener {
    fd: OwnedFd,
}

impl ExecListener {
    /// Wraps a listener received with [`accept_hand_over`], asking the
    /// kernel to hand the CPU between caller and listener where it can
    /// ([`sys::notif_sync_wake`]; without it, only slower).
    pub fn new(fd: OwnedFd) -> ExecListener {
        let _ = sys::notif_sync_wake(fd.as_fd());
        ExecListener { fd }
    }

    /// Waits up to `timeout_ms` for the next call, or for `stop` to become
    /// readable.
    pub fn next(&self, stop: BorrowedFd, timeout_ms: i32) -> io::Result<Next> {
        let (listener, stopped) = match sys::poll2(self.fd.as_fd(), stop, timeout_ms) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Next::Idle),
            Err(e) => return Err(e),
        };
        if stopped.readable || stopped.hangup {
            return Ok(Next::Stopped);
        }
        if !listener.readable {
            return Ok(if listener.hangup {
                Next::Closed
            } else {
                Next::Idle
            });
        }
        let n = match sys::notif_recv(self.fd.as_fd()) {
            Ok(n) => n,
            // The caller died or was interrupted before we read it.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::EINTR)) => {
                return Ok(Next::Idle)
            }
            Err(e) => return Err(e),
        };
        let Some(shape) = sys::call_shape(n.arch, n.nr) else {
            return Ok(Next::Unreadable {
                id: n.id,
                pid: n.pid,
                why: format!("unexpected system call {} (arch {:#x})", n.nr, n.arch),
            });
        };
        let read = read_call(n.pid, shape, &n.args);
        // What was read belongs to this call only if it is still waiting.
        if !sys::notif_id_valid(self.fd.as_fd(), n.id) {
            return Ok(Next::Idle);
        }
        Ok(match read {
            Ok((program, argv, cwd, truncated)) => {
                match std::fs::metadata(in_view(n.pid, &program)) {
                    // A shell searching PATH tries each folder in turn: answer the
                    // misses as the kernel would, so one command is judged once.
                    Err(e) => {
                        let errno = e.raw_os_error().unwrap_or(libc::ENOENT);
                        sys::notif_send(self.fd.as_fd(), n.id, Some(errno))?;
                        Next::Idle
                    }
                    Ok(meta) => Next::Call(ExecCall {
                        id: n.id,
                        pid: n.pid,
                        program,
                        file: FileId::of(&meta),
                        argv,
                        cwd,
                        truncated,
                    }),
                }
            }
            Err(e) => Next::Unreadable {
                id: n.id,
                pid: n.pid,
                why: e.to_string(),
            },
        })
    }

    /// Lets the call run.
    pub fn allow(&self, id: u64) -> io::Result<()> {
        sys::notif_send(self.fd.as_fd(), id, None)
    }

    /// Makes the call fail with "Operation not permitted".
    pub fn refuse(&self, id: u64) -> io::Result<()> {
        sys::notif_send(self.fd.as_fd(), id, Some(libc::EPERM))
    }

    /// Whether the call still waits (its process neither died nor was interrupted).
    pub fn is_pending(&self, id: u64) -> bool {
        sys::notif_id_valid(self.fd.as_fd(), id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_as_the_caller_sees_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::create_dir_all(base.join("a/b")).expect("mkdir");
        std::fs::write(base.join("a/b/file"), "x").expect("write");
        std::os::unix::fs::symlink(base.join("a"), base.join("abs")).expect("link");
        std::os::unix::fs::symlink("a/b/../b", base.join("rel")).expect("link");
        std::os::unix::fs::symlink("loop", base.join("loop")).expect("link");
        let me = std::process::id();
        for link in ["abs/b/file", "rel/file", "a/./b/file"] {
            assert_eq!(
                real_path_in(me, &base.join(link)).expect(link),
                std::fs::canonicalize(base.join(link)).expect("canonicalize"),
                "{link}"
            );
        }
        assert!(real_path_in(me, &base.join("missing")).is_err());
        assert_eq!(
            real_path_in(me, &base.join("loop")).map_err(|e| e.raw_os_error()),
            Err(Some(libc::ELOOP))
        );
    }
}
