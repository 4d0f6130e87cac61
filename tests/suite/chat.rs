//! Chat sessions over ACP against a scripted agent (tests/fixtures/acp_agent.py)
//! that walks the protocol's edges: streamed turns, plans, tool calls,
//! permission requests answered by the policy or the user, writes through the
//! client (staged and gated), cancels, crashes, garbage, an agent that never
//! initializes. Real processes, real sandbox, the real `agent-client-protocol`
//! crate on Airlock's side.

use std::path::{Path, PathBuf};

use airlock_engine::{Engine, EngineConfig, Subscription};
use airlock_protocol::{
    ChatEntry, Event, PermissionOutcome, PlanStatus, Request, Response, SessionInfo, SessionKind,
    SessionMode, SessionState, StartSessionParams, StopReason, ToolKind, ToolStatus,
};

use std::os::unix::fs::PermissionsExt;

use super::support::*;

fn agent_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/acp_agent.py")
}

fn scripted(env: &[&str]) -> Vec<String> {
    let mut argv = vec!["env".to_string()];
    argv.extend(env.iter().map(|e| e.to_string()));
    argv.push(python());
    argv.push(agent_script().display().to_string());
    argv
}

async fn engine(f: &Fixture) -> Engine {
    Engine::open(EngineConfig {
        home: Some(f.home.clone()),
        hook_program: Some(airlock_bin()),
        ..EngineConfig::new(&f.project)
    })
    .await
    .expect("open engine")
}

async fn start_chat(
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

async fn session(engine: &Engine, id: &str) -> SessionInfo {
    let Response::Status(s) = call(engine, Request::Status).await else {
        panic!("not a status")
    };
    s.sessions
        .into_iter()
        .find(|s| s.id == id)
        .expect("the session")
}

/// A staged chat with the scripted agent, once it has said what it offers.
async fn ready_chat(engine: &Engine) -> SessionInfo {
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

async fn info_config(engine: &Engine, id: &str) -> airlock_protocol::ChatConfig {
    session(engine, id)
        .await
        .chat
        .and_then(|c| c.config.into_iter().next())
        .expect("a setting")
}

async fn transcript(engine: &Engine, id: &str) -> Vec<ChatEntry> {
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
async fn turn(engine: &Engine, id: &str, text: &str) -> (StopReason, Vec<ChatEntry>) {
    let mut events = engine.subscribe_without_output();
    let index = prompt(engine, id, text).await;
    let stop = turn_end(&mut events, id, index).await;
    let all = transcript(engine, id).await;
    (stop, all[index as usize + 1..].to_vec())
}

async fn prompt(engine: &Engine, id: &str, text: &str) -> u32 {
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

async fn turn_end(events: &mut Subscription, id: &str, after: u32) -> StopReason {
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

fn agent_text(entries: &[ChatEntry]) -> String {
    entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Agent { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn tool(entries: &[ChatEntry]) -> airlock_protocol::ToolCall {
    entries
        .iter()
        .find_map(|e| match e {
            ChatEntry::Tool { call } => Some(call.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no tool call in {entries:?}"))
}

async fn action_of(engine: &Engine) -> airlock_protocol::Action {
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
        let c = session(&engine, &s.id).await.chat?;
        (!c.commands.is_empty()).then_some(c)
    })
    .await;
    assert_eq!(chat.commands[0].id, "review");

    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "hello").await;
    assert_eq!(index, 0, "the prompt is the transcript's first entry");
    let mut appended = String::new();
    loop {
        match wait_event(&mut events, 20, "the turn", |e| {
            matches!(e, Event::Chat { session, .. } | Event::ChatText { session, .. } if *session == s.id)
        })
        .await
        {
            Event::ChatText { text, .. } => appended.push_str(&text),
            Event::Chat {
                entry: ChatEntry::TurnEnded { stop_reason },
                ..
            } => {
                assert_eq!(stop_reason, StopReason::EndTurn);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        appended, "from the scripted agent.",
        "chunks after the first arrive as appends"
    );
    let all = transcript(&engine, &s.id).await;
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
    call(
        &engine,
        Request::Cancel {
            session: s.id.clone(),
        },
    )
    .await;
    assert_eq!(
        turn_end(&mut events, &s.id, idx).await,
        StopReason::Cancelled
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_staged_agents_write_is_held_in_its_stage_until_approved() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    let (stop, entries) = turn(&engine, &s.id, "write notes.txt hi there").await;
    assert_eq!(stop, StopReason::EndTurn);
    let call_ = tool(&entries);
    assert_eq!(call_.kind, ToolKind::Edit);
    assert_eq!(call_.status, ToolStatus::Completed);
    assert_eq!(
        call_.locations[0].path, "notes.txt",
        "locations are shown relative to the stage"
    );
    let perm = call_.permission.expect("permission");
    assert_eq!(perm.outcome, Some(PermissionOutcome::Allowed));
    assert_eq!(
        perm.action, None,
        "a staged edit needs no card: the stage holds it"
    );
    assert!(agent_text(&entries).contains("wrote notes.txt"));
    assert!(
        !f.project.join("notes.txt").exists(),
        "nothing reaches the project unreviewed"
    );
    let changes = wait_for(&engine, "the held write", |c| {
        c.iter().any(|c| c.path == "notes.txt")
    })
    .await;
    assert_eq!(changes.len(), 1);
    approve_all(&engine).await;
    assert_eq!(read(&f.project.join("notes.txt")), "hi there\n");

    // `@` completion lists the session's folder: its files, not what is ignored.
    std::fs::write(f.project.join(".gitignore"), "build/\n").expect("gitignore");
    let Response::Files { paths, truncated } = call(
        &engine,
        Request::ListFiles {
            session: s.id.clone(),
        },
    )
    .await
    else {
        panic!("files")
    };
    assert!(!truncated);
    assert!(
        paths.contains(&"a.txt".to_string()) && paths.contains(&"notes.txt".to_string()),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| !p.starts_with(".git/")), "{paths:?}");

    // Reads are answered from the session's folder, and only from there.
    let (_, entries) = turn(&engine, &s.id, "read a.txt").await;
    assert_eq!(agent_text(&entries), "content: a\n");
    let outside = Path::new("/tmp/airlock-acp-outside.txt");
    let _ = std::fs::remove_file(outside);
    let (_, entries) = turn(&engine, &s.id, "outside").await;
    assert!(
        agent_text(&entries).contains("outside this session's folder"),
        "{entries:?}"
    );
    assert!(!outside.exists(), "a write outside the folder was refused");

    // A link the agent makes in its folder is not read through (the engine
    // is not confined: the link could name its token or `~/.ssh`), and a
    // FIFO does not hang the engine.
    let secret = f.home.join("secret.txt");
    std::fs::write(&secret, "the engine's token\n").expect("secret");
    let (_, entries) = turn(&engine, &s.id, &format!("link peek {}", secret.display())).await;
    assert_eq!(agent_text(&entries), "linked");
    let (_, entries) = turn(&engine, &s.id, "read peek").await;
    let said = agent_text(&entries);
    assert!(
        said.contains("read failed: Airlock refused: peek is a symbolic link"),
        "{said}"
    );
    assert!(
        !said.contains("token"),
        "nothing read through the link: {said}"
    );
    let (_, entries) = turn(&engine, &s.id, "fifo pipe").await;
    assert_eq!(agent_text(&entries), "made");
    let (_, entries) = turn(&engine, &s.id, "read pipe").await;
    assert!(
        agent_text(&entries).contains("read failed: Airlock refused: pipe is a FIFO"),
        "{entries:?}"
    );
    engine.shutdown().await;
}

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
    call(
        &engine,
        Request::Reject {
            ids: vec![action.id.clone()],
            reason: Some("no deleting".into()),
            versions: None,
        },
    )
    .await;
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
    call(
        &engine,
        Request::Approve {
            ids: vec![action.id],
            always: None,
            versions: None,
        },
    )
    .await;
    turn_end(&mut events, &s.id, index).await;
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all[index as usize..]).contains("ran make test"),
        "{all:?}"
    );

    // A request that offers no way to say no is answered `cancelled` on a reject: never allowed.
    let index = prompt(&engine, &s.id, "noreject rm -rf /").await;
    let action = action_of(&engine).await;
    call(
        &engine,
        Request::Reject {
            ids: vec![action.id],
            reason: None,
            versions: None,
        },
    )
    .await;
    turn_end(&mut events, &s.id, index).await;
    let all = transcript(&engine, &s.id).await;
    assert!(
        agent_text(&all[index as usize..]).contains("not allowed: cancelled"),
        "{all:?}"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn an_agent_starting_in_a_mode_that_acts_unasked_is_moved_to_one_that_asks() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = start_chat(
        &engine,
        scripted(&["ACP_AGENT_MODE=yolo"]),
        SessionMode::Staged,
    )
    .await
    .expect("start");
    let s = eventually(15, "ready", || async {
        session(&engine, &s.id)
            .await
            .chat
            .is_some()
            .then_some(s.clone())
    })
    .await;
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
    assert!(
        all.iter()
            .any(|e| matches!(e, ChatEntry::Notice { text } if text.contains("from mode `yolo`"))),
        "{all:?}"
    );
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
    call(
        &engine,
        Request::SetChatConfig {
            session: s.id.clone(),
            config: "model".into(),
            value: "large".into(),
        },
    )
    .await;
    eventually(10, "the model change", || async {
        (info_config(&engine, &s.id).await.current == "large").then_some(())
    })
    .await;
    let (_, entries) = turn(&engine, &s.id, "model").await;
    assert_eq!(agent_text(&entries), "model: large");
    let err = engine
        .call(Request::SetChatConfig {
            session: s.id.clone(),
            config: "model".into(),
            value: "huge".into(),
        })
        .await
        .expect_err("not a value");
    assert!(err.message.contains("small, large"), "{}", err.message);
    // The user may pick the self-approving mode themselves.
    call(
        &engine,
        Request::SetChatMode {
            session: s.id.clone(),
            mode: "yolo".into(),
        },
    )
    .await;
    eventually(10, "the mode change", || async {
        (session(&engine, &s.id).await.chat?.mode.as_deref() == Some("yolo")).then_some(())
    })
    .await;
    let err = engine
        .call(Request::SetChatMode {
            session: s.id.clone(),
            mode: "nope".into(),
        })
        .await
        .expect_err("not offered");
    assert!(err.message.contains("offers no mode"), "{}", err.message);
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
    call(
        &engine,
        Request::Reject {
            ids: vec![action.id],
            reason: None,
            versions: None,
        },
    )
    .await;
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
    call(
        &engine,
        Request::Cancel {
            session: s.id.clone(),
        },
    )
    .await;
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
async fn garbage_unknown_methods_stray_replies_and_floods_do_not_break_the_chat() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    let (_, entries) = turn(&engine, &s.id, "garbage").await;
    assert!(
        entries.iter().any(|e| matches!(e, ChatEntry::Notice { text } if text.contains("not ACP: this is not json"))),
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
    wait_for(&engine, "the held write", |c| {
        c.iter().any(|c| c.path == "kept.txt")
    })
    .await;
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
    assert!(
        all.iter().any(
            |e| matches!(e, ChatEntry::Notice { text } if text.contains("exited with code 3"))
        ),
        "{all:?}"
    );
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
        let all = eventually(20, "the error", || async {
            let all = transcript(&engine, &s.id).await;
            all.iter()
                .any(|e| matches!(e, ChatEntry::Notice { text } if text.contains(expect)))
                .then_some(all)
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
    let change = wait_for(&engine, "the held write", |c| {
        c.iter().any(|c| c.path == "notes.txt")
    })
    .await;
    call(
        &engine,
        Request::Comment {
            target: change[0].id.clone(),
            line: None,
            text: "keep this one".into(),
        },
    )
    .await;
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
    let Response::Comments { comments } = call(
        &engine,
        Request::ListComments {
            session: Some(s.id.clone()),
        },
    )
    .await
    else {
        panic!("comments")
    };
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
    eventually(15, "ready", || async {
        session(&engine, &s.id).await.chat.map(|_| ())
    })
    .await;
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
    call(
        &engine,
        Request::RestartSession {
            session: s.id.clone(),
        },
    )
    .await;
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
    assert!(
        all.iter().any(|e| matches!(e, ChatEntry::Notice { text } if text.contains("resumed this conversation"))),
        "{all:?}"
    );
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
    let bin = f.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let gemini = bin.join("gemini");
    std::fs::write(
        &gemini,
        format!(
            "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
            python(),
            agent_script().display()
        ),
    )
    .expect("write gemini");
    std::fs::set_permissions(&gemini, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let s = start_chat(
        &engine,
        vec![bin.join("gemini").display().to_string()],
        SessionMode::Gated,
    )
    .await
    .expect("gated gemini");
    eventually(15, "ready", || async {
        session(&engine, &s.id).await.chat.map(|_| ())
    })
    .await;

    let mut events = engine.subscribe_without_output();
    let index = prompt(&engine, &s.id, "write notes.txt approved text").await;
    let held = wait_for(&engine, "the gated write", |c| {
        c.iter().any(|c| c.path == "notes.txt")
    })
    .await;
    assert!(
        !f.project.join("notes.txt").exists(),
        "not written before approval"
    );
    call(
        &engine,
        Request::Approve {
            ids: vec![held[0].id.clone()],
            always: None,
            versions: None,
        },
    )
    .await;
    turn_end(&mut events, &s.id, index).await;
    assert_eq!(read(&f.project.join("notes.txt")), "approved text\n");
    assert!(agent_text(&transcript(&engine, &s.id).await).contains("wrote notes.txt"));

    let index = prompt(&engine, &s.id, "write other.txt rejected text").await;
    let held = wait_for(&engine, "the second write", |c| {
        c.iter().any(|c| c.path == "other.txt")
    })
    .await;
    call(
        &engine,
        Request::Reject {
            ids: vec![held[0].id.clone()],
            reason: Some("use the logger instead".into()),
            versions: None,
        },
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

#[tokio::test]
async fn a_review_reaches_a_chat_agent_as_one_prompt() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    turn(&engine, &s.id, "write notes.txt first draft").await;
    let change = wait_for(&engine, "the held write", |c| {
        c.iter().any(|c| c.path == "notes.txt")
    })
    .await;
    let change = &change[0];
    call(
        &engine,
        Request::Comment {
            target: change.hunks[0].id.clone(),
            line: Some(1),
            text: "make it a heading".into(),
        },
    )
    .await;
    let Response::Comments { comments } = call(
        &engine,
        Request::Comment {
            target: change.id.clone(),
            line: None,
            text: "and add a second line".into(),
        },
    )
    .await
    else {
        panic!("comments")
    };
    assert_eq!(comments.len(), 2);
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
    let Response::Comments { comments } = call(
        &engine,
        Request::DeleteComment {
            comment: comments[1].id.clone(),
        },
    )
    .await
    else {
        panic!("comments")
    };
    assert_eq!(comments.len(), 1);

    let mut events = engine.subscribe_without_output();
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
    assert_eq!(via, airlock_protocol::ReviewDelivery::Prompt);
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
    let Response::Comments { comments } =
        call(&engine, Request::ListComments { session: None }).await
    else {
        panic!("comments")
    };
    assert!(comments.is_empty(), "sent comments are cleared");
    let err = engine
        .call(Request::SendReview {
            session: s.id.clone(),
        })
        .await
        .expect_err("nothing to send");
    assert!(err.message.contains("no comments"), "{}", err.message);
    engine.shutdown().await;
}
