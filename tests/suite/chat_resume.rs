//! A chat across an engine restart: its transcript, name and comments are
//! kept, and an agent that can load a conversation resumes the same one.

use airlock_protocol::{ChatEntry, Request, SessionKind, SessionMode, SessionState};

use super::chat::{
    agent_text, engine, has_notice, ready_chat, scripted, start_chat, transcript, turn, wait_ready,
};
use super::support::*;

#[tokio::test]
async fn a_chat_is_not_a_terminal_and_its_transcript_survives_a_restart() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    turn(&engine, &s.id, "hello").await;
    let err = engine
        .call(Request::WriteInput {
            session: s.id.clone(),
            data: "ls\n".into(),
        })
        .await
        .expect_err("no terminal");
    assert!(err.message.contains("is a chat"), "{}", err.message);
    // A comment waiting to be sent, on the write it made.
    turn(&engine, &s.id, "write notes.txt kept").await;
    let change = wait_for_path(&engine, "the held write", "notes.txt").await;
    comment(&engine, &change[0].id, None, "keep this one").await;
    let before = transcript(&engine, &s.id).await;
    let named = session(&engine, &s.id).await.name;
    assert_eq!(named, "scripted-agent", "a chat takes the agent's own name");
    engine.shutdown().await;

    let engine = super::chat::engine(&f).await;
    let again = session(&engine, &s.id).await;
    assert_eq!(again.kind, SessionKind::Chat);
    assert_eq!(again.state, SessionState::Exited);
    assert_eq!(again.name, named, "its name is kept");
    assert_eq!(transcript(&engine, &s.id).await, before);
    let comments = comments(&engine, Some(&s.id)).await;
    let texts: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["keep this one"], "comments survive a restart");
    engine.shutdown().await;
}

#[tokio::test]
async fn after_a_restart_an_agent_that_can_load_resumes_the_same_conversation() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = start_chat(
        &engine,
        scripted(&["ACP_AGENT_LOAD=1"]),
        SessionMode::Staged,
    )
    .await
    .expect("start");
    wait_ready(&engine, &s.id).await;
    let (_, entries) = turn(&engine, &s.id, "loaded").await;
    assert_eq!(
        agent_text(&entries),
        "loaded: none",
        "a new conversation at first"
    );
    engine.shutdown().await;

    let engine = super::chat::engine(&f).await;
    assert_eq!(session(&engine, &s.id).await.state, SessionState::Exited);
    let before = transcript(&engine, &s.id).await;
    restart(&engine, &s.id).await;
    eventually(15, "ready again", || async {
        session(&engine, &s.id).await.chat.map(|_| ())
    })
    .await;
    let (_, entries) = turn(&engine, &s.id, "loaded").await;
    assert_eq!(
        agent_text(&entries),
        "loaded: sess-1",
        "session/load with the agent's own id"
    );
    let all = transcript(&engine, &s.id).await;
    assert_eq!(
        all[..before.len()],
        before[..],
        "the transcript is kept as it was"
    );
    assert!(
        !all.iter().any(|e| matches!(e, ChatEntry::User { text } | ChatEntry::Agent { text } if text.starts_with("replayed"))),
        "the agent's replay is not added again: {all:?}"
    );
    assert!(has_notice(&all, "resumed this conversation"), "{all:?}");
    engine.shutdown().await;
}
