//! Wire types of chat sessions: an ACP agent's conversation as Airlock keeps
//! and shows it. The engine turns the protocol's session updates into a
//! transcript of [`ChatEntry`]s; front ends get the whole transcript once
//! ([`crate::Request::Transcript`]) and then its changes as events
//! ([`crate::Event::Chat`] for a new or replaced entry, [`crate::Event::ChatText`]
//! for streamed text appended to one).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What sits beside a session's review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub enum SessionKind {
    /// A command in a PTY.
    #[default]
    Terminal,
    /// An ACP agent over its stdio: a conversation.
    Chat,
}

/// One entry of a chat's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ChatEntry {
    /// What the user sent.
    User {
        /// The prompt's text.
        text: String,
    },
    /// The agent's reply (markdown), streamed.
    Agent {
        /// The text so far.
        text: String,
    },
    /// The agent's thinking, streamed; shown collapsed.
    Thought {
        /// The text so far.
        text: String,
    },
    /// The agent's plan; a later plan replaces it in place.
    Plan {
        /// Its steps.
        items: Vec<PlanItem>,
    },
    /// A tool call, updated in place as it runs.
    Tool {
        /// The call.
        call: ToolCall,
    },
    /// A turn ended.
    TurnEnded {
        /// Why it ended.
        stop_reason: StopReason,
    },
    /// Something Airlock tells the user about this chat (an error, the agent exiting).
    Notice {
        /// What happened.
        text: String,
    },
}

/// A step of the agent's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlanItem {
    /// What the step does.
    pub content: String,
    /// Where it stands.
    pub status: PlanStatus,
}

/// Where a plan step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PlanStatus {
    /// Not started.
    Pending,
    /// Being done.
    InProgress,
    /// Done.
    Completed,
}

/// Why a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StopReason {
    /// The agent finished.
    EndTurn,
    /// The model's token limit.
    MaxTokens,
    /// The agent's limit of model requests in one turn.
    MaxTurnRequests,
    /// The model refused.
    Refusal,
    /// The user cancelled.
    Cancelled,
    /// The prompt failed (an error reply, or the agent went away).
    Failed,
}

/// A tool call the agent made, as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    /// The agent's id for it.
    pub id: String,
    /// What it does, for people.
    pub title: String,
    /// Which kind of tool.
    pub kind: ToolKind,
    /// Where it stands.
    pub status: ToolStatus,
    /// The files it touches, relative to the session's folder where they lie in it.
    pub locations: Vec<ToolLocation>,
    /// What it produced or proposes.
    pub content: Vec<ToolContent>,
    /// The action card its permission request became, if it asked.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<Permission>,
}

/// A file a tool call touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ToolLocation {
    /// Its path (relative to the session's folder where it lies in it).
    pub path: String,
    /// A line in it (1-based), if the agent named one.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// What a tool call produced or proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ToolContent {
    /// Text (markdown).
    Text {
        /// The text.
        text: String,
    },
    /// A proposed or made edit of one file.
    Diff {
        /// The file.
        path: String,
        /// Its text before (`None` for a new file).
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_text: Option<String>,
        /// Its text after.
        new_text: String,
    },
    /// A terminal the agent runs a command in.
    Terminal {
        /// The agent's terminal id.
        terminal_id: String,
    },
}

/// Which kind of tool a call uses (ACP's tool kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ToolKind {
    /// Reads files.
    Read,
    /// Edits files.
    Edit,
    /// Deletes files.
    Delete,
    /// Moves files.
    Move,
    /// Searches.
    Search,
    /// Runs a command.
    Execute,
    /// Thinks.
    Think,
    /// Fetches from the network.
    Fetch,
    /// Switches the agent's mode.
    SwitchMode,
    /// Anything else.
    Other,
}

/// Where a tool call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ToolStatus {
    /// Not started (or waiting for permission).
    Pending,
    /// Running.
    InProgress,
    /// Finished.
    Completed,
    /// Failed, or was refused.
    Failed,
}

/// A tool call's permission request and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// The action card's id (`a-…`), decided like any action; `None` when
    /// the policy or the stage answered at once.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The answer, once there is one.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<PermissionOutcome>,
    /// Why, for people.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How a permission request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PermissionOutcome {
    /// Allowed.
    Allowed,
    /// Refused.
    Rejected,
    /// The turn was cancelled (or the session ended) first.
    Cancelled,
}

/// A comment on a pending change, waiting to be sent to its agent with
/// [`crate::Request::SendReview`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewComment {
    /// Its id, `m-` followed by hex.
    pub id: String,
    /// The session whose change it is about.
    pub session: String,
    /// The change's path.
    pub path: String,
    /// The hunk it is about, if not the whole change.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunk: Option<String>,
    /// The new-side line it is about, if one.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Where in the file, for the agent: the hunk's header and enclosing symbols.
    pub place: String,
    /// What the user says.
    pub text: String,
}

/// How a review reached its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ReviewDelivery {
    /// As a chat prompt.
    Prompt,
    /// Pasted into the agent's terminal (one bracketed paste, then Enter).
    Terminal,
    /// In the answer to the gated hook call waiting on the commented change.
    Hook,
}

/// An ACP agent Airlock knows, and whether this machine has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KnownAgent {
    /// For people: `Claude`, `Codex`, `Gemini CLI`.
    pub name: String,
    /// The command line that starts it as an ACP agent.
    pub command: Vec<String>,
    /// Whether its program is on the engine's `PATH`.
    pub installed: bool,
    /// How to install it.
    pub install: String,
    /// Whether it can run gated (it sends its writes through Airlock).
    pub gated: bool,
}

/// What a chat agent told Airlock about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct ChatInfo {
    /// The agent's name and version, as it gave them.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Whether a turn is running.
    pub busy: bool,
    /// The modes it offers.
    pub modes: Vec<ChatChoice>,
    /// The mode it is in.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Its slash commands.
    pub commands: Vec<ChatChoice>,
    /// Its settings (the model, a thought level, …), each a choice of values.
    #[serde(default)]
    pub config: Vec<ChatConfig>,
    /// Whether its prompts take embedded file contents.
    pub embedded_context: bool,
    /// Its context window use, when it reports it.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ChatUsage>,
}

/// A setting an agent offers: a choice among values (a switch is `true` / `false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatConfig {
    /// Its id, for [`crate::Request::SetChatConfig`].
    pub id: String,
    /// For people.
    pub name: String,
    /// What it is about: `model`, `mode`, `thought_level`, or the agent's own word.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The value it has.
    pub current: String,
    /// The values it can have (`id` the value, `description` its name).
    pub values: Vec<ChatChoice>,
}

/// A mode or a command an agent offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatChoice {
    /// Its id (a mode) or name (a command).
    pub id: String,
    /// What it does, for people.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An agent's context window use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatUsage {
    /// Tokens in use.
    #[ts(type = "number")]
    pub used: u64,
    /// The window's size.
    #[ts(type = "number")]
    pub size: u64,
}
