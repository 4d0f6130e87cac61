//! The `airlock` binary end to end: `serve` in the background and the other
//! commands against it. This module holds the helpers the CLI tests share
//! (and the sandbox, socket, killed, diskfull and exec-gate tests borrow)
//! and the review commands;
//! `cli_guards` tries the guards on its socket, HTTP port and hook,
//! `cli_sessions` the session commands and an agent's own turn report.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::support::*;

pub(super) struct Served {
    child: Child,
    /// The first line `serve` printed: the web UI's address with its token.
    pub(super) url: String,
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

/// `airlock ARGS…` that must succeed; its stdout trimmed (`run` prints the
/// session's id).
pub(super) fn ok_line(f: &Fixture, args: &[&str]) -> String {
    let out = airlock(f, args);
    assert!(
        out.status.success(),
        "airlock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(super) fn fails_with(f: &Fixture, args: &[&str], needle: &str) {
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
    ok_line(f, &args)
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

pub(super) fn wait_changes(f: &Fixture, n: usize) -> Vec<Value> {
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

    let session = ok_line(
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
    decided_changes_leave_the_queue_and_stay_listed(&f);
    let stage = Path::new(status["project"].as_str().expect("p")).to_path_buf();
    assert!(stage.exists());

    mistakes_are_one_line_that_says_what_to_do(&f);
    let status = ok_json(&f, &["status", "--json"]);
    assert_eq!(status["sessions"][0]["name"], "writer");
}

/// Decided changes leave the queue and stay listed with --all, with their state.
fn decided_changes_leave_the_queue_and_stay_listed(f: &Fixture) {
    assert_eq!(
        ok_json(f, &["changes", "--json"])["changes"],
        serde_json::json!([])
    );
    let all = ok_json(f, &["changes", "--all", "--json"]);
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
}

/// An unknown id, no ids, a missing command or project: one line each.
fn mistakes_are_one_line_that_says_what_to_do(f: &Fixture) {
    fails_with(
        f,
        &["approve", "h-0123456789abcdef"],
        "unknown hunk `h-0123456789abcdef`",
    );
    fails_with(f, &["approve"], "give hunk or change ids");
    fails_with(
        f,
        &["run", "--", "definitely-not-a-command"],
        "not found on PATH",
    );
    fails_with(
        f,
        &["--project", "/no/such/folder", "status"],
        "does not exist",
    );
}

/// A reader that stopped early (`airlock status | head -1`, `| grep -q`)
/// ends the command quietly with 141, as SIGPIPE would, not with a panic.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let f = Fixture::git(&[("a.txt", "one\n")]);
    let _served = serve(&f);
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(airlock_bin())
        .arg("status")
        .env("AIRLOCK_HOME", &f.home)
        .current_dir(&f.project)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run airlock")
        .wait_with_output()
        .expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
