//! Reading and parsing a proxy request's head: pure functions of bytes (and
//! one reader), tested here without a proxy.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::rule::{parse_port, split_host_port, Host};

/// The largest request head (request line, headers and the blank line) the
/// proxy reads; a longer one is answered with 431.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// What the client asked for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// `CONNECT host:port`: a tunnel.
    Connect { host: Host, port: u16 },
    /// An absolute-form `http://` request; `head` is the head to send upstream
    /// (origin-form request line, cleaned headers, blank line).
    Forward {
        host: Host,
        port: u16,
        head: Vec<u8>,
    },
}

impl Request {
    pub(crate) fn destination(&self) -> (&Host, u16) {
        match self {
            Request::Connect { host, port } | Request::Forward { host, port, .. } => (host, *port),
        }
    }
}

/// The HTTP answers the proxy gives when it does not tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    HeadTooLarge,
    BadGateway,
    GatewayTimeout,
}

impl Status {
    pub(crate) fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::MethodNotAllowed => 405,
            Status::HeadTooLarge => 431,
            Status::BadGateway => 502,
            Status::GatewayTimeout => 504,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::HeadTooLarge => "Request Header Fields Too Large",
            Status::BadGateway => "Bad Gateway",
            Status::GatewayTimeout => "Gateway Timeout",
        }
    }
}

/// A refusal: the status and the one line that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: Status,
    pub(crate) why: String,
}

impl Refusal {
    pub(crate) fn new(status: Status, why: impl Into<String>) -> Refusal {
        Refusal {
            status,
            why: why.into(),
        }
    }

    fn bad(why: impl Into<String>) -> Refusal {
        Refusal::new(Status::BadRequest, why)
    }

    /// The whole HTTP/1.1 response: a plain-text body of one line, and
    /// `Connection: close` because the proxy closes after answering.
    pub(crate) fn response(&self) -> Vec<u8> {
        // The line may quote an I/O error; keep it one line.
        let body: String = self
            .why
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let allow = if self.status == Status::MethodNotAllowed {
            "Allow: CONNECT\r\n"
        } else {
            ""
        };
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\n{allow}\r\n{body}\n",
            self.status.code(),
            self.status.reason(),
            body.len() + 1,
        )
        .into_bytes()
    }
}

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

/// Parses a head read by [`read_head`] into a [`Request`], or the refusal to
/// send. Refuses anything that is not `CONNECT host:port` or an absolute-form
/// `http://` request, and any header the proxy would have to forward that a
/// server might read differently than the proxy does (folded lines, control
/// characters, names that are not tokens).
pub(crate) fn parse(head: &[u8]) -> Result<Request, Refusal> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let first = lines.next().unwrap_or_default();
    let line = std::str::from_utf8(first)
        .ok()
        .filter(|line| line.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
        .ok_or_else(|| {
            Refusal::bad("the request line contains bytes that are not printable ASCII")
        })?;
    let mut words = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(Refusal::bad(
            "malformed request line: expected `METHOD TARGET HTTP/1.1`",
        ));
    };
    if method.is_empty() || !method.bytes().all(is_token) {
        return Err(Refusal::bad(
            "malformed request line: the method is not a token",
        ));
    }
    if target.is_empty() {
        return Err(Refusal::bad(
            "malformed request line: expected `METHOD TARGET HTTP/1.1`",
        ));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(Refusal::bad(format!(
            "unsupported protocol {version:?}: Airlock's proxy speaks HTTP/1.1"
        )));
    }
    let headers = parse_headers(lines)?;

    if method == "CONNECT" {
        let (host, port) = authority(target, None)?;
        return Ok(Request::Connect { host, port });
    }
    if target.starts_with('/') {
        return Err(Refusal::bad(format!(
            "`{method} {target}` is not a proxy request: ask for an absolute URL \
             (http://host/path), or use CONNECT for https"
        )));
    }
    if let Some(rest) = strip_prefix_ignore_case(target, "http://") {
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (written, path) = rest.split_at(split);
        if written.contains('@') {
            return Err(Refusal::bad(
                "the URL carries credentials (user@host), which Airlock's proxy does not pass on",
            ));
        }
        let (host, port) = authority(written, Some(80))?;
        let path = path.split('#').next().unwrap_or_default();
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let host_header = if port == 80 {
            host.to_string()
        } else {
            format!("{host}:{port}")
        };
        let head = forward_head(method, &path, version, &host_header, &headers);
        return Ok(Request::Forward { host, port, head });
    }
    if strip_prefix_ignore_case(target, "https://").is_some() {
        return Err(Refusal::bad(
            "https:// URLs go through CONNECT: Airlock's proxy does not speak TLS to the client",
        ));
    }
    if target.contains("://") {
        return Err(Refusal::bad(
            "only http:// URLs can be proxied (and https:// through CONNECT)",
        ));
    }
    Err(Refusal::new(
        Status::MethodNotAllowed,
        format!(
            "`{method} {target}`: only CONNECT may name a bare host:port; other methods need \
             an absolute http:// URL"
        ),
    ))
}

/// One header line, kept as sent, with its name.
struct Header<'a> {
    name: &'a [u8],
    value: &'a [u8],
    line: &'a [u8],
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Result<Vec<Header<'a>>, Refusal> {
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            return Err(Refusal::bad("folded header lines are not supported"));
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(Refusal::bad("a header line lacks its `:`"));
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        if name.is_empty() || !name.iter().copied().all(is_token) {
            return Err(Refusal::bad(
                "a header name is empty or contains characters a name may not",
            ));
        }
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(Refusal::bad("a header value contains a control character"));
        }
        headers.push(Header { name, value, line });
    }
    Ok(headers)
}

/// The head sent upstream for an absolute-form request: origin-form request
/// line, `Host` from the URL (RFC 9112 §3.2.2: a proxy replaces it), no proxy
/// credentials, and `Connection: close` unless the client asks to upgrade, so
/// that the one upstream this connection has answers one request and then
/// closes (a keep-alive client opens a new connection for the next one).
fn forward_head(
    method: &str,
    path: &str,
    version: &str,
    host: &str,
    headers: &[Header<'_>],
) -> Vec<u8> {
    let upgrade = headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case(b"connection")
            && h.value
                .split(|&b| b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
    });
    let mut head = format!("{method} {path} {version}\r\nHost: {host}\r\n").into_bytes();
    for header in headers {
        let dropped: &[&[u8]] = if upgrade {
            &[b"host", b"proxy-authorization", b"proxy-connection"]
        } else {
            &[
                b"host",
                b"proxy-authorization",
                b"proxy-connection",
                b"connection",
                b"keep-alive",
            ]
        };
        if dropped.iter().any(|d| header.name.eq_ignore_ascii_case(d)) {
            continue;
        }
        head.extend_from_slice(header.line);
        head.extend_from_slice(b"\r\n");
    }
    if !upgrade {
        head.extend_from_slice(b"Connection: close\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Parses `host:port` (or `host` when a default port is given).
fn authority(text: &str, default_port: Option<u16>) -> Result<(Host, u16), Refusal> {
    let bad = |why: &str| Refusal::bad(format!("{text:?} is not a valid host and port: {why}"));
    let (host, port) = split_host_port(text).map_err(bad)?;
    let port = match (port, default_port) {
        (Some(port), _) => parse_port(port).map_err(bad)?,
        (None, Some(port)) => port,
        (None, None) => return Err(bad("CONNECT needs host:port")),
    };
    let host = Host::parse(host).map_err(bad)?;
    Ok((host, port))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// RFC 9110 `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::*;

    fn refusal(head: &str) -> Refusal {
        match parse(head.as_bytes()) {
            Ok(request) => panic!("{head:?} parsed as {request:?}"),
            Err(refusal) => refusal,
        }
    }

    fn forwarded(head: &str) -> (Host, u16, String) {
        match parse(head.as_bytes()) {
            Ok(Request::Forward { host, port, head }) => {
                (host, port, String::from_utf8_lossy(&head).into_owned())
            }
            other => panic!("{head:?} gave {other:?}"),
        }
    }

    #[test]
    fn connect_names_host_and_port() {
        let cases = [
            (
                "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n",
                Host::Name("api.anthropic.com".into()),
                443,
            ),
            (
                "CONNECT API.Anthropic.com.:443 HTTP/1.0\n\n",
                Host::Name("api.anthropic.com".into()),
                443,
            ),
            (
                "CONNECT 127.0.0.1:8080 HTTP/1.1\r\n\r\n",
                Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                8080,
            ),
            (
                "CONNECT [::1]:443 HTTP/1.1\r\n\r\n",
                Host::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
                443,
            ),
        ];
        for (head, host, port) in cases {
            assert_eq!(
                parse(head.as_bytes()),
                Ok(Request::Connect { host, port }),
                "{head:?}"
            );
        }
    }

    #[test]
    fn absolute_form_is_rewritten_to_origin_form() {
        let (host, port, head) = forwarded(
            "POST http://Example.test:8080/v1/x?q=1#frag HTTP/1.1\r\nHost: elsewhere.test\r\n\
             Proxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\n\
             Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 5\r\n\
             X-Odd:  value \r\n\r\n",
        );
        assert_eq!(host, Host::Name("example.test".into()));
        assert_eq!(port, 8080);
        assert_eq!(
            head,
            "POST /v1/x?q=1 HTTP/1.1\r\nHost: example.test:8080\r\nContent-Length: 5\r\n\
             X-Odd:  value \r\nConnection: close\r\n\r\n"
        );

        let (_, port, head) = forwarded("GET HTTP://example.test HTTP/1.0\r\n\r\n");
        assert_eq!(port, 80);
        assert_eq!(
            head,
            "GET / HTTP/1.0\r\nHost: example.test\r\nConnection: close\r\n\r\n"
        );

        let (_, _, head) = forwarded("GET http://example.test?x=1 HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("GET /?x=1 HTTP/1.1\r\n"), "{head}");

        let (_, _, head) = forwarded(
            "GET http://[::1]:81/ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        );
        assert_eq!(
            head,
            "GET /ws HTTP/1.1\r\nHost: [::1]:81\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        );
    }

    #[test]
    fn refusals_have_the_right_status() {
        let cases = [
            ("GARBAGE\r\n\r\n", Status::BadRequest),
            ("GET  http://a.test/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            (
                "GET http://a.test/ HTTP/1.1 extra\r\n\r\n",
                Status::BadRequest,
            ),
            ("GET http://a.test/ HTTP/2.0\r\n\r\n", Status::BadRequest),
            ("G(T http://a.test/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            (
                "GET http://a.test/\x01 HTTP/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "GET http://a.t\u{e9}st/ HTTP/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            ("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", Status::BadRequest),
            (
                "GET http://user:pw@a.test/ HTTP/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            ("GET https://a.test/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("GET ftp://a.test/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("GET http://a.test:0/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("GET http://a..test/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("GET http:///x HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("CONNECT a.test HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("CONNECT a.test:https HTTP/1.1\r\n\r\n", Status::BadRequest),
            ("CONNECT ::1:443 HTTP/1.1\r\n\r\n", Status::BadRequest),
            (
                "CONNECT http://a.test/ HTTP/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "CONNECT a.test:443 HTTP/1.1\r\n folded\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "CONNECT a.test:443 HTTP/1.1\r\nNoColon\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "CONNECT a.test:443 HTTP/1.1\r\nBad Name: x\r\n\r\n",
                Status::BadRequest,
            ),
            (
                "CONNECT a.test:443 HTTP/1.1\r\nX: a\rb\r\n\r\n",
                Status::BadRequest,
            ),
            ("GET a.test:80 HTTP/1.1\r\n\r\n", Status::MethodNotAllowed),
            ("OPTIONS * HTTP/1.1\r\n\r\n", Status::MethodNotAllowed),
            (
                "connect a.test:443 HTTP/1.1\r\n\r\n",
                Status::MethodNotAllowed,
            ),
        ];
        for (head, status) in cases {
            let got = refusal(head);
            assert_eq!(got.status, status, "{head:?}: {}", got.why);
        }
    }

    #[test]
    fn response_is_one_plain_line() {
        let response = Refusal::new(
            Status::BadGateway,
            "cannot reach x:1: refused\r\nX-Injected: 1",
        )
        .response();
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{text}"
        );
        assert_eq!(body.lines().count(), 1, "{body:?}");
        assert!(!head.contains("X-Injected"));
    }

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
