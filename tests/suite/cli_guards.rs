//! The guards on `airlock serve`'s doors: its HTTP port wants the token,
//! its own host and no foreign origin; its socket wants the token and whole,
//! bounded lines; the hook denies when the engine refuses its token.

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use serde_json::Value;

use super::cli::{airlock, engine_info, ok_json, serve};
use super::support::*;

fn http(addr: &str, raw: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(raw.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

#[test]
fn http_api_needs_token_host_and_origin() {
    let f = Fixture::git(&[]);
    let served = serve(&f);
    let rest = served.url.trim_start_matches("http://");
    let (addr, token) = rest.split_once("/?token=").expect("url");
    let post = |host: &str, auth: &str, origin: &str, body: &str| {
        format!(
            "POST /api/call HTTP/1.1\r\nHost: {host}\r\n{auth}{origin}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let auth = format!("Authorization: Bearer {token}\r\n");
    let (code, body) = http(addr, &post(addr, &auth, "", r#"{"op":"status"}"#));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(r#""type":"status""#));
    let (code, _) = http(addr, &post(addr, "", "", r#"{"op":"status"}"#));
    assert_eq!(code, 401);
    let (code, _) = http(
        addr,
        &post(
            addr,
            "Authorization: Bearer wrong\r\n",
            "",
            r#"{"op":"status"}"#,
        ),
    );
    assert_eq!(code, 401);
    let (code, _) = http(
        addr,
        &post("evil.example:80", &auth, "", r#"{"op":"status"}"#),
    );
    assert_eq!(code, 421);
    let (code, _) = http(
        addr,
        &post(
            addr,
            &auth,
            "Origin: http://evil.example\r\n",
            r#"{"op":"status"}"#,
        ),
    );
    assert_eq!(code, 403);
    let (code, body) = http(addr, &post(addr, &auth, "", "{not json"));
    assert_eq!(code, 400);
    assert!(body.contains("malformed request"), "{body}");
    let (code, body) = http(
        addr,
        &post(addr, &auth, "", r#"{"op":"getDiff","change":"c-unknown"}"#),
    );
    assert_eq!(code, 200);
    assert!(body.contains(r#""code":"notFound""#), "{body}");
    let (code, _) = http(
        addr,
        &format!("GET /../../etc/passwd HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(code, 404);
    let (code, body) = http(
        addr,
        &format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(code, 200);
    assert!(
        body.to_lowercase().contains("<html") || body.contains("<!doctype"),
        "{body}"
    );
}

#[test]
fn socket_refuses_wrong_tokens_and_malformed_lines() {
    let f = Fixture::git(&[]);
    let _served = serve(&f);
    let (info_path, info) = engine_info(&f);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&info_path)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "engine.json is private");
    let socket = info["socket"].as_str().expect("socket");
    let mode = std::fs::metadata(socket)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the socket is private");
    let stream = std::os::unix::net::UnixStream::connect(socket).expect("connect");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut w = stream;
    let mut ask = |line: &str| {
        w.write_all(line.as_bytes()).expect("write");
        w.write_all(b"\n").expect("nl");
        let mut reply = String::new();
        reader.read_line(&mut reply).expect("reply");
        serde_json::from_str::<Value>(&reply).expect("reply json")
    };
    let r = ask("{oops");
    assert_eq!(r["error"]["code"], "badRequest");
    let r = ask(r#"{"token":"nope","request":{"op":"status"}}"#);
    assert_eq!(r["error"]["code"], "unauthorized");
    let r = ask(&format!(
        r#"{{"token":"{}","request":{{"op":"fly"}}}}"#,
        info["token"].as_str().expect("t")
    ));
    assert_eq!(r["error"]["code"], "badRequest");
    let r = ask(&format!(
        r#"{{"token":"{}","request":{{"op":"status"}}}}"#,
        info["token"].as_str().expect("t")
    ));
    assert_eq!(r["ok"]["type"], "status");
    // A line past the cap is refused before its token is even read, and the
    // engine goes on answering others.
    let big = std::os::unix::net::UnixStream::connect(socket).expect("connect");
    let mut big_reader = BufReader::new(big.try_clone().expect("clone"));
    let writer = std::thread::spawn(move || {
        let mut big = big;
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..70 {
            if big.write_all(&chunk).is_err() {
                break; // the engine hung up, as it should
            }
        }
    });
    let mut reply = String::new();
    big_reader.read_line(&mut reply).expect("reply");
    let r: Value = serde_json::from_str(&reply).expect("reply json");
    assert_eq!(r["error"]["code"], "badRequest");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("too large"),
        "{r}"
    );
    writer.join().expect("writer");
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(status["project"], f.project.display().to_string());
}

/// `airlock hook claude` with a token the engine refuses: denied, and the
/// terminal says why. Never an allow, never Claude's own prompt.
#[test]
fn the_hook_with_a_wrong_token_denies_and_says_why() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let out = airlock(&f, &["run", "--", "sleep", "600"]);
    let session = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (_, info) = engine_info(&f);
    let input = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "ls"},
        "cwd": f.project,
    });
    let out = hook_process(
        &["hook", "claude"],
        info["socket"].as_str().expect("socket"),
        "0123456789abcdef-not-the-token",
        &session,
        &input.to_string(),
    )
    .wait_with_output()
    .expect("hook");
    assert!(
        out.status.success(),
        "Claude reads a decision only on exit 0"
    );
    let reply: Value = serde_json::from_slice(&out.stdout).expect("decision json");
    assert_eq!(
        reply["hookSpecificOutput"]["permissionDecision"], "deny",
        "{reply}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused the hook's token"),
        "stderr: {stderr}"
    );
}
