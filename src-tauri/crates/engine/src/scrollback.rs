//! A session's terminal output: a bounded tail in memory (what a new window
//! draws again) backed by an append-only log on disk (what a slow window
//! catches up from, and what survives a restart).

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The on-disk log of a session's output.
#[derive(Debug)]
struct Log {
    path: PathBuf,
    file: File,
    /// The output offset of the file's first byte.
    start: u64,
    /// Rotate past this many bytes (keeping the in-memory tail).
    cap: u64,
}

/// The last `cap` bytes of a session's output in memory, every byte since the
/// log's start on disk, and the total count so far.
#[derive(Debug)]
pub struct Scrollback {
    buf: VecDeque<u8>,
    cap: usize,
    total: u64,
    log: Option<Log>,
}

impl Scrollback {
    /// An in-memory tail of at most `cap` bytes, no log.
    pub fn new(cap: usize) -> Self {
        Self {
            buf: VecDeque::new(),
            cap,
            total: 0,
            log: None,
        }
    }

    /// A tail backed by the log at `path` (created if missing, `0600`): what
    /// the log holds is loaded, and offsets count from its start.
    pub fn with_log(cap: usize, path: &Path, log_cap: u64) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        let len = file.metadata()?.len();
        let keep = len.min(cap as u64);
        let mut tail = vec![0u8; keep as usize];
        file.read_exact_at(&mut tail, len - keep)?;
        let mut sb = Self::new(cap);
        sb.buf.extend(tail);
        sb.total = len;
        sb.log = Some(Log {
            path: path.to_path_buf(),
            file,
            start: 0,
            cap: log_cap.max(cap as u64),
        });
        Ok(sb)
    }

    /// Appends output; returns the offset of its first byte.
    pub fn push(&mut self, bytes: &[u8]) -> u64 {
        let offset = self.total;
        self.total += bytes.len() as u64;
        let tail = if bytes.len() > self.cap {
            &bytes[bytes.len() - self.cap..]
        } else {
            bytes
        };
        let overflow = (self.buf.len() + tail.len()).saturating_sub(self.cap);
        self.buf.drain(..overflow);
        self.buf.extend(tail);
        let rotate = match self.log.as_mut() {
            Some(log) => {
                // A log that cannot be written only costs the catch-up; the tail stays.
                let _ = log.file.write_all(bytes);
                self.total - log.start > log.cap
            }
            None => false,
        };
        if rotate {
            self.rotate();
        }
        offset
    }

    /// Starts the log again from the in-memory tail.
    fn rotate(&mut self) {
        let (tail, end) = self.snapshot();
        let Some(log) = self.log.as_mut() else {
            return;
        };
        let tmp = log.path.with_extension("log.new");
        let written = std::fs::write(&tmp, &tail).and_then(|_| std::fs::rename(&tmp, &log.path));
        let reopened = written.and_then(|_| {
            std::fs::OpenOptions::new()
                .read(true)
                .append(true)
                .open(&log.path)
        });
        if let Ok(file) = reopened {
            log.file = file;
            log.start = end - tail.len() as u64;
        }
    }

    /// The kept bytes and the offset of their end.
    pub fn snapshot(&self) -> (Vec<u8>, u64) {
        (self.buf.iter().copied().collect(), self.total)
    }

    /// The offset of the end of everything so far.
    pub fn end(&self) -> u64 {
        self.total
    }

    /// Up to `max` bytes from offset `from` on, and the offset they start at:
    /// from memory, or from the log for a reader that fell behind the tail;
    /// later than `from` only when those bytes are older than the log too.
    pub fn since(&self, from: u64, max: usize) -> (Vec<u8>, u64) {
        let first = self.total - self.buf.len() as u64;
        if from < first {
            if let Some(log) = self.log.as_ref().filter(|l| from >= l.start) {
                let len = (self.total - from).min(max as u64) as usize;
                let mut out = vec![0u8; len];
                if log.file.read_exact_at(&mut out, from - log.start).is_ok() {
                    return (out, from);
                }
            }
        }
        let start = from.clamp(first, self.total);
        let skip = (start - first) as usize;
        let take = (self.buf.len() - skip).min(max);
        let (a, b) = self.buf.as_slices();
        // The wanted run may start in either half of the ring and cross into the second.
        let mut out = Vec::with_capacity(take);
        let from_a = a.get(skip..).unwrap_or(&[]);
        out.extend_from_slice(&from_a[..from_a.len().min(take)]);
        let b_skip = skip.saturating_sub(a.len());
        let rest = take - out.len();
        out.extend_from_slice(&b[b_skip..(b_skip + rest).min(b.len())]);
        (out, start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail() {
        let mut s = Scrollback::new(4);
        assert_eq!(s.push(b"abc"), 0);
        assert_eq!(s.push(b"def"), 3);
        assert_eq!(s.snapshot(), (b"cdef".to_vec(), 6));
        s.push(b"0123456789");
        assert_eq!(s.snapshot(), (b"6789".to_vec(), 16));
        assert_eq!(s.since(14, 10), (b"89".to_vec(), 14));
        assert_eq!(
            s.since(0, 10),
            (b"6789".to_vec(), 12),
            "a gap starts at the tail"
        );
        assert_eq!(s.since(12, 3), (b"678".to_vec(), 12));
        assert_eq!(s.since(16, 3), (Vec::new(), 16));
        let mut w = Scrollback::new(6);
        w.push(b"abcd");
        w.push(b"efgh"); // wraps inside the ring
        assert_eq!(w.since(3, 10), (b"defgh".to_vec(), 3));
        assert_eq!(w.since(5, 2), (b"fg".to_vec(), 5));
    }

    #[test]
    fn a_reader_behind_the_tail_catches_up_from_the_log() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.log");
        let mut s = Scrollback::with_log(4, &path, 20).expect("log");
        s.push(b"0123456789");
        s.push(b"abcdef");
        assert_eq!(
            s.since(2, 5),
            (b"23456".to_vec(), 2),
            "older than the tail: from disk"
        );
        assert_eq!(s.since(12, 10), (b"cdef".to_vec(), 12));
        assert_eq!(
            s.since(9, 3),
            (b"9ab".to_vec(), 9),
            "across the disk and the tail"
        );
        // Past the log's cap it starts again from the tail.
        s.push(b"ghijklmnop");
        assert_eq!(s.since(0, 4), (b"mnop".to_vec(), 22));
        drop(s);
        let again = Scrollback::with_log(4, &path, 20).expect("reopen");
        assert_eq!(
            again.snapshot().0,
            b"mnop".to_vec(),
            "the log survives a restart"
        );
    }
}
