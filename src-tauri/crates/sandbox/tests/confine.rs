//! Real confinement on the running kernel: every test starts the
//! `sandbox-exec-probe` binary (the crate's `exec_entry`) with a spec, lets it
//! run a real command, and checks exit codes, error text and files on disk.
//!
//! The tests may run as root (CI does), so a refusal seen here comes from
//! Landlock, not from file permissions.

#![cfg(target_os = "linux")]

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use airlock_sandbox::{support, Network, Spec, Support};

mod common;
use common::{probe, text, PROBE};

/// A throwaway world: a session root, its temp folder, a fake home with
/// credentials and agent state, Airlock's data folder with a stage inside,
/// and folders the session must not touch.
struct Lab {
    _dir: tempfile::TempDir,
    base: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = fs::canonicalize(dir.path()).expect("canonical tempdir");
        for d in [
            "root",
            "tmp",
            "home/.ssh",
            "home/.claude",
            "airlock/stages/s1",
            "airlock/stages/s2",
            "airlock/claude",
            "project",
            "etc",
            "outside",
        ] {
            fs::create_dir_all(base.join(d)).expect("mkdir");
        }
        let files = [
            ("home/.ssh/id_rsa", "PRIVATE KEY"),
            ("home/notes.txt", "notes"),
            ("home/.bashrc", "bashrc"),
            ("home/.claude.json", "{}"),
            ("airlock/engine.json", "{\"token\":\"secret\"}"),
            ("airlock/claude/s1.json", "{\"hooks\":{}}"),
            ("airlock/stages/s2/other.txt", "other session"),
            ("project/main.rs", "fn main() {}"),
            ("etc/config", "config"),
            ("outside/file", "original"),
        ];
        for (path, text) in files {
            fs::write(base.join(path), text).expect("write fixture");
        }
        Lab { _dir: dir, base }
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.p(rel)).expect("read fixture")
    }

    /// The spec Airlock would give session s1.
    fn spec(&self, network: Network) -> Spec {
        Spec {
            write: vec![
                self.p("root"),
                self.p("tmp"),
                self.p("home/.claude"),
                self.p("home/.claude.json"),
                self.p("airlock/stages/s1"),
            ],
            hidden: vec![self.p("home/.ssh"), self.p("airlock")],
            read: Vec::new(),
            network,
            exec_gate: None,
            isolate: None,
        }
    }

    /// Runs `sh -c script` confined by `spec`, in the root, with the lab paths
    /// in the environment ($ROOT, $TMPDIR, $HOME, $LAB).
    fn sh(&self, spec: &Spec, script: &str) -> Output {
        self.run(spec, &["/bin/sh", "-c", script])
    }

    fn run(&self, spec: &Spec, command: &[&str]) -> Output {
        let (root, tmp, home) = (self.p("root"), self.p("tmp"), self.p("home"));
        let env = [
            ("ROOT", root.as_os_str()),
            ("TMPDIR", tmp.as_os_str()),
            ("HOME", home.as_os_str()),
            ("LAB", self.base.as_os_str()),
        ];
        probe(spec, command, &root, &env)
    }
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "expected success, got {}", text(out));
}

/// The command failed and said why: Landlock's EACCES, or (for a link or
/// rename out of a read-only place) EXDEV.
fn assert_denied(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected a refusal, got {}",
        text(out)
    );
    assert!(
        stderr.contains("Permission denied") || stderr.contains("Invalid cross-device link"),
        "expected EACCES or EXDEV, got {}",
        text(out)
    );
}

fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn abi() -> u32 {
    match support() {
        Support::Full { abi } | Support::Partial { abi, .. } => abi,
        Support::None { why } => {
            panic!("this kernel cannot confine ({why}); these tests need Landlock")
        }
    }
}

#[test]
fn this_kernel_supports_confinement() {
    eprintln!("support: {:?}", support());
    let abi = abi();
    assert!(abi >= 4, "network modes need ABI 4, kernel has {abi}");
    if abi >= 6 {
        assert_eq!(support(), Support::Full { abi });
    }
}

#[test]
fn writes_inside_the_session_work() {
    let lab = Lab::new();
    let out = lab.sh(
        &lab.spec(Network::Off),
        r#"set -e
        echo a > "$ROOT/a.txt" && mkdir -p "$ROOT/d/e" && echo b > "$ROOT/d/e/b.txt"
        echo t > "$TMPDIR/t.txt" && mv "$TMPDIR/t.txt" "$ROOT/moved.txt"
        echo s > "$HOME/.claude/state" && echo '{"x":1}' > "$HOME/.claude.json"
        : > "$ROOT/a.txt" && echo again >> "$ROOT/a.txt" && rm -r "$ROOT/d"
        cat "$LAB/project/main.rs" >/dev/null"#,
    );
    assert_ok(&out);
    assert_eq!(lab.read("root/a.txt"), "again\n");
    assert_eq!(lab.read("root/moved.txt"), "t\n");
    assert!(!lab.p("root/d").exists());
    assert_eq!(lab.read("home/.claude/state"), "s\n");
    assert_eq!(lab.read("home/.claude.json"), "{\"x\":1}\n");
}

#[test]
fn writes_outside_are_refused_and_change_nothing() {
    let lab = Lab::new();
    std::os::unix::fs::symlink(lab.p("outside"), lab.p("root/out-link")).expect("symlink");
    let spec = lab.spec(Network::Off);
    let attempts = [
        r#"echo x > "$LAB/outside/file""#,
        r#"echo x > "$LAB/outside/new""#,
        r#"echo x > "$ROOT/../outside/file""#,
        r#"echo x > "$ROOT/out-link/file""#,
        r#"ln -s "$LAB/outside" "$ROOT/made-link" && echo x > "$ROOT/made-link/file""#,
        r#"echo x > "$HOME/.bashrc""#,
        r#"echo x > "$HOME/new-dotfile""#,
        r#"echo x > "$LAB/project/main.rs""#,
        r#"echo x > "$LAB/etc/config""#,
        r#"mkdir "$LAB/etc/sub""#,
        r#"truncate -s 0 "$LAB/outside/file""#,
        r#"rm "$LAB/outside/file""#,
        r#"mv "$LAB/outside/file" "$ROOT/stolen""#,
        r#"ln "$LAB/outside/file" "$ROOT/hard""#,
        r#"echo x > "$LAB/airlock/stages/s2/other.txt""#,
    ];
    for script in attempts {
        let out = lab.sh(&spec, script);
        assert_denied(&out);
        assert_eq!(lab.read("outside/file"), "original", "after {script}");
        assert!(!lab.p("outside/new").exists(), "after {script}");
        assert_eq!(lab.read("home/.bashrc"), "bashrc", "after {script}");
        assert!(!lab.p("home/new-dotfile").exists(), "after {script}");
        assert_eq!(
            lab.read("project/main.rs"),
            "fn main() {}",
            "after {script}"
        );
        assert_eq!(lab.read("etc/config"), "config", "after {script}");
        assert!(!lab.p("etc/sub").exists(), "after {script}");
        assert_eq!(lab.read("airlock/stages/s2/other.txt"), "other session");
    }
    assert!(!lab.p("root/stolen").exists() && !lab.p("root/hard").exists());
}

#[test]
fn hidden_files_are_unreadable_and_their_neighbours_readable() {
    let lab = Lab::new();
    // A symlinked home must still be matched, and a link made before
    // confinement must not lead into the hidden folder.
    std::os::unix::fs::symlink(lab.p("home"), lab.p("home-link")).expect("symlink");
    std::os::unix::fs::symlink(lab.p("home/.ssh"), lab.p("root/keys")).expect("symlink");
    let mut spec = lab.spec(Network::Off);
    spec.hidden = vec![lab.p("home-link/.ssh"), lab.p("airlock")];
    for script in [
        r#"cat "$HOME/.ssh/id_rsa""#,
        r#"cat "$LAB/home-link/.ssh/id_rsa""#,
        r#"cat "$ROOT/keys/id_rsa""#,
        r#"cat "/proc/self/root$HOME/.ssh/id_rsa""#,
        r#"ls "$HOME/.ssh""#,
        r#"cp "$HOME/.ssh/id_rsa" "$ROOT/copy""#,
        // Documented limitation: an ancestor of a hidden path cannot be listed.
        r#"ls "$HOME""#,
    ] {
        let out = lab.sh(&spec, script);
        assert_denied(&out);
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("PRIVATE KEY"),
            "{script} leaked the key: {}",
            text(&out)
        );
    }
    assert!(!lab.p("root/copy").exists());

    let out = lab.sh(&spec, r#"cat "$HOME/notes.txt" "$LAB/home-link/.bashrc""#);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "notesbashrc");
}

#[test]
fn a_stage_inside_the_hidden_data_folder_stays_writable() {
    let lab = Lab::new();
    let spec = lab.spec(Network::Off);
    let out = lab.sh(
        &spec,
        r#"cd "$LAB/airlock/stages/s1" && echo staged > f.txt && cat f.txt && ls"#,
    );
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "staged\nf.txt\n");
    for script in [
        r#"cat "$LAB/airlock/engine.json""#,
        r#"cat "$LAB/airlock/stages/s2/other.txt""#,
        r#"ls "$LAB/airlock""#,
        r#"echo x > "$LAB/airlock/new.json""#,
    ] {
        let out = lab.sh(&spec, script);
        assert_denied(&out);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("secret"));
    }
    assert!(!lab.p("airlock/new.json").exists());
}

#[test]
fn a_read_path_inside_the_hidden_data_folder_is_readable_only() {
    let lab = Lab::new();
    let mut spec = lab.spec(Network::Off);
    spec.read.push(lab.p("airlock/claude/s1.json"));
    let out = lab.sh(&spec, r#"cat "$LAB/airlock/claude/s1.json""#);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"hooks\":{}}");
    for script in [
        r#"echo '{}' > "$LAB/airlock/claude/s1.json""#,
        r#"cat "$LAB/airlock/engine.json""#,
        r#"ls "$LAB/airlock/claude""#,
    ] {
        assert_denied(&lab.sh(&spec, script));
    }
    assert_eq!(lab.read("airlock/claude/s1.json"), "{\"hooks\":{}}");
}

#[test]
fn git_init_add_commit_in_the_root() {
    let lab = Lab::new();
    let out = lab.sh(
        &lab.spec(Network::Off),
        r#"set -e
        export HOME="$TMPDIR" GIT_CONFIG_NOSYSTEM=1
        git init -q .
        echo hello > hello.txt && git add hello.txt
        git -c user.name=Agent -c user.email=agent@example.com commit -q -m first
        echo more >> hello.txt
        git -c user.name=Agent -c user.email=agent@example.com commit -q -am second
        git log --format=%s"#,
    );
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "second\nfirst\n");
    assert!(lab.p("root/.git/HEAD").exists());
}

const CONNECT: &str = r#"
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
    print("connected")
except OSError as e:
    print("refused:", e, file=sys.stderr)
    sys.exit(1)
"#;

/// Connects from inside the sandbox to 127.0.0.1:`port`.
fn connect(lab: &Lab, spec: &Spec, port: u16) -> Output {
    lab.run(spec, &[python(), "-c", CONNECT, &port.to_string()])
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = l.local_addr().expect("local addr").port();
    (l, port)
}

#[test]
fn network_off_refuses_tcp_connect_and_bind() {
    let lab = Lab::new();
    let (_l, port) = listener();
    let spec = lab.spec(Network::Off);
    assert_denied(&connect(&lab, &spec, port));
    let bind = r#"import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()"#;
    assert_denied(&lab.run(&spec, &[python(), "-c", bind]));
}

#[test]
fn network_proxy_allows_only_its_port() {
    let lab = Lab::new();
    let (_proxy, proxy_port) = listener();
    let (_other, other_port) = listener();
    let spec = lab.spec(Network::Proxy { port: proxy_port });
    let out = connect(&lab, &spec, proxy_port);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "connected\n");
    assert_denied(&connect(&lab, &spec, other_port));
    let bind = r#"import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()"#;
    assert_denied(&lab.run(&spec, &[python(), "-c", bind]));
}

#[test]
fn network_on_allows_tcp() {
    let lab = Lab::new();
    let (_l, port) = listener();
    let out = connect(&lab, &lab.spec(Network::On), port);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "connected\n");
}

#[test]
fn a_unix_socket_in_the_hidden_folder_can_be_connected_to() {
    let lab = Lab::new();
    let path = lab.p("airlock/airlock.sock");
    let server = UnixListener::bind(&path).expect("bind unix socket");
    let client = r#"
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.sendall(b"hook says hi")
"#;
    let path_arg = path.to_string_lossy().into_owned();
    let out = lab.run(
        &lab.spec(Network::Off),
        &[python(), "-c", client, &path_arg],
    );
    assert_ok(&out);
    // The client is gone, but its connection and bytes wait in the backlog.
    let (mut conn, _) = server.accept().expect("accept");
    let mut got = String::new();
    conn.read_to_string(&mut got).expect("read");
    assert_eq!(got, "hook says hi");
}

#[test]
fn signals_to_processes_outside_the_session_are_refused() {
    if abi() < 6 {
        eprintln!("skipped: signal scoping needs Landlock ABI 6");
        return;
    }
    let lab = Lab::new();
    let me = std::process::id();
    let spec = lab.spec(Network::Off);
    let out = lab.sh(&spec, &format!("kill -0 {me}"));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Operation not permitted"),
        "{}",
        text(&out)
    );
    // Inside the session signals still work.
    assert_ok(&lab.sh(&spec, "sleep 5 & kill $! && wait $!; test $? -eq 143"));
    // Nor can it reach into this process through /proc (Landlock's ptrace rule).
    assert_denied(&lab.sh(&spec, &format!("head -c 1 /proc/{me}/mem")));
}

#[test]
fn abstract_unix_sockets_outside_the_session_are_refused() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;
    if abi() < 6 {
        eprintln!("skipped: abstract socket scoping needs Landlock ABI 6");
        return;
    }
    let lab = Lab::new();
    let name = format!("airlock-sandbox-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract name");
    let _server = UnixListener::bind_addr(&addr).expect("bind abstract socket");
    let client = r#"
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.connect("\0" + sys.argv[1])
"#;
    let out = lab.run(&lab.spec(Network::On), &[python(), "-c", client, &name]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Operation not permitted"),
        "{}",
        text(&out)
    );
    // The same client reaches it unconfined, so the refusal is the sandbox's.
    let free = Command::new(python())
        .args(["-c", client, &name])
        .output()
        .expect("run python");
    assert_ok(&free);
}

#[test]
fn terminals_and_pseudo_devices_work_but_disks_do_not() {
    let lab = Lab::new();
    let spec = lab.spec(Network::Off);
    let out = lab.sh(
        &spec,
        r#"set -e
        echo hi > /dev/null
        head -c 4 /dev/urandom | wc -c
        head -c 4 /dev/zero | wc -c
        echo shm > /dev/shm/airlock-sandbox-test-$$ && rm /dev/shm/airlock-sandbox-test-$$
        ls /dev >/dev/null"#,
    );
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "4\n4\n");

    // openpty() inside the sandbox, then the ioctl `stty size` makes on it.
    let pty = r#"
import os, subprocess, sys
m, s = os.openpty()
r = subprocess.run(["stty", "size"], stdin=os.open(os.ttyname(s), os.O_RDWR), capture_output=True)
sys.stdout.write(r.stdout.decode()); sys.stderr.write(r.stderr.decode()); sys.exit(r.returncode)
"#;
    let out = lab.run(&spec, &[python(), "-c", pty]);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0 0\n");

    // A raw disk is readable by root outside; inside it must not be.
    let disk = fs::read_dir("/dev").ok().and_then(|entries| {
        entries
            .flatten()
            .find(|e| e.file_type().is_ok_and(|t| t.is_block_device()))
            .map(|e| e.path())
    });
    if let Some(disk) = disk {
        let out = lab.sh(&spec, &format!("head -c 1 {} >/dev/null", disk.display()));
        assert_denied(&out);
    }
}

#[test]
fn missing_write_paths_are_skipped() {
    let lab = Lab::new();
    let mut spec = lab.spec(Network::Off);
    spec.write.push(lab.p("home/.codex"));
    assert_ok(&lab.sh(&spec, r#"echo ok > "$ROOT/ok""#));
    assert_eq!(lab.read("root/ok"), "ok\n");
    assert_denied(&lab.sh(&spec, r#"mkdir "$HOME/.codex""#));
}

#[test]
fn a_hidden_path_inside_a_write_path_is_refused_before_running() {
    let lab = Lab::new();
    let mut spec = lab.spec(Network::Off);
    spec.write.push(lab.p("home"));
    let out = lab.sh(&spec, r#"echo ran > "$ROOT/ran""#);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lies inside write path"));
    assert!(!lab.p("root/ran").exists());
}

#[test]
fn simulated_unsupported_kernel_refuses_to_run() {
    let lab = Lab::new();
    let json = serde_json::to_string(&lab.spec(Network::On)).expect("json");
    let marker = lab.p("root/ran");
    let out = Command::new(PROBE)
        .args(["--spec", &json, "--", "/bin/touch"])
        .arg(&marker)
        .env("AIRLOCK_SANDBOX_UNSUPPORTED", "1")
        .output()
        .expect("start the probe");
    assert_eq!(out.status.code(), Some(126), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot sandbox the session"), "{stderr}");
    assert!(
        stderr.contains("simulated by AIRLOCK_SANDBOX_UNSUPPORTED"),
        "{stderr}"
    );
    assert!(!marker.exists(), "the command must not run unconfined");
}

#[test]
fn malformed_helper_command_lines_are_explained() {
    let probe = |args: &[&str]| {
        let out = Command::new(PROBE)
            .args(args)
            .output()
            .expect("start the probe");
        assert_eq!(out.status.code(), Some(126), "{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(probe(&["--spec", "{oops", "--", "true"]).contains("--spec JSON is malformed"));
    assert!(
        probe(&["--spec", r#"{"network":{"mode":"on"}}"#, "true"]).contains("unexpected argument")
    );
    assert!(
        probe(&["--spec", r#"{"network":{"mode":"on"}}"#, "--"]).contains("missing the command")
    );
    assert!(probe(&["--", "true"]).contains("missing --spec JSON"));
    let missing = probe(&[
        "--spec",
        r#"{"network":{"mode":"on"}}"#,
        "--",
        "airlock-no-such-command",
    ]);
    assert!(
        missing.contains("cannot run \"airlock-no-such-command\""),
        "{missing}"
    );
    assert!(missing.contains("No such file or directory"), "{missing}");
}

#[test]
fn a_file_created_later_beside_a_hidden_path_is_unreadable() {
    // Documented kernel behaviour: entries of a partly granted folder get
    // their rules at confinement; later arrivals are covered by none.
    let lab = Lab::new();
    let spec = lab.spec(Network::Off);
    // The script runs only once the probe has confined itself and exec'd, so
    // its "ready" line means the rules are fixed.
    let script = r#"echo ready
        i=0; while [ ! -e "$HOME/late.txt" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
        cat "$HOME/late.txt""#;
    let json = serde_json::to_string(&spec).expect("json");
    let mut child = Command::new(PROBE)
        .args(["--spec", &json, "--", "/bin/sh", "-c", script])
        .env("HOME", lab.p("home"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the probe");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut ready = [0u8; 6];
    stdout.read_exact(&mut ready).expect("ready line");
    assert_eq!(&ready, b"ready\n");
    fs::write(lab.p("home/late.txt"), "late").expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_denied(&out);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read");
    assert!(!rest.contains("late"), "the late file was read: {rest}");
}
