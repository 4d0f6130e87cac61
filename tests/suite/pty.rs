//! A real shell in a real PTY, typed into like a person would.

use std::path::Path;

use airlock_engine::Engine;
use airlock_protocol::{Change, ErrorCode, Event, Request, Response};
use base64::Engine as _;

use super::support::*;

async fn type_line(engine: &Engine, session: &str, line: &str) {
    call(
        engine,
        Request::WriteInput {
            session: session.into(),
            data: format!("{line}\r"),
        },
    )
    .await;
}

/// Collects the session's output until it contains `needle`.
async fn wait_output(
    events: &mut airlock_engine::Subscription,
    session: &str,
    needle: &str,
) -> String {
    let mut seen = Vec::new();
    let sid = session.to_string();
    let needle_owned = needle.to_string();
    wait_event(events, 10, &format!("`{needle}` in the terminal"), |e| {
        if let Event::Output { session, data, .. } = e {
            if *session == sid {
                seen.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .expect("b64"),
                );
                return String::from_utf8_lossy(&seen).contains(&needle_owned);
            }
        }
        false
    })
    .await;
    String::from_utf8_lossy(&seen).into_owned()
}

/// Waits for `path` to be proposed; its change.
async fn proposed(events: &mut airlock_engine::Subscription, path: &str) -> Change {
    let proposed = wait_event(
        events,
        10,
        &format!("{path} proposed"),
        |e| matches!(e, Event::ChangeProposed { change } if change.path == path),
    )
    .await;
    let Event::ChangeProposed { change } = proposed else {
        unreachable!()
    };
    change
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_writes_a_file_approve_lands_it_reject_reverts_the_stage() {
    let f = Fixture::git(&[("README.md", "# demo\n")]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(&engine, &["bash", "--norc", "--noprofile"]).await;
    let stage = Path::new(&s.cwd).to_path_buf();
    assert!(
        !stage.starts_with(&f.project),
        "the stage lives outside the project"
    );

    type_line(
        &engine,
        &s.id,
        "printf 'hello from the shell\\n' > hello.txt",
    )
    .await;
    let change = proposed(&mut events, "hello.txt").await;
    assert!(
        !f.project.join("hello.txt").exists(),
        "nothing lands before approval"
    );
    let diff = whole_diff(&engine, &change.id).await;
    assert_eq!(diff.hunks[0].lines[0].text, "hello from the shell");
    approve(&engine, vec![change.hunks[0].id.clone()]).await;
    assert_eq!(
        std::fs::read_to_string(f.project.join("hello.txt")).expect("landed"),
        "hello from the shell\n"
    );
    wait_event(
        &mut events,
        10,
        "hello.txt settled",
        |e| matches!(e, Event::ChangeRemoved { path, .. } if path == "hello.txt"),
    )
    .await;

    // Reject: the project stays as it was and the agent sees its edit undone.
    type_line(&engine, &s.id, "printf 'agent line\\n' >> README.md").await;
    let change = proposed(&mut events, "README.md").await;
    reject(&engine, vec![change.hunks[0].id.clone()], Some("not now")).await;
    assert_eq!(
        std::fs::read_to_string(f.project.join("README.md")).expect("readme"),
        "# demo\n"
    );
    assert_eq!(
        std::fs::read_to_string(stage.join("README.md")).expect("stage readme"),
        "# demo\n"
    );
    type_line(&engine, &s.id, "cat README.md; echo END-OF-CHECK").await;
    let out = wait_output(&mut events, &s.id, "END-OF-CHECK\r\n").await;
    assert!(
        !out.contains("agent line\r\n# demo") && !out.contains("\r\nagent line\r\nEND"),
        "{out}"
    );

    type_line(&engine, &s.id, "exit 3").await;
    let exited = wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    assert_eq!(
        exited,
        Event::SessionExited {
            session: s.id.clone(),
            exit_code: Some(3)
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trip_resize_and_scrollback() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(&engine, &["bash", "--norc", "--noprofile"]).await;
    type_line(&engine, &s.id, "echo ping-$((40+2)); echo $TERM").await;
    let out = wait_output(&mut events, &s.id, "xterm-256color").await;
    assert!(out.contains("ping-42"), "{out}");
    call(
        &engine,
        Request::ResizeSession {
            session: s.id.clone(),
            cols: 132,
            rows: 43,
        },
    )
    .await;
    type_line(&engine, &s.id, "stty size").await;
    wait_output(&mut events, &s.id, "43 132").await;
    let Response::Scrollback { data, end } = call(
        &engine,
        Request::ReadScrollback {
            session: s.id.clone(),
        },
    )
    .await
    else {
        panic!("scrollback");
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("b64");
    assert_eq!(bytes.len() as u64, end);
    assert!(String::from_utf8_lossy(&bytes).contains("ping-42"));
    call(
        &engine,
        Request::StopSession {
            session: s.id.clone(),
        },
    )
    .await;
    wait_event(&mut events, 10, "stop", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_kills_the_process_group() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let pidfile = f.dir.path().join("grandchild.pid");
    let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
    let s = start(&engine, &["bash", "-c", &script]).await;
    let pid: i32 = eventually(10, "the grandchild's pid", || async {
        std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok()
    })
    .await;
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    call(
        &engine,
        Request::StopSession {
            session: s.id.clone(),
        },
    )
    .await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    eventually(5, "the grandchild to die", || async {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for its reaper.
        (stat.is_empty() || stat.contains(") Z ")).then_some(())
    })
    .await;
    let err = engine
        .call(Request::WriteInput {
            session: s.id.clone(),
            data: "x".into(),
        })
        .await
        .expect_err("exited");
    assert!(err.message.contains("exited"), "{}", err.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_command_is_refused_without_a_stage() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let err = engine
        .call(Request::StartSession(
            airlock_protocol::StartSessionParams {
                command: Some(vec!["no-such-agent-cli".into()]),
                ..Default::default()
            },
        ))
        .await
        .expect_err("not found");
    assert_eq!(err.code, ErrorCode::SpawnFailed);
    assert!(err.message.contains("not found on PATH"), "{}", err.message);
    let stages: Vec<_> = std::fs::read_dir(f.home.join("projects"))
        .expect("projects")
        .flatten()
        .flat_map(|p| {
            std::fs::read_dir(p.path().join("stages"))
                .into_iter()
                .flatten()
                .flatten()
        })
        .collect();
    assert!(stages.is_empty(), "no stage is left behind");
}
