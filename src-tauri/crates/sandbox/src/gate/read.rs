//! Reading one exec call out of the waiting caller: the program path, the
//! argument array and the strings it points to, from the caller's memory
//! (`process_vm_readv`, or `/proc/<pid>/mem`), within fixed limits.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::sys::{self, CallShape};

/// The most bytes of arguments read for one call: enough for any command a
/// person would review; longer ones are judged on what was read and marked.
const MAX_ARGS_BYTES: usize = 256 * 1024;
/// The most arguments read for one call.
const MAX_ARGS: usize = 4096;
/// The longest program path read.
const MAX_PATH: usize = 4096;

pub(super) type ReadCall = (PathBuf, Vec<String>, PathBuf, bool);

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

pub(super) fn read_call(pid: u32, shape: CallShape, args: &[u64; 6]) -> io::Result<ReadCall> {
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
