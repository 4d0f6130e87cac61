//! Shared helpers: temporary projects, an engine on them, waiting for events.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use airlock_engine::{Engine, EngineConfig, Subscription};
use airlock_protocol::{
    Change, Event, Request, Response, ReviewComment, SessionInfo, StartSessionParams,
};

/// A temporary home and project, removed at drop.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub project: PathBuf,
    pub home: PathBuf,
}

pub fn sh(dir: &Path, script: &str) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Fixture {
    /// An empty git project with one commit holding `files`.
    pub fn git(files: &[(&str, &str)]) -> Fixture {
        let f = Fixture::plain(files);
        sh(
            &f.project,
            "git init -q && git config user.email t@example.com && git config user.name t && \
             git add -A && git commit -q --allow-empty -m init",
        );
        f
    }

    /// A folder without git holding `files`.
    pub fn plain(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let project = dir.path().join("project");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&project).expect("mkdir project");
        std::fs::create_dir_all(&home).expect("mkdir home");
        for (path, content) in files {
            let p = project.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, content).expect("write");
        }
        let project = std::fs::canonicalize(project).expect("canon");
        Fixture { dir, project, home }
    }

    pub async fn engine(&self) -> Engine {
        Engine::open(EngineConfig {
            project: self.project.clone(),
            home: Some(self.home.clone()),
            default_shell: Some("/bin/bash".into()),
            ..EngineConfig::new(self.project.clone())
        })
        .await
        .expect("open engine")
    }
}

pub async fn call(engine: &Engine, request: Request) -> Response {
    engine.call(request).await.expect("engine call")
}

pub async fn start(engine: &Engine, command: &[&str]) -> SessionInfo {
    match call(
        engine,
        Request::StartSession(StartSessionParams {
            command: Some(command.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }),
    )
    .await
    {
        Response::Session(s) => s,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Restarts session `id` (Restart in the window); the session as restarted.
pub async fn restart(engine: &Engine, id: &str) -> SessionInfo {
    match call(
        engine,
        Request::RestartSession {
            session: id.to_string(),
        },
    )
    .await
    {
        Response::Session(s) => s,
        other => panic!("expected the restarted session, got {other:?}"),
    }
}

/// Session `id` as `status` shows it now.
pub async fn session(engine: &Engine, id: &str) -> SessionInfo {
    let Response::Status(s) = call(engine, Request::Status).await else {
        panic!("not a status")
    };
    s.sessions
        .into_iter()
        .find(|s| s.id == id)
        .expect("the session")
}

/// "Approve all" as a window sends it without versions: what the queue shows.
pub async fn approve_all(engine: &Engine) -> Response {
    call(
        engine,
        Request::ApproveAll {
            session: None,
            versions: None,
        },
    )
    .await
}

/// Approves `ids` as a click does: no versions, not "always".
pub async fn approve(engine: &Engine, ids: Vec<String>) -> Response {
    call(
        engine,
        Request::Approve {
            ids,
            always: None,
            versions: None,
        },
    )
    .await
}

/// Rejects `ids` as a click does (no versions), saying why if `reason`.
pub async fn reject(engine: &Engine, ids: Vec<String>, reason: Option<&str>) -> Response {
    call(
        engine,
        Request::Reject {
            ids,
            reason: reason.map(str::to_string),
            versions: None,
        },
    )
    .await
}

/// Comments on a change or hunk; the comments waiting to be sent then.
pub async fn comment(
    engine: &Engine,
    target: &str,
    line: Option<u32>,
    text: &str,
) -> Vec<ReviewComment> {
    match call(
        engine,
        Request::Comment {
            target: target.to_string(),
            line,
            text: text.to_string(),
        },
    )
    .await
    {
        Response::Comments { comments } => comments,
        other => panic!("expected comments, got {other:?}"),
    }
}

/// The comments waiting to be sent (one session's, or all).
pub async fn comments(engine: &Engine, session: Option<&str>) -> Vec<ReviewComment> {
    match call(
        engine,
        Request::ListComments {
            session: session.map(str::to_string),
        },
    )
    .await
    {
        Response::Comments { comments } => comments,
        other => panic!("expected comments, got {other:?}"),
    }
}

/// Polls the queue until `pred` accepts it, failing with `what` after 10 s.
pub async fn wait_for(
    engine: &Engine,
    what: &str,
    pred: impl Fn(&[Change]) -> bool,
) -> Vec<Change> {
    eventually(10, what, || async {
        let c = changes(engine, None).await;
        pred(&c).then_some(c)
    })
    .await
}

/// Waits until the queue holds a change to `path` (failing with `what`);
/// the queue then.
pub async fn wait_for_path(engine: &Engine, what: &str, path: &str) -> Vec<Change> {
    wait_for(engine, what, |c| c.iter().any(|c| c.path == path)).await
}

/// Writes an executable script (`0755`) at `path`, making its folder.
pub fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A file's text, or a panic that names it.
pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

pub async fn changes(engine: &Engine, session: Option<&str>) -> Vec<Change> {
    match call(
        engine,
        Request::ListChanges {
            session: session.map(str::to_string),
            decided: None,
        },
    )
    .await
    {
        Response::Changes { changes } => changes,
        other => panic!("expected changes, got {other:?}"),
    }
}

/// A change's whole diff, as the review pane asks for it.
pub async fn whole_diff(engine: &Engine, change: &str) -> airlock_protocol::ChangeDiff {
    match call(
        engine,
        Request::GetDiff {
            change: change.to_string(),
            from: None,
            count: None,
            ignore_whitespace: None,
        },
    )
    .await
    {
        Response::Diff(d) => d,
        other => panic!("expected a diff, got {other:?}"),
    }
}

/// Waits for an event that `pred` accepts, failing with `what` after `secs`.
pub async fn wait_event(
    events: &mut Subscription,
    secs: u64,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.next()).await {
            Ok(Some(e)) if pred(&e) => return e,
            Ok(Some(e)) => {
                if std::env::var_os("DEBUG_EVENTS").is_some() {
                    eprintln!("skipped while waiting for {what}: {e:?}");
                }
            }
            Ok(None) => panic!("event stream ended while waiting for {what}"),
            Err(_) => panic!("timed out after {secs}s waiting for {what}"),
        }
    }
}

/// Sync code's [`eventually`]: checks `done` every `every_ms` until it
/// holds, failing with `why` after `secs`.
pub fn poll_until(secs: u64, every_ms: u64, why: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(secs), "{why}");
        std::thread::sleep(Duration::from_millis(every_ms));
    }
}

/// Polls `f` until it returns `Some`, failing with `what` after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A folder tree as path → (bytes, executable), without `.git`.
pub fn tree(root: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, bool)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).expect("stat");
            if meta.file_type().is_symlink() {
                let rel = p
                    .strip_prefix(root)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                let target = std::fs::read_link(&p).expect("readlink");
                let shown = format!("symlink -> {}", target.display()).into_bytes();
                out.insert(rel, (shown, false));
            } else if meta.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                let exec = meta.permissions().mode() & 0o111 != 0;
                out.insert(rel, (std::fs::read(&p).expect("read"), exec));
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// Shows a tree difference readably.
pub fn assert_trees_equal(what: &str, actual: &Path, expected: &Path) {
    let a = tree(actual);
    let e = tree(expected);
    if a != e {
        let show = |t: &BTreeMap<String, (Vec<u8>, bool)>| {
            t.iter()
                .map(|(k, (v, x))| {
                    format!(
                        "  {k}{}: {:?}",
                        if *x { " (x)" } else { "" },
                        String::from_utf8_lossy(v)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{what} differs.\nactual:\n{}\nexpected:\n{}",
            show(&a),
            show(&e)
        );
    }
}

/// The `airlock` binary built beside this test binary.
pub fn airlock_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("AIRLOCK_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("airlock");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p airlock-cli` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

/// The Python interpreter itself, not a launcher in front of it (a pyenv
/// shim runs helper programs that a session's exec gate would judge).
pub fn python() -> String {
    static PYTHON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let out = Command::new("python3")
                .args(["-c", "import sys; print(sys.executable)"])
                .output()
                .expect("python3 on PATH");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
        .clone()
}

/// `airlock ARGS…` as an agent's hook runs it: the session's socket, token
/// and id in its environment, `input` written to its stdin and then closed.
pub fn hook_process(
    args: &[&str],
    socket: &str,
    token: &str,
    session: &str,
    input: &str,
) -> std::process::Child {
    let mut child = Command::new(airlock_bin())
        .args(args)
        .env("AIRLOCK_SOCKET", socket)
        .env("AIRLOCK_TOKEN", token)
        .env("AIRLOCK_SESSION", session)
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
    child
}

/// The scripted ACP agent (tests/fixtures/acp_agent.py).
pub fn acp_agent() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/acp_agent.py")
}

/// The scripted ACP agent under the name of one that sends its writes
/// through Airlock (Gemini CLI), so it may run gated: `bin/gemini` in the
/// fixture's folder.
pub fn gemini_stand_in(f: &Fixture) -> PathBuf {
    let gemini = f.dir.path().join("bin/gemini");
    executable(
        &gemini,
        &format!(
            "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
            python(),
            acp_agent().display()
        ),
    );
    gemini
}
