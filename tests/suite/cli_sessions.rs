//! The session commands through the CLI (stop, restart, remove, orphans),
//! a stage deleted under the engine, and an agent reporting its own turn's
//! end through its hook.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::cli::{airlock, fails_with, ok_json, ok_line, serve, stand_in_claude, wait_changes};
use super::support::*;

/// The stage deleted under a running engine: approving says what happened
/// and what to do, in one line; nothing reaches the project and the engine
/// goes on answering.
#[test]
fn a_stage_deleted_under_the_engine_is_a_clear_error() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    ok_line(
        &f,
        &[
            "run",
            "--",
            "bash",
            "-c",
            "printf 'agent\\n' > a.txt; sleep 600",
        ],
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
    let ok = |args: &[&str]| ok_line(&f, args);
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
    let session = stand_in.session.as_str();
    assert_the_stop_hook_is_installed(&stand_in.tmp);
    let (socket, token) = (
        stand_in.var("AIRLOCK_SOCKET"),
        stand_in.var("AIRLOCK_TOKEN"),
    );
    let hook = |token: &str, args: &[&str], input: &str| {
        hook_process(args, &socket, token, session, input)
            .wait_with_output()
            .expect("hook")
    };
    wait_turn(&f, "running");
    let stop = r#"{"hook_event_name":"Stop","session_id":"x","stop_hook_active":false}"#;
    let out = hook("0123456789abcdef-not-the-token", &["hook", "claude"], stop);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(turn(&f), "running", "a wrong token ends nothing");

    let out = hook(&token, &["hook", "claude"], stop);
    assert!(out.status.success());
    let reply: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(reply, serde_json::json!({}), "Claude stops as it meant to");
    wait_turn(&f, "idle");
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert_eq!(
        turn(&f),
        "idle",
        "still printing, but the agent said its turn is over"
    );

    // The user typing starts the next turn; Codex's notify ends it the same way.
    let typed = type_into(&stand_in.info, session, "next\r");
    assert_eq!(typed["ok"]["type"], "done", "{typed}");
    wait_turn(&f, "running");
    let out = hook(
        &token,
        &[
            "hook",
            "codex",
            r#"{"type":"agent-turn-complete","turn-id":"1"}"#,
        ],
        "",
    );
    assert!(out.status.success());
    wait_turn(&f, "idle");
}

/// The stand-in was started with `--settings FILE` whose Stop hook is Airlock's.
fn assert_the_stop_hook_is_installed(tmp: &Path) {
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
}

/// The first session's turn, as `airlock status` shows it.
fn turn(f: &Fixture) -> String {
    let status = ok_json(f, &["status", "--json"]);
    status["sessions"][0]["turn"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn wait_turn(f: &Fixture, want: &str) {
    for _ in 0..150 {
        if turn(f) == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the turn never became {want}: {}", turn(f));
}

/// Types `data` into the session's terminal through the engine's socket
/// (as a window does); the engine's reply.
fn type_into(info: &Value, session: &str, data: &str) -> Value {
    let socket = std::os::unix::net::UnixStream::connect(info["socket"].as_str().expect("socket"))
        .expect("connect");
    let line = serde_json::json!({
        "token": info["token"],
        "request": {"op": "writeInput", "session": session, "data": data},
    });
    (&socket)
        .write_all(format!("{line}\n").as_bytes())
        .expect("write");
    let mut reply = String::new();
    BufReader::new(&socket)
        .read_line(&mut reply)
        .expect("reply");
    serde_json::from_str(&reply).expect("json")
}
