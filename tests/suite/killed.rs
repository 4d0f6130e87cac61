//! The engine killed (SIGKILL) while an agent waits on it: the agent is
//! answered — never with an allow — nothing it asked for happens, and a
//! restarted engine shows what is true.

use std::process::{Command, Stdio};

use serde_json::Value;

use super::cli::{airlock, ok_json, serve, stand_in_claude};
use super::support::*;

#[test]
fn a_hook_waiting_when_the_engine_is_killed_is_denied_and_nothing_runs() {
    let f = Fixture::git(&[("build/out.o", "object\n")]);
    let served = serve(&f);
    // A stand-in `claude`, so the hook asks with the session's own token.
    let stand_in = stand_in_claude(&f, "exec sleep 600");
    let (session, var) = (&stand_in.session, |k: &str| stand_in.var(k));

    // The hook asks about `rm -rf build` and waits for a click.
    let input = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf build"},
        "cwd": f.project,
    });
    let mut hook = hook_process(
        &["hook", "claude"],
        &var("AIRLOCK_SOCKET"),
        &var("AIRLOCK_TOKEN"),
        session,
        &input.to_string(),
    );
    poll_until(10, 20, "no action card", || {
        ok_json(&f, &["status", "--json"])["actions"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    });
    assert!(
        hook.try_wait().expect("hook").is_none(),
        "the hook waits for the user"
    );

    // SIGKILL: no goodbye to anyone.
    drop(served);
    poll_until(
        10,
        20,
        "the hook still waits 10 s after the engine died",
        || hook.try_wait().expect("hook").is_some(),
    );
    let out = hook.wait_with_output().expect("hook");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let decision = serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|r| {
            r["hookSpecificOutput"]["permissionDecision"]
                .as_str()
                .map(str::to_string)
        });
    // Claude Code reads exit 2 as "blocked", and a decision only on exit 0.
    let denied = out.status.code() == Some(2) || decision.as_deref() == Some("deny");
    assert!(
        denied,
        "the hook must deny when the engine dies: exit {:?}, stdout {}, stderr {stderr}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.to_lowercase().contains("engine"),
        "it says the engine is gone: {stderr}"
    );
    assert!(f.project.join("build/out.o").exists(), "nothing ran");

    // A restarted engine shows no card for the dead question.
    let _served = serve(&f);
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(status["actions"], serde_json::json!([]), "{status}");
}

/// Whether a process whose command line holds `marker` is alive.
fn running(marker: &str) -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
}

#[test]
fn a_chat_agent_waiting_on_a_held_write_when_the_engine_is_killed_writes_nothing() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let served = serve(&f);
    // A marker on its command line names the agent's process.
    let marker = format!("airlock-killed-{}", std::process::id());
    let id = start_gated_gemini(&f, &marker);
    let prompt = Command::new(airlock_bin())
        .args(["prompt", &id, "write", "notes.txt", "held", "text"])
        .env("AIRLOCK_HOME", &f.home)
        .current_dir(&f.project)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("airlock prompt");
    poll_until(20, 50, "the write never waited", || {
        ok_json(&f, &["changes", "--json"])["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["path"] == "notes.txt"))
    });
    assert!(running(&marker), "the agent waits on its write");

    drop(served);
    // The agent hears its connection end and goes; the prompt says why.
    poll_until(10, 50, "the agent outlived the engine by 10 s", || {
        !running(&marker)
    });
    let out = prompt.wait_with_output().expect("prompt");
    assert!(!out.status.success(), "the prompt cannot have succeeded");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("engine"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!f.project.join("notes.txt").exists(), "nothing was written");

    // A restarted engine tells the truth: the chat is over, and nothing of
    // it waits to be approved into the project.
    let _served = serve(&f);
    let status = ok_json(&f, &["status", "--json"]);
    let session = status["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["id"] == id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{id} in {status}"));
    assert_ne!(session["state"], "running", "{session}");
    assert_eq!(status["actions"], serde_json::json!([]), "{status}");
    let pending = ok_json(&f, &["changes", "--json"]);
    assert!(
        !pending["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["path"] == "notes.txt")),
        "a write nobody waits for any more is not offered: {pending}"
    );
}

/// The scripted ACP agent as a gated chat (under Gemini CLI's name, which
/// sends its writes through Airlock, so it may run gated), with `marker` as
/// its argument; its session id once the agent is ready.
fn start_gated_gemini(f: &Fixture, marker: &str) -> String {
    let gemini = gemini_stand_in(f);
    let out = airlock(
        f,
        &[
            "run",
            "--acp",
            "--mode",
            "gated",
            "--",
            gemini.to_str().expect("utf-8"),
            marker,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    poll_until(20, 50, "the agent never got ready", || {
        ok_json(f, &["status", "--json"])["sessions"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id.as_str()).cloned())
            .is_some_and(|s| !s["chat"].is_null())
    });
    id
}
