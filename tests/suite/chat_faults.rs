//! A chat agent that misbehaves: garbage and floods on the wire, a crash
//! mid-turn, no answer to `initialize` or another protocol version. The
//! chat survives what it can and says clearly what it cannot.

use airlock_protocol::{ChatEntry, Request, SessionMode, SessionState, StopReason};

use super::chat::{
    agent_text, engine, has_notice, ready_chat, scripted, start_chat, transcript, turn,
};
use super::support::*;

#[tokio::test]
async fn garbage_unknown_methods_stray_replies_and_floods_do_not_break_the_chat() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    let (_, entries) = turn(&engine, &s.id, "garbage").await;
    assert!(
        has_notice(&entries, "not ACP: this is not json"),
        "{entries:?}"
    );
    assert_eq!(agent_text(&entries), "after garbage");
    let (_, entries) = turn(&engine, &s.id, "unknown").await;
    assert_eq!(
        agent_text(&entries),
        "unknown: error",
        "an unknown method gets an error reply"
    );
    let (_, entries) = turn(&engine, &s.id, "strayreply").await;
    assert_eq!(agent_text(&entries), "ok");
    let (_, entries) = turn(&engine, &s.id, "stream 10000").await;
    assert_eq!(
        agent_text(&entries),
        "x".repeat(10_000),
        "every chunk, in order, in one entry"
    );
    let (_, entries) = turn(&engine, &s.id, "big 10000000").await;
    assert_eq!(
        agent_text(&entries).len(),
        10_000_000,
        "a 10 MB message arrives whole"
    );
    assert_eq!(session(&engine, &s.id).await.state, SessionState::Running);
    engine.shutdown().await;
}

#[tokio::test]
async fn an_agent_crashing_mid_turn_ends_the_session_and_its_held_writes_stay() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    turn(&engine, &s.id, "write kept.txt keep me").await;
    wait_for_path(&engine, "the held write", "kept.txt").await;
    let (stop, entries) = turn(&engine, &s.id, "crash").await;
    assert_eq!(stop, StopReason::Failed);
    assert!(agent_text(&entries).contains("about to crash"));
    let after = eventually(10, "the session to exit", || async {
        let s = session(&engine, &s.id).await;
        (s.state == SessionState::Exited).then_some(s)
    })
    .await;
    assert_eq!(after.exit_code, Some(3));
    let all = transcript(&engine, &s.id).await;
    assert!(has_notice(&all, "exited with code 3"), "{all:?}");
    assert_eq!(
        changes(&engine, None).await.len(),
        1,
        "the held write stays reviewable"
    );
    let err = engine
        .call(Request::Prompt {
            session: s.id.clone(),
            text: "hello".into(),
        })
        .await
        .expect_err("no agent");
    assert!(err.message.contains("exited"), "{}", err.message);
    approve_all(&engine).await;
    assert_eq!(read(&f.project.join("kept.txt")), "keep me\n");
    engine.shutdown().await;
}

#[tokio::test]
async fn an_agent_that_never_initializes_or_speaks_another_version_gets_a_clear_error() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    for (env, expect) in [
        (
            "ACP_AGENT_NO_INIT=1",
            "did not answer `initialize` within 10 s",
        ),
        (
            "ACP_AGENT_PROTOCOL=2",
            "protocol version 1 but peer negotiated 2",
        ),
    ] {
        let s = start_chat(&engine, scripted(&[env]), SessionMode::Staged)
            .await
            .expect("it starts");
        let all: Vec<ChatEntry> = eventually(20, "the error", || async {
            let all = transcript(&engine, &s.id).await;
            has_notice(&all, expect).then_some(all)
        })
        .await;
        eventually(10, "the agent to be stopped", || async {
            (session(&engine, &s.id).await.state == SessionState::Exited).then_some(())
        })
        .await;
        assert!(
            session(&engine, &s.id).await.chat.is_none(),
            "{env}: {all:?}"
        );
    }
    let err = start_chat(
        &engine,
        vec!["no-such-acp-agent".into()],
        SessionMode::Staged,
    )
    .await
    .expect_err("not found");
    assert!(err.contains("not found on PATH"), "{err}");
    engine.shutdown().await;
}
