//! The gate: risky actions an agent waits on, and the questions and answers between an agent's hook and the engine.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::SessionId;

/// Why an action was judged risky.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Risk {
    /// What kind of harm.
    pub kind: RiskKind,
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
    /// The agent's own id for its conversation (Claude Code's `session_id`).
    #[serde(default)]
    #[ts(optional)]
    pub agent_session: Option<String>,
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
    /// The agent's own id for its conversation (Claude Code's `session_id`).
    #[serde(default)]
    #[ts(optional)]
    pub agent_session: Option<String>,
}

/// The user's (or the policy's) answer to a [`GateRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GateReply {
    /// Allow, deny, or leave it to the agent's own prompt.
    pub decision: GateDecision,
    /// Why, for the agent to read.
    pub reason: Option<String>,
    /// Replaces the tool's input (a partially approved or edited write).
    #[ts(type = "unknown")]
    pub updated_input: Option<serde_json::Value>,
}

/// What kind of harm an action may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RiskKind {
    /// Deletes or overwrites files or refs.
    Delete,
    /// Overwrites a remote branch.
    ForcePush,
    /// Rewrites history.
    HistoryRewrite,
    /// Runs as another user.
    Sudo,
    /// Runs code just downloaded.
    PipeToShell,
    /// Installs or removes packages.
    PackageInstall,
    /// Reads or writes outside the project.
    OutsideProject,
    /// Reaches the network.
    Network,
    /// Touches secrets.
    Secrets,
    /// Changes permissions broadly.
    Permissions,
    /// Runs code the classifier cannot see (a program the exec gate holds).
    Exec,
    /// The command could not be parsed.
    Unparsed,
    /// Airlock's policy does not load: every action waits for the user.
    Policy,
}

/// The answer to a [`GateRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum GateDecision {
    /// The agent may go on.
    Allow,
    /// The agent may not; the reason says why.
    Deny,
    /// Leave it to the agent's own prompt.
    Ask,
}

/// How an action card ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ActionOutcome {
    /// Allowed (once, or always with a rule).
    Allow,
    /// Denied.
    Deny,
    /// Its agent stopped waiting (the process died, the turn was cancelled,
    /// the session ended).
    Gone,
}
