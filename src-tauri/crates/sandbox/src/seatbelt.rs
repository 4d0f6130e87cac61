//! The macOS counterpart: a Seatbelt (`sandbox-exec -p`) profile generated
//! from the same [`Spec`], shaped after openai/codex's base policy.
//!
//! Seatbelt lets the last matching rule win, so path rules are emitted from
//! the shortest path to the longest: the most specific path decides. That is
//! how a write path inside a hidden folder (the stage inside Airlock's data
//! folder) stays writable, and a hidden path inside a write path stays hidden.
//! The function is pure; the caller passes resolved paths (on macOS `/tmp` is
//! `/private/tmp`, and Seatbelt matches the resolved path).

use std::fmt::Write as _;
use std::path::Path;

use crate::{Network, Spec};

/// Everything a profile grants whatever the spec: processes, terminals, the
/// system lookups that libc and language runtimes need.
const BASE: &str = r#"(version 1)
(deny default)

; Children inherit the profile; signals and process info stay inside it.
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

(allow user-preference-read)
(allow sysctl-read)
(allow mach-host*)
(allow ipc-posix-sem)
(allow ipc-posix-shm)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.PowerManagement.control"))

; Terminals: openpty() and the session's own tty.
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl
  (literal "/dev/ptmx")
  (literal "/dev/tty")
  (regex #"^/dev/ttys[0-9]+$"))
(allow file-read* file-write-data
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/random")
  (literal "/dev/urandom"))

; Reading is allowed everywhere except the hidden paths below.
(allow file-read*)
"#;

/// Services a networked process needs for DNS and TLS (after codex's network
/// policy).
const NETWORK_SERVICES: &str = r#"(allow mach-lookup
  (global-name "com.apple.bsd.dirhelper")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.networkd")
  (global-name "com.apple.ocspd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd"))
"#;

/// A Seatbelt profile for `spec`: deny by default, read everything but the
/// hidden paths, write only under the write paths, network as
/// [`Spec::network`] says. Pathname Unix sockets stay reachable in every mode,
/// as on Linux, so the agent's hook can reach Airlock.
///
/// Paths that are not valid UTF-8 are written lossily; give resolved UTF-8
/// paths.
pub fn seatbelt_profile(spec: &Spec) -> String {
    let mut out = String::from(BASE);

    // (depth, rule, quoted path): sorted so the deepest rule comes last.
    let mut rules: Vec<(usize, &str, String)> = spec
        .hidden
        .iter()
        .map(|p| (depth(p), "deny file-read* file-write*", quote(p)))
        .chain(
            spec.read
                .iter()
                .map(|p| (depth(p), "allow file-read*", quote(p))),
        )
        .chain(
            spec.write
                .iter()
                .map(|p| (depth(p), "allow file-read* file-write*", quote(p))),
        )
        .collect();
    rules.sort();
    if !rules.is_empty() {
        out.push_str("\n; Hidden, readable and writable paths, the most specific last.\n");
    }
    for (_, rule, path) in rules {
        // `subpath` matches the path itself too, so a hidden or writable file
        // (`~/.netrc`, `~/.claude.json`) needs no separate `literal`.
        let _ = writeln!(out, "({rule} (subpath {path}))");
    }

    out.push_str("\n; Network.\n");
    out.push_str("(allow system-socket (socket-domain AF_UNIX))\n");
    out.push_str("(allow network-outbound (remote unix-socket))\n");
    match spec.network {
        Network::On => {
            out.push_str("(allow system-socket)\n");
            out.push_str("(allow network-outbound)\n");
            out.push_str("(allow network-inbound)\n");
            out.push_str("(allow network-bind)\n");
            out.push_str(NETWORK_SERVICES);
        }
        Network::Off => {}
        Network::Proxy { port } => {
            out.push_str("(allow system-socket)\n");
            let _ = writeln!(
                out,
                "(allow network-outbound (remote ip \"localhost:{port}\"))"
            );
        }
    }
    out
}

fn depth(path: &Path) -> usize {
    path.components().count()
}

/// An SBPL string literal.
fn quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec(network: Network) -> Spec {
        Spec {
            write: vec![
                PathBuf::from("/Users/u/Library/Airlock/stages/s1"),
                PathBuf::from("/private/tmp/airlock-s1"),
                PathBuf::from("/Users/u/.claude.json"),
            ],
            hidden: vec![
                PathBuf::from("/Users/u/.ssh"),
                PathBuf::from("/Users/u/Library/Airlock"),
            ],
            read: vec![PathBuf::from("/Users/u/Library/Airlock/claude/s1.json")],
            network,
            exec_gate: None,
            isolate: None,
        }
    }

    fn line_of(profile: &str, needle: &str) -> usize {
        profile
            .lines()
            .position(|l| l == needle)
            .unwrap_or_else(|| panic!("missing line {needle:?} in:\n{profile}"))
    }

    #[test]
    fn denies_by_default_and_reads_all_but_hidden() {
        let p = seatbelt_profile(&spec(Network::Off));
        assert!(p.starts_with("(version 1)\n(deny default)\n"));
        let read_all = line_of(&p, "(allow file-read*)");
        let ssh = line_of(
            &p,
            r#"(deny file-read* file-write* (subpath "/Users/u/.ssh"))"#,
        );
        assert!(
            read_all < ssh,
            "the hidden deny must come after the blanket read"
        );
        // No blanket write anywhere.
        assert!(!p.lines().any(|l| l.starts_with("(allow file-write*")));
    }

    #[test]
    fn write_paths_are_allowed_and_win_inside_hidden() {
        let p = seatbelt_profile(&spec(Network::Off));
        let home = line_of(
            &p,
            r#"(deny file-read* file-write* (subpath "/Users/u/Library/Airlock"))"#,
        );
        let stage = line_of(
            &p,
            r#"(allow file-read* file-write* (subpath "/Users/u/Library/Airlock/stages/s1"))"#,
        );
        assert!(home < stage, "the deeper write rule must come last to win");
        line_of(
            &p,
            r#"(allow file-read* file-write* (subpath "/private/tmp/airlock-s1"))"#,
        );
        line_of(
            &p,
            r#"(allow file-read* file-write* (subpath "/Users/u/.claude.json"))"#,
        );
    }

    #[test]
    fn hidden_inside_write_stays_hidden() {
        let p = seatbelt_profile(&Spec {
            write: vec![PathBuf::from("/w")],
            hidden: vec![PathBuf::from("/w/secret")],
            read: Vec::new(),
            network: Network::On,
            exec_gate: None,
            isolate: None,
        });
        let w = line_of(&p, r#"(allow file-read* file-write* (subpath "/w"))"#);
        let s = line_of(&p, r#"(deny file-read* file-write* (subpath "/w/secret"))"#);
        assert!(w < s);
    }

    #[test]
    fn network_variants() {
        let off = seatbelt_profile(&spec(Network::Off));
        assert!(!off.contains("(allow network-outbound)\n"));
        assert!(!off.contains("remote ip"));
        assert!(!off.contains("network-bind"));
        line_of(&off, "(allow network-outbound (remote unix-socket))");

        let on = seatbelt_profile(&spec(Network::On));
        line_of(&on, "(allow network-outbound)");
        line_of(&on, "(allow network-inbound)");
        line_of(&on, "(allow network-bind)");
        assert!(on.contains("com.apple.trustd.agent"));

        let proxy = seatbelt_profile(&spec(Network::Proxy { port: 3128 }));
        line_of(
            &proxy,
            r#"(allow network-outbound (remote ip "localhost:3128"))"#,
        );
        assert!(!proxy.contains("(allow network-outbound)\n"));
        assert!(!proxy.contains("network-bind"));
        line_of(&proxy, "(allow network-outbound (remote unix-socket))");
    }

    #[test]
    fn quotes_are_escaped() {
        let p = seatbelt_profile(&Spec {
            write: vec![PathBuf::from(r#"/a "b"\c"#)],
            hidden: vec![],
            read: Vec::new(),
            network: Network::Off,
            exec_gate: None,
            isolate: None,
        });
        line_of(
            &p,
            r#"(allow file-read* file-write* (subpath "/a \"b\"\\c"))"#,
        );
    }
}
