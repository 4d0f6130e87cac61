//! The answer the proxy gives when it does not tunnel: a [`Status`] and the
//! one line that says why, sent as a whole HTTP/1.1 response.

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

    pub(super) fn bad(why: impl Into<String>) -> Refusal {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
