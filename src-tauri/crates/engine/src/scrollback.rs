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
    }
}
