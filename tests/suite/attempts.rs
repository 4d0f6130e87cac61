//! Attempts: one task in three staged sessions of a shell "agent" that
//! writes different versions of the same files; compared exactly, one kept
//! whole, hunks picked from two, conflicting picks refused, the test
//! command's result recorded, the other stages removed on finishing.

use std::path::Path;

use airlock_engine::Engine;
use airlock_protocol::{
    Comparison, KeepParams, Request, Response, StartAttemptsParams, TaskInfo, TestState,
};

use crate::suite::support::*;

const LINES: &str = "line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\nline10\n";

/// Attempt 1 changes line 1; attempt 2 line 9 and adds n.txt; attempt 3
/// line 2 (next to attempt 1's).
const TASK: &str = "case $AIRLOCK_ATTEMPT in \
    1) sed 's/^line1$/one/' f.txt > t && mv t f.txt ;; \
    2) sed 's/^line9$/nine/' f.txt > t && mv t f.txt; printf 'new\\nfile\\n' > n.txt ;; \
    3) sed 's/^line2$/two/' f.txt > t && mv t f.txt ;; \
    esac";

async fn start_task(engine: &Engine) -> TaskInfo {
    let params = StartAttemptsParams {
        task: TASK.into(),
        count: 3,
        test: Some("grep -q '^one$' f.txt && echo good || { echo bad; exit 4; }".into()),
        ..Default::default()
    };
    match call(engine, Request::StartAttempts(params)).await {
        Response::Task(t) => t,
        other => panic!("expected a task, got {other:?}"),
    }
}

async fn compare(engine: &Engine, task: &str) -> Comparison {
    match call(engine, Request::Compare { task: task.into() }).await {
        Response::Comparison(c) => c,
        other => panic!("expected a comparison, got {other:?}"),
    }
}

/// The comparison once every attempt's files are in and its test has run.
async fn settled(engine: &Engine, task: &str) -> Comparison {
    eventually(20, "every attempt's changes and test result", || async {
        let c = compare(engine, task).await;
        let files: Vec<u32> = c.attempts.iter().map(|a| a.files).collect();
        let tested = c.attempts.iter().all(|a| {
            a.test
                .as_ref()
                .is_some_and(|t| t.state != TestState::Running)
        });
        (files == [1, 2, 1] && tested).then_some(c)
    })
    .await
}

fn hunk_of(c: &Comparison, attempt: usize, path: &str) -> String {
    let session = &c.task.sessions[attempt];
    let f = c.files.iter().find(|f| f.path == path).expect("the file");
    let a = f
        .attempts
        .iter()
        .find(|a| &a.session == session)
        .expect("the attempt");
    assert_eq!(a.hunks.len(), 1, "{a:?}");
    a.hunks[0].id.clone()
}

async fn keep(engine: &Engine, task: &str, ids: Vec<String>) -> Result<Response, String> {
    let p = KeepParams {
        task: task.into(),
        ids,
    };
    engine.call(Request::Keep(p)).await.map_err(|e| e.message)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_attempts_compare_exactly_and_their_tests_are_recorded() {
    let f = Fixture::git(&[("f.txt", LINES), ("g.txt", "g\n")]);
    let engine = f.engine().await;
    let task = start_task(&engine).await;
    assert_eq!(task.sessions.len(), 3);
    let c = settled(&engine, &task.id).await;
    let totals: Vec<(u32, u32, u32)> = c
        .attempts
        .iter()
        .map(|a| (a.files, a.added, a.removed))
        .collect();
    assert_eq!(totals, [(1, 1, 1), (2, 3, 1), (1, 1, 1)]);
    let tests: Vec<(TestState, Option<i32>, String)> = c
        .attempts
        .iter()
        .map(|a| {
            let t = a.test.clone().expect("tested");
            (t.state, t.exit_code, t.output)
        })
        .collect();
    assert_eq!(
        tests,
        [
            (TestState::Passed, Some(0), "good\n".into()),
            (TestState::Failed, Some(4), "bad\n".into()),
            (TestState::Failed, Some(4), "bad\n".into()),
        ]
    );
    let paths: Vec<(&str, usize)> = c
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.attempts.len()))
        .collect();
    assert_eq!(paths, [("f.txt", 3), ("n.txt", 1)]);
    // The task and its sessions are in the journal: a restarted engine knows them.
    engine.shutdown().await;
    drop(engine);
    let engine = f.engine().await;
    let Response::Tasks { tasks } = call(&engine, Request::ListTasks).await else {
        panic!("not tasks")
    };
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0], task);
    assert_eq!(
        session(&engine, &task.sessions[1]).await.task.as_deref(),
        Some(task.id.as_str())
    );
    let again = settled(&engine, &task.id).await;
    assert_eq!(
        again
            .attempts
            .iter()
            .map(|a| a.test.clone())
            .collect::<Vec<_>>(),
        c.attempts
            .iter()
            .map(|a| a.test.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keeping_one_attempt_lands_only_its_files_and_finishing_removes_the_stages() {
    let f = Fixture::git(&[("f.txt", LINES)]);
    let engine = f.engine().await;
    let task = start_task(&engine).await;
    let c = settled(&engine, &task.id).await;
    let second: Vec<String> = c
        .files
        .iter()
        .flat_map(|f| &f.attempts)
        .filter(|a| a.session == task.sessions[1])
        .map(|a| a.change.clone())
        .collect();
    assert_eq!(second.len(), 2);
    keep(&engine, &task.id, second)
        .await
        .expect("keep attempt 2");
    assert_eq!(
        read(&f.project.join("f.txt")),
        LINES.replace("line9\n", "nine\n")
    );
    assert_eq!(read(&f.project.join("n.txt")), "new\nfile\n");
    let stages: Vec<String> = c
        .task
        .sessions
        .iter()
        .map(|s| futures_stage(&f, s))
        .collect();
    assert!(stages.iter().all(|s| Path::new(s).is_dir()));
    call(
        &engine,
        Request::FinishTask {
            task: task.id.clone(),
        },
    )
    .await;
    assert!(
        stages.iter().all(|s| !Path::new(s).exists()),
        "the stages are removed"
    );
    let Response::Status(st) = call(&engine, Request::Status).await else {
        panic!("status")
    };
    assert!(st.sessions.is_empty());
    // Attempts 1 and 3 were discarded: the project has attempt 2's text only.
    assert_eq!(
        read(&f.project.join("f.txt")),
        LINES.replace("line9\n", "nine\n")
    );
}

/// Where a session's stage is.
fn futures_stage(f: &Fixture, session: &str) -> String {
    let stages = std::fs::read_dir(f.home.join("projects"))
        .expect("projects")
        .flatten()
        .map(|e| e.path().join("stages").join(session))
        .find(|p| p.is_dir())
        .expect("the stage");
    stages.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn hunks_picked_from_two_attempts_land_and_conflicting_picks_are_refused() {
    let f = Fixture::git(&[("f.txt", LINES)]);
    let engine = f.engine().await;
    let task = start_task(&engine).await;
    let c = settled(&engine, &task.id).await;
    let (one, nine, two) = (
        hunk_of(&c, 0, "f.txt"),
        hunk_of(&c, 1, "f.txt"),
        hunk_of(&c, 2, "f.txt"),
    );
    // Attempts 1 and 3 change neighbouring lines: both cannot be kept.
    let e = keep(&engine, &task.id, vec![one.clone(), two.clone()])
        .await
        .expect_err("a conflict");
    assert!(e.contains("conflict in f.txt"), "{e}");
    assert_eq!(read(&f.project.join("f.txt")), LINES, "nothing landed");
    let e = keep(&engine, &task.id, vec!["h-nope".into()])
        .await
        .expect_err("unknown");
    assert!(e.contains("h-nope"), "{e}");
    keep(&engine, &task.id, vec![one, nine])
        .await
        .expect("keep two hunks");
    let want = LINES
        .replace("line1\n", "one\n")
        .replace("line9\n", "nine\n");
    assert_eq!(read(&f.project.join("f.txt")), want);
    assert!(
        !f.project.join("n.txt").exists(),
        "attempt 2's other file was not picked"
    );
}

#[test]
fn the_cli_starts_attempts_and_compares_them() {
    use crate::suite::cli::{airlock, ok_json, serve};
    let f = Fixture::git(&[("g.txt", "g\n")]);
    let _served = serve(&f);
    let out = airlock(
        &f,
        &[
            "attempts",
            "2",
            "--test",
            "read x < a.txt; test \"$x\" = 1",
            "--",
            "printf '%s\\n' $AIRLOCK_ATTEMPT > a.txt",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let task = lines[0];
    assert!(task.starts_with("t-"), "{text}");
    assert!(lines[1].starts_with("  attempt 1  s-") && lines[2].starts_with("  attempt 2  s-"));
    let mut json = serde_json::Value::Null;
    poll_until(20, 100, "both attempts tested", || {
        json = ok_json(&f, &["compare", task, "--json"]);
        json["attempts"].as_array().is_some_and(|a| {
            a.iter().all(|a| {
                a["files"] == 1 && a["test"]["state"].as_str().is_some_and(|s| s != "running")
            })
        })
    });
    let totals: Vec<(i64, i64, i64, &str)> = json["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            let n = |k: &str| a[k].as_i64().expect("a number");
            (
                n("files"),
                n("added"),
                n("removed"),
                a["test"]["state"].as_str().expect("state"),
            )
        })
        .collect();
    assert_eq!(totals, [(1, 1, 0, "passed"), (1, 1, 0, "failed")]);
    let out = airlock(&f, &["compare", task]);
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(table.contains("files 1  +1 -0  test passed"), "{table}");
    assert!(table.contains("files 1  +1 -0  test failed (1)"), "{table}");
    let out = airlock(&f, &["compare", "t-nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown task `t-nope`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mix_of_agents_gets_the_task_as_an_argument_and_as_a_first_prompt() {
    use airlock_protocol::{AttemptAgent, ChatEntry, SessionKind};
    let f = Fixture::git(&[("g.txt", "g\n")]);
    let engine = crate::suite::chat::engine(&f).await;
    let terminal = AttemptAgent {
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            "printf '%s\\n' \"$0\" > t.txt".into(),
        ],
        kind: Some(SessionKind::Terminal),
    };
    let chat = AttemptAgent {
        command: crate::suite::chat::scripted(&[]),
        kind: Some(SessionKind::Chat),
    };
    let params = StartAttemptsParams {
        task: "selfwrite c.txt from the chat".into(),
        count: 2,
        agents: vec![terminal, chat],
        test: Some("test -f c.txt".into()),
        ..Default::default()
    };
    let Response::Task(task) = call(&engine, Request::StartAttempts(params)).await else {
        panic!("not a task")
    };
    let c = eventually(20, "both attempts' files and tests", || async {
        let c = compare(&engine, &task.id).await;
        let done = c.attempts.iter().all(|a| {
            a.files == 1
                && a.test
                    .as_ref()
                    .is_some_and(|t| t.state != TestState::Running)
        });
        done.then_some(c)
    })
    .await;
    let paths: Vec<&str> = c.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["c.txt", "t.txt"]);
    let stage = |i: usize| std::path::PathBuf::from(futures_stage(&f, &task.sessions[i]));
    assert_eq!(
        read(&stage(0).join("t.txt")),
        "selfwrite c.txt from the chat\n"
    );
    let states: Vec<TestState> = c
        .attempts
        .iter()
        .map(|a| a.test.clone().expect("tested").state)
        .collect();
    assert_eq!(states, [TestState::Failed, TestState::Passed]);
    let said = crate::suite::chat::transcript(&engine, &task.sessions[1]).await;
    assert!(
        said.iter().any(
            |e| matches!(e, ChatEntry::User { text } if text == "selfwrite c.txt from the chat")
        ),
        "{said:?}"
    );
}
