//! The exec gate on the running kernel: the `sandbox-exec-probe` entry hands
//! its seccomp listener to a supervisor in this test, which sees every
//! program the confined shell starts and allows or refuses it.

#![cfg(target_os = "linux")]

use std::fs;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;

use airlock_sandbox::{
    accept_hand_over, answer_hand_over, ExecGate, ExecListener, Network, Next, Spec,
};

const PROBE: &str = env!("CARGO_BIN_EXE_sandbox-exec-probe");

fn spec(root: &Path, gate: ExecGate) -> Spec {
    Spec {
        write: vec![root.to_path_buf()],
        hidden: Vec::new(),
        read: Vec::new(),
        network: Network::On,
        exec_gate: Some(gate),
        isolate: None,
    }
}

fn run(root: &Path, spec: &Spec, script: &str) -> Output {
    Command::new(PROBE)
        .arg("--spec")
        .arg(serde_json::to_string(spec).expect("json"))
        .args(["--", "/bin/sh", "-c", script])
        .current_dir(root)
        .env_remove("AIRLOCK_SANDBOX_UNSUPPORTED")
        .output()
        .expect("start the probe")
}

/// A supervisor that accepts one hand-over with `token`, refuses every
/// program whose file name is in `refuse`, and reports what it saw.
fn supervise(
    listener: UnixListener,
    token: &'static str,
    refuse: &'static [&'static str],
) -> mpsc::Receiver<(PathBuf, Vec<String>, bool)> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let (got, pid, fd) = accept_hand_over(&sock).expect("hand-over");
        assert!(pid > 0);
        if got != token {
            answer_hand_over(&sock, Some("unknown token")).expect("answer");
            return;
        }
        answer_hand_over(&sock, None).expect("answer");
        let gate = ExecListener::new(fd);
        let (stop, _keep) = std::os::unix::net::UnixStream::pair().expect("pair");
        loop {
            match gate.next(stop.as_fd(), 10_000).expect("next") {
                Next::Call(call) => {
                    let name = call
                        .program
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let no = refuse.contains(&name.as_str());
                    if no {
                        gate.refuse(call.id).expect("refuse");
                    } else {
                        gate.allow(call.id).expect("allow");
                    }
                    let _ = tx.send((call.program, call.argv, no));
                }
                Next::Unreadable { id, why, .. } => {
                    let _ = gate.refuse(id);
                    panic!("unreadable call: {why}");
                }
                Next::Idle => {}
                Next::Closed | Next::Stopped => return,
            }
        }
    });
    rx
}

fn lab() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical");
    fs::create_dir_all(root.join("root")).expect("mkdir");
    (dir, root)
}

#[test]
fn every_program_the_session_starts_is_seen_and_a_refused_one_fails() {
    let (_dir, base) = lab();
    let root = base.join("root");
    fs::write(root.join("keep"), "kept").expect("write");
    let socket = base.join("gate.sock");
    let listener = UnixListener::bind(&socket).expect("bind");
    let seen = supervise(listener, "t1", &["rm"]);
    let spec = spec(
        &root,
        ExecGate {
            socket,
            token: "t1".into(),
        },
    );
    let out = run(
        &root,
        &spec,
        "/bin/echo first; rm -f keep; echo rm-exit=$?; cp /bin/echo mine; ./../root/mine mine; missing-tool; /bin/echo last",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("first") && stdout.contains("last"),
        "{stdout}"
    );
    assert!(!stdout.contains("rm-exit=0"), "{stdout}\n{stderr}");
    assert!(stderr.contains("Operation not permitted"), "{stderr}");
    assert_eq!(fs::read_to_string(root.join("keep")).expect("read"), "kept");

    let calls: Vec<_> = seen.iter().collect();
    eprintln!("{calls:#?}\n{stderr}");
    // The session's own command comes first, then what it ran.
    assert_eq!(calls[0].0, PathBuf::from("/bin/sh"), "{calls:?}");
    assert_eq!(
        calls[0].1,
        vec!["/bin/sh", "-c"]
            .into_iter()
            .map(String::from)
            .chain([calls[0].1[2].clone()])
            .collect::<Vec<_>>()
    );
    let echo = calls
        .iter()
        .find(|c| c.1 == ["/bin/echo", "first"])
        .expect("echo seen");
    assert!(!echo.2);
    let rm = calls
        .iter()
        .find(|c| c.0.file_name().is_some_and(|n| n == "rm"))
        .expect("rm seen");
    assert_eq!(rm.1, ["rm", "-f", "keep"]);
    assert!(rm.2, "refused");
    // A relative program is made absolute and normalised against the caller's folder.
    assert!(calls.iter().any(|c| c.0 == root.join("mine")), "{calls:?}");
    assert!(stdout.contains("mine\n"), "{stdout}");
    // A program that is not there is answered "not found" without a verdict.
    assert!(
        !calls
            .iter()
            .any(|c| c.1.first().is_some_and(|a| a == "missing-tool")),
        "{calls:?}"
    );
    assert!(stderr.contains("missing-tool: not found"), "{stderr}");
}

#[test]
fn a_refused_hand_over_or_a_missing_engine_stops_the_session_before_it_runs() {
    let (_dir, base) = lab();
    let root = base.join("root");
    let socket = base.join("gate.sock");
    let listener = UnixListener::bind(&socket).expect("bind");
    let _seen = supervise(listener, "right", &[]);
    let gate = ExecGate {
        socket: socket.clone(),
        token: "wrong".into(),
    };
    let out = run(&root, &spec(&root, gate), "touch ran");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Airlock's exec gate refused: unknown token"),
        "{stderr}"
    );
    assert!(!root.join("ran").exists());

    let gate = ExecGate {
        socket: base.join("no-engine.sock"),
        token: "t".into(),
    };
    let out = run(&root, &spec(&root, gate), "touch ran");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach Airlock's exec gate"),
        "{stderr}"
    );
    assert!(!root.join("ran").exists());
}

#[test]
fn when_the_supervisor_goes_away_execs_fail_closed() {
    let (_dir, base) = lab();
    let root = base.join("root");
    let socket = base.join("gate.sock");
    let listener = UnixListener::bind(&socket).expect("bind");
    // A supervisor that lets the session's own command start, then drops the listener.
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let (_, _, fd) = accept_hand_over(&sock).expect("hand-over");
        answer_hand_over(&sock, None).expect("answer");
        let gate = ExecListener::new(fd);
        let (stop, _keep) = std::os::unix::net::UnixStream::pair().expect("pair");
        loop {
            if let Next::Call(call) = gate.next(stop.as_fd(), 10_000).expect("next") {
                gate.allow(call.id).expect("allow");
                return;
            }
        }
    });
    let gate = ExecGate {
        socket,
        token: "t".into(),
    };
    let out = run(
        &root,
        &spec(&root, gate),
        "sleep 0.3; /bin/echo after; echo status=$?",
    );
    handle.join().expect("supervisor");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("after\n"),
        "an exec ran with no one to judge it: {stdout}"
    );
    assert!(
        stdout.contains("status=126") || stdout.contains("status=127"),
        "{stdout}"
    );
}
