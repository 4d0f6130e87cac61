//! The client side of the Agent Client Protocol for one agent process.
//!
//! Airlock spawns the agent itself (through the same sandbox entry as every
//! session, with its stdio piped, no PTY) and speaks ACP v1 to it with the
//! protocol's own crate. Nothing here knows the engine: what the agent says
//! goes out as [`FromAgent`] through a callback ([`Report`]) whose future is
//! awaited, so an engine that is behind slows the agent's reading instead of
//! queueing without bound; what the engine wants comes
//! in as [`ToAgent`]. Requests the agent makes of the client (permission,
//! file reads and writes) travel with their responder, so the engine answers
//! them whenever the user has decided and nothing waits meanwhile; a
//! responder dropped unanswered answers the agent with an error.
//!
//! Lines on the agent's stdout that are not JSON are not fed to the
//! protocol: they are reported ([`FromAgent::Unparsed`]) so the user sees
//! what the agent printed instead of a silent hang.

use std::path::PathBuf;
use std::time::Duration;

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::schema::{
    CancelNotification, ClientCapabilities, ContentBlock, FileSystemCapabilities, Implementation,
    InitializeRequest, LoadSessionRequest, NewSessionRequest, PromptRequest, ReadTextFileRequest,
    ReadTextFileResponse, RequestPermissionRequest, RequestPermissionResponse, SessionConfigOption,
    SessionConfigOptionValue, SessionId, SessionModeState, SessionNotification,
    SetSessionConfigOptionRequest, SetSessionModeRequest, StopReason, WriteTextFileRequest,
    WriteTextFileResponse,
};
use agent_client_protocol::v1::{ConnectionTo, Responder};
use agent_client_protocol::{Agent, Client, Lines};
use futures::future::BoxFuture;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Where a connection reports what its agent says: the future resolves
/// once the engine has taken it.
pub trait Report: Fn(FromAgent) -> BoxFuture<'static, ()> + Send + Sync + Clone + 'static {}

impl<T> Report for T where T: Fn(FromAgent) -> BoxFuture<'static, ()> + Send + Sync + Clone + 'static
{}

/// How long an agent has to answer `initialize` and `session/new`.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Modes in which the known adapters act without asking the client:
/// Claude's `auto` and `bypassPermissions`, Codex's `agent` (its own
/// reviewer decides) and `full-access`, and the usual names for the same.
const SELF_APPROVING: [&str; 6] = [
    "auto",
    "bypassPermissions",
    "agent",
    "full-access",
    "yolo",
    "dontAsk",
];
/// Modes that ask the client before acting, preferred in this order.
const ASKING: [&str; 4] = ["default", "workspace-write", "ask", "read-only"];

/// The mode to leave `current` for, when it approves by itself and the
/// agent offers one that asks. The user may pick any mode afterwards.
pub fn asking_mode(current: &str, offered: &[&str]) -> Option<&'static str> {
    if !SELF_APPROVING.contains(&current) {
        return None;
    }
    ASKING.into_iter().find(|m| offered.contains(m))
}

/// What to run, where, with what environment.
pub struct AgentCommand {
    /// The command line (already wrapped by the sandbox).
    pub argv: Vec<String>,
    /// Its working folder, also the ACP session's `cwd`.
    pub cwd: PathBuf,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// The agent's id of a conversation to resume (`session/load`), when
    /// the agent can; a new one otherwise.
    pub resume: Option<String>,
}

/// What the agent told us at the start.
#[derive(Debug, Clone)]
pub struct Ready {
    /// Its name and version.
    pub agent: Option<String>,
    /// Its name alone.
    pub name: Option<String>,
    /// Its modes, if it has any.
    pub modes: Option<SessionModeState>,
    /// Whether prompts may embed file contents.
    pub embedded_context: bool,
    /// The mode Airlock moved the agent out of (it approved by itself), if it did.
    pub left_mode: Option<String>,
    /// The agent's id for the conversation.
    pub session_id: String,
    /// Its settings (the model, …).
    pub config: Vec<agent_client_protocol::v1::schema::SessionConfigOption>,
    /// The conversation was resumed (`session/load`) rather than started.
    pub resumed: bool,
}

/// Something from the agent.
pub enum FromAgent {
    /// `initialize` and `session/new` succeeded.
    Ready(Ready),
    /// A session update (message chunks, tool calls, plan, modes, usage).
    Update(Box<SessionNotification>),
    /// The agent asks permission for a tool call.
    Permission(
        Box<RequestPermissionRequest>,
        Responder<RequestPermissionResponse>,
    ),
    /// The agent asks the client to write a file.
    Write(Box<WriteTextFileRequest>, Responder<WriteTextFileResponse>),
    /// The agent asks the client to read a file.
    Read(Box<ReadTextFileRequest>, Responder<ReadTextFileResponse>),
    /// A prompt's turn ended: its stop reason, or why it failed.
    TurnEnded(std::result::Result<StopReason, String>),
    /// The agent printed a line on stdout that is not a protocol message.
    Unparsed(String),
    /// The protocol could not be started or broke down.
    Failed(String),
    /// The agent refused a request; the conversation goes on.
    Refused(String),
    /// The agent's settings after a change the user asked for.
    Config(Vec<agent_client_protocol::v1::schema::SessionConfigOption>),
    /// The agent's stderr printed something (raw bytes, for its log).
    Stderr(Vec<u8>),
    /// The process ended (its exit code, `None` when killed by a signal).
    Exited(Option<i32>),
}

/// Something for the agent.
pub enum ToAgent {
    /// Start a turn.
    Prompt(Vec<ContentBlock>),
    /// Cancel the running turn (`session/cancel`).
    Cancel,
    /// Switch mode (`session/set_mode`).
    SetMode(String),
    /// Set a setting (`session/set_config_option`): its id and the value's.
    SetConfig(String, String),
}

/// A running agent: where to send it work, and its process.
pub struct AgentHandle {
    tx: mpsc::UnboundedSender<ToAgent>,
    pid: Option<u32>,
}

impl AgentHandle {
    /// Queues `msg` for the agent; false once the connection has ended.
    pub fn send(&self, msg: ToAgent) -> bool {
        self.tx.send(msg).is_ok()
    }

    /// Ends the agent's whole process group.
    pub fn kill(&self) {
        if let Some(pid) = self
            .pid
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM);
        }
    }
}

/// Starts the agent and its connection; everything it says goes to `on`.
pub fn start(command: AgentCommand, on: impl Report) -> std::io::Result<AgentHandle> {
    let Some((program, args)) = command.argv.split_first() else {
        return Err(std::io::Error::other("no command"));
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(&command.cwd)
        .envs(command.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let (Some(stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(std::io::Error::other("the agent's stdio was not piped"));
    };
    let (tx, rx) = mpsc::unbounded_channel();

    let on_err = on.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stderr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => on_err(FromAgent::Stderr(buf[..n].to_vec())).await,
            }
        }
    });

    let on_conn = on.clone();
    let cwd = command.cwd.clone();
    let resume = command.resume.clone();
    let connection = tokio::spawn(async move {
        if let Err(e) = run(stdin, stdout, cwd, resume, rx, on_conn.clone()).await {
            on_conn(FromAgent::Failed(e)).await;
        }
    });

    tokio::spawn(async move {
        let status = child.wait().await;
        // Let the connection see the end of stdout first, so the last
        // updates arrive before the exit.
        let _ = tokio::time::timeout(Duration::from_secs(2), connection).await;
        let code = status.ok().and_then(|s| s.code());
        on(FromAgent::Exited(code)).await;
    });
    Ok(AgentHandle { tx, pid })
}

/// Lines from the agent, without the ones that are not JSON (reported instead).
fn incoming_lines(
    stdout: tokio::process::ChildStdout,
    on: impl Report,
) -> impl futures::Stream<Item = std::io::Result<String>> + Send + 'static {
    futures::stream::unfold(
        (BufReader::new(stdout), on),
        |(mut reader, on)| async move {
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line).await {
                    Ok(0) => return None,
                    Ok(_) => {
                        let trimmed = line.trim();
                        if trimmed.is_empty() {
                            continue;
                        }
                        if serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_err() {
                            on(FromAgent::Unparsed(trimmed.chars().take(500).collect())).await;
                            continue;
                        }
                        return Some((Ok(trimmed.to_string()), (reader, on)));
                    }
                    Err(e) => return Some((Err(e), (reader, on))),
                }
            }
        },
    )
}

async fn run(
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
    cwd: PathBuf,
    resume: Option<String>,
    mut rx: mpsc::UnboundedReceiver<ToAgent>,
    on: impl Report,
) -> std::result::Result<(), String> {
    // While a resumed conversation is replayed, its updates are what the
    // transcript already holds: they are not added again.
    let replaying = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let replaying_n = replaying.clone();
    let outgoing = futures::sink::unfold(stdin, |mut w, line: String| async move {
        w.write_all(line.as_bytes()).await?;
        w.write_all(b"\n").await?;
        w.flush().await?;
        Ok::<_, std::io::Error>(w)
    });
    let transport = Lines::new(Box::pin(outgoing), incoming_lines(stdout, on.clone()));
    let (on_n, on_p, on_w, on_r) = (on.clone(), on.clone(), on.clone(), on.clone());
    Client
        .v1()
        .name("airlock")
        .on_receive_notification(
            async move |n: SessionNotification, _cx| {
                if !replaying_n.load(std::sync::atomic::Ordering::SeqCst) {
                    on_n(FromAgent::Update(Box::new(n))).await;
                }
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .on_receive_request(
            async move |r: RequestPermissionRequest, responder, _cx| {
                on_p(FromAgent::Permission(Box::new(r), responder)).await;
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |r: WriteTextFileRequest, responder, _cx| {
                on_w(FromAgent::Write(Box::new(r), responder)).await;
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |r: ReadTextFileRequest, responder, _cx| {
                on_r(FromAgent::Read(Box::new(r), responder)).await;
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .connect_with(transport, async move |cx: ConnectionTo<Agent>| {
            let session = match handshake(&cx, cwd, resume, &replaying).await {
                Ok((ready, session)) => {
                    on(FromAgent::Ready(ready)).await;
                    session
                }
                Err(e) => {
                    on(FromAgent::Failed(e)).await;
                    return Ok(());
                }
            };
            loop {
                tokio::select! {
                    msg = rx.recv() => match msg {
                        Some(msg) => send(&cx, &session, msg, &on).await,
                        None => break,
                    },
                    _ = cx.incoming_closed() => break,
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())
}

/// Sends the agent what Airlock has for it; its answers come back through
/// `on` when they arrive, without holding up the next message.
async fn send(cx: &ConnectionTo<Agent>, session: &SessionId, msg: ToAgent, on: &impl Report) {
    let on = on.clone();
    match msg {
        ToAgent::Prompt(blocks) => {
            let sent = cx.send_request(PromptRequest::new(session.clone(), blocks));
            tokio::spawn(async move {
                let result = sent
                    .block_task()
                    .await
                    .map(|r| r.stop_reason)
                    .map_err(|e| why(&e));
                on(FromAgent::TurnEnded(result)).await;
            });
        }
        ToAgent::Cancel => {
            if let Err(e) = cx.send_notification(CancelNotification::new(session.clone())) {
                on(FromAgent::Refused(format!(
                    "could not send the cancel: {}",
                    why(&e)
                )))
                .await;
            }
        }
        ToAgent::SetMode(mode) => {
            let sent = cx.send_request(SetSessionModeRequest::new(session.clone(), mode));
            tokio::spawn(async move {
                if let Err(e) = sent.block_task().await {
                    on(FromAgent::Refused(format!(
                        "the agent refused the mode: {}",
                        why(&e)
                    )))
                    .await;
                }
            });
        }
        ToAgent::SetConfig(config, value) => {
            let value = match value.as_str() {
                "true" => SessionConfigOptionValue::boolean(true),
                "false" => SessionConfigOptionValue::boolean(false),
                v => SessionConfigOptionValue::value_id(v.to_string()),
            };
            let request = SetSessionConfigOptionRequest::new(session.clone(), config, value);
            let sent = cx.send_request(request);
            tokio::spawn(async move {
                match sent.block_task().await {
                    Ok(r) => on(FromAgent::Config(r.config_options)).await,
                    Err(e) => {
                        on(FromAgent::Refused(format!(
                            "the agent refused the setting: {}",
                            why(&e)
                        )))
                        .await
                    }
                }
            });
        }
    }
}

/// What a new or loaded conversation starts with: its id, modes and
/// settings, and whether it was resumed.
type Opened = (
    SessionId,
    Option<SessionModeState>,
    Vec<SessionConfigOption>,
    bool,
);

/// `session/load` when the conversation can be resumed, else `session/new`.
async fn open_session(
    cx: &ConnectionTo<Agent>,
    cwd: PathBuf,
    resume: Option<String>,
    replaying: &std::sync::atomic::AtomicBool,
) -> std::result::Result<Opened, String> {
    Ok(match resume {
        Some(id) => {
            replaying.store(true, std::sync::atomic::Ordering::SeqCst);
            let loaded = tokio::time::timeout(
                START_TIMEOUT,
                cx.send_request(LoadSessionRequest::new(id.clone(), cwd))
                    .block_task(),
            )
            .await;
            replaying.store(false, std::sync::atomic::Ordering::SeqCst);
            let loaded = loaded
                .map_err(|_| {
                    format!(
                        "the agent did not answer `session/load` within {} s",
                        START_TIMEOUT.as_secs()
                    )
                })?
                .map_err(|e| format!("the agent could not resume the conversation: {}", why(&e)))?;
            (
                SessionId::from(id),
                loaded.modes,
                loaded.config_options.unwrap_or_default(),
                true,
            )
        }
        None => {
            let new = tokio::time::timeout(
                START_TIMEOUT,
                cx.send_request(NewSessionRequest::new(cwd)).block_task(),
            )
            .await
            .map_err(|_| {
                format!(
                    "the agent did not answer `session/new` within {} s",
                    START_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| format!("the agent refused `session/new`: {}", why(&e)))?;
            (
                new.session_id,
                new.modes,
                new.config_options.unwrap_or_default(),
                false,
            )
        }
    })
}

/// Moves an agent that starts in a mode that acts without asking to one
/// that asks, before the first turn: no command may run unasked, not even
/// once. Returns the mode it left.
async fn leave_self_approving(
    cx: &ConnectionTo<Agent>,
    session_id: &SessionId,
    modes: Option<&mut SessionModeState>,
) -> std::result::Result<Option<String>, String> {
    let Some(m) = modes else {
        return Ok(None);
    };
    {
        let offered: Vec<String> = m.available_modes.iter().map(|m| m.id.to_string()).collect();
        let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
        let current = m.current_mode_id.to_string();
        if let Some(asking) = asking_mode(&current, &offered) {
            // Before the first turn: no command may run unasked, not even once.
            tokio::time::timeout(
                START_TIMEOUT,
                cx.send_request(SetSessionModeRequest::new(session_id.clone(), asking))
                    .block_task(),
            )
            .await
            .map_err(|_| format!("the agent did not answer `session/set_mode` within {} s", START_TIMEOUT.as_secs()))?
            .map_err(|e| format!("the agent starts in mode `{current}`, which acts without asking, and refused to switch to `{asking}`: {}", why(&e)))?;
            m.current_mode_id = asking.to_string().into();
            return Ok(Some(current));
        }
    }
    Ok(None)
}

/// An error from the connection, for people.
fn why(e: &agent_client_protocol::Error) -> String {
    if agent_client_protocol::is_incoming_transport_closed(e) {
        "the agent closed its connection".into()
    } else {
        match &e.data {
            Some(serde_json::Value::String(d)) => format!("{}: {d}", e.message),
            Some(d) if !d.is_null() => format!("{}: {d}", e.message),
            _ => e.message.clone(),
        }
    }
}

/// `initialize` then `session/new`, each within [`START_TIMEOUT`].
async fn handshake(
    cx: &ConnectionTo<Agent>,
    cwd: PathBuf,
    resume: Option<String>,
    replaying: &std::sync::atomic::AtomicBool,
) -> std::result::Result<(Ready, SessionId), String> {
    let init = InitializeRequest::new(ProtocolVersion::V1)
        .client_capabilities(
            ClientCapabilities::new().fs(FileSystemCapabilities::new()
                .read_text_file(true)
                .write_text_file(true)),
        )
        .client_info(Implementation::new("airlock", env!("CARGO_PKG_VERSION")));
    let init = tokio::time::timeout(START_TIMEOUT, cx.send_request(init).block_task())
        .await
        .map_err(|_| {
            format!(
                "the agent did not answer `initialize` within {} s: is this an ACP agent?",
                START_TIMEOUT.as_secs()
            )
        })?
        .map_err(|e| format!("the agent refused `initialize`: {}", why(&e)))?;
    if init.protocol_version != ProtocolVersion::V1 {
        return Err(format!(
            "the agent speaks ACP version {}, Airlock speaks version 1",
            serde_json::to_string(&init.protocol_version).unwrap_or_default()
        ));
    }
    let resume = resume.filter(|_| init.agent_capabilities.load_session);
    let (session_id, mut modes, config, resumed) = open_session(cx, cwd, resume, replaying).await?;
    let left_mode = leave_self_approving(cx, &session_id, modes.as_mut()).await?;
    let name = init
        .agent_info
        .as_ref()
        .map(|i| i.title.clone().unwrap_or_else(|| i.name.clone()));
    let ready = Ready {
        agent: init
            .agent_info
            .map(|i| format!("{} {}", i.title.unwrap_or(i.name), i.version)),
        name,
        modes,
        embedded_context: init.agent_capabilities.prompt_capabilities.embedded_context,
        left_mode,
        session_id: session_id.to_string(),
        config,
        resumed,
    };
    Ok((ready, session_id))
}
