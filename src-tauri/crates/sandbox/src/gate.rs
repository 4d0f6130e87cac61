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

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sys::{self, CallShape};
use crate::ExecGate;

/// The most bytes of arguments read for one call: enough for any command a
/// person would review; longer ones are judged on what was read and marked.
const MAX_ARGS_BYTES: usize = 256 * 1024;
/// The most arguments read for one call.
const MAX_ARGS: usize = 4096;
/// The longest program path read.
const MAX_PATH: usize = 4096;

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

type ReadCall = (PathBuf, Vec<String>, PathBuf, bool);

/// A caller's memory: read with `process_vm_readv`, or through
/// `/proc/<pid>/mem` where the kernel lacks it. The last stretch read is
/// kept: a command's path, its argument pointers and their strings usually
/// share a page, so one read serves them all.
struct Mem {
    pid: u32,
    /// `/proc/<pid>/mem`, once `process_vm_readv` said ENOSYS.
    file: Option<std::fs::File>,
    /// Where the kept stretch starts, and its bytes (up to a page's end).
    kept: (u64, Vec<u8>),
}

impl Mem {
    fn of(pid: u32) -> Mem {
        Mem {
            pid,
            file: None,
            kept: (0, Vec::with_capacity(4096)),
        }
    }

    /// Reads what is mapped of `buf.len()` bytes at `addr`, never across a
    /// page boundary (the next page may be unmapped); 0 when nothing is.
    fn read_at(&mut self, buf: &mut [u8], addr: u64) -> io::Result<usize> {
        let (start, bytes) = &self.kept;
        if addr >= *start && addr - start < bytes.len() as u64 {
            let from = &bytes[(addr - start) as usize..];
            let n = from.len().min(buf.len());
            buf[..n].copy_from_slice(&from[..n]);
            return Ok(n);
        }
        let page_left = 4096 - (addr % 4096) as usize;
        let mut kept = std::mem::take(&mut self.kept.1);
        kept.resize(page_left, 0);
        let n = match self.read_raw(&mut kept, addr) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::EFAULT) | Some(libc::EIO)) => 0,
            Err(e) => return Err(e),
            Ok(n) => n,
        };
        kept.truncate(n);
        let n = n.min(buf.len());
        buf[..n].copy_from_slice(&kept[..n]);
        self.kept = (addr, kept);
        Ok(n)
    }

    fn read_raw(&mut self, buf: &mut [u8], addr: u64) -> io::Result<usize> {
        if self.file.is_none() {
            match sys::read_remote(self.pid, addr, buf) {
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                    self.file = Some(std::fs::File::open(format!("/proc/{}/mem", self.pid))?);
                }
                other => return other,
            }
        }
        match &self.file {
            Some(f) => f.read_at(buf, addr),
            None => unreachable!("opened above"),
        }
    }
}

fn read_call(pid: u32, shape: CallShape, args: &[u64; 6]) -> io::Result<ReadCall> {
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let mut mem = Mem::of(pid);
    let (dirfd, path_ptr, argv_ptr, flags) = if shape.at {
        (args[0] as i32, args[1], args[2], args[4] as i32)
    } else {
        (libc::AT_FDCWD, args[0], args[1], 0)
    };
    let path = read_cstr(&mut mem, path_ptr, MAX_PATH)?.unwrap_or_default();
    let cwd = std::fs::read_link(proc.join("cwd"))?;
    let base = if dirfd == libc::AT_FDCWD {
        cwd.clone()
    } else {
        std::fs::read_link(proc.join("fd").join(dirfd.to_string()))?
    };
    let program = if path.is_empty() && flags & libc::AT_EMPTY_PATH != 0 {
        base
    } else {
        base.join(OsStr::from_bytes(&path))
    };
    // `/proc/self/exe` names the caller's program, not ours.
    let program = match program
        .strip_prefix("/proc/self")
        .or_else(|_| program.strip_prefix("/proc/thread-self"))
    {
        Ok(rest) => proc.join(rest),
        Err(_) => program,
    };
    let (argv, truncated) = if argv_ptr == 0 {
        // A null argv is an empty one (Linux allows it).
        (Vec::new(), false)
    } else {
        read_argv(&mut mem, argv_ptr, if shape.narrow { 4 } else { 8 })?
    };
    Ok((normalise(&program), argv, cwd, truncated))
}

/// The strings of a NULL-terminated pointer array at `at` whose pointers are
/// `width` bytes; true when there were more than [`MAX_ARGS`] or
/// [`MAX_ARGS_BYTES`].
fn read_argv(mem: &mut Mem, mut at: u64, width: usize) -> io::Result<(Vec<String>, bool)> {
    let mut argv = Vec::new();
    let mut total = 0usize;
    // The pointers, a page at a time (one read for any usual command).
    let mut page = vec![0u8; 4096];
    let (mut have, mut used) = (0usize, 0usize);
    loop {
        if argv.len() == MAX_ARGS {
            return Ok((argv, true));
        }
        if have - used < width {
            // A pointer never straddles a page: the array is aligned.
            let n = mem.read_at(&mut page, at)?;
            if n < width {
                return Err(io::Error::other(format!("cannot read address {at:#x}")));
            }
            (have, used) = (n - n % width, 0);
            at += have as u64;
        }
        let raw = &page[used..used + width];
        used += width;
        let ptr = match width {
            4 => u64::from(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            _ => u64::from_le_bytes(raw.try_into().expect("eight bytes")),
        };
        if ptr == 0 {
            return Ok((argv, false));
        }
        let room = MAX_ARGS_BYTES.saturating_sub(total);
        if room == 0 {
            return Ok((argv, true));
        }
        match read_cstr(mem, ptr, room)? {
            Some(arg) => {
                total += arg.len() + 1;
                argv.push(String::from_utf8_lossy(&arg).into_owned());
            }
            None => return Ok((argv, true)),
        }
    }
}

/// Removes `.` and `..` lexically (the program's path is judged, not run).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Reads a NUL-terminated string of at most `max` bytes; `None` when no NUL
/// came within `max`.
fn read_cstr(mem: &mut Mem, addr: u64, max: usize) -> io::Result<Option<Vec<u8>>> {
    if addr == 0 {
        return Err(io::Error::other("null pointer"));
    }
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut at = addr;
    while out.len() < max {
        let want = chunk.len().min(max - out.len());
        let n = mem.read_at(&mut chunk[..want], at)?;
        if n == 0 {
            return Err(io::Error::other(format!("cannot read address {at:#x}")));
        }
        if let Some(end) = chunk[..n].iter().position(|b| *b == 0) {
            out.extend_from_slice(&chunk[..end]);
            return Ok(Some(out));
        }
        out.extend_from_slice(&chunk[..n]);
        at += n as u64;
    }
    Ok(None)
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

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(normalise(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalise(Path::new("/../x")), PathBuf::from("/x"));
    }

    #[test]
    fn strings_are_read_from_a_live_process() {
        // Our own memory, read the way the engine reads a caller's.
        let text = b"hello\0world\0";
        let file = std::fs::File::open("/proc/self/mem").expect("open");
        let through_file = Mem {
            file: Some(file),
            ..Mem::of(std::process::id())
        };
        for mut mem in [Mem::of(std::process::id()), through_file] {
            // Twice: the second read is served from the kept stretch.
            for _ in 0..2 {
                let got = read_cstr(&mut mem, text.as_ptr() as u64, 64).expect("read");
                assert_eq!(got.as_deref(), Some(&b"hello"[..]));
            }
            let got = read_cstr(&mut mem, text.as_ptr() as u64 + 6, 64).expect("read");
            assert_eq!(got.as_deref(), Some(&b"world"[..]));
            let got = read_cstr(&mut mem, text.as_ptr() as u64, 3).expect("read");
            assert_eq!(got, None, "no NUL within the limit");
            assert!(read_cstr(&mut mem, 0, 8).is_err());
        }
    }

    #[test]
    fn an_argument_array_is_read_whole_and_capped() {
        let words: Vec<std::ffi::CString> = ["sh", "-c", "echo hi"]
            .iter()
            .map(|w| std::ffi::CString::new(*w).expect("no NUL"))
            .collect();
        let mut ptrs: Vec<u64> = words.iter().map(|w| w.as_ptr() as u64).collect();
        ptrs.push(0);
        let mut mem = Mem::of(std::process::id());
        let (argv, truncated) = read_argv(&mut mem, ptrs.as_ptr() as u64, 8).expect("argv");
        assert_eq!(
            (argv, truncated),
            (vec!["sh".to_string(), "-c".into(), "echo hi".into()], false)
        );
        // More pointers than MAX_ARGS: read up to the cap and marked.
        let many: Vec<u64> = std::iter::repeat_n(words[0].as_ptr() as u64, MAX_ARGS + 10)
            .chain([0])
            .collect();
        let (argv, truncated) = read_argv(&mut mem, many.as_ptr() as u64, 8).expect("argv");
        assert_eq!((argv.len(), truncated), (MAX_ARGS, true));
    }
}
