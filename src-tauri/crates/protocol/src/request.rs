//! What front ends ask the engine ([`Request`]) and what it answers ([`Response`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{
    Change, ChangeDiff, ChangeId, ChatEntry, CommitOutcome, CommitParams, CommitPlan, Comparison,
    DecisionOutcome, DiffLine, HunkId, KeepParams, KnownAgent, LandingInfo, Orphan,
    PullRequestOutcome, PullRequestParams, ReviewComment, ReviewDelivery, SessionId, SessionInfo,
    StageConfig, StartAttemptsParams, StartSessionParams, StatusInfo, TaskInfo,
};

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
    /// What waits to be committed: the landings since the last commit, by
    /// session, a drafted message and the changed files.
    /// Answer: [`Response::CommitPlan`].
    CommitPlan {
        /// Only this session's landings.
        #[serde(default)]
        #[ts(optional)]
        session: Option<SessionId>,
    },
    /// Commit what Airlock landed (or exactly the files given) with the
    /// user's git: their identity, signing and hooks; nothing else of theirs
    /// is staged. Answer: [`Response::Committed`].
    Commit(CommitParams),
    /// Push a branch and open a pull request with `gh`, or answer the
    /// commands to run when `gh` is missing or logged out.
    /// Answer: [`Response::PullRequest`].
    OpenPullRequest(PullRequestParams),
    /// The project's `.airlock/stage.toml`. Answer: [`Response::StageConfig`].
    GetStageConfig,
    /// Write the project's `.airlock/stage.toml`. Answer: [`Response::StageConfig`].
    SetStageConfig(StageConfig),
    /// One task in several staged sessions at once. Answer: [`Response::Task`].
    StartAttempts(StartAttemptsParams),
    /// The tasks and their sessions, oldest first. Answer: [`Response::Tasks`].
    ListTasks,
    /// A task's attempts side by side. Answer: [`Response::Comparison`].
    Compare {
        /// Which task.
        task: String,
    },
    /// Land hunks picked from a task's attempts. Answer: [`Response::Decided`].
    Keep(KeepParams),
    /// Remove every session of a task, discarding what is pending. Answer: [`Response::Done`].
    FinishTask {
        /// Which task.
        task: String,
    },
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
    /// What waits to be committed.
    CommitPlan(CommitPlan),
    /// A commit was made.
    Committed(CommitOutcome),
    /// A pull request was opened, or what to run to open it.
    PullRequest(PullRequestOutcome),
    /// A project's stage settings.
    StageConfig(StageConfig),
    /// A task.
    Task(TaskInfo),
    /// Tasks, oldest first.
    Tasks {
        /// The tasks.
        tasks: Vec<TaskInfo>,
    },
    /// A task's attempts compared.
    Comparison(Comparison),
}

impl Request {
    /// Its `op`, as the wire names it.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::StartSession(..) => "startSession",
            Request::StopSession { .. } => "stopSession",
            Request::RestartSession { .. } => "restartSession",
            Request::RemoveSession { .. } => "removeSession",
            Request::ListOrphans => "listOrphans",
            Request::CleanOrphans => "cleanOrphans",
            Request::WriteInput { .. } => "writeInput",
            Request::ResizeSession { .. } => "resizeSession",
            Request::ReadScrollback { .. } => "readScrollback",
            Request::ListChanges { .. } => "listChanges",
            Request::GetDiff { .. } => "getDiff",
            Request::GetLines { .. } => "getLines",
            Request::Prompt { .. } => "prompt",
            Request::Cancel { .. } => "cancel",
            Request::Transcript { .. } => "transcript",
            Request::ListFiles { .. } => "listFiles",
            Request::Comment { .. } => "comment",
            Request::DeleteComment { .. } => "deleteComment",
            Request::ListComments { .. } => "listComments",
            Request::SendReview { .. } => "sendReview",
            Request::SetChatConfig { .. } => "setChatConfig",
            Request::ListAgents => "listAgents",
            Request::SetChatMode { .. } => "setChatMode",
            Request::Approve { .. } => "approve",
            Request::Reject { .. } => "reject",
            Request::ApproveEdited { .. } => "approveEdited",
            Request::ApproveLines { .. } => "approveLines",
            Request::ListLandings => "listLandings",
            Request::Undo { .. } => "undo",
            Request::UndoReject { .. } => "undoReject",
            Request::ApproveAll { .. } => "approveAll",
            Request::RejectAll { .. } => "rejectAll",
            Request::GetThemeCss => "getThemeCss",
            Request::CommitPlan { .. } => "commitPlan",
            Request::Commit(..) => "commit",
            Request::OpenPullRequest(..) => "openPullRequest",
            Request::GetStageConfig => "getStageConfig",
            Request::SetStageConfig(..) => "setStageConfig",
            Request::StartAttempts(..) => "startAttempts",
            Request::ListTasks => "listTasks",
            Request::Compare { .. } => "compare",
            Request::Keep(..) => "keep",
            Request::FinishTask { .. } => "finishTask",
        }
    }

    /// The `type` of the [`Response`] it is answered with (an error aside).
    pub fn reply_type(&self) -> &'static str {
        reply_type(self.op()).unwrap_or("")
    }
}

impl Response {
    /// Its `type`, as the wire names it.
    pub fn reply_type(&self) -> &'static str {
        match self {
            Response::Done => "done",
            Response::Status(..) => "status",
            Response::Session(..) => "session",
            Response::Scrollback { .. } => "scrollback",
            Response::Changes { .. } => "changes",
            Response::Diff(..) => "diff",
            Response::Lines { .. } => "lines",
            Response::Decided(..) => "decided",
            Response::Prompted { .. } => "prompted",
            Response::Comments { .. } => "comments",
            Response::ReviewSent { .. } => "reviewSent",
            Response::Agents { .. } => "agents",
            Response::Files { .. } => "files",
            Response::Transcript { .. } => "transcript",
            Response::Orphans { .. } => "orphans",
            Response::Landings { .. } => "landings",
            Response::ThemeCss { .. } => "themeCss",
            Response::CommitPlan(..) => "commitPlan",
            Response::Committed(..) => "committed",
            Response::PullRequest(..) => "pullRequest",
            Response::StageConfig(..) => "stageConfig",
            Response::Task(..) => "task",
            Response::Tasks { .. } => "tasks",
            Response::Comparison(..) => "comparison",
        }
    }
}

/// Each request's `op` and the `type` of the [`Response`] that answers it:
/// what the TypeScript side's `Replies` is generated from. The engine
/// checks every answer against it in debug builds.
pub const REPLIES: [(&str, &str); 44] = [
    ("status", "status"),
    ("startSession", "session"),
    ("stopSession", "done"),
    ("restartSession", "session"),
    ("removeSession", "done"),
    ("listOrphans", "orphans"),
    ("cleanOrphans", "orphans"),
    ("writeInput", "done"),
    ("resizeSession", "done"),
    ("readScrollback", "scrollback"),
    ("listChanges", "changes"),
    ("getDiff", "diff"),
    ("getLines", "lines"),
    ("prompt", "prompted"),
    ("cancel", "done"),
    ("transcript", "transcript"),
    ("listFiles", "files"),
    ("comment", "comments"),
    ("deleteComment", "comments"),
    ("listComments", "comments"),
    ("sendReview", "reviewSent"),
    ("setChatConfig", "done"),
    ("listAgents", "agents"),
    ("setChatMode", "done"),
    ("approve", "decided"),
    ("reject", "decided"),
    ("approveEdited", "decided"),
    ("approveLines", "decided"),
    ("listLandings", "landings"),
    ("undo", "decided"),
    ("undoReject", "decided"),
    ("approveAll", "decided"),
    ("rejectAll", "decided"),
    ("getThemeCss", "themeCss"),
    ("commitPlan", "commitPlan"),
    ("commit", "committed"),
    ("openPullRequest", "pullRequest"),
    ("getStageConfig", "stageConfig"),
    ("setStageConfig", "stageConfig"),
    ("startAttempts", "task"),
    ("listTasks", "tasks"),
    ("compare", "comparison"),
    ("keep", "decided"),
    ("finishTask", "done"),
];

/// The `type` of the [`Response`] that answers the request `op`.
pub fn reply_type(op: &str) -> Option<&'static str> {
    REPLIES.iter().find(|(o, _)| *o == op).map(|(_, r)| *r)
}
