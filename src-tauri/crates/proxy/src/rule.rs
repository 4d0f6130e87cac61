//! Host rules: which hosts, and optionally which ports, a session may reach.
//!
//! Matching is a pure function of the rule and the host the client named, so
//! it is tested here as a table, without sockets.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// One allowed destination, parsed from a string such as `api.anthropic.com`,
/// `*.googleapis.com`, `127.0.0.1:8080` or `[::1]:443`.
///
/// - A name matches itself only; `*.example.com` matches every subdomain of
///   `example.com` (any depth) but not `example.com` itself.
/// - Names are compared case-insensitively and a trailing dot is ignored.
/// - An IP address matches only the same address written as an address: the
///   rule `127.0.0.1` does not match `localhost`, nor `::ffff:127.0.0.1`.
/// - Without a port, any port is allowed; with one, only that port.
///
/// [`Display`](fmt::Display) writes the rule back in a form that parses to
/// the same rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostRule {
    pattern: Pattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Pattern {
    /// A lower-case DNS name without its trailing dot.
    Exact(String),
    /// Strict subdomains of this lower-case name (`*.name`).
    Subdomains(String),
    Ip(IpAddr),
}

/// A host rule that could not be parsed: the rule as written and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid host rule {rule:?}: {why}; write a host (api.anthropic.com), its subdomains \
     (*.googleapis.com), an IP address, or any of them with a port (127.0.0.1:8080, [::1]:443)"
)]
pub struct RuleError {
    /// The rule as it was given.
    pub rule: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl HostRule {
    /// Parses a rule; the same as [`str::parse`].
    pub fn parse(rule: &str) -> Result<HostRule, RuleError> {
        rule.parse()
    }

    /// The port this rule is limited to, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether this rule lets a client reach `host` (a name, an IPv4 address or
    /// an IPv6 address with or without brackets) on `port`. A host that is not
    /// a valid name or address matches nothing.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let host = match host.parse::<Ipv6Addr>() {
            Ok(ip) => Host::Ip(IpAddr::V6(ip)),
            Err(_) => match Host::parse(host) {
                Ok(host) => host,
                Err(_) => return false,
            },
        };
        self.allows(&host, port)
    }

    pub(crate) fn allows(&self, host: &Host, port: u16) -> bool {
        if self.port.is_some_and(|allowed| allowed != port) {
            return false;
        }
        match (&self.pattern, host) {
            (Pattern::Exact(rule), Host::Name(name)) => rule == name,
            (Pattern::Subdomains(parent), Host::Name(name)) => name
                .strip_suffix(parent.as_str())
                .and_then(|sub| sub.strip_suffix('.'))
                .is_some_and(|sub| !sub.is_empty()),
            (Pattern::Ip(rule), Host::Ip(ip)) => rule == ip,
            _ => false,
        }
    }
}

impl FromStr for HostRule {
    type Err = RuleError;

    fn from_str(rule: &str) -> Result<HostRule, RuleError> {
        let fail = |why| RuleError {
            rule: rule.to_owned(),
            why,
        };
        let text = rule.trim();
        if text.is_empty() {
            return Err(fail("the rule is empty"));
        }
        // A bare IPv6 address has colons of its own, so it cannot carry a port.
        if let Ok(ip) = text.parse::<Ipv6Addr>() {
            return Ok(HostRule {
                pattern: Pattern::Ip(IpAddr::V6(ip)),
                port: None,
            });
        }
        let (host, port) = split_host_port(text).map_err(fail)?;
        let port = port.map(parse_port).transpose().map_err(fail)?;
        let pattern = if let Some(parent) = host.strip_prefix("*.") {
            Pattern::Subdomains(parse_name(parent).map_err(fail)?)
        } else if host.contains('*') {
            return Err(fail(
                "`*` may only open a rule, followed by a dot, as in *.googleapis.com",
            ));
        } else {
            match Host::parse(host).map_err(fail)? {
                Host::Name(name) => Pattern::Exact(name),
                Host::Ip(ip) => Pattern::Ip(ip),
            }
        };
        Ok(HostRule { pattern, port })
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pattern {
            Pattern::Exact(name) => f.write_str(name)?,
            Pattern::Subdomains(parent) => write!(f, "*.{parent}")?,
            Pattern::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
            Pattern::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
        }
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// A host as a client named it, normalised for comparison: a lower-case DNS
/// name without its trailing dot, or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    /// Parses the host part of an authority: `name`, `192.0.2.1` or `[2001:db8::1]`.
    pub(crate) fn parse(text: &str) -> Result<Host, &'static str> {
        if let Some(inside) = text.strip_prefix('[') {
            let inside = inside
                .strip_suffix(']')
                .ok_or("an IPv6 address in brackets lacks its closing `]`")?;
            return inside
                .parse::<Ipv6Addr>()
                .map(|ip| Host::Ip(IpAddr::V6(ip)))
                .map_err(|_| "the text in brackets is not an IPv6 address");
        }
        if let Ok(ip) = text.parse::<Ipv4Addr>() {
            return Ok(Host::Ip(IpAddr::V4(ip)));
        }
        parse_name(text).map(Host::Name)
    }
}

/// The host as it is written in an authority (IPv6 in brackets).
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// Checks and normalises a DNS name. Only letters, digits, `-` and `_` are
/// allowed in labels, so nothing the resolver could read differently (spaces,
/// `%`, NUL, non-ASCII) gets through. A name whose last label is all digits is
/// refused: resolvers read such names (`127.1`, `2130706433`) as IPv4
/// addresses, and an address must match an address rule, not a name rule.
fn parse_name(text: &str) -> Result<String, &'static str> {
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.is_empty() {
        return Err("the host is empty");
    }
    if name.len() > 253 {
        return Err("the host is longer than 253 characters");
    }
    let name = name.to_ascii_lowercase();
    for label in name.split('.') {
        if label.is_empty() {
            return Err("the host has an empty label (two dots in a row, or a leading dot)");
        }
        if label.len() > 63 {
            return Err("a label of the host is longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a host may contain only letters, digits, `-`, `_` and dots");
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("a host name cannot end in a number; write an IPv4 address as a.b.c.d");
    }
    Ok(name)
}

/// Splits `host:port`, `[v6]:port`, `[v6]` or `host` into the host (IPv6 still
/// in brackets) and the port text, if any.
pub(crate) fn split_host_port(text: &str) -> Result<(&str, Option<&str>), &'static str> {
    if text.starts_with('[') {
        let close = text
            .find(']')
            .ok_or("an IPv6 address in brackets lacks its closing `]`")?;
        let (host, rest) = text.split_at(close + 1);
        return match rest.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if rest.is_empty() => Ok((host, None)),
            None => Err("only `:PORT` may follow an IPv6 address in brackets"),
        };
    }
    match text.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => {
            Err("an IPv6 address with a port must be written in brackets, as [::1]:443")
        }
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((text, None)),
    }
}

/// Parses a decimal port from 1 to 65535 (no sign, no spaces).
pub(crate) fn parse_port(text: &str) -> Result<u16, &'static str> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the port must be a number from 1 to 65535");
    }
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err("the port must be a number from 1 to 65535"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> HostRule {
        match text.parse() {
            Ok(rule) => rule,
            Err(err) => panic!("{err}"),
        }
    }

    #[test]
    fn matching_table() {
        // (rule, host, port, allowed)
        let table: &[(&str, &str, u16, bool)] = &[
            ("api.anthropic.com", "api.anthropic.com", 443, true),
            ("api.anthropic.com", "API.Anthropic.COM", 443, true),
            ("api.anthropic.com", "api.anthropic.com.", 80, true),
            ("API.ANTHROPIC.COM.", "api.anthropic.com", 443, true),
            ("api.anthropic.com", "anthropic.com", 443, false),
            ("api.anthropic.com", "x.api.anthropic.com", 443, false),
            (
                "api.anthropic.com",
                "api.anthropic.com.evil.test",
                443,
                false,
            ),
            ("api.anthropic.com", "evilapi.anthropic.com", 443, false),
            (
                "*.googleapis.com",
                "generativelanguage.googleapis.com",
                443,
                true,
            ),
            ("*.googleapis.com", "a.b.googleapis.com", 443, true),
            ("*.googleapis.com", "googleapis.com", 443, false),
            ("*.googleapis.com", "evilgoogleapis.com", 443, false),
            ("*.googleapis.com", ".googleapis.com", 443, false),
            ("*.googleapis.com", "googleapis.com.evil.test", 443, false),
            ("*.googleapis.com:443", "x.googleapis.com", 443, true),
            ("*.googleapis.com:443", "x.googleapis.com", 80, false),
            ("127.0.0.1:8080", "127.0.0.1", 8080, true),
            ("127.0.0.1:8080", "127.0.0.1", 8081, false),
            ("127.0.0.1:8080", "localhost", 8080, false),
            ("127.0.0.1", "127.0.0.1", 1, true),
            ("127.0.0.1", "::ffff:127.0.0.1", 1, false),
            ("127.0.0.1", "127.1", 1, false),
            ("127.0.0.1", "2130706433", 1, false),
            ("localhost", "127.0.0.1", 80, false),
            ("[::1]:443", "::1", 443, true),
            ("[::1]:443", "[::1]", 443, true),
            ("[::1]:443", "[::1]", 80, false),
            ("::1", "[0:0:0:0:0:0:0:1]", 9, true),
            ("[::1]", "::1", 9, true),
            ("api.openai.com:443", "api.openai.com", 443, true),
            ("api.openai.com:443", "api.openai.com", 8443, false),
            ("api.openai.com", "api.openai.com", 1, true),
            ("api.openai.com", "", 443, false),
            ("api.openai.com", "api.openai.com\0", 443, false),
            ("api.openai.com", "api openai com", 443, false),
        ];
        for &(text, host, port, want) in table {
            assert_eq!(
                rule(text).matches(host, port),
                want,
                "rule {text:?} against {host:?} port {port}"
            );
        }
    }

    #[test]
    fn malformed_rules_say_why() {
        for text in [
            "",
            "   ",
            "*",
            "*.",
            "*example.com",
            "api.*.com",
            "example..com",
            ".example.com",
            "exa mple.com",
            "ex%61mple.com",
            "host:",
            "host:0",
            "host:65536",
            "host:+80",
            "host:http",
            "[::1",
            "[::1]443",
            "[nope]:443",
            "::1:443:x",
            "1.2.3.4.5",
            "10.0.0.256",
            "café.example",
        ] {
            match HostRule::parse(text) {
                Ok(parsed) => panic!("{text:?} parsed as {parsed}"),
                Err(err) => {
                    assert_eq!(err.rule, text);
                    assert!(err.to_string().contains(err.why), "{err}");
                }
            }
        }
    }

    #[test]
    fn display_round_trips() {
        for (text, shown) in [
            ("API.Anthropic.com.", "api.anthropic.com"),
            ("*.googleapis.com:443", "*.googleapis.com:443"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("::1", "[::1]"),
            ("[::1]:443", "[::1]:443"),
        ] {
            let parsed = rule(text);
            assert_eq!(parsed.to_string(), shown);
            assert_eq!(rule(shown), parsed);
        }
        assert_eq!(rule("[::1]:443").port(), Some(443));
        assert_eq!(rule("::1").port(), None);
    }
}
