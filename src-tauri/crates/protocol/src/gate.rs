//! The gate: risky actions an agent waits on, and the questions and answers between an agent's hook and the engine.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::SessionId;

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
