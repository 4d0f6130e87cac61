//! Fixture scenarios: `tests/fixtures/scenarios/NNN_name/` holds
//! - `input/`: the project (committed to a fresh git repository),
//! - `agent.sh`: what the agent does, run by bash in the session's stage,
//! - `decide`: one decision a line: `approve-all`, `reject-all`,
//!   `approve-file:PATH`, `reject-file:PATH`, `approve:PATH:N`, `reject:PATH:N`
//!   (N = the hunk's index in that file),
//! - `expected/project/` and `expected/stage/`: both whole trees afterwards.

use std::path::{Path, PathBuf};
use std::time::Duration;

use airlock_engine::Engine;
use airlock_protocol::{Change, Event, Request, Response};

use super::support::*;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let dst = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
            copy_tree(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).expect("copy");
        }
    }
}

/// Waits until the queue stops changing (the watcher has caught up).
async fn settled(engine: &Engine) -> Vec<Change> {
    let mut last = changes(engine, None).await;
    let mut stable = 0;
    while stable < 4 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let now = changes(engine, None).await;
        if now == last {
            stable += 1;
        } else {
            stable = 0;
            last = now;
        }
    }
    last
}

/// Applies one decision line; hunk indices refer to `first`, the changes as
/// first proposed.
async fn decide(engine: &Engine, first: &[Change], line: &str) {
    let current = first;
    let find = |path: &str| -> Change {
        current
            .iter()
            .find(|c| c.path == path)
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "no pending change for {path}; have {:?}",
                    current.iter().map(|c| &c.path).collect::<Vec<_>>()
                )
            })
    };
    let (approve, ids): (bool, Vec<String>) = match line.split(':').collect::<Vec<_>>().as_slice() {
        ["approve-all"] => {
            call(
                engine,
                Request::ApproveAll {
                    versions: None,
                    session: None,
                },
            )
            .await;
            return;
        }
        ["reject-all"] => {
            call(
                engine,
                Request::RejectAll {
                    versions: None,
                    session: None,
                    reason: Some("scenario".into()),
                },
            )
            .await;
            return;
        }
        ["approve-file", path] => (true, vec![find(path).id]),
        ["reject-file", path] => (false, vec![find(path).id]),
        ["approve", path, n] => (
            true,
            vec![find(path).hunks[n.parse::<usize>().expect("index")]
                .id
                .clone()],
        ),
        ["reject", path, n] => (
            false,
            vec![find(path).hunks[n.parse::<usize>().expect("index")]
                .id
                .clone()],
        ),
        _ => panic!("unknown decision `{line}`"),
    };
    let request = if approve {
        Request::Approve {
            versions: None,
            ids,
            always: None,
        }
    } else {
        Request::Reject {
            versions: None,
            ids,
            reason: None,
        }
    };
    match call(engine, request).await {
        Response::Decided(o) => assert!(o.hunks > 0, "`{line}` decided nothing"),
        other => panic!("unexpected {other:?}"),
    }
}

async fn run_scenario(dir: &Path) {
    let name = dir
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let f = Fixture::plain(&[]);
    copy_tree(&dir.join("input"), &f.project);
    sh(
        &f.project,
        "git init -q && git config user.email t@example.com && git config user.name t && \
         git add -A -f && git commit -q -m init",
    );
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let agent = dir.join("agent.sh");
    let session = start(&engine, &["bash", agent.to_str().expect("utf-8 path")]).await;
    wait_event(
        &mut events,
        10,
        "the agent script to exit",
        |e| matches!(e, Event::SessionExited { session: s, .. } if *s == session.id),
    )
    .await;
    let pending = settled(&engine).await;
    assert!(
        !pending.is_empty(),
        "{name}: the agent's writes produced no change"
    );
    // Nothing reached the project before a decision.
    assert_trees_equal(
        &format!("{name}: project before any decision"),
        &f.project,
        &dir.join("input"),
    );
    let decisions = std::fs::read_to_string(dir.join("decide")).expect("decide");
    for line in decisions.lines().map(str::trim).filter(|l| !l.is_empty()) {
        decide(&engine, &pending, line).await;
    }
    let left = settled(&engine).await;
    assert!(
        left.is_empty(),
        "{name}: changes still pending after the decisions: {left:?}"
    );
    assert_trees_equal(
        &format!("{name}: project"),
        &f.project,
        &dir.join("expected/project"),
    );
    assert_trees_equal(
        &format!("{name}: stage"),
        Path::new(&session.cwd),
        &dir.join("expected/stage"),
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected the scenario fixtures, found {}",
        dirs.len()
    );
    for dir in dirs {
        run_scenario(&dir).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_folder_without_git() {
    let f = Fixture::plain(&[
        ("a.txt", "a\n"),
        (".gitignore", "*.log\n"),
        ("x.log", "log\n"),
    ]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(
        &engine,
        &[
            "bash",
            "-c",
            "printf 'b\\n' >> a.txt; printf 'more' >> x.log",
        ],
    )
    .await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let pending = settled(&engine).await;
    assert_eq!(
        pending.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
        ["a.txt"]
    );
    assert_eq!(
        std::fs::read_to_string(Path::new(&s.cwd).join("x.log")).expect("x.log"),
        "more",
        "ignored files are not copied into the stage"
    );
    approve_all(&engine).await;
    assert_eq!(
        std::fs::read_to_string(f.project.join("a.txt")).expect("a"),
        "a\nb\n"
    );
    assert_eq!(
        std::fs::read_to_string(f.project.join("x.log")).expect("log"),
        "log\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_changes_survive_an_engine_restart() {
    let f = Fixture::git(&[("a.txt", "one\n")]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    start(&engine, &["bash", "-c", "printf 'two\\n' >> a.txt"]).await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let before = settled(&engine).await;
    assert_eq!(before.len(), 1);
    engine.shutdown().await;
    drop(engine);

    let engine = f.engine().await;
    // Labels and badges are worked out again in the background after a start.
    let after = settled(&engine).await;
    assert_eq!(
        after, before,
        "the same pending change with the same ids after a restart"
    );
    let status = match call(&engine, Request::Status).await {
        Response::Status(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(status.sessions.len(), 1);
    call(
        &engine,
        Request::Approve {
            versions: None,
            ids: vec![after[0].hunks[0].id.clone()],
            always: None,
        },
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(f.project.join("a.txt")).expect("a"),
        "one\ntwo\n"
    );
}

/// Lines that repeat let a fresh diff realign once part of a change has
/// landed (here it would split a waiting hunk in two): the diff the decision
/// left is journalled, so after a restart the same hunks wait, same ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_restarted_mid_review_shows_the_same_hunks() {
    let text = |ns: &[u8]| -> String { ns.iter().map(|n| format!("line {n}\n")).collect() };
    let base = text(&[
        0, 0, 2, 2, 0, 0, 0, 10, 7, 1, 2, 0, 8, 0, 5, 11, 8, 3, 5, 8, 7, 1, 3, 6, 5, 11, 6, 0, 0,
        4, 3, 0, 0, 6, 0, 11,
    ]);
    let new = text(&[
        100, 0, 0, 2, 2, 0, 0, 0, 7, 2, 0, 8, 0, 5, 11, 8, 3, 5, 8, 7, 1, 3, 6, 5, 11, 6, 0, 0, 3,
        0, 0, 6, 0,
    ]);
    let f = Fixture::git(&[("a.txt", base.as_str())]);
    let agent_text = f.dir.path().join("agent.txt");
    std::fs::write(&agent_text, &new).expect("agent's text");
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let copy = format!("cp {} a.txt", agent_text.display());
    start(&engine, &["bash", "-c", &copy]).await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let first = settled(&engine).await;
    assert_eq!(first[0].hunks.len(), 4, "{:?}", first[0].hunks);
    call(
        &engine,
        Request::Approve {
            versions: None,
            ids: vec![first[0].hunks[0].id.clone()],
            always: None,
        },
    )
    .await;
    let before = settled(&engine).await;
    let ids = |c: &[Change]| -> Vec<String> { c[0].hunks.iter().map(|h| h.id.clone()).collect() };
    assert_eq!(
        ids(&before),
        ids(&first)[1..],
        "the other three wait as they were"
    );
    engine.shutdown().await;
    drop(engine);

    let engine = f.engine().await;
    let after = settled(&engine).await;
    assert_eq!(ids(&after), ids(&before), "the same hunks after a restart");
    assert_eq!(after[0].hunks, before[0].hunks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ids_and_a_vanished_stage_get_clear_errors() {
    let f = Fixture::git(&[("a.txt", "one\n")]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(
        &engine,
        &["bash", "-c", "printf 'two\\n' >> a.txt; sleep 60"],
    )
    .await;
    let err = engine
        .call(Request::Approve {
            versions: None,
            ids: vec!["h-0000".into()],
            always: None,
        })
        .await
        .expect_err("unknown id");
    assert_eq!(err.code, airlock_protocol::ErrorCode::NotFound);
    assert!(err.message.contains("h-0000"), "{}", err.message);
    let err = engine
        .call(Request::GetDiff {
            change: "c-nope".into(),
            from: None,
            count: None,
            ignore_whitespace: None,
        })
        .await
        .expect_err("unknown change");
    assert_eq!(err.code, airlock_protocol::ErrorCode::NotFound);
    let err = engine
        .call(Request::StopSession {
            session: "s-nope".into(),
        })
        .await
        .expect_err("unknown session");
    assert!(err.message.contains("s-nope"));
    wait_event(&mut events, 10, "the change", |e| {
        matches!(e, Event::ChangeProposed { .. })
    })
    .await;
    let pending = changes(&engine, None).await;
    // The stage disappears under the engine: a decision fails clearly, the project is untouched.
    std::fs::remove_dir_all(&s.cwd).expect("rm stage");
    let err = engine
        .call(Request::Approve {
            versions: None,
            ids: vec![pending[0].id.clone()],
            always: None,
        })
        .await
        .expect_err("stage gone");
    assert!(err.message.contains("stage"), "{}", err.message);
    assert_eq!(
        std::fs::read_to_string(f.project.join("a.txt")).expect("a"),
        "one\n"
    );
    // The engine keeps answering.
    assert!(matches!(
        call(&engine, Request::Status).await,
        Response::Status(_)
    ));
    call(
        &engine,
        Request::StopSession {
            session: s.id.clone(),
        },
    )
    .await;
}
