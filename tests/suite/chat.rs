//! Chat sessions over ACP against a scripted agent (tests/fixtures/acp_agent.py)
//! that walks the protocol's edges: streamed turns, plans, tool calls,
//! permission requests answered by the policy or the user, writes through the
//! client (staged and gated), cancels, crashes, garbage, an agent that never
//! initializes. Real processes, real sandbox, the real `agent-client-protocol`
//! crate on Airlock's side.
//!
//! This module holds what every chat test needs and a plain turn; the
//! `chat_*` modules beside it hold the rest: `chat_files` (the stage and the
//! session's folder), `chat_gate` (permission requests and gated writes),
//! `chat_modes` (the agent's modes and settings), `chat_review` (comments
//! sent as a prompt), `chat_faults` (a misbehaving agent) and `chat_resume`
//! (a restart).

use airlock_engine::{Engine, EngineConfig, Subscription};
use airlock_protocol::{
    ChatEntry, Event, PlanStatus, Request, Response, SessionInfo, SessionKind, SessionMode,
    StartSessionParams, StopReason,
};

use super::support::*;

pub(super) fn scripted(env: &[&str]) -> Vec<String> {
    let mut argv = vec!["env".to_string()];
    argv.extend(env.iter().map(|e| e.to_string()));
    argv.push(python());
    argv.push(acp_agent().display().to_string());
    argv
}

pub(super) async fn engine(f: &Fixture) -> Engine {
    Engine::open(EngineConfig {
        home: Some(f.home.clone()),
        hook_program: Some(airlock_bin()),
        ..EngineConfig::new(&f.project)
    })
    .await
    .expect("open engine")
}

pub(super) async fn start_chat(
    engine: &Engine,
    argv: Vec<String>,
    mode: SessionMode,
) -> Result<SessionInfo, String> {
    match engine
        .call(Request::StartSession(StartSessionParams {
            command: Some(argv),
            mode: Some(mode),
            kind: Some(SessionKind::Chat),
            ..Default::default()
        }))
        .await
    {
        Ok(Response::Session(s)) => Ok(s),
        Ok(other) => panic!("expected a session, got {other:?}"),
        Err(e) => Err(e.message),
    }
}

/// A staged chat with the scripted agent, once it has said what it offers.
pub(super) async fn ready_chat(engine: &Engine) -> SessionInfo {
    let s = start_chat(engine, scripted(&[]), SessionMode::Staged)
        .await
        .expect("start the scripted agent");
    assert_eq!(s.kind, SessionKind::Chat);
    eventually(15, "the agent to answer initialize", || async {
        let s = session(engine, &s.id).await;
        s.chat.is_some().then_some(s)
    })
    .await
}

/// Waits until the chat's agent has answered `initialize`.
pub(super) async fn wait_ready(engine: &Engine, id: &str) {
    eventually(15, "ready", || async {
        session(engine, id).await.chat.map(|_| ())
    })
    .await;
}

pub(super) async fn transcript(engine: &Engine, id: &str) -> Vec<ChatEntry> {
    match call(
        engine,
        Request::Transcript {
            session: id.to_string(),
            from: None,
        },
    )
    .await
    {
        Response::Transcript { entries, .. } => entries,
        other => panic!("expected a transcript, got {other:?}"),
    }
}

/// Sends `text` and waits for its turn to end; the stop reason and the turn's entries.
pub(super) async fn turn(engine: &Engine, id: &str, text: &str) -> (StopReason, Vec<ChatEntry>) {
    let mut events = engine.subscribe_without_output();
    let index = prompt(engine, id, text).await;
    let stop = turn_end(&mut events, id, index).await;
    let all = transcript(engine, id).await;
    (stop, all[index as usize + 1..].to_vec())
}

pub(super) async fn prompt(engine: &Engine, id: &str, text: &str) -> u32 {
    match call(
        engine,
        Request::Prompt {
            session: id.to_string(),
            text: text.to_string(),
        },
    )
    .await
    {
        Response::Prompted { index } => index,
        other => panic!("expected prompted, got {other:?}"),
    }
}

pub(super) async fn turn_end(events: &mut Subscription, id: &str, after: u32) -> StopReason {
    match wait_event(events, 30, "the turn's end", |e| {
        matches!(e, Event::Chat { session, index, entry: ChatEntry::TurnEnded { .. } } if session == id && *index > after)
    })
    .await
    {
        Event::Chat {
            entry: ChatEntry::TurnEnded { stop_reason },
            ..
        } => stop_reason,
        _ => unreachable!(),
    }
}

/// Cancels the chat's running turn.
pub(super) async fn cancel(engine: &Engine, id: &str) {
    call(
        engine,
        Request::Cancel {
            session: id.to_string(),
        },
    )
    .await;
}

pub(super) fn agent_text(entries: &[ChatEntry]) -> String {
    entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Agent { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a notice in `entries` says `needle`.
pub(super) fn has_notice(entries: &[ChatEntry], needle: &str) -> bool {
    entries
        .iter()
        .any(|e| matches!(e, ChatEntry::Notice { text } if text.contains(needle)))
}

pub(super) fn tool(entries: &[ChatEntry]) -> airlock_protocol::ToolCall {
    entries
        .iter()
        .find_map(|e| match e {
            ChatEntry::Tool { call } => Some(call.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no tool call in {entries:?}"))
}

pub(super) async fn action_of(engine: &Engine) -> airlock_protocol::Action {
    eventually(10, "an action card", || async {
        let Response::Status(s) = call(engine, Request::Status).await else {
            return None;
        };
        s.actions.into_iter().next()
    })
    .await
}

#[tokio::test]
async fn a_turn_streams_its_reply_thought_and_plan_into_the_transcript() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    assert_what_the_agent_offers(&engine, &s).await;

    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "hello").await;
    assert_eq!(index, 0, "the prompt is the transcript's first entry");
    let (stop_reason, appended) = streamed_turn(&mut events, &s.id).await;
    assert_eq!(stop_reason, StopReason::EndTurn);
    assert_eq!(
        appended, "from the scripted agent.",
        "chunks after the first arrive as appends"
    );
    assert_hello_transcript(&transcript(&engine, &s.id).await);
    let usage = session(&engine, &s.id)
        .await
        .chat
        .and_then(|c| c.usage)
        .expect("usage");
    assert_eq!((usage.used, usage.size), (1200, 200_000));
    assert!(!session(&engine, &s.id).await.chat.expect("chat").busy);

    // A second prompt while one runs is refused, not queued behind it.
    let idx = prompt(&engine, &s.id, "slow").await;
    let err = engine
        .call(Request::Prompt {
            session: s.id.clone(),
            text: "again".into(),
        })
        .await
        .expect_err("a turn is running");
    assert!(err.message.contains("middle of a turn"), "{}", err.message);
    cancel(&engine, &s.id).await;
    assert_eq!(
        turn_end(&mut events, &s.id, idx).await,
        StopReason::Cancelled
    );
    engine.shutdown().await;
}

/// The agent's name, modes, context and commands, as the ready chat shows them.
async fn assert_what_the_agent_offers(engine: &Engine, s: &SessionInfo) {
    let chat = s.chat.clone().expect("chat info");
    assert_eq!(chat.agent.as_deref(), Some("scripted-agent 1.0"));
    assert_eq!(
        chat.mode.as_deref(),
        Some("ask"),
        "the agent's own mode is kept, never changed"
    );
    assert_eq!(
        chat.modes.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["ask", "yolo"]
    );
    assert!(chat.embedded_context);
    let chat = eventually(5, "the agent's commands", || async {
        let c = session(engine, &s.id).await.chat?;
        (!c.commands.is_empty()).then_some(c)
    })
    .await;
    assert_eq!(chat.commands[0].id, "review");
}

/// Follows a turn to its end: how it ended, and the text appended to
/// entries already shown.
async fn streamed_turn(events: &mut Subscription, id: &str) -> (StopReason, String) {
    let mut appended = String::new();
    loop {
        match wait_event(events, 20, "the turn", |e| {
            matches!(e, Event::Chat { session, .. } | Event::ChatText { session, .. } if *session == id)
        })
        .await
        {
            Event::ChatText { text, .. } => appended.push_str(&text),
            Event::Chat {
                entry: ChatEntry::TurnEnded { stop_reason },
                ..
            } => return (stop_reason, appended),
            _ => {}
        }
    }
}

/// The transcript of the scripted agent's answer to "hello".
fn assert_hello_transcript(all: &[ChatEntry]) {
    assert_eq!(all.len(), 5, "user, thought, plan, agent, end: {all:?}");
    assert_eq!(
        all[0],
        ChatEntry::User {
            text: "hello".into()
        }
    );
    assert_eq!(
        all[1],
        ChatEntry::Thought {
            text: "Thinking about hello.".into()
        }
    );
    let ChatEntry::Plan { items } = &all[2] else {
        panic!("a plan, got {:?}", all[2])
    };
    assert_eq!(
        items.len(),
        2,
        "the second plan replaced the first in place"
    );
    assert!(items.iter().all(|i| i.status == PlanStatus::Completed));
    assert_eq!(
        all[3],
        ChatEntry::Agent {
            text: "Hello from the scripted agent.".into()
        }
    );
}
