//! The review model: one file's proposal (project text = base, stage text =
//! proposed), its hunks, and what approving or rejecting a set of hunks writes.
//!
//! Nothing is cached between decisions: each decision re-reads both files,
//! re-diffs, and acts only on hunk ids that still exist, so a decision never
//! applies to text the user has not seen. Plans ([`Write`]s) are computed
//! first and carried out by the caller, so a landing can be journalled before
//! any file is touched.
//!
//! A change has three kinds of hunk: runs of lines, the mode (the executable
//! bit), and the whole file (binary, too large, empty, or a symlink). Text is
//! handled as bytes, so CRLF, a missing final newline and invalid UTF-8 all
//! survive exactly.

use airlock_protocol::BadgeKind;
use std::ops::Range;
use std::path::Path;

use airlock_protocol::{Badge, Change, ChangeDiff, DiffLine, HunkDiff, LineKind, WordRange};
use sha2::{Digest, Sha256};

use crate::diff::{self, LineHunk};
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::highlight::{self, Highlighter};

/// Files larger than this are held whole: diffing them would stall the queue.
pub const MAX_DIFF_BYTES: usize = 8 * 1024 * 1024;
/// Lines of context shown around a hunk.
const CONTEXT: u32 = 3;

/// One file write a decision makes: at `path` (relative), `before` becomes `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Relative path.
    pub path: String,
    /// What is there now.
    pub before: FileState,
    /// What will be there.
    pub after: FileState,
}

/// One path's pending proposal, computed from disk.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The summary the queue shows.
    pub change: Change,
    /// The project's side (the old path's file for a rename).
    pub base: FileState,
    /// The stage's side.
    pub proposed: FileState,
    /// Line hunks, when both sides are text.
    pub hunks: Vec<LineHunk>,
    /// The id of the mode hunk, if the mode changed.
    pub mode_hunk: Option<String>,
    /// The id of the whole-file hunk, if the change is decided whole.
    pub whole_hunk: Option<String>,
    /// True once labels and badges are filled in (see [`enrich`]).
    pub enriched: bool,
    /// Its queue's remembered diffs, where a decision on it leaves the rest.
    pub memo: diff::Memo,
}

/// Labels and badges for a proposal, computed off the actor ([`enrich`]).
#[derive(Debug, Clone)]
pub struct Enrichment {
    /// The hunk ids this was computed for, in order.
    pub hunk_ids: Vec<String>,
    /// Per hunk: its label.
    pub labels: Vec<Option<String>>,
    /// Per hunk: its badges.
    pub hunk_badges: Vec<Vec<Badge>>,
    /// Badges of the whole file.
    pub file_badges: Vec<Badge>,
    /// The sort key.
    pub risk: u32,
}

fn wire_badge(b: &airlock_structure::Badge) -> Badge {
    use airlock_structure::BadgeKind as S;
    let kind = match b.kind {
        S::GrantsPower => BadgeKind::GrantsPower,
        S::Secrets => BadgeKind::Secrets,
        S::SyntaxError => BadgeKind::SyntaxError,
        S::WeakensTest => BadgeKind::WeakensTest,
        S::CiConfig => BadgeKind::CiConfig,
        S::Migration => BadgeKind::Migration,
        S::DeletesSymbol => BadgeKind::DeletesSymbol,
        S::ChangesSignature => BadgeKind::ChangesSignature,
        S::RenamesSymbol => BadgeKind::RenamesSymbol,
        S::Lockfile => BadgeKind::Lockfile,
        S::Generated => BadgeKind::Generated,
    };
    Badge {
        kind,
        why: b.why.clone(),
    }
}

/// Labels every hunk with its enclosing symbols and finds the risk badges,
/// with tree-sitter (CPU-heavy on large files: run it off the actor).
pub fn enrich(p: &Proposal) -> Enrichment {
    use airlock_structure::Outline;
    let path = p.change.path.as_str();
    let old = text_of(&p.base).map(String::from_utf8_lossy);
    let new = text_of(&p.proposed).map(String::from_utf8_lossy);
    let old_outline = old
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| Outline::new(path, t));
    let new_outline = new
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| Outline::new(path, t));
    let ranges: Vec<airlock_structure::HunkLines> = p
        .hunks
        .iter()
        .map(|h| (h.before.clone(), h.after.clone()))
        .collect();
    let found = airlock_structure::badges_for_outlines(
        path,
        old_outline.as_ref(),
        new_outline.as_ref(),
        &ranges,
    );
    let labels = p
        .hunks
        .iter()
        .map(|h| {
            let in_new = new_outline
                .as_ref()
                .filter(|_| !h.after.is_empty())
                .and_then(|o| o.label_range(h.after.clone()));
            in_new.or_else(|| {
                old_outline
                    .as_ref()
                    .and_then(|o| o.label_range(h.before.clone()))
            })
        })
        .collect();
    Enrichment {
        hunk_ids: p.hunks.iter().map(|h| h.id.clone()).collect(),
        labels,
        hunk_badges: found
            .hunks
            .iter()
            .map(|bs| bs.iter().map(wire_badge).collect())
            .collect(),
        file_badges: found.file.iter().map(wire_badge).collect(),
        risk: found.risk_score(),
    }
}

impl Proposal {
    /// The line hunk ids in order: what an [`Enrichment`] must match.
    pub fn line_ids(&self) -> Vec<String> {
        self.hunks.iter().map(|h| h.id.clone()).collect()
    }

    /// Fills in labels and badges if `e` was computed for these very hunks.
    pub fn apply(&mut self, e: &Enrichment) -> bool {
        if e.hunk_ids != self.line_ids() {
            return false;
        }
        for (i, id) in e.hunk_ids.iter().enumerate() {
            if let Some(h) = self.change.hunks.iter_mut().find(|h| h.id == *id) {
                h.label = e.labels.get(i).cloned().flatten();
                h.badges = e.hunk_badges.get(i).cloned().unwrap_or_default();
            }
        }
        self.change.badges = e.file_badges.clone();
        self.change.risk = e.risk;
        self.enriched = true;
        true
    }

    /// Takes labels and badges from an older proposal of the same hunks.
    pub fn inherit(&mut self, older: &Proposal) {
        if !older.enriched || older.line_ids() != self.line_ids() {
            return;
        }
        for h in self.change.hunks.iter_mut() {
            if let Some(o) = older.change.hunks.iter().find(|o| o.id == h.id) {
                h.label = o.label.clone();
                h.badges = o.badges.clone();
            }
        }
        self.change.badges = older.change.badges.clone();
        self.change.risk = older.change.risk;
        self.enriched = true;
    }
}

/// What else decides how a proposal looks.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The path before a rename.
    pub old_path: Option<String>,
    /// Line ranges of the project's text the user changed since the agent's
    /// edit began (project line numbers); `None` when the user changed nothing.
    pub user_changed: Option<Vec<Range<u32>>>,
    /// Why path safety holds this change.
    pub held: Option<String>,
    /// The remembered diffs of the proposal's queue (see [`diff::Memo`]).
    pub memo: diff::Memo,
}

/// The id of a session's change to a path.
pub fn change_id(session: &str, rel: &str) -> String {
    let d = Sha256::digest(format!("{session}\0{rel}").as_bytes());
    format!("c-{}", hex8(&d))
}

fn hex8(d: &[u8]) -> String {
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a side when it can be diffed as lines (missing counts as empty).
pub fn text_of(state: &FileState) -> Option<&[u8]> {
    match state {
        FileState::Missing => Some(b""),
        FileState::File { bytes, .. } => {
            (bytes.len() <= MAX_DIFF_BYTES && !is_binary(bytes)).then_some(&bytes[..])
        }
        _ => None,
    }
}

/// True for content with a NUL byte near the start, as git decides.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8000)].contains(&0)
}

/// Why a hard-linked stage file is held (see [`stage_hazard`]).
pub const HARD_LINKED: &str = "hard-linked to a file elsewhere: its content may not be the agent's";

/// Why a stage file must not be landed, if it must not: a symlink that leads
/// outside the project, or a file hard-linked to another one.
pub fn stage_hazard(project: &Path, stage: &Path, rel: &str, state: &FileState) -> Option<String> {
    match state {
        FileState::Symlink { target } => {
            let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
            let mut resolved = project.join(parent);
            if target.is_absolute() {
                resolved = target.clone();
            } else {
                for c in target.components() {
                    match c {
                        std::path::Component::ParentDir => {
                            resolved.pop();
                        }
                        std::path::Component::Normal(p) => resolved.push(p),
                        _ => {}
                    }
                }
            }
            (!resolved.starts_with(project)).then(|| {
                format!(
                    "a symlink to {} leads outside the project",
                    target.display()
                )
            })
        }
        FileState::File { .. } => {
            (fsx::link_count(&stage.join(rel)) > 1).then(|| HARD_LINKED.into())
        }
        _ => None,
    }
}

mod plan;
mod proposal;
mod renames;
mod render;
#[cfg(test)]
mod tests;

pub use proposal::proposal_from;
use proposal::{diff_key, header};
pub use renames::{pair_exact, pair_renames};
