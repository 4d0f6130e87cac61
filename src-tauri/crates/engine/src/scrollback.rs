//! A session's terminal output: a bounded tail in memory (what a new window
//! draws again) and a log on disk (what a window that fell behind catches up
//! from, and what survives a restart).
//!
//! Output is not written to disk as it comes: at full speed that doubled the
//! work of every byte. The log is written only
//!
//! - when bytes leave the tail while a reader ([`Scrollback::follow`]) has not
//!   read them yet: they spill to the log first, so a slow window loses
//!   nothing; and
//! - when [`Scrollback::persist`] runs (twice a second, at a session's exit
//!   and at shutdown): what is new is appended, or, when more than the tail
//!   came since or the log holds several tails' worth that nobody needs, the
//!   log starts again from the tail (at most once per [`REWRITE_EVERY`] unless
//!   forced). A restart shows the tail again; a killed engine loses at most
//!   what came since the last persist.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often, at most, a persist that finds the log behind the tail writes
/// the whole tail again (a session printing faster than its tail is long).
pub const REWRITE_EVERY: Duration = Duration::from_secs(2);

/// With no reader behind, the log starts again from the tail once it holds
/// more than this many tails' worth: what a restart needs is the tail alone.
const KEEP_TAILS: u64 = 4;

/// The on-disk log of a session's output: the bytes from `start` to `end`.
#[derive(Debug)]
struct Log {
    path: PathBuf,
    file: File,
    /// The output offset of the file's first byte.
    start: u64,
    /// The output offset just past the file's last byte.
    end: u64,
    /// Start again from the tail past this many bytes.
    cap: u64,
    /// When the log last started again from the tail.
    rewritten: Option<Instant>,
}

/// The last `cap` bytes of a session's output in memory, the log on disk,
/// and the total count so far.
#[derive(Debug)]
pub struct Scrollback {
    buf: VecDeque<u8>,
    cap: usize,
    total: u64,
    log: Option<Log>,
    /// Readers following the output: each one's next offset.
    readers: HashMap<u64, u64>,
}

impl Scrollback {
    /// An in-memory tail of at most `cap` bytes, no log.
    pub fn new(cap: usize) -> Self {
        Self {
            buf: VecDeque::new(),
            // Never empty: a push must have somewhere to go.
            cap: cap.max(1),
            total: 0,
            log: None,
            readers: HashMap::new(),
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
            end: len,
            cap: log_cap.max(cap as u64),
            rewritten: None,
        });
        Ok(sb)
    }

    /// Appends output; returns the offset of its first byte.
    ///
    /// What leaves the tail leaves before the new bytes come in, and the ring
    /// grows to `cap` at most: its memory is the tail's size, not the next
    /// power of two above it (16 MiB for a 10 MiB tail).
    pub fn push(&mut self, bytes: &[u8]) -> u64 {
        let offset = self.total;
        for piece in bytes.chunks(self.cap) {
            let excess = (self.buf.len() + piece.len()).saturating_sub(self.cap);
            if excess > 0 {
                let leaving_end = self.first() + excess as u64;
                if self.readers.values().any(|&r| r < leaving_end) {
                    self.spill(leaving_end);
                }
                self.buf.drain(..excess);
            }
            // At most the tail: the piece is no longer than it, and room was made.
            let need = self.buf.len() + piece.len();
            if need > self.buf.capacity() {
                let target = need.max(self.buf.capacity() * 2).min(self.cap);
                self.buf.reserve_exact(target - self.buf.len());
            }
            self.buf.extend(piece);
            self.total += piece.len() as u64;
        }
        offset
    }

    /// The offset of the first byte in memory.
    fn first(&self) -> u64 {
        self.total - self.buf.len() as u64
    }

    /// Writes the bytes in memory up to offset `upto` to the log, so that a
    /// reader can still have them once they leave the tail. A log that cannot
    /// be written only costs that reader the bytes (its next offset shows the gap).
    fn spill(&mut self, upto: u64) {
        let first = self.first();
        let Some(log) = self.log.as_mut() else {
            return;
        };
        if log.end < first {
            // What the log holds ends before the tail: start it again here.
            if log.file.set_len(0).is_err() {
                return;
            }
            log.start = first;
            log.end = first;
        }
        if upto <= log.end {
            return;
        }
        let from = (log.end - first) as usize;
        let to = (upto - first) as usize;
        let (a, b) = self.buf.as_slices();
        let written = write_range(&mut log.file, a, b, from, to);
        if written.is_ok() {
            log.end = upto;
        }
        if log.end - log.start > log.cap {
            self.rewrite();
        }
    }

    /// Brings the log up to date (see the module docs). `force` rewrites even
    /// if the last rewrite was less than [`REWRITE_EVERY`] ago.
    pub fn persist(&mut self, force: bool) {
        let first = self.first();
        let total = self.total;
        // Bytes older than the tail are in the log only for a reader that has
        // not read them: with none, the log need hold little more than the tail.
        let behind = self.readers.values().any(|&r| r < first);
        let keep = KEEP_TAILS * self.cap as u64;
        let Some(log) = self.log.as_mut() else {
            return;
        };
        if log.end >= total {
            return;
        }
        let contiguous = log.end >= first;
        let oversized = !behind && log.end - log.start > keep;
        let due = force || log.rewritten.is_none_or(|t| t.elapsed() >= REWRITE_EVERY);
        if due && (!contiguous || oversized) {
            self.rewrite();
        } else if contiguous {
            let (a, b) = self.buf.as_slices();
            let from = (log.end - first) as usize;
            if write_range(&mut log.file, a, b, from, self.buf.len()).is_ok() {
                log.end = total;
            }
        }
    }

    /// Starts the log again from the in-memory tail.
    fn rewrite(&mut self) {
        let first = self.first();
        let (end, len) = (self.total, self.buf.len());
        let Some(log) = self.log.as_mut() else {
            return;
        };
        log.rewritten = Some(Instant::now());
        let tmp = log.path.with_extension("log.new");
        // Straight from the ring: no copy of the tail in memory.
        let (a, b) = self.buf.as_slices();
        let written = File::create(&tmp)
            .and_then(|mut f| write_range(&mut f, a, b, 0, len))
            .and_then(|_| std::fs::rename(&tmp, &log.path));
        let reopened = written.and_then(|_| {
            std::fs::OpenOptions::new()
                .read(true)
                .append(true)
                .open(&log.path)
        });
        if let Ok(file) = reopened {
            log.file = file;
            log.start = first;
            log.end = end;
        }
    }

    /// Reader `id` will next read from `offset`: bytes from there on are kept
    /// for it (in memory or in the log) until it reads them.
    pub fn follow(&mut self, id: u64, offset: u64) {
        self.readers.insert(id, offset);
    }

    /// Reader `id` is gone.
    pub fn unfollow(&mut self, id: u64) {
        self.readers.remove(&id);
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
    /// later than `from` only when those bytes are in neither.
    pub fn since(&self, from: u64, max: usize) -> (Vec<u8>, u64) {
        self.since_after(from, max, |_, len| Vec::with_capacity(len))
    }

    /// As [`Scrollback::since`], with the bytes appended to what
    /// `head(start, len)` returns (say, a frame's header with room for them).
    pub fn since_after(
        &self,
        from: u64,
        max: usize,
        head: impl Fn(u64, usize) -> Vec<u8>,
    ) -> (Vec<u8>, u64) {
        let first = self.first();
        if from < first {
            if let Some(log) = self
                .log
                .as_ref()
                .filter(|l| from >= l.start && from < l.end)
            {
                let len = (log.end - from).min(max as u64) as usize;
                let mut out = head(from, len);
                let at = out.len();
                out.resize(at + len, 0);
                if log
                    .file
                    .read_exact_at(&mut out[at..], from - log.start)
                    .is_ok()
                {
                    return (out, from);
                }
            }
        }
        let start = from.clamp(first, self.total);
        let skip = (start - first) as usize;
        let take = (self.buf.len() - skip).min(max);
        let (a, b) = self.buf.as_slices();
        // The wanted run may start in either half of the ring and cross into the second.
        let mut out = head(start, take);
        let from_a = a.get(skip..).unwrap_or(&[]);
        let in_a = from_a.len().min(take);
        out.extend_from_slice(&from_a[..in_a]);
        let b_skip = skip.saturating_sub(a.len());
        let rest = take - in_a;
        out.extend_from_slice(&b[b_skip..(b_skip + rest).min(b.len())]);
        (out, start)
    }
}

/// Writes bytes `from..to` of the ring whose halves are `a` and `b`.
fn write_range(file: &mut File, a: &[u8], b: &[u8], from: usize, to: usize) -> std::io::Result<()> {
    let a_part = a.get(from.min(a.len())..to.min(a.len())).unwrap_or(&[]);
    let b_part = b
        .get(from.saturating_sub(a.len())..to.saturating_sub(a.len()))
        .unwrap_or(&[]);
    file.write_all(a_part)?;
    file.write_all(b_part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_never_holds_more_than_the_tail() {
        let cap = 10 * 1024 + 7;
        let mut s = Scrollback::new(cap);
        let chunk: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
        for _ in 0..20 {
            s.push(&chunk);
            assert!(s.buf.len() <= cap);
            assert!(
                s.buf.capacity() <= cap,
                "capacity {} over {cap}",
                s.buf.capacity()
            );
        }
        let (tail, end) = s.snapshot();
        assert_eq!(end, 80_000);
        let all: Vec<u8> = (0..20).flat_map(|_| chunk.iter().copied()).collect();
        assert_eq!(tail, all[all.len() - cap..]);
    }

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
    fn reads_after_a_head_from_memory_and_from_the_log() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Scrollback::with_log(4, &dir.path().join("s.log"), 20).expect("log");
        s.follow(1, 0);
        s.push(b"0123456789");
        let head = |start: u64, len: usize| format!("<{start}+{len}>").into_bytes();
        assert_eq!(s.since_after(7, 10, head), (b"<7+3>789".to_vec(), 7));
        assert_eq!(
            s.since_after(1, 3, head),
            (b"<1+3>123".to_vec(), 1),
            "from disk"
        );
        assert_eq!(
            s.since_after(0, 10, head),
            (b"<0+6>012345".to_vec(), 0),
            "from disk up to the tail"
        );
        assert_eq!(s.since_after(10, 10, head), (b"<10+0>".to_vec(), 10));
    }

    fn log_len(path: &Path) -> u64 {
        std::fs::metadata(path).expect("log").len()
    }

    #[test]
    fn a_reader_behind_the_tail_catches_up_from_the_log() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.log");
        let mut s = Scrollback::with_log(4, &path, 20).expect("log");
        s.follow(1, 0);
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
            "up to the tail from disk"
        );
        assert_eq!(
            s.since(11, 3),
            (b"b".to_vec(), 11),
            "a read from disk stops where the tail starts"
        );
        // Past the log's cap it starts again from the tail.
        s.push(b"ghijklmnop");
        assert_eq!(s.since(0, 4), (b"mnop".to_vec(), 22));
        s.persist(true);
        drop(s);
        let again = Scrollback::with_log(4, &path, 20).expect("reopen");
        assert_eq!(
            again.snapshot().0,
            b"mnop".to_vec(),
            "the log survives a restart"
        );
    }

    #[test]
    fn with_no_reader_behind_nothing_is_written_until_a_persist() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.log");
        let mut s = Scrollback::with_log(8, &path, 1000).expect("log");
        s.push(b"0123456789abcdef");
        assert_eq!(log_len(&path), 0, "output is not written as it comes");
        s.persist(false);
        assert_eq!(std::fs::read(&path).expect("log"), b"89abcdef");
        s.push(b"gh");
        s.persist(false);
        assert_eq!(
            std::fs::read(&path).expect("log"),
            b"89abcdefgh",
            "what is new is appended"
        );
        s.push(b"ijklmnopqrstuvwxyz");
        s.persist(false);
        assert_eq!(
            std::fs::read(&path).expect("log"),
            b"89abcdefgh",
            "a second rewrite waits for its time"
        );
        s.persist(true);
        assert_eq!(std::fs::read(&path).expect("log"), b"stuvwxyz");
        drop(s);
        let again = Scrollback::with_log(8, &path, 1000).expect("reopen");
        assert_eq!(again.snapshot(), (b"stuvwxyz".to_vec(), 8));
    }

    #[test]
    fn the_log_holds_a_few_tails_unless_a_reader_needs_more() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.log");
        let mut s = Scrollback::with_log(8, &path, 1 << 20).expect("log");
        for i in 0..9u8 {
            s.push(&[b'a' + i; 4]);
            s.persist(false);
        }
        assert_eq!(log_len(&path), 36, "appended while under four tails");
        s.push(b"zzzz");
        s.persist(false);
        assert_eq!(
            std::fs::read(&path).expect("log"),
            b"iiiizzzz",
            "then the tail alone"
        );
        // A reader behind the tail: what it has not read stays.
        s.follow(1, s.end() - 8);
        for _ in 0..20 {
            s.push(b"0123");
            s.persist(true);
        }
        assert_eq!(log_len(&path), 8 + 80, "kept for the reader");
        assert_eq!(s.since(s.end() - 88, 8).0, b"iiiizzzz");
    }

    #[test]
    fn a_reader_that_falls_behind_later_gets_every_byte() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.log");
        let mut s = Scrollback::with_log(8, &path, 1 << 20).expect("log");
        let expected: Vec<u8> = (0..4000u32).map(|i| b'a' + (i % 26) as u8).collect();
        // Nobody reads at first; then a reader joins and reads a little at a time.
        s.push(&expected[..100]);
        let mut at = s.end();
        s.follow(7, at);
        let mut got = Vec::new();
        for chunk in expected[100..].chunks(13) {
            s.push(chunk);
            let (bytes, start) = s.since(at, 5);
            assert_eq!(start, at, "no gap");
            at += bytes.len() as u64;
            got.extend(bytes);
            s.follow(7, at);
        }
        loop {
            let (bytes, start) = s.since(at, 64);
            assert_eq!(start, at, "no gap");
            if bytes.is_empty() {
                break;
            }
            at += bytes.len() as u64;
            got.extend(bytes);
        }
        assert_eq!(got, expected[100..], "every byte, in order");
        s.unfollow(7);
        let before = log_len(&path);
        s.push(&[b'x'; 64]);
        assert_eq!(log_len(&path), before, "no reader: nothing spills");
    }
}
