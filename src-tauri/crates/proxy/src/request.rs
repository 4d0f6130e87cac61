//! Reading and parsing a proxy request's head: pure functions of bytes (and
//! one reader, in [`head`]), tested here without a proxy. What the proxy
//! answers when it refuses is in [`refusal`].

mod head;
mod refusal;

pub(crate) use head::{read_head, HeadError, MAX_HEAD};
pub(crate) use refusal::{Refusal, Status};

use crate::rule::{parse_port, split_host_port, Host};

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

/// Parses a head read by [`read_head`] into a [`Request`], or the refusal to
/// send. Refuses anything that is not `CONNECT host:port` or an absolute-form
/// `http://` request, and any header the proxy would have to forward that a
/// server might read differently than the proxy does (folded lines, control
/// characters, names that are not tokens).
pub(crate) fn parse(head: &[u8]) -> Result<Request, Refusal> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let (method, target, version) = request_line(lines.next().unwrap_or_default())?;
    let headers = parse_headers(lines)?;

    if method == "CONNECT" {
        let (host, port) = authority(target, None)?;
        return Ok(Request::Connect { host, port });
    }
    match strip_prefix_ignore_case(target, "http://") {
        Some(rest) => absolute_http(method, rest, version, &headers),
        None => Err(not_a_proxy_target(method, target)),
    }
}

/// `METHOD TARGET VERSION`, each checked: printable ASCII, a token for a
/// method, a non-empty target, HTTP/1.1 or HTTP/1.0.
fn request_line(first: &[u8]) -> Result<(&str, &str, &str), Refusal> {
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
    Ok((method, target, version))
}

/// An absolute-form request for `http://` + `rest`: the destination and the
/// origin-form head to send it.
fn absolute_http(
    method: &str,
    rest: &str,
    version: &str,
    headers: &[Header<'_>],
) -> Result<Request, Refusal> {
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
    let head = forward_head(method, &path, version, &host_header, headers);
    Ok(Request::Forward { host, port, head })
}

/// Why a target other than `CONNECT host:port` or `http://…` is refused.
fn not_a_proxy_target(method: &str, target: &str) -> Refusal {
    if target.starts_with('/') {
        return Refusal::bad(format!(
            "`{method} {target}` is not a proxy request: ask for an absolute URL \
             (http://host/path), or use CONNECT for https"
        ));
    }
    if strip_prefix_ignore_case(target, "https://").is_some() {
        return Refusal::bad(
            "https:// URLs go through CONNECT: Airlock's proxy does not speak TLS to the client",
        );
    }
    if target.contains("://") {
        return Refusal::bad("only http:// URLs can be proxied (and https:// through CONNECT)");
    }
    Refusal::new(
        Status::MethodNotAllowed,
        format!(
            "`{method} {target}`: only CONNECT may name a bare host:port; other methods need \
             an absolute http:// URL"
        ),
    )
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
}
