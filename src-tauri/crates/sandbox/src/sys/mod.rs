//! The raw system calls behind the exec gate: a seccomp filter that turns
//! every `execve`/`execveat` into a user notification, the notification
//! listener's ioctls, passing that listener to the engine over a Unix socket
//! (`SCM_RIGHTS`), the peer's pid, `poll`, and reading a caller's memory;
//! and the user and mount namespace calls behind a session's private view of
//! the file system (`unshare`, `mount`).
//!
//! This is the only module of the workspace allowed `unsafe`: each block is a
//! single libc call on memory this module owns, with a SAFETY note. Everything
//! it offers outside is safe.

#![allow(unsafe_code)]

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// One execve/execveat waiting for a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification {
    /// The kernel's id for this notification (answers name it).
    pub id: u64,
    /// The calling thread's pid, as seen from the listener's namespace.
    pub pid: u32,
    /// The system call number, for `arch`.
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the call.
    pub arch: u32,
    /// The call's six arguments.
    pub args: [u64; 6],
}

// Classic BPF, as in <linux/bpf_common.h>: BPF_LD|BPF_W|BPF_ABS,
// BPF_JMP|BPF_JEQ|BPF_K and BPF_RET|BPF_K (BPF_W and BPF_K are 0).
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10;
const BPF_RET_K: u16 = 0x06;
/// Offsets into `struct seccomp_data`.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;

/// The exec system calls of one architecture the kernel may run for us.
struct ArchCalls {
    audit_arch: u32,
    /// `execve(path, argv, envp)` numbers.
    execve: &'static [u32],
    /// `execveat(dirfd, path, argv, envp, flags)` numbers.
    execveat: &'static [u32],
    /// Whether pointers in this ABI are 32 bits wide (x32 calls on x86_64
    /// are recognised by [`X32`] instead).
    narrow: bool,
}

/// x32 system calls carry this bit on x86_64.
#[cfg(target_arch = "x86_64")]
const X32: u32 = 0x4000_0000;

#[cfg(target_arch = "x86_64")]
const ARCHES: &[ArchCalls] = &[
    // AUDIT_ARCH_X86_64: execve 59, execveat 322, and their x32 numbers.
    ArchCalls {
        audit_arch: 0xC000_003E,
        execve: &[59, X32 | 520],
        execveat: &[322, X32 | 545],
        narrow: false,
    },
    // AUDIT_ARCH_I386 (32-bit programs): execve 11, execveat 358.
    ArchCalls {
        audit_arch: 0x4000_0003,
        execve: &[11],
        execveat: &[358],
        narrow: true,
    },
];

#[cfg(target_arch = "aarch64")]
const ARCHES: &[ArchCalls] = &[
    // AUDIT_ARCH_AARCH64: execve 221, execveat 281.
    ArchCalls {
        audit_arch: 0xC000_00B7,
        execve: &[221],
        execveat: &[281],
        narrow: false,
    },
    // AUDIT_ARCH_ARM (32-bit programs): execve 11, execveat 387.
    ArchCalls {
        audit_arch: 0x4000_0028,
        execve: &[11],
        execveat: &[387],
        narrow: true,
    },
];

/// How an exec call's arguments are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallShape {
    /// `execveat`: a directory descriptor first and flags fifth.
    pub at: bool,
    /// Pointers are 4 bytes wide.
    pub narrow: bool,
}

/// The shape of call `nr` on `arch`, if it is one of the exec calls the
/// filter sends to the listener.
pub fn call_shape(arch: u32, nr: i32) -> Option<CallShape> {
    let nr = u32::try_from(nr).ok()?;
    let a = ARCHES.iter().find(|a| a.audit_arch == arch)?;
    #[cfg(target_arch = "x86_64")]
    let narrow = a.narrow || nr & X32 != 0;
    #[cfg(not(target_arch = "x86_64"))]
    let narrow = a.narrow;
    if a.execve.contains(&nr) {
        return Some(CallShape { at: false, narrow });
    }
    a.execveat
        .contains(&nr)
        .then_some(CallShape { at: true, narrow })
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: BPF_JMP_JEQ_K,
        jt,
        jf,
        k,
    }
}

/// The filter: for each known architecture, its exec calls notify the
/// listener and every other call is allowed; a call from an architecture
/// this filter does not know fails with `EPERM`, so no exec can slip past
/// through an unexpected ABI.
pub(crate) fn exec_filter() -> Vec<libc::sock_filter> {
    let notify = libc::SECCOMP_RET_USER_NOTIF;
    let allow = libc::SECCOMP_RET_ALLOW;
    let refuse = libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA);
    let mut prog = vec![stmt(BPF_LD_W_ABS, ARCH_OFFSET)];
    for arch in ARCHES {
        // Block: load nr; per exec call "jeq nr, 0, 1; ret notify"; ret allow.
        let execs = arch.execve.iter().chain(arch.execveat);
        let block = 1 + 2 * execs.clone().count() + 1;
        let skip = u8::try_from(block).unwrap_or(u8::MAX);
        prog.push(jeq(arch.audit_arch, 0, skip));
        prog.push(stmt(BPF_LD_W_ABS, NR_OFFSET));
        for nr in execs {
            prog.push(jeq(*nr, 0, 1));
            prog.push(stmt(BPF_RET_K, notify));
        }
        prog.push(stmt(BPF_RET_K, allow));
        // The next architecture compares the arch again: reload it.
        prog.push(stmt(BPF_LD_W_ABS, ARCH_OFFSET));
    }
    prog.push(stmt(BPF_RET_K, refuse));
    prog
}

/// Installs [`exec_filter`] on the calling thread (and everything it starts)
/// and returns the notification listener. Sets `no_new_privs` first, which
/// unprivileged seccomp requires (Landlock has set it already).
pub fn install_exec_filter() -> io::Result<OwnedFd> {
    let filter = exec_filter();
    let prog = libc::sock_fprog {
        len: u16::try_from(filter.len()).map_err(|_| io::Error::other("filter too long"))?,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: prctl with integer arguments only.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `prog` points at `filter`, which outlives the call; the kernel
    // copies the program before returning.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &prog as *const libc::sock_fprog,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::other("listener fd out of range"))?;
    // SAFETY: the kernel just returned this descriptor to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Waits for the next notification. `ENOENT` means the caller died before it
/// could be read; callers retry on it and on `EINTR`.
pub fn notif_recv(listener: BorrowedFd) -> io::Result<Notification> {
    // SAFETY: the kernel requires a zeroed struct; all-zero is a valid value
    // of this plain C struct.
    let mut n: libc::seccomp_notif = unsafe { zeroed() };
    // SAFETY: `n` is a live, correctly sized seccomp_notif for the ioctl to fill.
    let rc = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            &mut n as *mut libc::seccomp_notif,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Notification {
        id: n.id,
        pid: n.pid,
        nr: n.data.nr,
        arch: n.data.arch,
        args: n.data.args,
    })
}

/// Answers a notification: `None` lets the call go on as it is, `Some(errno)`
/// makes it fail with that error.
pub fn notif_send(listener: BorrowedFd, id: u64, errno: Option<i32>) -> io::Result<()> {
    // SAFETY: all-zero is a valid seccomp_notif_resp.
    let mut resp: libc::seccomp_notif_resp = unsafe { zeroed() };
    resp.id = id;
    match errno {
        None => resp.flags = libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
        Some(e) => resp.error = -e,
    }
    // SAFETY: `resp` is a live, initialised seccomp_notif_resp.
    let rc = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &mut resp as *mut libc::seccomp_notif_resp,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Asks the kernel to wake the listener's thread on the CPU of the caller
/// that just stopped at the filter, and the caller on the listener's when
/// answered (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`, Linux 6.6+): the two hand
/// the CPU to each other instead of waking an idle one, which on a virtual
/// machine costs more than judging the call. `Ok(false)` on older kernels.
pub fn notif_sync_wake(listener: BorrowedFd) -> io::Result<bool> {
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` from linux/seccomp.h.
    const SYNC_WAKE_UP: u64 = 1;
    // SAFETY: the ioctl takes its flags by value.
    let rc = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            SYNC_WAKE_UP,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EINVAL) {
        return Ok(false);
    }
    Err(e)
}

/// Whether notification `id` is still pending: its caller has not died or
/// been interrupted. Checked after reading the caller's memory, so what was
/// read belongs to the call being judged and not to a recycled pid.
pub fn notif_id_valid(listener: BorrowedFd, id: u64) -> bool {
    let mut id = id;
    // SAFETY: `id` is a live u64 the ioctl reads.
    let rc = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
            &mut id as *mut u64,
        )
    };
    rc == 0
}

/// Reads `buf.len()` bytes or fewer at `addr` in process `pid`'s memory
/// (`process_vm_readv`: one call, no `/proc/<pid>/mem` to open and close).
/// Returns how many bytes were read; the caller keeps a read inside one page,
/// so a short count means the rest is not mapped.
pub fn read_remote(pid: u32, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    // SAFETY: `local` describes `buf`, which is live and writable for its
    // length; `remote` is only read by the kernel, in the other process.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Now, in the clock ticks since boot that `/proc/<pid>/stat` gives a
/// process's start time in: a process whose start time is not after this
/// was already running. 0 if the clock cannot be read (nothing started
/// before it: trust that depends on it fails closed).
pub fn boot_ticks() -> u64 {
    // SAFETY: all-zero is a valid timespec.
    let mut ts: libc::timespec = unsafe { zeroed() };
    // SAFETY: `ts` is a live timespec the call writes.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    // SAFETY: sysconf only reads its argument.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if rc != 0 || hz <= 0 {
        return 0;
    }
    let ns = u128::from(ts.tv_sec as u64) * 1_000_000_000 + u128::from(ts.tv_nsec as u64);
    (ns * hz as u128 / 1_000_000_000) as u64
}

/// What [`poll2`] saw on each descriptor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready {
    /// Something to read.
    pub readable: bool,
    /// Hung up or in error (for a listener: every process it watched is gone).
    pub hangup: bool,
}

/// Polls two descriptors for reading, up to `timeout_ms` (-1: forever).
pub fn poll2(a: BorrowedFd, b: BorrowedFd, timeout_ms: i32) -> io::Result<(Ready, Ready)> {
    let mut fds = [
        libc::pollfd {
            fd: a.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: b.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: `fds` is a live array of two pollfd, and its length is passed.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout_ms) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let ready = |p: &libc::pollfd| Ready {
        readable: p.revents & libc::POLLIN != 0,
        hangup: p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0,
    };
    Ok((ready(&fds[0]), ready(&fds[1])))
}

/// Sends `payload` with one descriptor attached (`SCM_RIGHTS`).
pub fn send_fd(sock: &UnixStream, payload: &[u8], fd: BorrowedFd) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: CMSG_SPACE is a pure computation on a size.
    let space = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr().cast_mut().cast(),
        iov_len: payload.len(),
    };
    // SAFETY: all-zero is a valid msghdr; its pointers are set below.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` points at `control`, which has room for one header (CMSG_SPACE above).
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    if cmsg.is_null() {
        return Err(io::Error::other("no room for the descriptor"));
    }
    // SAFETY: `cmsg` points into `control`, sized for one RawFd, as just checked.
    unsafe {
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), raw);
    }
    // SAFETY: `msg` and everything it points at are live for the call.
    let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n as usize != payload.len() {
        return Err(io::Error::other("short write while passing the descriptor"));
    }
    Ok(())
}

/// Receives up to `buf.len()` bytes and the descriptor sent with them, if any.
/// Descriptors beyond the first are closed.
pub fn recv_fd(sock: &UnixStream, buf: &mut [u8]) -> io::Result<(usize, Option<OwnedFd>)> {
    // Room for a few descriptors, so extra ones are received (and closed) rather
    // than leaving the message truncated.
    // SAFETY: CMSG_SPACE is a pure computation on a size.
    let space = unsafe { libc::CMSG_SPACE(4 * size_of::<RawFd>() as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: all-zero is a valid msghdr; its pointers are set below.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` and everything it points at are live for the call;
    // MSG_CMSG_CLOEXEC keeps received descriptors out of children we start.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut first = None;
    // SAFETY: walking the control buffer the kernel filled, with the libc macros
    // that bound each header by `msg_controllen`.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                let len = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                for i in 0..len / size_of::<RawFd>() {
                    let fd = OwnedFd::from_raw_fd(std::ptr::read_unaligned(data.add(i)));
                    if first.is_none() {
                        first = Some(fd);
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n as usize, first))
}

/// The pid of the process at the other end of a Unix socket (`SO_PEERCRED`),
/// as it was when it connected.
pub fn peer_pid(sock: &UnixStream) -> io::Result<u32> {
    // SAFETY: all-zero is a valid ucred.
    let mut cred: libc::ucred = unsafe { zeroed() };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are live and `len` holds cred's size.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    u32::try_from(cred.pid).map_err(|_| io::Error::other("no peer pid"))
}

mod mount;
pub use mount::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_notifies_only_exec_calls_and_refuses_unknown_arches() {
        let prog = exec_filter();
        assert!(prog.len() < 64, "a short, linear program: {}", prog.len());
        let last = prog.last().expect("a program");
        assert_eq!(last.code, BPF_RET_K);
        assert_eq!(
            last.k & libc::SECCOMP_RET_ACTION_FULL,
            libc::SECCOMP_RET_ERRNO
        );
        let notifies = prog
            .iter()
            .filter(|i| i.code == BPF_RET_K && i.k == libc::SECCOMP_RET_USER_NOTIF)
            .count();
        let execs: usize = ARCHES
            .iter()
            .map(|a| a.execve.len() + a.execveat.len())
            .sum();
        assert_eq!(notifies, execs);
        // Every jump lands inside the program.
        for (i, ins) in prog.iter().enumerate() {
            if ins.code == BPF_JMP_JEQ_K {
                assert!(i + 1 + usize::from(ins.jf) < prog.len());
                assert!(i + 1 + usize::from(ins.jt) < prog.len());
            }
        }
    }

    #[test]
    fn boot_ticks_agree_with_a_process_start_time() {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("stat");
        let rest = &stat[stat.rfind(')').expect(")") + 2..];
        let start: u64 = rest
            .split(' ')
            .nth(19)
            .expect("field")
            .parse()
            .expect("number");
        let now = boot_ticks();
        assert!(start <= now, "started at {start}, now {now}");
        assert!(
            now - start < 100 * 3600,
            "within the hour this test has run"
        );
    }

    #[test]
    fn a_descriptor_crosses_a_socket_pair() {
        let (a, b) = UnixStream::pair().expect("pair");
        let file = tempfile::tempfile().expect("temp file");
        send_fd(&a, b"token\n", std::os::fd::AsFd::as_fd(&file)).expect("send");
        let mut buf = [0u8; 64];
        let (n, fd) = recv_fd(&b, &mut buf).expect("recv");
        assert_eq!(&buf[..n], b"token\n");
        assert!(fd.is_some());
        assert_eq!(peer_pid(&b).expect("pid"), std::process::id());
        // No descriptor: the bytes still arrive.
        std::io::Write::write_all(&mut &a, b"x").expect("write");
        let (n, fd) = recv_fd(&b, &mut buf).expect("recv");
        assert_eq!((n, fd.is_none()), (1, true));
    }
}
