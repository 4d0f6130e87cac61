//! A chat agent's permission requests wait for the user, who may reject,
//! allow or cancel them; a gated chat's writes reach the project only once
//! approved.

use airlock_protocol::{PermissionOutcome, Request, Response, SessionMode, StopReason, ToolStatus};

use super::chat::{
    action_of, agent_text, cancel, engine, prompt, ready_chat, scripted, start_chat, tool,
    transcript, turn_end, wait_ready,
};
use super::support::*;

#[tokio::test]
async fn a_command_waits_for_the_user_who_can_reject_or_allow_it() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;

    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "run rm -rf build").await;
    let action = action_of(&engine).await;
    assert_eq!(action.session, s.id);
    assert_eq!(action.tool, "Bash");
    assert_eq!(action.summary, "rm -rf build");
    assert!(
        action
            .risks
            .iter()
            .any(|r| r.kind == airlock_protocol::RiskKind::Delete),
        "{:?}",
        action.risks
    );
    assert_eq!(
        session(&engine, &s.id).await.turn,
        airlock_protocol::TurnState::Waiting
    );
    let card = tool(&transcript(&engine, &s.id).await);
    assert_eq!(
        card.permission.as_ref().and_then(|p| p.action.clone()),
        Some(action.id.clone())
    );
    assert_eq!(card.permission.and_then(|p| p.outcome), None, "still open");
    reject(&engine, vec![action.id.clone()], Some("no deleting")).await;
    turn_end(&mut events, &s.id, index).await;
    let all = transcript(&engine, &s.id).await;
    assert!(agent_text(&all).contains("not allowed: reject"), "{all:?}");
    let card = tool(&all);
    assert_eq!(card.status, ToolStatus::Failed);
    assert_eq!(
        card.permission.and_then(|p| p.outcome),
        Some(PermissionOutcome::Rejected)
    );

    let index = prompt(&engine, &s.id, "run make test").await;
    let action = action_of(&engine).await;
    approve(&engine, vec![action.id]).await;
    turn_end(&mut events, &s.id, index).await;
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all[index as usize..]).contains("ran make test"),
        "{all:?}"
    );

    // A request that offers no way to say no is answered `cancelled` on a reject: never allowed.
    let index = prompt(&engine, &s.id, "noreject rm -rf /").await;
    let action = action_of(&engine).await;
    reject(&engine, vec![action.id], None).await;
    turn_end(&mut events, &s.id, index).await;
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all[index as usize..]).contains("not allowed: cancelled"),
        "{all:?}"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_refused_call_the_agent_leaves_open_is_shown_failed_at_the_turns_end() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "quietrun rm -rf build").await;
    let action = action_of(&engine).await;
    reject(&engine, vec![action.id], None).await;
    turn_end(&mut events, &s.id, index).await;
    let card = tool(&transcript(&engine, &s.id).await);
    assert_eq!(card.status, ToolStatus::Failed);
    assert_eq!(
        card.permission.and_then(|p| p.outcome),
        Some(PermissionOutcome::Rejected)
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn cancel_answers_the_open_permission_request_cancelled() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "run rm -rf build").await;
    action_of(&engine).await;
    cancel(&engine, &s.id).await;
    assert_eq!(
        turn_end(&mut events, &s.id, index).await,
        StopReason::Cancelled
    );
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all).contains("not allowed: cancelled"),
        "{all:?}"
    );
    assert_eq!(
        tool(&all).permission.and_then(|p| p.outcome),
        Some(PermissionOutcome::Cancelled)
    );
    let Response::Status(st) = call(&engine, Request::Status).await else {
        panic!()
    };
    assert!(st.actions.is_empty(), "the card went with the cancel");
    engine.shutdown().await;
}

#[tokio::test]
async fn a_gated_chat_writes_to_the_project_only_what_the_user_approved() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    // Only agents known to send their writes through the client run gated.
    let err = start_chat(&engine, scripted(&[]), SessionMode::Gated)
        .await
        .expect_err("refused");
    assert!(err.contains("writes files itself"), "{err}");
    // The scripted agent under the name of one that does (Gemini CLI).
    let gemini = gemini_stand_in(&f);
    let s = start_chat(
        &engine,
        vec![gemini.display().to_string()],
        SessionMode::Gated,
    )
    .await
    .expect("gated gemini");
    wait_ready(&engine, &s.id).await;

    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "write notes.txt approved text").await;
    let held = wait_for_path(&engine, "the gated write", "notes.txt").await;
    assert!(
        !f.project.join("notes.txt").exists(),
        "not written before approval"
    );
    approve(&engine, vec![held[0].id.clone()]).await;
    turn_end(&mut events, &s.id, index).await;
    assert_eq!(read(&f.project.join("notes.txt")), "approved text\n");
    assert!(agent_text(&transcript(&engine, &s.id).await).contains("wrote notes.txt"));

    let index = prompt(&engine, &s.id, "write other.txt rejected text").await;
    let held = wait_for_path(&engine, "the second write", "other.txt").await;
    reject(
        &engine,
        vec![held[0].id.clone()],
        Some("use the logger instead"),
    )
    .await;
    turn_end(&mut events, &s.id, index).await;
    assert!(!f.project.join("other.txt").exists());
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all[index as usize..]).contains("write failed: use the logger instead"),
        "the agent reads the reason: {all:?}"
    );
    engine.shutdown().await;
}
