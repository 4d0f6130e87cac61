//! Session lifecycle: turn state, restart, remove, orphaned stages, and a
//! scrollback that survives an engine restart.

use std::path::Path;

use airlock_engine::{Engine, EngineConfig};
use airlock_protocol::{AttentionKind, ErrorCode, Event, Request, Response, TurnState};

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_state_follows_output_pending_changes_and_exit() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let mut seen: Vec<Event> = Vec::new();
    let s = start(&engine, &["bash", "--norc", "--noprofile"]).await;
    assert_eq!(s.turn, TurnState::Running);
    eventually(10, "idle after quiet", || async {
        (session(&engine, &s.id).await.turn == TurnState::Idle).then_some(())
    })
    .await;
    call(
        &engine,
        Request::WriteInput {
            session: s.id.clone(),
            data: "printf 'b\\n' >> a.txt\r".into(),
        },
    )
    .await;
    let waiting = |e: &Event| matches!(e, Event::SessionUpdated { session } if session.turn == TurnState::Waiting);
    wait_event(&mut events, 10, "waiting for you", |e| {
        seen.push(e.clone());
        waiting(e)
    })
    .await;
    // More output while waiting: no second notification.
    call(
        &engine,
        Request::WriteInput {
            session: s.id.clone(),
            data: "echo more; echo more\r".into(),
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    approve_all(&engine).await;
    eventually(10, "no longer waiting", || async {
        (session(&engine, &s.id).await.turn != TurnState::Waiting).then_some(())
    })
    .await;
    call(
        &engine,
        Request::WriteInput {
            session: s.id.clone(),
            data: "exit 4\r".into(),
        },
    )
    .await;
    wait_event(&mut events, 10, "finished", |e| {
        seen.push(e.clone());
        matches!(
            e,
            Event::Attention {
                kind: AttentionKind::Finished,
                ..
            }
        )
    })
    .await;
    let notes: Vec<(AttentionKind, String)> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Attention { kind, message, .. } => Some((*kind, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes.len(),
        2,
        "one notification per event, none per byte: {notes:?}"
    );
    assert_eq!(notes[0].0, AttentionKind::Waiting);
    assert!(notes[0].1.contains("1 hunk"), "{notes:?}");
    assert_eq!(notes[1].0, AttentionKind::Finished);
    assert!(notes[1].1.contains("code 4"), "{notes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_the_stage_and_remove_cleans_it() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(&engine, &["bash", "-c", "printf 'run\\n' >> log.txt"]).await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let again = restart(&engine, &s.id).await;
    assert_eq!(again.id, s.id);
    wait_event(&mut events, 10, "second exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let stage = Path::new(&s.cwd);
    eventually(10, "both runs in the stage", || async {
        (std::fs::read_to_string(stage.join("log.txt")).ok()? == "run\nrun\n").then_some(())
    })
    .await;
    eventually(10, "the pending change", || async {
        (changes(&engine, None).await.len() == 1).then_some(())
    })
    .await;
    let err = engine
        .call(Request::RemoveSession {
            session: s.id.clone(),
            force: None,
        })
        .await
        .expect_err("pending changes");
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("pending"), "{}", err.message);
    assert!(stage.exists());
    call(
        &engine,
        Request::RemoveSession {
            session: s.id.clone(),
            force: Some(true),
        },
    )
    .await;
    assert!(!stage.exists(), "the stage is gone");
    let Response::Status(st) = call(&engine, Request::Status).await else {
        panic!()
    };
    assert!(st.sessions.is_empty());
    assert!(
        !f.project.join("log.txt").exists(),
        "discarded changes never land"
    );
    let out = std::process::Command::new("git")
        .args(["worktree", "list"])
        .current_dir(&f.project)
        .output()
        .expect("git");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "no worktree is left registered in the project"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphaned_stages_are_found_with_their_size_and_cleaned() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stages = Path::new(&s.cwd).parent().expect("stages").to_path_buf();
    let orphan = stages.join("s-leftover");
    std::fs::create_dir_all(&orphan).expect("mkdir");
    std::fs::write(orphan.join("big"), vec![7u8; 100_000]).expect("write");
    let Response::Orphans { orphans } = call(&engine, Request::ListOrphans).await else {
        panic!()
    };
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    assert!(orphans[0].path.ends_with("s-leftover") && orphans[0].bytes >= 100_000);
    call(&engine, Request::CleanOrphans).await;
    assert!(!orphan.exists());
    assert!(
        Path::new(&s.cwd).exists(),
        "a live session's stage is not an orphan"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_terminals_size() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(&engine, &["bash", "-c", "echo size=$(stty size)"]).await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    // The pane was resized meanwhile (the window keeps its size while a session is down).
    call(
        &engine,
        Request::ResizeSession {
            session: s.id.clone(),
            cols: 101,
            rows: 31,
        },
    )
    .await;
    restart(&engine, &s.id).await;
    wait_event(&mut events, 10, "second exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let text = String::from_utf8_lossy(&scrollback(&engine, &s.id).await).into_owned();
    assert!(
        text.contains("size=24 80"),
        "the first run at the default: {text}"
    );
    assert!(
        text.contains("size=31 101"),
        "the restart at the pane's size: {text}"
    );
}

/// An engine whose sessions keep `cap` bytes of scrollback in memory.
async fn engine_with_scrollback(f: &Fixture, cap: usize) -> Engine {
    Engine::open(EngineConfig {
        home: Some(f.home.clone()),
        scrollback_bytes: cap,
        ..EngineConfig::new(&f.project)
    })
    .await
    .expect("open engine")
}

/// A session's scrollback as the engine holds it.
async fn scrollback(engine: &Engine, session: &str) -> Vec<u8> {
    let Response::Scrollback { data, .. } = call(
        engine,
        Request::ReadScrollback {
            session: session.to_string(),
        },
    )
    .await
    else {
        panic!("not a scrollback")
    };
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("b64")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrollback_survives_an_engine_restart() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let s = start(&engine, &["bash", "-c", "echo remember-$((6*7))"]).await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    engine.shutdown().await;
    drop(engine);
    let engine = f.engine().await;
    let bytes = scrollback(&engine, &s.id).await;
    assert!(String::from_utf8_lossy(&bytes).contains("remember-42"));
}

/// Output is saved twice a second and at shutdown, not as it comes: a session
/// still running when the engine stops shows its screen again after a restart,
/// and a reader that fell far behind (a window that stopped reading) still
/// gets every byte from disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_sessions_output_survives_a_shutdown_and_a_stalled_reader_loses_nothing() {
    let f = Fixture::git(&[]);
    let engine = engine_with_scrollback(&f, 64 * 1024).await;
    // Subscribed, then not read until the session is done: about 20 times the tail.
    let mut stalled = engine.subscribe();
    let s = start(
        &engine,
        &[
            "bash",
            "-c",
            "stty raw -echo; seq 1 200000; echo alive-$((6*7)); sleep 600",
        ],
    )
    .await;
    let mut seen = String::new();
    for _ in 0..200 {
        seen = String::from_utf8_lossy(&scrollback(&engine, &s.id).await).into_owned();
        if seen.contains("alive-42") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen.contains("alive-42"), "the session printed: {seen:?}");
    let mut got = Vec::new();
    let mut next_offset = None;
    while !String::from_utf8_lossy(&got).contains("alive-42") {
        match tokio::time::timeout(std::time::Duration::from_secs(10), stalled.next_frame())
            .await
            .expect("a frame")
            .expect("the engine runs")
        {
            airlock_engine::Frame::Output(output) if output.session() == s.id => {
                if let Some(n) = next_offset {
                    assert_eq!(output.offset(), n, "contiguous output");
                }
                next_offset = Some(output.offset() + output.bytes().len() as u64);
                let (session, offset, bytes) =
                    airlock_protocol::parse_output_frame(output.as_frame())
                        .expect("an output frame");
                assert_eq!((session, offset), (s.id.as_str(), output.offset()));
                got.extend_from_slice(bytes);
            }
            _ => {}
        }
    }
    let expected: String = (1..=200000).map(|i| format!("{i}\n")).collect();
    assert!(
        String::from_utf8_lossy(&got).starts_with(&expected),
        "the stalled reader got every line from the start, in order ({} bytes)",
        got.len()
    );
    drop(stalled);
    engine.shutdown().await;
    drop(engine);
    let engine = f.engine().await;
    let bytes = scrollback(&engine, &s.id).await;
    assert!(
        String::from_utf8_lossy(&bytes).contains("alive-42"),
        "the screen comes back after the restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrollback_keeps_the_configured_size_and_the_newest_bytes() {
    let f = Fixture::git(&[]);
    assert_eq!(
        EngineConfig::new(&f.project).scrollback_bytes,
        airlock_engine::DEFAULT_SCROLLBACK_BYTES,
        "10 MiB unless AIRLOCK_SCROLLBACK_MB says otherwise"
    );
    assert_eq!(airlock_engine::DEFAULT_SCROLLBACK_BYTES, 10 * 1024 * 1024);
    let cap = 256 * 1024;
    let engine = engine_with_scrollback(&f, cap).await;
    let mut events = engine.subscribe();
    // About 1.3 MB of numbered lines: five times the cap.
    let s = start(&engine, &["bash", "-c", "stty raw -echo; seq 1 200000"]).await;
    wait_event(&mut events, 20, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    let bytes = scrollback(&engine, &s.id).await;
    assert!(
        bytes.len() <= cap && bytes.len() > cap / 2,
        "the scrollback holds at most its cap, and close to it: {} bytes",
        bytes.len()
    );
    assert!(
        String::from_utf8_lossy(&bytes).ends_with("199999\n200000\n"),
        "the newest bytes are the ones kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_loses_nothing_and_holds_nothing_up() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let mut slow = engine.subscribe();
    let mut fast = engine.subscribe();
    // 3 MB of numbered lines, well under the scrollback.
    let s = start(&engine, &["bash", "-c", "stty raw -echo; seq 1 400000"]).await;
    wait_event(&mut fast, 20, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    // The slow one only starts reading now: its frames were merged, not dropped.
    let mut got = Vec::new();
    let mut next_offset = None;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), slow.next())
            .await
            .expect("event")
        {
            Some(Event::Output {
                session,
                data,
                offset,
            }) if session == s.id => {
                if let Some(n) = next_offset {
                    assert_eq!(offset, n, "contiguous output");
                }
                use base64::Engine as _;
                let b = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .expect("b64");
                next_offset = Some(offset + b.len() as u64);
                got.extend(b);
            }
            Some(Event::SessionExited { .. }) => break,
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(&got);
    let expected: String = (1..=400000).map(|i| format!("{i}\n")).collect();
    assert!(
        text.ends_with(&expected),
        "every line, in order ({} bytes)",
        got.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_is_pasted_into_a_terminal_agent_waiting_at_its_prompt() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = f.engine().await;
    let s = start(
        &engine,
        &[
            "bash",
            "-c",
            "echo draft > f.txt; while IFS= read -r l; do printf '%s\\n' \"$l\" >> \"$TMPDIR/got.txt\"; done",
        ],
    )
    .await;
    let change = wait_for(&engine, "f.txt", |c| c.iter().any(|c| c.path == "f.txt")).await;
    call(
        &engine,
        Request::Comment {
            target: change[0].id.clone(),
            line: None,
            text: "say final, not draft".into(),
        },
    )
    .await;
    let Response::ReviewSent { via, message, .. } = call(
        &engine,
        Request::SendReview {
            session: s.id.clone(),
        },
    )
    .await
    else {
        panic!("sent")
    };
    assert_eq!(via, airlock_protocol::ReviewDelivery::Terminal);
    let got = engine
        .project_home()
        .dir
        .join("tmp")
        .join(&s.id)
        .join("got.txt");
    let text = eventually(10, "the pasted review", || {
        let got = got.clone();
        async move {
            std::fs::read_to_string(got)
                .ok()
                .filter(|t| t.contains("Please address these comments."))
        }
    })
    .await;
    assert!(
        text.starts_with("\u{1b}[200~Review of your changes"),
        "one bracketed paste: {text:?}"
    );
    assert!(
        text.contains("f.txt:\n- the whole file: say final, not draft"),
        "{text:?}"
    );
    assert!(
        text.contains("Please address these comments.\u{1b}[201~"),
        "{text:?}"
    );
    assert_eq!(
        text.matches("\u{1b}[200~").count(),
        1,
        "the whole message in one paste: {message:?}"
    );
    engine.shutdown().await;
}
