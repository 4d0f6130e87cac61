//! `airlock hook claude`: Claude Code's PreToolUse and Stop hooks;
//! `airlock hook codex JSON`: Codex's `notify` program.
//!
//! A Stop hook (or Codex's `agent-turn-complete`) tells the engine the
//! agent's turn ended, so the session's turn is what the agent says rather
//! than a guess from a quiet terminal; it never holds the agent up (an
//! unreachable engine is ignored).
//!
//! Reads the hook's JSON from stdin, asks the engine over its socket (with the
//! session's token from the environment Airlock gave the session), waits for
//! the decision, and prints Claude Code's hook output. If the engine cannot be
//! reached, dies while the hook waits, or refuses the token, the answer is
//! `deny` with a reason that says what to do (Claude tells the user), and
//! the same on stderr: nothing is ever allowed, nor handed to a prompt the
//! agent's own process draws.
//!
//! Only std: this runs on every tool call, so it must start in a millisecond.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;

use serde_json::{json, Value};

fn output(event: &str, decision: &str, reason: Option<&str>, updated: Option<&Value>) -> Value {
    let mut out = json!({
        "hookEventName": event,
        "permissionDecision": decision,
    });
    if let Some(r) = reason {
        out["permissionDecisionReason"] = json!(r);
    }
    if let Some(u) = updated {
        out["updatedInput"] = u.clone();
    }
    json!({ "hookSpecificOutput": out })
}

fn deny_with(event: &str, why: &str) -> Value {
    eprintln!("airlock hook: {why}");
    output(
        event,
        "deny",
        Some(&format!(
            "Airlock could not decide, so this is denied: {why}. Start Airlock again (`airlock serve` or the app) in this project, then retry"
        )),
        None,
    )
}

/// Tells the engine the session's agent ended its turn; quietly does nothing
/// when it cannot (the agent must never wait on this).
fn report_turn(agent: &str, agent_session: Option<&str>) {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(socket), Some(token), Some(session)) = (
        env("AIRLOCK_SOCKET"),
        env("AIRLOCK_TOKEN"),
        env("AIRLOCK_SESSION"),
    ) else {
        return;
    };
    let Ok(mut stream) = UnixStream::connect(&socket) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut line =
        json!({ "token": token, "turn": { "session": session, "agent": agent, "agentSession": agent_session } }).to_string();
    line.push('\n');
    if stream.write_all(line.as_bytes()).is_ok() {
        let mut reply = String::new();
        let _ = BufReader::new(&stream).read_line(&mut reply);
        if reply.contains("\"error\"") {
            eprintln!(
                "airlock hook: the engine refused the turn report: {}",
                reply.trim()
            );
        }
    }
}

/// Runs the hook; returns the exit code (always 0: the decision is in the JSON).
pub fn run(agent: Option<&str>, arg: Option<&str>) -> i32 {
    if agent == Some("codex") {
        // Codex runs its notify program with one JSON argument per event.
        let event: Value = arg
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or(Value::Null);
        if event["type"] == "agent-turn-complete" {
            report_turn("codex", None);
        }
        return 0;
    }
    if agent != Some("claude") {
        eprintln!(
            "airlock hook: unknown agent `{}`; `airlock hook claude` and `airlock hook codex` exist",
            agent.unwrap_or("")
        );
        return 2;
    }
    let mut input = String::new();
    let answer = match std::io::stdin().read_to_string(&mut input) {
        Err(e) => deny_with("PreToolUse", &format!("cannot read the hook input: {e}")),
        Ok(_) => decide(&input),
    };
    println!("{answer}");
    0
}

fn decide(input: &str) -> Value {
    let hook: Value = match serde_json::from_str(input) {
        Ok(v) => v,
        Err(e) => return deny_with("PreToolUse", &format!("malformed hook input: {e}")),
    };
    let event = hook["hook_event_name"]
        .as_str()
        .unwrap_or("PreToolUse")
        .to_string();
    if event == "Stop" {
        report_turn("claude", hook["session_id"].as_str());
        // An empty answer lets Claude Code stop as it meant to.
        return json!({});
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(socket), Some(token), Some(session)) = (
        env("AIRLOCK_SOCKET"),
        env("AIRLOCK_TOKEN"),
        env("AIRLOCK_SESSION"),
    ) else {
        return deny_with(
            &event,
            "this agent was not started by Airlock (no AIRLOCK_SOCKET/TOKEN/SESSION)",
        );
    };
    let request = json!({
        "token": token,
        "gate": {
            "session": session,
            "agent": "claude",
            "tool": hook["tool_name"].as_str().unwrap_or(""),
            "input": hook["tool_input"].clone(),
            "cwd": hook["cwd"].as_str().unwrap_or(""),
            // Claude Code's own id for the conversation: a restart resumes it.
            "agentSession": hook["session_id"].as_str(),
        }
    });
    let mut stream = match UnixStream::connect(&socket) {
        Ok(s) => s,
        Err(e) => {
            return deny_with(
                &event,
                &format!("the Airlock engine is not reachable at {socket}: {e}"),
            )
        }
    };
    let mut line = request.to_string();
    line.push('\n');
    if let Err(e) = stream.write_all(line.as_bytes()) {
        return deny_with(&event, &format!("cannot talk to the Airlock engine: {e}"));
    }
    let mut reply = String::new();
    match BufReader::new(&stream).read_line(&mut reply) {
        Ok(n) if n > 0 => {}
        _ => {
            return deny_with(
                &event,
                "the Airlock engine closed the connection without a decision",
            )
        }
    }
    let reply: Value = match serde_json::from_str(&reply) {
        Ok(v) => v,
        Err(e) => return deny_with(&event, &format!("unreadable answer from the engine: {e}")),
    };
    let decision = match reply["decision"].as_str() {
        Some(d @ ("allow" | "deny" | "ask")) => d,
        _ => return deny_with(&event, "the engine gave no decision"),
    };
    if decision == "ask" {
        // The engine could not decide either (a refused token, an unknown
        // session): denied, and the terminal says why.
        return deny_with(
            &event,
            reply["reason"].as_str().unwrap_or("no reason given"),
        );
    }
    let updated = reply.get("updatedInput").filter(|v| !v.is_null());
    output(&event, decision, reply["reason"].as_str(), updated)
}
