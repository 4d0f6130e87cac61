//! Changes: a proposed file's hunks, their lines as the review pane shows them, and what a decision or a landing did.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ChangeId, HunkId, SessionId};

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
    /// What kind of risk.
    pub kind: BadgeKind,
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

/// A risk a change carries, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum BadgeKind {
    /// Changes what agents or tools may run (their settings, hooks, CI).
    GrantsPower,
    /// Adds something that looks like a secret.
    Secrets,
    /// Leaves the file unparsable.
    SyntaxError,
    /// Deletes or skips tests, or weakens assertions.
    WeakensTest,
    /// Changes CI configuration.
    CiConfig,
    /// A database migration.
    Migration,
    /// Deletes a function, type or method.
    DeletesSymbol,
    /// Changes a signature.
    ChangesSignature,
    /// Renames a symbol.
    RenamesSymbol,
    /// A lockfile.
    Lockfile,
    /// A generated file.
    Generated,
}

impl BadgeKind {
    /// Kinds whose changes the review pane shows collapsed at first (and
    /// whose diffs the engine does not render ahead of the pane).
    pub const COLLAPSED: [BadgeKind; 2] = [BadgeKind::Lockfile, BadgeKind::Generated];
}

/// A line hunk's label and badges, worked out after it was proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HunkEnrichment {
    /// Which hunk.
    pub id: HunkId,
    /// The symbols it sits in.
    pub label: Option<String>,
    /// Its risks.
    pub badges: Vec<Badge>,
}
