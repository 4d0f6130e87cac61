//! Stages an agent can build in ([`StageConfig`]) and attempts: one task
//! started in several staged sessions at once ([`StartAttemptsParams`],
//! [`TaskInfo`]), compared side by side ([`Comparison`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ChangeId, HunkHeader, SessionId, SessionKind};

/// A project's `.airlock/stage.toml`: what each new stage gets before its
/// agent starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct StageConfig {
    /// Ignored paths of the project (relative: `node_modules`, `.env`,
    /// `target`) copied into each stage: cloned copy-on-write where the file
    /// system can, copied otherwise; never linked back into the project.
    #[serde(default)]
    pub bring: Vec<String>,
    /// A shell command run in each new stage before the agent starts (its
    /// output in the session's terminal; a failure is shown and the agent
    /// starts anyway).
    #[serde(default)]
    #[ts(optional)]
    pub setup: Option<String>,
}

/// One agent among a task's attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptAgent {
    /// The agent's command line. A terminal agent gets the task as its last
    /// argument; a chat agent gets it as its first prompt.
    pub command: Vec<String>,
    /// A terminal (the default) or a chat (ACP) agent.
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<SessionKind>,
}

/// Parameters of [`crate::Request::StartAttempts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct StartAttemptsParams {
    /// The task: a prompt for agents, or (with no agents) a shell command
    /// line run in each stage.
    pub task: String,
    /// How many attempts, 1 to 8.
    pub count: u8,
    /// The agents, taken in turn for the attempts (attempt `i` runs agent
    /// `i % agents.len()`); none: the task is a command line run by the shell.
    #[serde(default)]
    pub agents: Vec<AttemptAgent>,
    /// A shell command run in each stage once its attempt's turn has ended
    /// (or its process exited); its output and result are kept.
    #[serde(default)]
    #[ts(optional)]
    pub test: Option<String>,
    /// The branch or commit the stages start from (default: HEAD).
    #[serde(default)]
    #[ts(optional)]
    pub base: Option<String>,
    /// Terminal width in columns.
    #[serde(default)]
    #[ts(optional)]
    pub cols: Option<u16>,
    /// Terminal height in rows.
    #[serde(default)]
    #[ts(optional)]
    pub rows: Option<u16>,
}

/// A task and its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    /// The task's id, `t-` followed by hex.
    pub id: String,
    /// What was asked.
    pub task: String,
    /// The test command, if any.
    #[ts(optional)]
    pub test: Option<String>,
    /// Its sessions, one per attempt, in attempt order.
    pub sessions: Vec<SessionId>,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: u64,
}

/// Where a task's test command is for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TestState {
    /// It runs now.
    Running,
    /// It exited 0.
    Passed,
    /// It exited otherwise, or could not run.
    Failed,
}

/// An attempt's test run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    /// Running, passed or failed.
    pub state: TestState,
    /// Its exit code, once it exited.
    #[ts(optional)]
    pub exit_code: Option<i32>,
    /// What it printed (stdout and stderr, the last 64 KiB).
    pub output: String,
}

/// One attempt's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptTotals {
    /// The attempt's session.
    pub session: SessionId,
    /// Its name.
    pub name: String,
    /// Files it changed (pending).
    pub files: u32,
    /// Lines it adds.
    pub added: u32,
    /// Lines it removes.
    pub removed: u32,
    /// Its test run, when the task has a test command and it ran.
    #[ts(optional)]
    pub test: Option<TestResult>,
    /// Whether the session is gone (removed): its totals are zero.
    pub gone: bool,
}

/// One attempt's pending change to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptFile {
    /// The attempt's session.
    pub session: SessionId,
    /// The change (for `getDiff`, `approve`).
    pub change: ChangeId,
    /// Its version (for `approve`).
    pub version: String,
    /// Lines added.
    pub additions: u32,
    /// Lines removed.
    pub deletions: u32,
    /// Its hunks against the project.
    pub hunks: Vec<HunkHeader>,
}

/// A file some attempt changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ComparedFile {
    /// Its path in the project.
    pub path: String,
    /// The attempts that changed it, in attempt order.
    pub attempts: Vec<AttemptFile>,
}

/// A task's attempts side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// The task.
    pub task: TaskInfo,
    /// Each attempt's totals, in attempt order.
    pub attempts: Vec<AttemptTotals>,
    /// Every file any attempt changed, by path.
    pub files: Vec<ComparedFile>,
}

pub(crate) fn attempt_decls(cfg: &ts_rs::Config) -> [String; 11] {
    [
        KeepParams::decl(cfg),
        StageConfig::decl(cfg),
        AttemptAgent::decl(cfg),
        StartAttemptsParams::decl(cfg),
        TaskInfo::decl(cfg),
        TestState::decl(cfg),
        TestResult::decl(cfg),
        AttemptTotals::decl(cfg),
        AttemptFile::decl(cfg),
        ComparedFile::decl(cfg),
        Comparison::decl(cfg),
    ]
}

/// Parameters of [`crate::Request::Keep`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct KeepParams {
    /// The task.
    pub task: String,
    /// Hunk and change ids of its attempts to land (an attempt kept whole is
    /// its change ids). Two hunks of different attempts over overlapping
    /// lines of the same file conflict: the request is refused.
    pub ids: Vec<String>,
}
