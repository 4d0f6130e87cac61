//! A session's terminal output, kept as a bounded tail so a new window can
//! draw the screen again.

use std::collections::VecDeque;

/// The last `cap` bytes of a session's output and the total count so far.
#[derive(Debug)]
pub struct Scrollback {
    buf: VecDeque<u8>,
    cap: usize,
    total: u64,
}

impl Scrollback {
    /// An empty tail of at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            buf: VecDeque::new(),
            cap,
            total: 0,
        }
    }

    /// Appends output; returns the offset of its first byte.
    pub fn push(&mut self, bytes: &[u8]) -> u64 {
        let offset = self.total;
        self.total += bytes.len() as u64;
        let bytes = if bytes.len() > self.cap {
            &bytes[bytes.len() - self.cap..]
        } else {
            bytes
        };
        let overflow = (self.buf.len() + bytes.len()).saturating_sub(self.cap);
        self.buf.drain(..overflow);
        self.buf.extend(bytes);
        offset
    }

    /// The kept bytes and the offset of their end.
    pub fn snapshot(&self) -> (Vec<u8>, u64) {
        (self.buf.iter().copied().collect(), self.total)
    }

    /// The offset of the end of everything so far.
    pub fn end(&self) -> u64 {
        self.total
    }

    /// Up to `max` bytes from offset `from` on, and the offset they start at
    /// (later than `from` when those bytes already fell out of the tail).
    pub fn since(&self, from: u64, max: usize) -> (Vec<u8>, u64) {
        let first = self.total - self.buf.len() as u64;
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
}
