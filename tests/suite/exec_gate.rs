//! The exec gate, tried from real sandboxed sessions: every program a
//! session starts goes through the policy first; a risky one waits for a
//! click, a denied one fails and the shell goes on, an allow rule lets a
//! command and everything it runs through. Real kernel (seccomp user
//! notification + Landlock), real `airlock serve`, real processes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::{airlock, ok_json, serve};
use super::sandbox::{finished, session_json};
use super::support::*;

/// Starts `bash -c script` as a staged session (exec gate on, the default
/// for a command that is not an interactive shell); its id.
fn run(f: &Fixture, script: &str) -> String {
    let out = airlock(f, &["run", "--", "bash", "-c", script]);
    assert!(
        out.status.success(),
        "airlock run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn actions(f: &Fixture) -> Vec<Value> {
    ok_json(f, &["status", "--json"])["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits for the one action card of `session`.
fn card(f: &Fixture, session: &str) -> Value {
    for _ in 0..500 {
        if let Some(a) = actions(f).into_iter().find(|a| a["session"] == session) {
            return a;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "no card for {session}: {}",
        ok_json(f, &["status", "--json"])
    );
}

/// Rejects the exec card `a` through the CLI.
fn reject(f: &Fixture, a: &Value) {
    let out = airlock(f, &["reject", a["id"].as_str().expect("id")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stage_of(f: &Fixture, id: &str) -> PathBuf {
    PathBuf::from(session_json(f, id)["cwd"].as_str().expect("cwd"))
}

#[test]
fn a_risky_command_waits_for_a_click_and_runs_only_if_approved() {
    let f = Fixture::git(&[("build/out.o", "object\n"), ("a.txt", "a\n")]);
    let _served = serve(&f);
    let script =
        "ls > before.txt; rm -rf build; echo rm=$? > after.txt; git status --short > git.txt";

    // Rejected: the command fails, nothing is deleted, the shell goes on.
    let denied = run(&f, script);
    let a = card(&f, &denied);
    assert_eq!(a["tool"], "Exec");
    assert_eq!(a["summary"], "rm -rf build");
    assert_eq!(a["suggestedRule"], "Bash(rm -rf build)");
    assert!(a["risks"].to_string().contains("delete"), "{a}");
    let stage = stage_of(&f, &denied);
    // While the card waits, `rm` has not run.
    std::thread::sleep(Duration::from_millis(300));
    assert!(stage.join("build/out.o").exists());
    assert!(
        !stage.join("after.txt").exists(),
        "the shell waits on its command"
    );
    let id = a["id"].as_str().expect("id");
    let out = airlock(&f, &["reject", id, "--reason", "keep the build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    finished(&f, &denied);
    assert!(
        stage.join("build/out.o").exists(),
        "rejected: nothing deleted"
    );
    let after = std::fs::read_to_string(stage.join("after.txt")).expect("the shell went on");
    assert_ne!(after.trim(), "rm=0");
    // A shell trying the next PATH folder after the refusal asks no second time.
    assert!(actions(&f).is_empty(), "{:?}", actions(&f));
    // Read-only programs ran without a card: `ls`, and git inside the stage.
    assert!(stage.join("before.txt").exists());
    assert!(std::fs::read_to_string(stage.join("git.txt"))
        .expect("git status in the stage")
        .contains("before.txt"));

    // Approved: it runs.
    let approved = run(&f, script);
    let a = card(&f, &approved);
    let stage = stage_of(&f, &approved);
    let out = airlock(&f, &["approve", a["id"].as_str().expect("id")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    finished(&f, &approved);
    assert!(!stage.join("build").exists(), "approved: deleted");
    assert_eq!(
        std::fs::read_to_string(stage.join("after.txt"))
            .expect("after")
            .trim(),
        "rm=0"
    );
    // Nothing of this reached the project: the deletion is a change to review.
    assert!(f.project.join("build/out.o").exists());
}

#[test]
fn an_allow_rule_lets_a_command_and_what_it_runs_through_without_a_card() {
    let f = Fixture::git(&[
        (
            "package.json",
            r#"{"name":"t","version":"1.0.0","scripts":{"test":"node -e \"require('fs').writeFileSync('tested.txt','ok')\" && rm -f scratch.txt"}}"#,
        ),
        ("scratch.txt", "x\n"),
        (
            ".airlock/policy.toml",
            "[permissions]\nallow = [\"Bash(npm test)\"]\n",
        ),
    ]);
    let _served = serve(&f);
    let id = run(&f, "npm test > npm.log 2>&1; echo npm=$? > done.txt");
    let stage = finished(&f, &id);
    let log = std::fs::read_to_string(stage.join("npm.log")).unwrap_or_default();
    assert_eq!(
        std::fs::read_to_string(stage.join("done.txt"))
            .expect("done")
            .trim(),
        "npm=0",
        "{log}"
    );
    // npm's own `sh -c`, node and rm ran under the rule's trust: no card.
    assert_eq!(
        std::fs::read_to_string(stage.join("tested.txt")).expect("tested"),
        "ok"
    );
    assert!(!stage.join("scratch.txt").exists());
    assert!(actions(&f).is_empty(), "{:?}", actions(&f));
}

#[test]
fn a_deny_rule_refuses_at_once_and_says_why() {
    let f = Fixture::git(&[(
        ".airlock/policy.toml",
        "[permissions]\ndeny = [\"Bash(curl:*)\"]\n",
    )]);
    let _served = serve(&f);
    let id = run(
        &f,
        "curl --version > out.txt 2> err.txt; echo curl=$? > done.txt",
    );
    let stage = finished(&f, &id);
    let done = std::fs::read_to_string(stage.join("done.txt")).expect("done");
    assert_ne!(done.trim(), "curl=0");
    let err = std::fs::read_to_string(stage.join("err.txt")).expect("err");
    assert!(err.contains("Operation not permitted"), "{err}");
    assert!(actions(&f).is_empty());
}

#[test]
fn an_interactive_shell_is_not_gated_unless_asked_and_the_status_says_which() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let out = airlock(&f, &["run", "--", "bash"]);
    assert!(out.status.success());
    let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let s = session_json(&f, &shell);
    assert_eq!(s["sandbox"]["execGate"], false, "{s}");
    assert!(s["sandbox"]["summary"]
        .as_str()
        .expect("summary")
        .ends_with("commands not gated"));
    let out = airlock(&f, &["run", "--exec-gate", "--", "bash"]);
    assert!(out.status.success());
    let gated = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let s = session_json(&f, &gated);
    assert_eq!(s["sandbox"]["execGate"], true, "{s}");
    assert!(s["sandbox"]["summary"]
        .as_str()
        .expect("summary")
        .ends_with("commands gated"));
    let out = airlock(&f, &["status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("commands gated"));
}

#[test]
fn a_fork_and_exec_loop_does_not_starve_the_engine() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let id = run(
        &f,
        "i=0; while [ $i -lt 1500 ]; do /bin/true; i=$((i+1)); done; echo $i > count.txt",
    );
    // The engine keeps answering while the loop runs.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    while session_json(&f, &id)["state"] != "exited" {
        let t = Instant::now();
        ok_json(&f, &["status", "--json"]);
        slowest = slowest.max(t.elapsed());
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the loop never ended"
        );
    }
    let stage = finished(&f, &id);
    assert_eq!(
        std::fs::read_to_string(stage.join("count.txt"))
            .expect("count")
            .trim(),
        "1500"
    );
    // A status answer includes starting the CLI process: a second is generous
    // and still catches an engine that waits on the gate.
    assert!(
        slowest < Duration::from_secs(1),
        "slowest status {slowest:?}"
    );
    assert!(actions(&f).is_empty());
}

#[test]
fn always_allow_writes_the_rule_and_the_same_command_passes_from_then_on() {
    let f = Fixture::git(&[("build/out.o", "object\n")]);
    let _served = serve(&f);
    let first = run(&f, "rm -rf build; echo rm=$? > after.txt");
    let a = card(&f, &first);
    let out = airlock(&f, &["approve", a["id"].as_str().expect("id"), "--always"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    finished(&f, &first);
    let policy = std::fs::read_to_string(f.project.join(".airlock/policy.toml")).expect("policy");
    assert!(policy.contains("Bash(rm -rf build)"), "{policy}");
    // The rule is read again when its file changes: no card the second time.
    let second = run(&f, "rm -rf build; echo rm=$? > after.txt");
    let stage = finished(&f, &second);
    assert_eq!(
        std::fs::read_to_string(stage.join("after.txt"))
            .expect("after")
            .trim(),
        "rm=0"
    );
    assert!(!stage.join("build").exists());
    assert!(actions(&f).is_empty(), "{:?}", actions(&f));
}

#[test]
fn a_shell_script_launcher_finds_its_program_unasked_then_the_program_is_gated() {
    let f = Fixture::git(&[("build/out.o", "object\n")]);
    let _served = serve(&f);
    // A launcher like a pyenv shim: helper programs, then the real program.
    let launcher = f.dir.path().join("launcher");
    executable(
        &launcher,
        &format!(
            "#!/bin/sh\ncp /etc/os-release copied.txt\nexec '{}' -c 'import subprocess; open(\"rm.txt\", \"w\").write(str(subprocess.call([\"rm\", \"-rf\", \"build\"])))'\n",
            python()
        ),
    );
    let out = airlock(&f, &["run", "--", launcher.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // The program the launcher became asks before its `rm`.
    let a = card(&f, &id);
    assert_eq!(a["summary"], "rm -rf build", "{a}");
    let stage = stage_of(&f, &id);
    assert!(
        stage.join("copied.txt").exists(),
        "the launcher's own helper ran unasked"
    );
    reject(&f, &a);
    finished(&f, &id);
    assert!(stage.join("build/out.o").exists());
    assert_ne!(
        std::fs::read_to_string(stage.join("rm.txt")).unwrap_or_default(),
        "0"
    );
}

#[test]
fn a_link_the_session_made_is_judged_by_its_path_not_by_the_name_it_borrows() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    // `./cat` is a link the session made to python: judged as `cat`, it
    // would pass as read-only and run python's script unasked.
    let id = run(
        &f,
        "while [ ! -L ./cat ]; do sleep 0.05; done; ./cat -c 'print(40 + 2)' > out.txt; echo rc=$? > after.txt",
    );
    let stage = stage_of(&f, &id);
    std::os::unix::fs::symlink(python(), stage.join("cat")).expect("link");
    let a = card(&f, &id);
    assert_eq!(a["tool"], "Exec");
    let summary = a["summary"].as_str().expect("summary");
    assert!(
        summary.ends_with("/cat -c 'print(40 + 2)'") && summary.starts_with('/'),
        "judged by its path: {a}"
    );
    reject(&f, &a);
    finished(&f, &id);
    assert_ne!(
        std::fs::read_to_string(stage.join("after.txt"))
            .expect("the shell went on")
            .trim(),
        "rc=0"
    );
    assert!(!std::fs::read_to_string(stage.join("out.txt"))
        .unwrap_or_default()
        .contains("42"));
}

/// The same link, named `cat` and given a file outside the project: the
/// policy asks about reading outside, and a read-only command that only
/// reads passes such an ask — but not a program the session made.
#[test]
fn a_link_the_session_made_does_not_pass_as_only_reading_outside() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let script = f.dir.path().join("outside.py");
    std::fs::write(&script, "open('ran.txt', 'w').write('ran')\n").expect("script");
    let id = run(
        &f,
        &format!(
            "while [ ! -L ./cat ]; do sleep 0.05; done; ./cat {}; echo rc=$? > after.txt",
            script.display()
        ),
    );
    let stage = stage_of(&f, &id);
    std::os::unix::fs::symlink(python(), stage.join("cat")).expect("link");
    let a = card(&f, &id);
    assert!(
        a["risks"]
            .to_string()
            .contains("this session made or linked"),
        "{a}"
    );
    reject(&f, &a);
    finished(&f, &id);
    assert!(
        !stage.join("ran.txt").exists(),
        "python ran the script unasked"
    );
}

#[test]
fn a_program_the_session_made_does_not_pass_by_a_trusted_name() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    // bubblewrap is let through by name — the system's, not one made here.
    let id = run(
        &f,
        "while [ ! -x ./bwrap ]; do sleep 0.05; done; ./bwrap; echo rc=$? > after.txt",
    );
    let stage = stage_of(&f, &id);
    executable(&stage.join("bwrap"), "#!/bin/sh\ntouch pwned\n");
    let a = card(&f, &id);
    assert!(
        a["summary"].as_str().is_some_and(|s| s.ends_with("/bwrap")),
        "{a}"
    );
    reject(&f, &a);
    finished(&f, &id);
    assert!(!stage.join("pwned").exists(), "refused: it did not run");
}

#[test]
fn a_flood_of_risky_commands_waits_as_at_most_64_cards_and_the_rest_are_refused() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    // 90 risky commands at once, each in its own process.
    let script = "for i in $(seq 1 90); do (rm -rf dir$i; echo \"$i $?\" >> results.txt) & done; wait; echo done > done.txt";
    let id = run(&f, script);
    let stage = stage_of(&f, &id);
    let started = Instant::now();
    let refused = loop {
        let n = std::fs::read_to_string(stage.join("results.txt"))
            .map(|t| t.lines().filter(|l| !l.ends_with(" 0")).count())
            .unwrap_or(0);
        if n >= 26 {
            break n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {n} refused after 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(refused, 26, "the ones past 64 are refused at once");
    let mine: Vec<Value> = actions(&f)
        .into_iter()
        .filter(|a| a["session"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 64, "64 cards wait, no more");
    // Answered, the cards go and the script ends.
    for a in &mine {
        reject(&f, a);
    }
    finished(&f, &id);
    assert!(stage.join("done.txt").exists());
    assert!(actions(&f).iter().all(|a| a["session"] != id.as_str()));
}

/// A process that moves its root (a user namespace of its own, then
/// `chroot` into its stage) names programs by paths that mean its own
/// files there: `/bin/cat` is a file it made. The gate asks about it rather
/// than let it pass as `cat`.
#[test]
fn a_program_run_after_chroot_is_asked_about_not_taken_for_the_real_one() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let script = r#"
import ctypes, os, shutil
os.makedirs("bin", exist_ok=True)
shutil.copy("/bin/cat", "bin/cat")
libc = ctypes.CDLL(None, use_errno=True)
# A child of the session's command, as an agent's tool would be.
pid = os.fork()
if pid == 0:
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        os._exit(3)
    os.chroot(".")
    os.chdir("/")
    try:
        os.execv("/bin/cat", ["cat", "/a.txt"])
    except OSError as e:
        open("/refused.txt", "w").write(str(e))
    os._exit(4)
os.waitpid(pid, 0)
"#;
    let out = airlock(&f, &["run", "--", &python(), "-c", script]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let a = card(&f, &id);
    assert_eq!(a["tool"], "Exec", "{a}");
    assert!(
        a["summary"].as_str().unwrap_or("").contains("/bin/cat"),
        "shown by its path, as a program the session made: {a}"
    );
    reject(&f, &a);
    let stage = stage_of(&f, &id);
    finished(&f, &id);
    assert!(stage.join("refused.txt").exists(), "the exec was refused");
}
