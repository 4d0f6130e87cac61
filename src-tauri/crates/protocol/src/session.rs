//! Sessions: how an agent is held (mode, sandbox, network), its state and turn, and what starting one takes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Action, ChatInfo, SessionId, SessionKind};

/// How a session's agent is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub enum SessionMode {
    /// The agent writes into a private stage; every write becomes a pending change.
    #[default]
    Staged,
    /// The agent runs in the project and asks first through its gate.
    Gated,
}

/// Where a session's process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    /// The process runs.
    Running,
    /// The process has ended; its stage and pending changes stay until removed.
    Exited,
}

/// Whose turn it is in a session, for the sidebar and notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TurnState {
    /// The agent is working (output in the last moments).
    Running,
    /// Hunks or actions wait for the user.
    Waiting,
    /// Running, quiet, nothing waiting.
    Idle,
    /// The process has ended.
    Exited,
}

/// A stage left behind by a crash: no session owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    /// The folder.
    pub path: String,
    /// Its disk use in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// One agent run as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The session's id.
    pub id: SessionId,
    /// A name for people: given, or the command's first word.
    pub name: String,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// Staged or gated.
    pub mode: SessionMode,
    /// Running or exited.
    pub state: SessionState,
    /// Running, waiting for you, idle, or exited.
    pub turn: TurnState,
    /// The exit code once exited (`None` while running, or when killed by a signal).
    pub exit_code: Option<i32>,
    /// The folder the command runs in (the stage for a staged session).
    pub cwd: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: u64,
    /// How many files have pending changes.
    pub pending_changes: u32,
    /// How many hunks wait for a decision.
    pub pending_hunks: u32,
    /// What confines the session's processes; `None` once it has exited
    /// (nothing runs) or for a session from before a restart.
    #[serde(default)]
    pub sandbox: Option<SandboxInfo>,
    /// A terminal or a chat.
    #[serde(default)]
    pub kind: SessionKind,
    /// What a chat's agent offers and reports; `None` for a terminal, or
    /// until the agent has answered `initialize`.
    #[serde(default)]
    #[ts(optional)]
    pub chat: Option<ChatInfo>,
    /// The agent's own id for its conversation, when its hooks said it
    /// (Claude Code's `session_id`): a restart resumes that conversation
    /// (`claude --resume ID`) instead of starting a new one.
    #[serde(default)]
    #[ts(optional)]
    pub resume: Option<String>,
    /// The task it is an attempt of (see [`crate::TaskInfo`]).
    #[serde(default)]
    #[ts(optional)]
    pub task: Option<String>,
}

/// Whether a session's processes are confined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SandboxState {
    /// Confined: writes only where [`SandboxInfo::writable`] says, credentials
    /// and Airlock's own data unreadable, network as [`SandboxInfo::network`].
    Confined,
    /// The user started it without a sandbox.
    OptedOut,
    /// It could not be confined here (see [`SandboxInfo::note`]).
    Unavailable,
}

/// A session's network, as its sandbox enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum NetworkMode {
    /// Unrestricted.
    #[default]
    On,
    /// No TCP connections at all.
    Off,
    /// TCP only through Airlock's proxy, which lets through only the hosts
    /// the policy names (by default the model APIs).
    ModelOnly,
}

/// Whether to sandbox a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SandboxChoice {
    /// Confine it where this system can, and say so where it cannot.
    #[default]
    Auto,
    /// Refuse to start it unless it can be confined.
    Require,
    /// Run it unconfined (shown as such).
    Off,
}

/// What the header's shield shows about a session's sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SandboxInfo {
    /// Confined, opted out, or not possible.
    pub state: SandboxState,
    /// Where the session may write when confined: its root (the stage, or
    /// the project for a gated session), its temp folder, the agent's state folders.
    pub writable: Vec<String>,
    /// Its network.
    pub network: NetworkMode,
    /// One line for people: "sandboxed: writes to its stage only, network on"
    /// or "not sandboxed: why".
    pub summary: String,
    /// Every program the session starts waits at the exec gate.
    #[serde(default)]
    pub exec_gate: bool,
    /// Connections the `model-only` proxy refused.
    #[serde(default)]
    #[ts(type = "number")]
    pub blocked: u64,
    /// The last host:port it refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_blocked: Option<String>,
}

/// Status of the engine for one project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    /// The engine's version and commit ([`VERSION`]).
    pub version: String,
    /// The project's absolute path.
    pub project: String,
    /// The engine's process id.
    pub pid: u32,
    /// The sessions, newest last.
    pub sessions: Vec<SessionInfo>,
    /// How many changes wait for a decision.
    pub pending_changes: u32,
    /// How many hunks wait for a decision.
    pub pending_hunks: u32,
    /// Actions waiting for a decision, oldest first.
    pub actions: Vec<Action>,
}

/// Parameters of [`Request::StartSession`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct StartSessionParams {
    /// The command and its arguments; the user's `$SHELL` when absent or empty.
    #[serde(default)]
    #[ts(optional)]
    pub command: Option<Vec<String>>,
    /// A name for people.
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    /// Staged (the default) or gated.
    #[serde(default)]
    #[ts(optional)]
    pub mode: Option<SessionMode>,
    /// Terminal width in columns.
    #[serde(default)]
    #[ts(optional)]
    pub cols: Option<u16>,
    /// Terminal height in rows.
    #[serde(default)]
    #[ts(optional)]
    pub rows: Option<u16>,
    /// Whether to sandbox it (default: where this system can).
    #[serde(default)]
    #[ts(optional)]
    pub sandbox: Option<SandboxChoice>,
    /// Its network (default: on).
    #[serde(default)]
    #[ts(optional)]
    pub network: Option<NetworkMode>,
    /// A terminal (the default) or a chat with an ACP agent (`command` is
    /// then the agent's command line).
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<SessionKind>,
    /// Whether every program the session starts waits at the exec gate
    /// (default: on for agents, off for an interactive shell of the user's).
    #[serde(default)]
    #[ts(optional)]
    pub exec_gate: Option<bool>,
    /// The branch or commit a staged session's stage starts from (default:
    /// HEAD, with the user's uncommitted changes). From another branch the
    /// stage holds that branch's files as they are committed.
    #[serde(default)]
    #[ts(optional)]
    pub base: Option<String>,
}
