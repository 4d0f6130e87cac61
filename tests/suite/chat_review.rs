//! Review comments on a chat agent's held writes reach it as one prompt.

use airlock_engine::Engine;
use airlock_protocol::{ChatEntry, Request, Response, ReviewComment, ReviewDelivery};

use super::chat::{agent_text, engine, ready_chat, transcript, turn, turn_end};
use super::support::*;

async fn delete_comment(engine: &Engine, id: &str) -> Vec<ReviewComment> {
    let Response::Comments { comments } = call(
        engine,
        Request::DeleteComment {
            comment: id.to_string(),
        },
    )
    .await
    else {
        panic!("comments")
    };
    comments
}

/// Sends the session's comments: how they went, and the message.
async fn send_review(engine: &Engine, id: &str) -> (ReviewDelivery, String) {
    let Response::ReviewSent { via, message, .. } = call(
        engine,
        Request::SendReview {
            session: id.to_string(),
        },
    )
    .await
    else {
        panic!("sent")
    };
    (via, message)
}

#[tokio::test]
async fn a_review_reaches_a_chat_agent_as_one_prompt() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    turn(&engine, &s.id, "write notes.txt first draft").await;
    let change = wait_for_path(&engine, "the held write", "notes.txt").await;
    let change = &change[0];
    comment(&engine, &change.hunks[0].id, Some(1), "make it a heading").await;
    let waiting = comment(&engine, &change.id, None, "and add a second line").await;
    assert_eq!(waiting.len(), 2);
    let err = engine
        .call(Request::Comment {
            target: "h-nope".into(),
            line: None,
            text: "x".into(),
        })
        .await
        .expect_err("unknown");
    assert!(err.message.contains("h-nope"), "{}", err.message);
    // One comment taken back before sending.
    let waiting = delete_comment(&engine, &waiting[1].id).await;
    assert_eq!(waiting.len(), 1);

    let mut events = engine.subscribe_without_output();
    let (via, message) = send_review(&engine, &s.id).await;
    assert_eq!(via, ReviewDelivery::Prompt);
    assert!(
        message.contains("notes.txt:\n- line 1: make it a heading"),
        "{message}"
    );
    assert!(
        !message.contains("second line"),
        "the deleted comment is not sent"
    );
    let all = transcript(&engine, &s.id).await;
    let sent = all.iter().rev().find_map(|e| match e {
        ChatEntry::User { text } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(
        sent.as_deref(),
        Some(message.as_str()),
        "the review is the chat's next prompt"
    );
    turn_end(&mut events, &s.id, all.len() as u32 - 2).await;
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all).contains("You said: Review of your changes"),
        "the agent got it: {all:?}"
    );
    assert!(
        comments(&engine, None).await.is_empty(),
        "sent comments are cleared"
    );
    let err = engine
        .call(Request::SendReview {
            session: s.id.clone(),
        })
        .await
        .expect_err("nothing to send");
    assert!(err.message.contains("no comments"), "{}", err.message);
    engine.shutdown().await;
}
