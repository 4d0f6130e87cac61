//! A session's chat part: an ACP agent's conversation, and its requests at the gate.
//!
//! The connection ([`crate::acp`]) reports what the agent says as
//! [`FromAgent`] messages on the actor's mailbox; here they become the
//! session's transcript ([`ChatEntry`]s, announced as [`Event::Chat`] and
//! [`Event::ChatText`]) and gate questions:
//!
//! - A permission request is its tool call's state. An edit in a staged
//!   session is allowed at once (the stage holds what it writes); in a gated
//!   session too, because the write itself comes to Airlock and is held.
//!   Everything else goes to the policy like a Claude Code hook call:
//!   allowed, denied, or an action card the user decides. The agent's
//!   responder waits in a task for that answer, so nothing blocks meanwhile.
//!   Cancelling the turn drops the cards, and every open request is answered
//!   `cancelled`, as the protocol requires.
//! - `fs/write_text_file` inside the session's folder: staged, written to
//!   the stage (the stage watcher holds it for review like any staged write);
//!   gated, held as a gated edit and written to the project only once
//!   approved (as approved: a part, or an edited version). Outside the
//!   folder: refused.
//! - `fs/read_text_file` inside the folder is answered; outside it, refused.
//!
//! The transcript is kept beside the journal (`chats/<id>.json`), written at
//! each turn's end and when the agent exits, so a restart shows it again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use agent_client_protocol::v1::schema::{self as acp};
use airlock_protocol::{
    ChatChoice, ChatEntry, ChatInfo, Event, PermissionOutcome, StopReason, ToolStatus,
};

use super::chat_wire::*;
use super::{Actor, Msg};
use crate::acp::{AgentHandle, FromAgent};
use crate::error::{EngineError, Result};
use crate::fsx;

/// The ACP agents Airlock knows: name, program, arguments, npm package, gated.
const KNOWN_AGENTS: [(&str, &str, &[&str], &str, bool); 3] = [
    (
        "Claude",
        "claude-agent-acp",
        &[],
        "@agentclientprotocol/claude-agent-acp",
        false,
    ),
    (
        "Codex",
        "codex-acp",
        &[],
        "@agentclientprotocol/codex-acp",
        false,
    ),
    (
        "Gemini CLI",
        "gemini",
        &["--acp"],
        "@google/gemini-cli",
        true,
    ),
];

/// The known agents, each found on `PATH` or not.
pub(super) fn known_agents() -> Vec<airlock_protocol::KnownAgent> {
    KNOWN_AGENTS
        .iter()
        .map(
            |(name, program, args, package, gated)| airlock_protocol::KnownAgent {
                name: name.to_string(),
                command: std::iter::once(program.to_string())
                    .chain(args.iter().map(|a| a.to_string()))
                    .collect(),
                installed: crate::pty::resolve_program(program).is_some(),
                install: format!("npm install -g {package}"),
                gated: *gated,
            },
        )
        .collect()
}

/// How to install `program`, when it is a known agent.
pub(super) fn install_hint(program: &str) -> Option<String> {
    let name = Path::new(program).file_name()?.to_str()?;
    KNOWN_AGENTS
        .iter()
        .find(|a| a.1 == name)
        .map(|a| format!("install it with `npm install -g {}`", a.3))
}

/// Whether `program` is an agent known to send its writes to the client
/// (`fs/write_text_file`) rather than write files itself: only these run gated.
pub(super) fn writes_through_client(program: &str) -> bool {
    KNOWN_AGENTS.iter().any(|a| a.4 && a.1 == program)
}

/// The programs [`writes_through_client`] accepts, for an error message.
pub(super) fn gated_agents() -> String {
    KNOWN_AGENTS
        .iter()
        .filter(|a| a.4)
        .map(|a| a.1)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lines on an agent's stdout that are not ACP, shown before the rest are only counted.
const UNPARSED_SHOWN: u32 = 5;

/// A chat session's part beside its review queue.
pub(super) struct Chat {
    /// The running agent; `None` once it exited (or for a chat from before a restart).
    pub(super) agent: Option<AgentHandle>,
    pub(super) transcript: Vec<ChatEntry>,
    /// Tool call id → its entry.
    pub(super) tools: HashMap<String, usize>,
    /// The plan entry of the running turn, replaced in place.
    pub(super) plan: Option<usize>,
    /// Where the transcript is kept (and beside it, `.agent`, the agent's
    /// id of the conversation, for `session/load` after a restart).
    pub(super) file: PathBuf,
    /// The agent's id of the conversation.
    pub(super) agent_session: Option<String>,
    pub(super) unparsed: u32,
    /// Streamed text appended to the transcript but not yet announced: one
    /// [`Event::ChatText`] carries every chunk that was waiting in the
    /// mailbox behind the first (see [`Actor::stream_text`]).
    pub(super) pending: Option<(usize, String)>,
    /// What the agent announced before it was ready, shown once it is.
    pub(super) early: ChatInfo,
    /// The connection already failed: what follows (a broken pipe as the
    /// agent is stopped) is its echo, not news.
    pub(super) failed: bool,
}

impl Chat {
    pub(super) fn new(file: PathBuf, agent: Option<AgentHandle>) -> Chat {
        Chat {
            agent,
            transcript: Vec::new(),
            tools: HashMap::new(),
            plan: None,
            file,
            agent_session: None,
            unparsed: 0,
            early: ChatInfo::default(),
            pending: None,
            failed: false,
        }
    }

    /// A chat brought back from its file after a restart.
    pub(super) fn load(file: PathBuf) -> Option<Chat> {
        let bytes = std::fs::read(&file).ok()?;
        let transcript: Vec<ChatEntry> = serde_json::from_slice(&bytes).ok()?;
        let mut chat = Chat::new(file, None);
        for (i, e) in transcript.iter().enumerate() {
            if let ChatEntry::Tool { call } = e {
                chat.tools.insert(call.id.clone(), i);
            }
        }
        chat.transcript = transcript;
        chat.agent_session = std::fs::read_to_string(chat.file.with_extension("agent"))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Some(chat)
    }

    pub(super) fn save(&self) -> Result<()> {
        let bytes = serde_json::to_vec(&self.transcript)
            .map_err(|e| EngineError::Internal(format!("transcript: {e}")))?;
        if let Some(dir) = self.file.parent() {
            crate::home::create_private_dir(dir)?;
        }
        fsx::atomic_write(&self.file, &bytes, 0o600)
    }
}

impl Actor {
    /// The callback a session's agent connection reports through.
    pub(super) fn agent_reporter(&self, session: &str) -> impl crate::acp::Report {
        let tx = self.tx.clone();
        let session = session.to_string();
        move |msg| {
            let (tx, session) = (tx.clone(), session.clone());
            Box::pin(async move {
                let msg = Msg::Agent {
                    session,
                    msg: Box::new(msg),
                };
                let _ = tx.send(msg).await;
            }) as futures::future::BoxFuture<'static, ()>
        }
    }

    /// Starts a chat session's agent with its stdio piped to a new connection.
    pub(super) fn spawn_agent(
        &self,
        id: &str,
        argv: Vec<String>,
        cwd: &Path,
        resume: Option<String>,
        extra_env: &[(String, String)],
    ) -> Result<AgentHandle> {
        let tmp = self.session_tmp(id)?;
        let shown = argv.join(" ");
        let mut env = vec![
            ("AIRLOCK_SESSION".into(), id.to_string()),
            ("TMPDIR".into(), tmp.display().to_string()),
        ];
        env.extend_from_slice(extra_env);
        crate::acp::start(
            crate::acp::AgentCommand {
                argv,
                cwd: cwd.to_path_buf(),
                // A chat agent asks through its connection: no socket, no token.
                env,
                resume,
            },
            self.agent_reporter(id),
        )
        .map_err(|e| EngineError::Spawn {
            command: shown,
            reason: e.to_string(),
        })
    }

    pub(super) fn chat_mut(&mut self, session: &str) -> Result<&mut Chat> {
        let s = self.session_mut(session)?;
        s.chat.as_mut().ok_or_else(|| {
            EngineError::BadRequest(format!("session {session} is a terminal, not a chat"))
        })
    }

    /// Adds an entry at the end of a chat's transcript and announces it.
    pub(super) fn push_entry(&mut self, session: &str, entry: ChatEntry) -> Option<usize> {
        self.flush_text(session);
        let chat = self.sessions.get_mut(session)?.chat.as_mut()?;
        let index = chat.transcript.len();
        if let ChatEntry::Tool { call } = &entry {
            chat.tools.insert(call.id.clone(), index);
        }
        chat.transcript.push(entry.clone());
        self.emit(Event::Chat {
            session: session.to_string(),
            index: index as u32,
            entry,
        });
        Some(index)
    }

    /// Announces the entry at `index` again after a change in place.
    pub(super) fn replaced(&self, session: &str, index: usize) {
        let Some(entry) = self
            .sessions
            .get(session)
            .and_then(|s| s.chat.as_ref())
            .and_then(|c| c.transcript.get(index))
        else {
            return;
        };
        self.emit(Event::Chat {
            session: session.to_string(),
            index: index as u32,
            entry: entry.clone(),
        });
    }

    pub(super) fn notice(&mut self, session: &str, text: String) {
        self.push_entry(session, ChatEntry::Notice { text });
    }

    pub(super) fn chat_info_changed(&mut self, session: &str, change: impl FnOnce(&mut ChatInfo)) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        match (s.info.chat.as_mut(), s.chat.as_mut()) {
            (Some(info), _) => change(info),
            // Before the agent is ready (it may announce its commands while
            // Airlock still moves it out of a self-approving mode) nothing is
            // shown: `info.chat` present means the chat takes prompts.
            (None, Some(chat)) => return change(&mut chat.early),
            (None, None) => return,
        }
        let info = s.info.clone();
        self.emit(Event::SessionUpdated { session: info });
    }

    /// Streamed text: appended to the last entry when it is of the same kind.
    pub(super) fn stream_text(&mut self, session: &str, thought: bool, text: String) {
        let Some(chat) = self.sessions.get_mut(session).and_then(|s| s.chat.as_mut()) else {
            return;
        };
        let index = chat.transcript.len().wrapping_sub(1);
        let appended = match chat.transcript.last_mut() {
            Some(ChatEntry::Agent { text: t }) if !thought => {
                t.push_str(&text);
                true
            }
            Some(ChatEntry::Thought { text: t }) if thought => {
                t.push_str(&text);
                true
            }
            _ => false,
        };
        if appended {
            match chat.pending.as_mut() {
                Some((i, waiting)) if *i == index => waiting.push_str(&text),
                _ => {
                    let earlier = chat.pending.replace((index, text));
                    if let Some((i, text)) = earlier {
                        self.emit_text(session, i, text);
                    }
                    // Behind every chunk already in the mailbox: a flood goes
                    // out in a few events, a trickle chunk by chunk.
                    self.put_off(Msg::FlushChat(session.to_string()));
                }
            }
        } else if thought {
            self.push_entry(session, ChatEntry::Thought { text });
        } else {
            self.push_entry(session, ChatEntry::Agent { text });
        }
    }

    pub(super) fn emit_text(&self, session: &str, index: usize, text: String) {
        self.emit(Event::ChatText {
            session: session.to_string(),
            index: index as u32,
            text,
        });
    }

    /// Announces the streamed text waiting to go out.
    pub(super) fn flush_text(&mut self, session: &str) {
        let pending = self
            .sessions
            .get_mut(session)
            .and_then(|s| s.chat.as_mut())
            .and_then(|c| c.pending.take());
        if let Some((index, text)) = pending {
            self.emit_text(session, index, text);
        }
    }

    /// One message from a session's agent.
    pub(super) fn agent_said(&mut self, session: &str, msg: FromAgent) {
        if !self.sessions.contains_key(session) {
            return;
        }
        match msg {
            FromAgent::Ready(ready) => {
                if let (Some(left), Some(now)) = (&ready.left_mode, ready.modes.as_ref()) {
                    self.notice(
                        session,
                        format!(
                            "Airlock switched the agent from mode `{left}`, which acts without asking, to `{}`: its commands come to you. Pick another mode to change that.",
                            now.current_mode_id
                        ),
                    );
                }
                self.agent_ready(session, ready);
            }
            FromAgent::Update(n) => self.session_update(session, n.update),
            FromAgent::Permission(req, responder) => self.permission(session, *req, responder),
            FromAgent::Write(req, responder) => self.agent_write(session, *req, responder),
            FromAgent::Read(req, responder) => self.answer_read(session, &req, responder),
            FromAgent::TurnEnded(result) => self.turn_ended(session, result),
            FromAgent::Refused(why) => self.notice(session, why),
            FromAgent::Config(opts) => {
                let config = config_options(&opts);
                self.chat_info_changed(session, |c| c.config = config);
            }
            FromAgent::Unparsed(line) => self.unparsed(session, &line),
            FromAgent::Failed(why) => self.agent_failed(session, why),
            FromAgent::Stderr(bytes) => {
                if let Some(s) = self.sessions.get(session) {
                    if let Ok(mut sb) = s.scrollback.lock() {
                        sb.push(&bytes);
                    }
                }
            }
            FromAgent::Exited(code) => self.agent_exited(session, code),
        }
    }

    /// Answers the agent's `fs/read_text_file`.
    fn answer_read(
        &mut self,
        session: &str,
        req: &acp::ReadTextFileRequest,
        responder: agent_client_protocol::v1::Responder<acp::ReadTextFileResponse>,
    ) {
        let answer = self.agent_read(session, req);
        let _ = match answer {
            Ok(text) => responder.respond(acp::ReadTextFileResponse::new(text)),
            Err(e) => responder.respond_with_error(agent_client_protocol::Error::new(-32002, e)),
        };
    }

    /// A line from the agent that is not ACP: shown, the first few times.
    fn unparsed(&mut self, session: &str, line: &str) {
        let Ok(chat) = self.chat_mut(session) else {
            return;
        };
        chat.unparsed += 1;
        if chat.unparsed <= UNPARSED_SHOWN {
            self.notice(
                session,
                format!("the agent printed a line that is not ACP: {line}"),
            );
        }
    }

    /// The agent's connection failed: said once, and the agent stopped.
    fn agent_failed(&mut self, session: &str, why: String) {
        let Ok(chat) = self.chat_mut(session) else {
            return;
        };
        if std::mem::replace(&mut chat.failed, true) {
            return;
        }
        self.notice(session, why.clone());
        self.problem(Some(session), why);
        if let Some(agent) = self
            .sessions
            .get(session)
            .and_then(|s| s.chat.as_ref())
            .and_then(|c| c.agent.as_ref())
        {
            agent.kill();
        }
    }

    /// The agent's process ended (in a turn, that turn ends with it).
    fn agent_exited(&mut self, session: &str, code: Option<i32>) {
        let busy = self
            .sessions
            .get(session)
            .and_then(|s| s.info.chat.as_ref())
            .is_some_and(|c| c.busy);
        if busy {
            self.turn_ended(session, Err("the agent exited during the turn".into()));
        }
        self.notice(
            session,
            match code {
                Some(0) => "the agent exited".to_string(),
                Some(c) => format!("the agent exited with code {c}"),
                None => "the agent was stopped".to_string(),
            },
        );
        if let Ok(chat) = self.chat_mut(session) {
            chat.agent = None;
            if let Err(e) = chat.save() {
                self.problem(Some(session), format!("could not save the chat: {e}"));
            }
        }
        self.exited(session, code);
    }

    /// The agent answered `initialize` and `session/new`.
    pub(super) fn agent_ready(&mut self, session: &str, ready: crate::acp::Ready) {
        if ready.resumed {
            self.notice(
                session,
                "Airlock restarted the agent and it resumed this conversation".into(),
            );
        }
        if let Ok(chat) = self.chat_mut(session) {
            // Where the agent's own id is kept, for `session/load` after a restart.
            let file = chat.file.with_extension("agent");
            let kept = match chat.file.parent() {
                Some(dir) => crate::home::create_private_dir(dir).map_err(|e| e.to_string()),
                None => Ok(()),
            }
            .and_then(|()| {
                fsx::atomic_write(&file, ready.session_id.as_bytes(), 0o600)
                    .map_err(|e| e.to_string())
            });
            chat.agent_session = Some(ready.session_id.clone());
            if let Err(e) = kept {
                let message = format!(
                    "could not keep the agent's session id, so a restart cannot resume it: {e}"
                );
                self.problem(Some(session), message);
            }
        }
        if let (Some(s), Some(name)) = (self.sessions.get_mut(session), ready.name.as_ref()) {
            // A chat named after its command (`npx`, `python3`) takes the agent's own name.
            let first = Path::new(s.info.command.first().map(String::as_str).unwrap_or(""))
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            if Some(&s.info.name) == first.as_ref() {
                s.info.name = name.clone();
                if let Err(e) = self.journal.rename_session(session, name) {
                    self.problem(
                        Some(session),
                        format!("could not keep the chat's name: {e}"),
                    );
                }
            }
        }
        let config = config_options(&ready.config);
        if let Some(s) = self.sessions.get_mut(session) {
            if let Some(chat) = s.chat.as_mut() {
                s.info.chat = Some(std::mem::take(&mut chat.early));
            }
        }
        self.chat_info_changed(session, |c| {
            c.config = config;
            c.agent = ready.agent;
            c.embedded_context = ready.embedded_context;
            if let Some(m) = ready.modes {
                c.mode = Some(m.current_mode_id.to_string());
                c.modes = m
                    .available_modes
                    .into_iter()
                    .map(|m| ChatChoice {
                        id: m.id.to_string(),
                        description: m.description.or(Some(m.name)),
                    })
                    .collect();
            }
        });
        self.send_task_prompt(session);
    }

    pub(super) fn turn_ended(
        &mut self,
        session: &str,
        result: std::result::Result<acp::StopReason, String>,
    ) {
        let reason = match result {
            Ok(r) => stop_reason(&r),
            Err(why) => {
                self.notice(session, format!("the turn failed: {why}"));
                StopReason::Failed
            }
        };
        // A call whose permission was refused and that the agent left open
        // (Gemini CLI says nothing more) did not run: say so.
        let mut refused = Vec::new();
        if let Ok(chat) = self.chat_mut(session) {
            for (i, e) in chat.transcript.iter_mut().enumerate() {
                if let ChatEntry::Tool { call } = e {
                    let open = matches!(call.status, ToolStatus::Pending | ToolStatus::InProgress);
                    let no = call.permission.as_ref().is_some_and(|p| {
                        matches!(
                            p.outcome,
                            Some(PermissionOutcome::Rejected | PermissionOutcome::Cancelled)
                        )
                    });
                    if open && no {
                        call.status = ToolStatus::Failed;
                        refused.push(i);
                    }
                }
            }
        }
        for i in refused {
            self.replaced(session, i);
        }
        self.push_entry(
            session,
            ChatEntry::TurnEnded {
                stop_reason: reason,
            },
        );
        if let Ok(chat) = self.chat_mut(session) {
            chat.plan = None;
            if let Err(e) = chat.save() {
                self.problem(Some(session), format!("cannot keep the transcript: {e}"));
            }
        }
        self.chat_info_changed(session, |c| c.busy = false);
        self.update_turn(session);
    }
}
