//! Wire types of Airlock: what goes into the engine ([`Request`]), what comes back
//! ([`Response`] or [`IpcError`], wrapped in a [`Reply`]), and what the engine
//! announces on its own ([`Event`]).
//!
//! Every front end speaks these types: the Tauri shell over IPC, the browser over
//! HTTP and WebSocket, the CLI over the engine's local socket. Field names are
//! camelCase, enums are internally tagged, ids are strings. The TypeScript in
//! `ui/src/ipc/bindings.ts` is generated from this file (see the `bindings` test)
//! and never written by hand.
#![deny(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod chat;
pub use chat::*;

/// Airlock's version and the commit it was built from, `0.1.0 (0123456789ab)`
/// ("unknown" outside a git checkout): what `airlock --version` and the
/// window's About say.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("AIRLOCK_COMMIT"), ")");

/// A session's id, `s-` followed by hex.
pub type SessionId = String;
/// A change's id, `c-` followed by hex; stable for a session and path.
pub type ChangeId = String;
/// A hunk's id, `h-` followed by hex; a hash of the hunk's content and anchor,
/// so it survives a re-diff of the rest of the file.
pub type HunkId = String;

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

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// The file is new.
    Created,
    /// The file's content or mode differs.
    Modified,
    /// The file is gone.
    Deleted,
    /// The file moved (`old_path` → `path`), possibly with edits.
    Renamed,
}

/// Where a change stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ChangeState {
    /// Waiting for a decision.
    Pending,
    /// Some hunks overlap lines the user changed in the project since the agent's
    /// edit: those hunks cannot be approved as they are.
    Conflict,
    /// Refused by path safety (a symlink or hardlink that leads outside the
    /// project); approve-all never lands it and approving it is refused.
    Held,
    /// Approved and written into the project (listed with `decided`).
    Landed,
    /// Approved in a gated session: the agent was allowed to write it
    /// (listed with `decided`).
    Approved,
    /// Rejected: reverted in the stage, or denied to a gated agent with the
    /// reason (listed with `decided`).
    Rejected,
}

/// What a hunk stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum HunkKind {
    /// A run of lines.
    Lines,
    /// The file's mode (the executable bit).
    Mode,
    /// The whole file (binary, too large, empty, or a symlink).
    Whole,
}

/// A risk the engine sees in a change, with a one-line why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Badge {
    /// `deletesSymbol`, `renamesSymbol`, `changesSignature`, `weakensTest`,
    /// `syntaxError`, `secrets`, `lockfile`, `ciConfig`, `migration`, `generated`.
    pub kind: String,
    /// Why, for people.
    pub why: String,
}

/// A run of changed characters inside a line, in UTF-16 code units of its `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WordRange {
    /// First code unit.
    pub start: u32,
    /// One past the last.
    pub end: u32,
}

/// A hunk's place in the old and new file, without its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HunkHeader {
    /// Stable id.
    pub id: HunkId,
    /// First line in the project's file, 1-based (0 for an insertion at the top).
    pub old_start: u32,
    /// How many lines of the project's file the hunk replaces.
    pub old_lines: u32,
    /// First line in the proposed file, 1-based.
    pub new_start: u32,
    /// How many lines the proposal puts there.
    pub new_lines: u32,
    /// Lines, the mode, or the whole file.
    pub kind: HunkKind,
    /// True when the hunk overlaps lines the user changed since the agent's edit.
    pub conflict: bool,
    /// The enclosing symbols (`impl Engine › fn land`), or the nearest header line.
    pub label: Option<String>,
    /// Risks in this hunk.
    pub badges: Vec<Badge>,
}

/// One file's pending difference between the project and a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Stable id for this session and path.
    pub id: ChangeId,
    /// What this change's two sides hold (a hash of both): a decision on the
    /// whole change carries the version the user reviewed, so an agent that
    /// rewrites the file after review never gets its new text landed.
    pub version: String,
    /// The session whose stage holds the proposal.
    pub session: SessionId,
    /// Path relative to the project, `/`-separated (the new path of a rename).
    pub path: String,
    /// The path the file had before a rename.
    pub old_path: Option<String>,
    /// Created, modified, deleted or renamed.
    pub kind: ChangeKind,
    /// Pending, conflict or held.
    pub state: ChangeState,
    /// Why the change is held, when it is.
    pub held: Option<String>,
    /// True when either side is not text: approved or rejected whole.
    pub binary: bool,
    /// Size in bytes in the project, if the file is there.
    #[ts(type = "number | null")]
    pub old_size: Option<u64>,
    /// Size in bytes in the stage, if the file is there.
    #[ts(type = "number | null")]
    pub new_size: Option<u64>,
    /// Unix mode bits in the project, if the file is there.
    pub old_mode: Option<u32>,
    /// Unix mode bits in the stage, if the file is there.
    pub new_mode: Option<u32>,
    /// Lines added over all hunks.
    pub additions: u32,
    /// Lines removed over all hunks.
    pub deletions: u32,
    /// The hunks, in file order. A binary, created or deleted file has one hunk
    /// that stands for the whole file.
    pub hunks: Vec<HunkHeader>,
    /// Why the change is shown the way it is (binary, too large), for people.
    pub notice: Option<String>,
    /// Risks of the file as a whole (secrets, lockfile, CI config, generated…).
    pub badges: Vec<Badge>,
    /// How risky the change is overall, for sorting the queue (higher = riskier).
    pub risk: u32,
}

/// Whether a diff line is shared, added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum LineKind {
    /// Unchanged context.
    Context,
    /// In the proposal only.
    Added,
    /// In the project only.
    Removed,
}

/// One line of a hunk, highlighted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DiffLine {
    /// Context, added or removed.
    pub kind: LineKind,
    /// Line number in the project's file.
    pub old_no: Option<u32>,
    /// Line number in the proposed file.
    pub new_no: Option<u32>,
    /// The line without its terminator, as HTML: text escaped, tokens in
    /// `<span class="sy-…">` (see [`Response::ThemeCss`]).
    pub html: String,
    /// The line without its terminator, as plain text.
    pub text: String,
    /// The changed words of a removed or added line paired with its
    /// counterpart (empty when the whole line is new or gone).
    pub words: Vec<WordRange>,
}

/// A hunk with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HunkDiff {
    /// Where it is and its id.
    pub header: HunkHeader,
    /// Context before, the change, context after.
    pub lines: Vec<DiffLine>,
}

/// A change with some or all of its hunks' lines, highlighted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDiff {
    /// The change.
    pub change: Change,
    /// The index of the first hunk in `hunks` among all the change's line hunks.
    pub first: u32,
    /// How many line hunks the change has in all.
    pub total: u32,
    /// How many lines the project's file has (for "expand down").
    pub old_line_count: u32,
    /// How many lines the proposed file has.
    pub new_line_count: u32,
    /// The hunks asked for, with lines (empty for a binary change).
    pub hunks: Vec<HunkDiff>,
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct DecisionOutcome {
    /// Paths written into the project (approve) or back into a stage (reject).
    pub paths: Vec<String>,
    /// Actions allowed or denied.
    pub actions: Vec<String>,
    /// Rules written by "Always allow".
    pub rules: Vec<String>,
    /// How many hunks were decided.
    pub hunks: u32,
    /// The landing's id in the journal, when something landed.
    #[ts(type = "number | null")]
    pub landing: Option<i64>,
    /// For a reject that reverted a stage: what [`Request::UndoReject`] takes
    /// to put the agent's text back.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub rejection: Option<String>,
}

/// One landing in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LandingInfo {
    /// Its id.
    #[ts(type = "number")]
    pub id: i64,
    /// The session whose hunks landed (`undo` for an undo).
    pub session: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at: u64,
    /// The files written.
    pub paths: Vec<String>,
    /// The landing this one undid.
    #[ts(type = "number | null")]
    pub undoes: Option<i64>,
    /// The landing that undid this one.
    #[ts(type = "number | null")]
    pub undone_by: Option<i64>,
}

/// Why an action was judged risky.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Risk {
    /// `delete`, `forcePush`, `historyRewrite`, `sudo`, `pipeToShell`,
    /// `packageInstall`, `outsideProject`, `network`, `secrets`, `permissions`,
    /// `exec`, `unparsed`.
    pub kind: String,
    /// Why, for people.
    pub why: String,
}

/// A risky operation an agent waits to perform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// Its id, `a-` followed by hex.
    pub id: String,
    /// The session that asks.
    pub session: SessionId,
    /// The agent's tool (`Bash`, `WebFetch`, `Read`, …).
    pub tool: String,
    /// What it wants, in a line: the command, the path, the URL.
    pub summary: String,
    /// The folder it would run in.
    pub cwd: String,
    /// Why it is risky.
    pub risks: Vec<Risk>,
    /// The rule "Always allow" would add (Claude Code's syntax).
    pub suggested_rule: Option<String>,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at: u64,
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
}

/// An operation for the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Request {
    /// The project, sessions and counts. Answer: [`Response::Status`].
    Status,
    /// Start a command in a PTY. Answer: [`Response::Session`].
    StartSession(StartSessionParams),
    /// End a session's process group. Answer: [`Response::Done`].
    StopSession {
        /// Which session.
        session: SessionId,
    },
    /// Start an exited session's command again, in the same stage (its pending
    /// changes stay). Answer: [`Response::Session`].
    RestartSession {
        /// Which session.
        session: SessionId,
    },
    /// Stop a session and delete its stage and scrollback. Refused while it has
    /// pending changes unless `force`. Answer: [`Response::Done`].
    RemoveSession {
        /// Which session.
        session: SessionId,
        /// Remove even with pending changes (they are discarded).
        #[serde(default)]
        #[ts(optional)]
        force: Option<bool>,
    },
    /// Stages no session owns (left by a crash), with their disk use.
    /// Answer: [`Response::Orphans`].
    ListOrphans,
    /// Delete every orphaned stage. Answer: [`Response::Orphans`] (what was removed).
    CleanOrphans,
    /// Type into a session's terminal. Answer: [`Response::Done`].
    WriteInput {
        /// Which session.
        session: SessionId,
        /// The bytes to type, as UTF-8 text.
        data: String,
    },
    /// Resize a session's terminal. Answer: [`Response::Done`].
    ResizeSession {
        /// Which session.
        session: SessionId,
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
    /// What the terminal has shown, so a new window can draw it again.
    /// Answer: [`Response::Scrollback`].
    ReadScrollback {
        /// Which session.
        session: SessionId,
    },
    /// Pending changes, of one session or all. Answer: [`Response::Changes`].
    ListChanges {
        /// Only this session's.
        #[serde(default)]
        #[ts(optional)]
        session: Option<SessionId>,
        /// Also what was decided since the engine started, newest last, with
        /// the hunks decided and a state of `landed`, `approved` or `rejected`.
        #[serde(default)]
        #[ts(optional)]
        decided: Option<bool>,
    },
    /// One change with its highlighted hunks, all or a window of them (for a
    /// virtualized view of a huge change). Answer: [`Response::Diff`].
    GetDiff {
        /// Which change.
        change: ChangeId,
        /// The first line hunk to return (default 0).
        #[serde(default)]
        #[ts(optional)]
        from: Option<u32>,
        /// How many line hunks to return (default: all).
        #[serde(default)]
        #[ts(optional)]
        count: Option<u32>,
        /// Leave out hunks that only change white space.
        #[serde(default)]
        #[ts(optional)]
        ignore_whitespace: Option<bool>,
    },
    /// Lines of the project's side of a change, for expanding collapsed
    /// context. Answer: [`Response::Lines`].
    GetLines {
        /// Which change.
        change: ChangeId,
        /// First line, 1-based, in the project's file.
        from: u32,
        /// How many.
        count: u32,
    },
    /// Send a prompt to a chat session's agent; the reply streams in as
    /// [`Event::Chat`] and [`Event::ChatText`]. Answer: [`Response::Prompted`].
    Prompt {
        /// Which session.
        session: SessionId,
        /// What to say. `@path` words naming files in the session's folder
        /// are sent along as resource links (or their contents, when the
        /// agent takes embedded context).
        text: String,
    },
    /// Cancel a chat session's running turn; its open permission requests
    /// are answered `cancelled`. Answer: [`Response::Done`].
    Cancel {
        /// Which session.
        session: SessionId,
    },
    /// A chat session's transcript. Answer: [`Response::Transcript`].
    Transcript {
        /// Which session.
        session: SessionId,
        /// The first entry wanted (default 0).
        #[serde(default)]
        #[ts(optional)]
        from: Option<u32>,
    },
    /// The files in a session's folder that are not ignored (for `@`
    /// mentions), sorted, at most 20,000. Answer: [`Response::Files`].
    ListFiles {
        /// Which session.
        session: SessionId,
    },
    /// Comment on a pending change or one of its hunks, without deciding it.
    /// Answer: [`Response::Comments`] (the session's comments).
    Comment {
        /// A change id or a hunk id.
        target: String,
        /// The new-side line it is about.
        #[serde(default)]
        #[ts(optional)]
        line: Option<u32>,
        /// What to tell the agent.
        text: String,
    },
    /// Remove a comment. Answer: [`Response::Comments`] (its session's comments).
    DeleteComment {
        /// The comment's id.
        comment: String,
    },
    /// The comments waiting to be sent. Answer: [`Response::Comments`].
    ListComments {
        /// Only this session's.
        #[serde(default)]
        #[ts(optional)]
        session: Option<SessionId>,
    },
    /// Send a session's comments to its agent as one message: a prompt to a
    /// chat agent, a bracketed paste into a terminal agent waiting at its
    /// prompt, or the answer to a gated Claude Code hook call waiting on a
    /// commented change. Answer: [`Response::ReviewSent`].
    SendReview {
        /// Which session.
        session: SessionId,
    },
    /// Set one of a chat agent's settings (the model, …) to one of its values.
    /// Answer: [`Response::Done`]; the agent's new settings follow as a
    /// [`Event::SessionUpdated`].
    SetChatConfig {
        /// Which session.
        session: SessionId,
        /// The setting's id.
        config: String,
        /// The value's id (`true` / `false` for a switch).
        value: String,
    },
    /// The ACP agents Airlock knows, found on this machine or not.
    /// Answer: [`Response::Agents`].
    ListAgents,
    /// Put a chat session's agent in one of the modes it offers.
    /// Answer: [`Response::Done`].
    SetChatMode {
        /// Which session.
        session: SessionId,
        /// The mode's id.
        mode: String,
    },
    /// Land hunks or whole changes in the project, or allow actions.
    /// Answer: [`Response::Decided`].
    Approve {
        /// Hunk, change and action ids, in any mix.
        ids: Vec<String>,
        /// For actions: also write their suggested rule to the project's
        /// `.airlock/policy.toml`, so the same action passes from now on.
        #[serde(default)]
        #[ts(optional)]
        always: Option<bool>,
        /// The version of each change (by id) the user reviewed: a whole
        /// change whose version moved on since is refused with nothing
        /// decided. Without it the version the queue last announced counts.
        #[serde(default)]
        #[ts(optional)]
        versions: Option<BTreeMap<ChangeId, String>>,
    },
    /// Revert hunks or whole changes in their stage, or deny actions (the
    /// reason goes back to the agent). Answer: [`Response::Decided`].
    Reject {
        /// Hunk, change and action ids, in any mix.
        ids: Vec<String>,
        /// Why, for the agent and the journal.
        #[serde(default)]
        #[ts(optional)]
        reason: Option<String>,
        /// The version of each change (by id) the user reviewed: a whole
        /// change whose version moved on since is refused with nothing
        /// decided. Without it the version the queue last announced counts.
        #[serde(default)]
        #[ts(optional)]
        versions: Option<BTreeMap<ChangeId, String>>,
    },
    /// Land an edited version of a hunk: the hunk's lines become `text` in the
    /// project and in the stage (so the agent sees the edit). Answer: [`Response::Decided`].
    ApproveEdited {
        /// Which hunk.
        hunk: HunkId,
        /// The lines that replace the hunk, with their line endings.
        text: String,
    },
    /// Land some lines of a hunk: `removed` and `added` are 0-based indices
    /// into the hunk's removed and added lines. Answer: [`Response::Decided`].
    ApproveLines {
        /// Which hunk.
        hunk: HunkId,
        /// Removed lines to remove (the others stay).
        removed: Vec<u32>,
        /// Added lines to add (the others are left out).
        added: Vec<u32>,
    },
    /// The landings, newest first. Answer: [`Response::Landings`].
    ListLandings,
    /// Revert a landing (the newest that is not undone when `landing` is absent),
    /// three-way merged when a file changed since; refused, with nothing
    /// written, when that merge conflicts. Answer: [`Response::Decided`].
    Undo {
        /// Which landing.
        #[serde(default)]
        #[ts(optional, type = "number")]
        landing: Option<i64>,
    },
    /// Put back in its stage the agent's text that a reject reverted, so it is
    /// pending again; refused, with nothing written, where the agent has
    /// written the file since. Answer: [`Response::Decided`].
    UndoReject {
        /// The `rejection` of the reject's outcome.
        rejection: String,
    },
    /// Approve every pending change, of one session or all. Answer: [`Response::Decided`].
    ApproveAll {
        /// Only this session's.
        #[serde(default)]
        #[ts(optional)]
        session: Option<SessionId>,
        /// The changes the user reviewed, with their versions: only these are
        /// approved (one that appeared since stays pending), and one that moved
        /// on refuses the whole request.
        #[serde(default)]
        #[ts(optional)]
        versions: Option<BTreeMap<ChangeId, String>>,
    },
    /// Reject every pending change, of one session or all. Answer: [`Response::Decided`].
    RejectAll {
        /// Only this session's.
        #[serde(default)]
        #[ts(optional)]
        session: Option<SessionId>,
        /// Why.
        #[serde(default)]
        #[ts(optional)]
        reason: Option<String>,
        /// As for [`Request::ApproveAll`].
        #[serde(default)]
        #[ts(optional)]
        versions: Option<BTreeMap<ChangeId, String>>,
    },
    /// The stylesheet for highlighted lines. Answer: [`Response::ThemeCss`].
    GetThemeCss,
}

/// The engine's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Response {
    /// It was done.
    Done,
    /// See [`StatusInfo`].
    Status(StatusInfo),
    /// A session.
    Session(SessionInfo),
    /// Terminal output so far (the engine keeps a bounded tail).
    Scrollback {
        /// Base64 of the raw bytes.
        data: String,
        /// Offset of the end of `data` in the session's whole output: drop the
        /// part of any [`Event::Output`] that lies before it.
        #[ts(type = "number")]
        end: u64,
    },
    /// Pending changes.
    Changes {
        /// In path order per session.
        changes: Vec<Change>,
    },
    /// One change in full.
    Diff(ChangeDiff),
    /// Context lines (kind `context`, numbered on both sides).
    Lines {
        /// The lines.
        lines: Vec<DiffLine>,
    },
    /// What an approve or reject did.
    Decided(DecisionOutcome),
    /// A prompt was sent: its entry in the transcript. The turn has ended
    /// once a [`ChatEntry::TurnEnded`] follows it.
    Prompted {
        /// The prompt's place in the transcript.
        index: u32,
    },
    /// Review comments waiting to be sent.
    Comments {
        /// Oldest first.
        comments: Vec<ReviewComment>,
    },
    /// A review was sent.
    ReviewSent {
        /// How it reached the agent.
        via: ReviewDelivery,
        /// How many comments it carried.
        comments: u32,
        /// The message as sent.
        message: String,
    },
    /// The known ACP agents.
    Agents {
        /// In the order to offer them.
        agents: Vec<KnownAgent>,
    },
    /// Files of a session's folder.
    Files {
        /// Relative paths, sorted.
        paths: Vec<String>,
        /// More files than were listed.
        truncated: bool,
    },
    /// A chat's transcript from `from` on.
    Transcript {
        /// The first entry's place.
        from: u32,
        /// The entries.
        entries: Vec<ChatEntry>,
    },
    /// Orphaned stages.
    Orphans {
        /// The stages.
        orphans: Vec<Orphan>,
    },
    /// Landings, newest first.
    Landings {
        /// The landings.
        landings: Vec<LandingInfo>,
    },
    /// CSS for `sy-` classes: `light` and `dark` themes, and in `auto` each
    /// under its own `prefers-color-scheme` media query.
    ThemeCss {
        /// For a light background.
        light: String,
        /// For a dark background.
        dark: String,
        /// Light and dark, each under its own `prefers-color-scheme` media query.
        auto: String,
    },
}

/// Why a request failed, in a form a program can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The request could not be read, or asked for something that makes no sense.
    BadRequest,
    /// An id or path that the engine does not know.
    NotFound,
    /// A token that is missing or wrong.
    Unauthorized,
    /// A path that would leave the project.
    Forbidden,
    /// The command to run could not be found or started.
    SpawnFailed,
    /// The file system said no.
    Io,
    /// The engine is not running or stopped answering.
    Unavailable,
    /// A fault of the engine's own.
    Internal,
    /// The user's text would be overwritten, or a held change approved.
    Conflict,
    /// A change moved on since the user looked at it: nothing was decided.
    Changed,
}

/// A failed request: a code and a one-line message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened and what to do next.
    pub message: String,
}

/// The first byte of a binary output frame (and its layout's version).
pub const OUTPUT_FRAME: u8 = 1;

/// Terminal output as one binary message, for transports that carry bytes
/// (the browser's WebSocket): the raw bytes, without the base64 and JSON that
/// [`Event::Output`] costs both ends. Layout, every number little-endian:
///
/// | bytes | what |
/// |---|---|
/// | 1 | [`OUTPUT_FRAME`] |
/// | 8 | offset of the first data byte in the session's whole output (u64) |
/// | 1 | length `n` of the session id |
/// | n | the session id (ASCII) |
/// | rest | the data |
///
/// A session id longer than 255 bytes (the engine makes none) is cut there.
pub fn output_frame(session: &str, offset: u64, data: &[u8]) -> Vec<u8> {
    let mut out = output_frame_head(session, offset, data.len());
    out.extend_from_slice(data);
    out
}

/// The start of an [`output_frame`], with room for `data_len` bytes of data
/// to be appended: for a writer that has the data elsewhere and would rather
/// copy it once.
pub fn output_frame_head(session: &str, offset: u64, data_len: usize) -> Vec<u8> {
    let id = &session.as_bytes()[..session.len().min(255)];
    let mut out = Vec::with_capacity(output_frame_head_len(session) + data_len);
    out.push(OUTPUT_FRAME);
    out.extend_from_slice(&offset.to_le_bytes());
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out
}

/// How many bytes come before the data in an [`output_frame`] for `session`.
pub fn output_frame_head_len(session: &str) -> usize {
    10 + session.len().min(255)
}

/// Reads a frame [`output_frame`] wrote: `(session, offset, data)`, or `None`
/// for anything else.
pub fn parse_output_frame(frame: &[u8]) -> Option<(&str, u64, &[u8])> {
    let (&kind, rest) = frame.split_first()?;
    if kind != OUTPUT_FRAME || rest.len() < 9 {
        return None;
    }
    let offset = u64::from_le_bytes(rest[..8].try_into().ok()?);
    let n = rest[8] as usize;
    let id = rest.get(9..9 + n)?;
    Some((std::str::from_utf8(id).ok()?, offset, &rest[9 + n..]))
}

impl Event {
    /// The event as one JSON text, as `serde_json::to_string` writes it.
    ///
    /// Terminal output is most of what a subscriber receives (256 KiB frames
    /// at full speed), and its base64 never needs escaping: it is written
    /// directly, after one quick check, instead of through the escaper.
    pub fn to_json(&self) -> serde_json::Result<String> {
        if let Event::Output {
            session,
            data,
            offset,
        } = self
        {
            // What JSON escapes: quotes, backslashes and control characters.
            let plain = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
            if plain(session) && plain(data) {
                let mut out = String::with_capacity(data.len() + session.len() + 64);
                out.push_str(r#"{"type":"output","session":""#);
                out.push_str(session);
                out.push_str(r#"","data":""#);
                out.push_str(data);
                out.push_str(r#"","offset":"#);
                out.push_str(&offset.to_string());
                out.push('}');
                return Ok(out);
            }
        }
        serde_json::to_string(self)
    }
}

impl IpcError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IpcError {}

/// A [`Response`] or an [`IpcError`]: `{"ok": …}` or `{"error": …}` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
// A reply is built once and serialized at once; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Reply {
    /// It worked.
    Ok(Response),
    /// It did not.
    Error(IpcError),
}

impl From<Result<Response, IpcError>> for Reply {
    fn from(result: Result<Response, IpcError>) -> Self {
        match result {
            Ok(response) => Reply::Ok(response),
            Err(error) => Reply::Error(error),
        }
    }
}

impl From<Reply> for Result<Response, IpcError> {
    fn from(reply: Reply) -> Self {
        match reply {
            Reply::Ok(response) => Ok(response),
            Reply::Error(error) => Err(error),
        }
    }
}

/// What an agent's gate asks (over the engine's socket, with the session's own
/// token): the agent's tool call, as the agent describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GateRequest {
    /// The session the agent runs in (`$AIRLOCK_SESSION`).
    pub session: SessionId,
    /// Which agent protocol (`claude`).
    pub agent: String,
    /// The tool (`Bash`, `Write`, `Edit`, …).
    pub tool: String,
    /// The tool's input, as the agent sent it.
    #[ts(type = "unknown")]
    pub input: serde_json::Value,
    /// The agent's working folder.
    pub cwd: String,
}

/// An agent saying its turn ended (Claude Code's Stop hook, Codex's
/// `notify`), sent with the session's own token like a [`GateRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TurnReport {
    /// The session the agent runs in (`$AIRLOCK_SESSION`).
    pub session: SessionId,
    /// Which agent says so (`claude`, `codex`).
    pub agent: String,
}

/// The user's (or the policy's) answer to a [`GateRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GateReply {
    /// `allow`, `deny` or `ask` (leave it to the agent's own prompt).
    pub decision: String,
    /// Why, for the agent to read.
    pub reason: Option<String>,
    /// Replaces the tool's input (a partially approved or edited write).
    #[ts(type = "unknown")]
    pub updated_input: Option<serde_json::Value>,
}

/// What the engine announces without being asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// A session started.
    SessionStarted {
        /// The session.
        session: SessionInfo,
    },
    /// A session's counts or state changed.
    SessionUpdated {
        /// The session as it is now.
        session: SessionInfo,
    },
    /// An agent waits for a decision on an action.
    ActionRequested {
        /// The action.
        action: Action,
    },
    /// An action was decided (or its agent stopped waiting).
    ActionResolved {
        /// Which action.
        action: String,
        /// `allow`, `deny` or `gone`.
        outcome: String,
        /// The rule written by "Always allow".
        #[ts(optional)]
        rule: Option<String>,
    },
    /// A session needs the user: it started waiting (`waiting`) or finished
    /// (`finished`). Once per change of turn, never per byte: front ends show
    /// it as a desktop notification.
    Attention {
        /// Which session.
        session: SessionId,
        /// `waiting`, `done` (a chat finished its turn) or `finished` (the agent exited).
        kind: String,
        /// What to tell the user.
        message: String,
    },
    /// A session was removed with its stage.
    SessionRemoved {
        /// Which session.
        session: SessionId,
    },
    /// A session's process ended.
    SessionExited {
        /// Which session.
        session: SessionId,
        /// Its exit code, if it exited rather than being killed.
        exit_code: Option<i32>,
    },
    /// A change appeared or its proposal moved on.
    ChangeProposed {
        /// The change as it is now.
        change: Change,
    },
    /// A change no longer differs: landed, rejected, or undone by the agent.
    ChangeRemoved {
        /// Which change.
        change: ChangeId,
        /// Its session.
        session: SessionId,
        /// Its path.
        path: String,
    },
    /// Approved hunks were written into the project.
    Landed {
        /// The journal's id for the landing.
        #[ts(type = "number")]
        landing: i64,
        /// The session the hunks came from.
        session: SessionId,
        /// The paths written.
        paths: Vec<String>,
    },
    /// A chat entry was added (`index` is the transcript's length) or replaced.
    Chat {
        /// Which session.
        session: SessionId,
        /// Its place in the transcript.
        index: u32,
        /// The entry.
        entry: ChatEntry,
    },
    /// A session's review comments changed (the whole list).
    Comments {
        /// Which session.
        session: SessionId,
        /// Its comments, oldest first.
        comments: Vec<ReviewComment>,
    },
    /// Streamed text was appended to a chat entry (an agent message or a thought).
    ChatText {
        /// Which session.
        session: SessionId,
        /// The entry's place in the transcript.
        index: u32,
        /// The text added.
        text: String,
    },
    /// Terminal output.
    Output {
        /// Which session.
        session: SessionId,
        /// Base64 of the raw bytes (a frame may split a UTF-8 character).
        data: String,
        /// Offset of the first byte of `data` in the session's whole output.
        #[ts(type = "number")]
        offset: u64,
    },
    /// Something went wrong in the background (a stage vanished, a watch failed).
    Problem {
        /// The session concerned, if any.
        #[ts(optional)]
        session: Option<SessionId>,
        /// What happened and what to do.
        message: String,
    },
}

/// The TypeScript declarations of every wire type, as `ui/src/ipc/bindings.ts` holds them.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        SessionMode::decl(&cfg),
        SessionState::decl(&cfg),
        TurnState::decl(&cfg),
        Orphan::decl(&cfg),
        SessionInfo::decl(&cfg),
        SandboxState::decl(&cfg),
        NetworkMode::decl(&cfg),
        SandboxChoice::decl(&cfg),
        SandboxInfo::decl(&cfg),
        SessionKind::decl(&cfg),
        ChatEntry::decl(&cfg),
        PlanItem::decl(&cfg),
        PlanStatus::decl(&cfg),
        StopReason::decl(&cfg),
        ToolCall::decl(&cfg),
        ToolLocation::decl(&cfg),
        ToolContent::decl(&cfg),
        ToolKind::decl(&cfg),
        ToolStatus::decl(&cfg),
        Permission::decl(&cfg),
        PermissionOutcome::decl(&cfg),
        ChatInfo::decl(&cfg),
        ChatChoice::decl(&cfg),
        ChatConfig::decl(&cfg),
        ChatUsage::decl(&cfg),
        KnownAgent::decl(&cfg),
        ReviewComment::decl(&cfg),
        ReviewDelivery::decl(&cfg),
        ChangeKind::decl(&cfg),
        ChangeState::decl(&cfg),
        HunkKind::decl(&cfg),
        HunkHeader::decl(&cfg),
        LandingInfo::decl(&cfg),
        Change::decl(&cfg),
        Badge::decl(&cfg),
        WordRange::decl(&cfg),
        LineKind::decl(&cfg),
        DiffLine::decl(&cfg),
        HunkDiff::decl(&cfg),
        ChangeDiff::decl(&cfg),
        DecisionOutcome::decl(&cfg),
        Risk::decl(&cfg),
        Action::decl(&cfg),
        StatusInfo::decl(&cfg),
        StartSessionParams::decl(&cfg),
        Request::decl(&cfg),
        Response::decl(&cfg),
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        Reply::decl(&cfg),
        Event::decl(&cfg),
        GateRequest::decl(&cfg),
        GateReply::decl(&cfg),
        TurnReport::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from src-tauri/crates/protocol by `UPDATE_BINDINGS=1 cargo test -p airlock-protocol`.\n// Do not edit by hand.\n\n",
    );
    out.push_str("export type SessionId = string;\nexport type ChangeId = string;\nexport type HunkId = string;\n\n");
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_json_is_what_serde_writes() {
        let output = Event::Output {
            session: "s-0123456789".into(),
            data: "aGVsbG8gd29ybGQ+Pz8/".into(),
            offset: 1_234_567_890_123,
        };
        assert_eq!(
            output.to_json().expect("json"),
            serde_json::to_string(&output).expect("serde")
        );
        let odd = Event::Output {
            session: "s-\"quoted\"".into(),
            data: "x".into(),
            offset: 0,
        };
        assert_eq!(
            odd.to_json().expect("json"),
            serde_json::to_string(&odd).expect("serde"),
            "anything that needs escaping goes through serde"
        );
    }

    #[test]
    fn output_frames_round_trip() {
        let data = [0u8, 0xff, b'\n', 0xe2, 0x82];
        let frame = output_frame("s-0123", 1 << 40, &data);
        assert_eq!(frame[0], OUTPUT_FRAME);
        assert_eq!(frame.len(), 1 + 8 + 1 + 6 + data.len());
        assert_eq!(output_frame_head_len("s-0123"), frame.len() - data.len());
        assert_eq!(
            parse_output_frame(&frame),
            Some(("s-0123", 1 << 40, &data[..]))
        );
        assert_eq!(
            parse_output_frame(&frame[..9]),
            None,
            "cut inside the offset"
        );
        assert_eq!(parse_output_frame(&frame[..12]), None, "cut inside the id");
        assert_eq!(
            parse_output_frame(b"{\"type\":1}"),
            None,
            "not an output frame"
        );
        let empty = output_frame("s", 7, &[]);
        assert_eq!(parse_output_frame(&empty), Some(("s", 7, &[][..])));
    }

    use super::*;

    /// Fails when the committed TypeScript bindings drift from these types;
    /// `UPDATE_BINDINGS=1` rewrites them instead.
    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../ui/src/ipc/bindings.ts");
        let fresh = typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(path.parent().expect("invariant: has parent"))
                .expect("create ui/src/ipc");
            std::fs::write(&path, &fresh).expect("write bindings");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/ipc/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p airlock-protocol`"
        );
    }

    #[test]
    fn wire_shapes() {
        let req: Request =
            serde_json::from_str(r#"{"op":"approve","ids":["h-1","c-2"]}"#).expect("parse");
        assert_eq!(
            req,
            Request::Approve {
                ids: vec!["h-1".into(), "c-2".into()],
                always: None,
                versions: None,
            }
        );
        let req: Request =
            serde_json::from_str(r#"{"op":"startSession","command":["sh"]}"#).expect("parse");
        assert!(matches!(
            req,
            Request::StartSession(StartSessionParams {
                command: Some(_),
                ..
            })
        ));
        let reply = Reply::Error(IpcError::new(ErrorCode::NotFound, "no such change"));
        assert_eq!(
            serde_json::to_string(&reply).expect("ser"),
            r#"{"error":{"code":"notFound","message":"no such change"}}"#
        );
        let ev = Event::SessionExited {
            session: "s-1".into(),
            exit_code: Some(0),
        };
        assert_eq!(
            serde_json::to_string(&ev).expect("ser"),
            r#"{"type":"sessionExited","session":"s-1","exitCode":0}"#
        );
        assert!(serde_json::from_str::<Request>(r#"{"op":"nope"}"#).is_err());
    }
}
