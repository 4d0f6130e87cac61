//! The `airlock` binary end to end: `serve` in the background, the other
//! commands against it, and the guards on its socket and HTTP port.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::support::*;

pub(super) struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn serve(f: &Fixture) -> Served {
    serve_with(f, &[])
}

/// `airlock serve` with extra environment variables.
pub(super) fn serve_with(f: &Fixture, env: &[(&str, &str)]) -> Served {
    let mut child = Command::new(airlock_bin())
        .args(["serve", "--project"])
        .arg(&f.project)
        .env("AIRLOCK_HOME", &f.home)
        .env("SHELL", "/bin/bash")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn airlock serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let url = first.trim().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/?token="),
        "first line: {url}"
    );
    Served { child, url }
}

pub(super) fn airlock(f: &Fixture, args: &[&str]) -> Output {
    Command::new(airlock_bin())
        .args(args)
        .env("AIRLOCK_HOME", &f.home)
        .current_dir(&f.project)
        .output()
        .expect("run airlock")
}

pub(super) fn ok_json(f: &Fixture, args: &[&str]) -> Value {
    let out = airlock(f, args);
    assert!(
        out.status.success(),
        "airlock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn fails_with(f: &Fixture, args: &[&str], needle: &str) {
    let out = airlock(f, args);
    assert!(!out.status.success(), "airlock {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(needle),
        "airlock {args:?}: `{err}` lacks `{needle}`"
    );
}

/// A session of a stand-in `claude` (gated mode is for Claude Code)
/// started through the CLI without the exec gate: it writes its arguments
/// and the environment Airlock gave it to its temp folder, then runs `rest`.
pub(super) struct StandIn {
    pub(super) session: String,
    /// The session's temp folder.
    pub(super) tmp: std::path::PathBuf,
    /// The engine's `engine.json`.
    pub(super) info: Value,
    env: String,
}

impl StandIn {
    /// A variable of the session's environment.
    pub(super) fn var(&self, k: &str) -> String {
        self.env
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} in the session's environment"))
            .to_string()
    }
}

/// Runs `script` as a stand-in `claude` without the exec gate, with
/// `extra` options for `airlock run`; the session's id.
pub(super) fn run_claude(f: &Fixture, extra: &[&str], script: &str) -> String {
    let claude = f.dir.path().join("bin/claude");
    executable(&claude, script);
    let mut args = vec!["run", "--no-exec-gate"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", claude.to_str().expect("utf-8")]);
    let out = airlock(f, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(super) fn stand_in_claude(f: &Fixture, rest: &str) -> StandIn {
    let session = run_claude(
        f,
        &[],
        &format!(
            "#!/bin/sh\necho \"$@\" > \"$TMPDIR/claude.args\"\nenv > \"$TMPDIR/claude.env.tmp\" && mv \"$TMPDIR/claude.env.tmp\" \"$TMPDIR/claude.env\"\n{rest}\n"
        ),
    );
    let (info_path, info) = engine_info(f);
    let tmp = info_path
        .parent()
        .expect("project home")
        .join("tmp")
        .join(&session);
    for _ in 0..500 {
        if let Ok(env) = std::fs::read_to_string(tmp.join("claude.env")) {
            return StandIn {
                session,
                tmp,
                info,
                env,
            };
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!(
        "the stand-in's environment never appeared in {}",
        tmp.display()
    );
}

/// The running engine's `engine.json`: its path and contents (socket, token).
pub(super) fn engine_info(f: &Fixture) -> (std::path::PathBuf, Value) {
    let path = std::fs::read_dir(f.home.join("projects"))
        .expect("projects")
        .flatten()
        .map(|e| e.path().join("engine.json"))
        .find(|p| p.exists())
        .expect("engine.json");
    let info = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    (path, info)
}

fn wait_changes(f: &Fixture, n: usize) -> Vec<Value> {
    for _ in 0..250 {
        let v = ok_json(f, &["changes", "--json"]);
        let list = v["changes"].as_array().expect("changes array").clone();
        if list.len() >= n {
            return list;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{n} change(s) never showed up");
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let f = Fixture::git(&[]);
    let out = airlock(&f, &["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // This checkout's commit, as the build saw it.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert_eq!(
        text.trim(),
        format!("airlock {} ({head})", env!("CARGO_PKG_VERSION"))
    );
    // The engine says the same in `status`, for the window's About.
    let _served = serve(&f);
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(
        status["version"].as_str(),
        text.trim().strip_prefix("airlock ")
    );
}

#[test]
fn run_changes_approve_reject_through_the_cli() {
    let f = Fixture::git(&[("notes.txt", "a\nb\nc\n")]);
    fails_with(&f, &["status"], "no Airlock engine is running");
    let _served = serve(&f);
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(status["project"], f.project.display().to_string());
    assert_eq!(status["sessions"].as_array().map(Vec::len), Some(0));

    let out = airlock(
        &f,
        &[
            "run",
            "--name",
            "writer",
            // Its in-place edit would wait at the exec gate: not what this tries.
            "--no-exec-gate",
            "--",
            "bash",
            "-c",
            "printf 'new\\n' > new.txt; sed -i 's/^b$/B/' notes.txt; sleep 30",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(session.starts_with("s-"), "{session}");

    let changes = wait_changes(&f, 2);
    let by_path = |p: &str| changes.iter().find(|c| c["path"] == p).cloned().expect(p);
    let new = by_path("new.txt");
    let notes = by_path("notes.txt");
    assert_eq!(new["kind"], "created");
    assert_eq!(notes["kind"], "modified");
    assert_eq!(notes["session"], session.as_str());
    let hunk = notes["hunks"][0]["id"]
        .as_str()
        .expect("hunk id")
        .to_string();
    assert!(hunk.starts_with("h-"));

    let diff = airlock(&f, &["diff", "notes.txt"]);
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.contains("-b") && text.contains("+B"), "{text}");

    let outcome = ok_json(&f, &["approve", "--json", &hunk]);
    assert_eq!(outcome["hunks"], 1);
    assert_eq!(
        std::fs::read_to_string(f.project.join("notes.txt")).expect("notes"),
        "a\nB\nc\n"
    );

    let reject = airlock(
        &f,
        &[
            "reject",
            new["id"].as_str().expect("id"),
            "--reason",
            "no new files",
        ],
    );
    assert!(reject.status.success());
    assert!(!f.project.join("new.txt").exists());
    // Decided changes leave the queue and stay listed with --all, with their state.
    assert_eq!(
        ok_json(&f, &["changes", "--json"])["changes"],
        serde_json::json!([])
    );
    let all = ok_json(&f, &["changes", "--all", "--json"]);
    let decided: Vec<(String, String, usize)> = all["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap_or("").to_string(),
                c["state"].as_str().unwrap_or("").to_string(),
                c["hunks"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        decided,
        vec![
            ("notes.txt".to_string(), "landed".to_string(), 1),
            ("new.txt".to_string(), "rejected".to_string(), 1)
        ]
    );
    let stage = Path::new(status["project"].as_str().expect("p")).to_path_buf();
    assert!(stage.exists());

    fails_with(
        &f,
        &["approve", "h-0123456789abcdef"],
        "unknown hunk `h-0123456789abcdef`",
    );
    fails_with(&f, &["approve"], "give hunk or change ids");
    fails_with(
        &f,
        &["run", "--", "definitely-not-a-command"],
        "not found on PATH",
    );
    fails_with(
        &f,
        &["--project", "/no/such/folder", "status"],
        "does not exist",
    );
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(status["sessions"][0]["name"], "writer");
}

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
    let mut child = Command::new(airlock_bin())
        .args(["hook", "claude"])
        .env("AIRLOCK_SOCKET", info["socket"].as_str().expect("socket"))
        .env("AIRLOCK_TOKEN", "0123456789abcdef-not-the-token")
        .env("AIRLOCK_SESSION", &session)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hook");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("hook");
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

/// The stage deleted under a running engine: approving says what happened
/// and what to do, in one line; nothing reaches the project and the engine
/// goes on answering.
#[test]
fn a_stage_deleted_under_the_engine_is_a_clear_error() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let out = airlock(
        &f,
        &[
            "run",
            "--",
            "bash",
            "-c",
            "printf 'agent\\n' > a.txt; sleep 600",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let changes = wait_changes(&f, 1);
    let id = changes[0]["id"].as_str().expect("id").to_string();
    let status = ok_json(&f, &["status", "--json"]);
    let stage = status["sessions"][0]["cwd"]
        .as_str()
        .expect("cwd")
        .to_string();
    std::fs::remove_dir_all(&stage).expect("delete the stage");
    fails_with(
        &f,
        &["approve", &id],
        "is gone from disk; remove the session",
    );
    assert_eq!(
        std::fs::read_to_string(f.project.join("a.txt")).expect("read"),
        "a\n",
        "nothing reached the project"
    );
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(
        status["sessions"].as_array().map(Vec::len),
        Some(1),
        "the engine still answers"
    );
}

#[test]
fn session_commands_and_orphans() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let out = airlock(&f, &["run", "--", "sleep", "600"]);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let ok = |args: &[&str]| {
        let o = airlock(&f, args);
        assert!(
            o.status.success(),
            "airlock {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(&["session", "stop", &id]);
    for _ in 0..250 {
        if ok_json(&f, &["status", "--json"])["sessions"][0]["state"] == "exited" {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        ok_json(&f, &["status", "--json"])["sessions"][0]["turn"],
        "exited"
    );
    ok(&["session", "restart", &id]);
    assert_eq!(
        ok_json(&f, &["status", "--json"])["sessions"][0]["state"],
        "running"
    );
    fails_with(&f, &["session", "fly", &id], "unknown session action");
    fails_with(
        &f,
        &["session", "stop", "s-nope"],
        "unknown session `s-nope`",
    );
    let stages = std::fs::read_dir(f.home.join("projects"))
        .expect("projects")
        .flatten()
        .map(|e| e.path().join("stages"))
        .find(|p| p.exists())
        .expect("stages");
    std::fs::create_dir_all(stages.join("s-crashed/sub")).expect("orphan");
    // Its agent state too, with overlayfs's permission-less scratch folder.
    let state = stages
        .parent()
        .expect("project home")
        .join("state/s-crashed");
    std::fs::create_dir_all(state.join(".claude/work/work")).expect("state");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        state.join(".claude/work/work"),
        std::fs::Permissions::from_mode(0o000),
    )
    .expect("chmod");
    assert!(ok(&["orphans"]).contains("s-crashed"));
    assert!(ok(&["orphans", "--clean"]).contains("removed"));
    assert!(!stages.join("s-crashed").exists());
    assert!(!state.exists(), "the orphaned agent state is removed too");
    // A live session's state stays.
    let live = stages
        .parent()
        .expect("project home")
        .join("state")
        .join(&id);
    assert!(live.is_dir(), "{} was removed", live.display());
    ok(&["session", "remove", &id]);
    assert_eq!(
        ok_json(&f, &["status", "--json"])["sessions"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

/// Claude Code's Stop hook (and Codex's notify) end the session's turn with
/// the agent's own word: the session is idle and "done" even while its
/// terminal keeps printing, until the user types; a wrong token changes nothing.
#[test]
fn an_agents_own_turn_report_ends_its_turn() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let stand_in = stand_in_claude(&f, "while true; do echo tick; sleep 0.2; done");
    let (session, tmp, info) = (
        stand_in.session.clone(),
        stand_in.tmp.clone(),
        stand_in.info.clone(),
    );
    let var = |k: &str| stand_in.var(k);
    let args = std::fs::read_to_string(tmp.join("claude.args")).expect("args");
    let settings_path = args.split_whitespace().nth(1).expect("--settings FILE");
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(settings_path).expect("settings"))
            .expect("json");
    assert!(
        settings["hooks"]["Stop"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap_or("")
            .ends_with("hook claude"),
        "{settings}"
    );
    let turn = || {
        let status = ok_json(&f, &["status", "--json"]);
        status["sessions"][0]["turn"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let hook = |token: &str, args: &[&str], input: &str| {
        let mut child = Command::new(airlock_bin())
            .args(args)
            .env("AIRLOCK_SOCKET", var("AIRLOCK_SOCKET"))
            .env("AIRLOCK_TOKEN", token)
            .env("AIRLOCK_SESSION", &session)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hook");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        child.wait_with_output().expect("hook")
    };
    let wait_turn = |want: &str| {
        for _ in 0..150 {
            if turn() == want {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("the turn never became {want}: {}", turn());
    };
    wait_turn("running");
    let stop = r#"{"hook_event_name":"Stop","session_id":"x","stop_hook_active":false}"#;
    let out = hook("0123456789abcdef-not-the-token", &["hook", "claude"], stop);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(turn(), "running", "a wrong token ends nothing");

    let out = hook(&var("AIRLOCK_TOKEN"), &["hook", "claude"], stop);
    assert!(out.status.success());
    let reply: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(reply, serde_json::json!({}), "Claude stops as it meant to");
    wait_turn("idle");
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert_eq!(
        turn(),
        "idle",
        "still printing, but the agent said its turn is over"
    );

    // The user typing starts the next turn; Codex's notify ends it the same way.
    let socket = std::os::unix::net::UnixStream::connect(info["socket"].as_str().expect("socket"))
        .expect("connect");
    let line = serde_json::json!({
        "token": info["token"],
        "request": {"op": "writeInput", "session": session, "data": "next\r"},
    });
    (&socket)
        .write_all(format!("{line}\n").as_bytes())
        .expect("write");
    let mut reply = String::new();
    BufReader::new(&socket)
        .read_line(&mut reply)
        .expect("reply");
    let typed: Value = serde_json::from_str(&reply).expect("json");
    assert_eq!(typed["ok"]["type"], "done", "{typed}");
    wait_turn("running");
    let out = hook(
        &var("AIRLOCK_TOKEN"),
        &[
            "hook",
            "codex",
            r#"{"type":"agent-turn-complete","turn-id":"1"}"#,
        ],
        "",
    );
    assert!(out.status.success());
    wait_turn("idle");
}
