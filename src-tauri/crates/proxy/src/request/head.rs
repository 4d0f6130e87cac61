//! Reading a request head off the client: up to the blank line, within a
//! size limit, keeping whatever the client sent after it.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The largest request head (request line, headers and the blank line) the
/// proxy reads; a longer one is answered with 431.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// Why no head could be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The head did not end within [`MAX_HEAD`] bytes.
    TooLarge,
    /// The client closed the connection before the head ended, or it failed.
    Closed,
}

/// Reads until the blank line that ends the head. Returns the head (blank line
/// included) and whatever the client already sent after it (the start of a
/// body, or of a TLS handshake sent before the tunnel was confirmed).
/// Empty lines before the request line are skipped, as RFC 9112 asks.
pub(crate) async fn read_head<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<(Vec<u8>, Vec<u8>), HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut scanned = 0;
    loop {
        let read = reader
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        let Some(bytes) = chunk.get(..read).filter(|bytes| !bytes.is_empty()) else {
            return Err(HeadError::Closed);
        };
        head.extend_from_slice(bytes);
        if scanned == 0 {
            let blank = head
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            head.drain(..blank);
        }
        if let Some(end) = head_end(&head, scanned) {
            if end > max {
                return Err(HeadError::TooLarge);
            }
            let rest = head.split_off(end);
            return Ok((head, rest));
        }
        if head.len() > max {
            return Err(HeadError::TooLarge);
        }
        // The terminator may straddle two reads.
        scanned = head.len().saturating_sub(3);
    }
}

/// The index just past the first empty line at or after `from`, if any.
/// Accepts CRLF and bare LF line ends.
fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    let tail = bytes.get(from..)?;
    tail.iter().enumerate().find_map(|(i, &b)| {
        if b != b'\n' {
            return None;
        }
        match (tail.get(i + 1), tail.get(i + 2)) {
            (Some(b'\n'), _) => Some(from + i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(from + i + 3),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn head_reading_handles_splits_limits_and_eof() {
        // Leading blank lines are skipped; what follows the head is returned.
        let mut input: &[u8] = b"\r\nCONNECT a.test:443 HTTP/1.1\r\n\r\n\x16\x03\x01";
        let (head, rest) = read_head(&mut input, MAX_HEAD)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(head, b"CONNECT a.test:443 HTTP/1.1\r\n\r\n");
        assert_eq!(rest, b"\x16\x03\x01");

        // A terminator split across reads is still found.
        let mut reader = tokio_test_reader(&[b"GET http://a.test/ HTTP/1.1\r\n\r", b"\nbody"]);
        let (head, rest) = read_head(&mut reader, MAX_HEAD)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(head.ends_with(b"\r\n\r\n"));
        assert_eq!(rest, b"body");

        // Exactly at the limit is fine; one byte more is not.
        let line = b"GET http://a.test/ HTTP/1.1\r\n";
        let pad = |total: usize| {
            let filler = total - line.len() - b"X: \r\n\r\n".len();
            let mut head = line.to_vec();
            head.extend_from_slice(b"X: ");
            head.extend(std::iter::repeat_n(b'a', filler));
            head.extend_from_slice(b"\r\n\r\n");
            head
        };
        let exact = pad(MAX_HEAD);
        assert!(read_head(&mut exact.as_slice(), MAX_HEAD).await.is_ok());
        let over = pad(MAX_HEAD + 1);
        assert!(matches!(
            read_head(&mut over.as_slice(), MAX_HEAD).await,
            Err(HeadError::TooLarge)
        ));
        let endless = vec![b'a'; 3 * MAX_HEAD];
        assert!(matches!(
            read_head(&mut endless.as_slice(), MAX_HEAD).await,
            Err(HeadError::TooLarge)
        ));

        let mut cut: &[u8] = b"GET http://a.test/ HTTP/1.1\r\nHost: a";
        assert!(matches!(
            read_head(&mut cut, MAX_HEAD).await,
            Err(HeadError::Closed)
        ));
    }

    /// A reader that returns the given pieces one read at a time.
    fn tokio_test_reader(pieces: &[&[u8]]) -> impl AsyncRead + Unpin {
        let mut reader: Box<dyn AsyncRead + Unpin + Send> = Box::new(tokio::io::empty());
        for piece in pieces {
            reader = Box::new(reader.chain(std::io::Cursor::new(piece.to_vec())));
        }
        reader
    }
}
