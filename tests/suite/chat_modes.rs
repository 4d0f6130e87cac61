//! A chat agent's modes and settings: one that would act unasked is moved to
//! a mode that asks before its first turn; after that, its settings and
//! modes are the user's to choose.

use airlock_engine::Engine;
use airlock_protocol::{ChatConfig, IpcError, Request, Response, SessionInfo, SessionMode};

use super::chat::{
    agent_text, engine, has_notice, scripted, start_chat, transcript, turn, wait_ready,
};
use super::support::*;

/// A staged chat with the scripted agent starting in its self-approving
/// mode (`yolo`), once it is ready.
async fn yolo_chat(engine: &Engine) -> SessionInfo {
    let s = start_chat(
        engine,
        scripted(&["ACP_AGENT_MODE=yolo"]),
        SessionMode::Staged,
    )
    .await
    .expect("start");
    wait_ready(engine, &s.id).await;
    s
}

async fn info_config(engine: &Engine, id: &str) -> ChatConfig {
    session(engine, id)
        .await
        .chat
        .and_then(|c| c.config.into_iter().next())
        .expect("a setting")
}

async fn set_model(engine: &Engine, id: &str, value: &str) -> Result<Response, IpcError> {
    engine
        .call(Request::SetChatConfig {
            session: id.to_string(),
            config: "model".into(),
            value: value.into(),
        })
        .await
}

async fn set_mode(engine: &Engine, id: &str, mode: &str) -> Result<Response, IpcError> {
    engine
        .call(Request::SetChatMode {
            session: id.to_string(),
            mode: mode.into(),
        })
        .await
}

#[tokio::test]
async fn an_agent_starting_in_a_mode_that_acts_unasked_is_moved_to_one_that_asks() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = yolo_chat(&engine).await;
    let info = session(&engine, &s.id).await;
    assert_eq!(info.chat.and_then(|c| c.mode).as_deref(), Some("ask"));
    assert_eq!(
        info.name, "scripted-agent",
        "a chat named after its command takes the agent's name"
    );
    let (_, entries) = turn(&engine, &s.id, "mode").await;
    assert_eq!(
        agent_text(&entries),
        "mode: ask",
        "the agent itself was switched, before any turn"
    );
    let all = transcript(&engine, &s.id).await;
    assert!(has_notice(&all, "from mode `yolo`"), "{all:?}");
    engine.shutdown().await;
}

#[tokio::test]
async fn the_agents_settings_and_modes_are_the_users_to_choose() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = yolo_chat(&engine).await;
    // Settings the agent offers (a model here) are the user's to choose.
    let model = info_config(&engine, &s.id).await;
    assert_eq!(
        (
            model.name.as_str(),
            model.current.as_str(),
            model.category.as_deref()
        ),
        ("Model", "small", Some("model"))
    );
    assert_eq!(
        model
            .values
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>(),
        ["small", "large"]
    );
    set_model(&engine, &s.id, "large")
        .await
        .expect("engine call");
    eventually(10, "the model change", || async {
        (info_config(&engine, &s.id).await.current == "large").then_some(())
    })
    .await;
    let (_, entries) = turn(&engine, &s.id, "model").await;
    assert_eq!(agent_text(&entries), "model: large");
    let err = set_model(&engine, &s.id, "huge")
        .await
        .expect_err("not a value");
    assert!(err.message.contains("small, large"), "{}", err.message);
    // The user may pick the self-approving mode themselves, even after
    // Airlock moved the agent out of it.
    set_mode(&engine, &s.id, "yolo").await.expect("engine call");
    eventually(10, "the mode change", || async {
        (session(&engine, &s.id).await.chat?.mode.as_deref() == Some("yolo")).then_some(())
    })
    .await;
    let err = set_mode(&engine, &s.id, "nope")
        .await
        .expect_err("not offered");
    assert!(err.message.contains("offers no mode"), "{}", err.message);
    engine.shutdown().await;
}
