//! What the engine announces without being asked.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{
    Action, ActionOutcome, Badge, Change, ChangeId, ChatEntry, HunkEnrichment, ReviewComment,
    SessionId, SessionInfo,
};

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
        /// How it ended.
        outcome: ActionOutcome,
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
        /// Why.
        kind: AttentionKind,
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
    /// Labels and badges were worked out for a change already proposed:
    /// they patch its hunks in place (its diff did not move, so nothing
    /// needs to be asked for again).
    ChangeEnriched {
        /// Which change.
        change: ChangeId,
        /// Its session.
        session: SessionId,
        /// Its line hunks' labels and badges.
        hunks: Vec<HunkEnrichment>,
        /// The whole file's badges.
        badges: Vec<Badge>,
        /// Its place in the review order (higher is riskier).
        risk: u32,
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
    /// A task's attempts started, one's test run started or ended, or the
    /// task was finished: ask `compare` again.
    TaskChanged {
        /// Which task.
        task: String,
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

/// Why a session needs the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AttentionKind {
    /// It waits for a decision.
    Waiting,
    /// Its agent finished its turn.
    Done,
    /// Its agent exited.
    Finished,
}
