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

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use airlock_protocol::{
    Badge, Change, ChangeDiff, ChangeKind, ChangeState, DiffLine, HunkDiff, HunkHeader, HunkKind,
    LineKind, WordRange,
};
use sha2::{Digest, Sha256};

use crate::diff::{self, LineHunk};
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::highlight;

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
    let kind = serde_json::to_value(b.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
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
            (bytes.len() <= MAX_DIFF_BYTES && !is_binary(bytes)).then_some(bytes.as_slice())
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

/// What names a file to [`diff`]: its session and path.
fn diff_key(session: &str, rel: &str) -> String {
    format!("{session}\0{rel}")
}

/// Builds the proposal for two sides already read. `None` when they agree.
pub fn proposal_from(
    session: &str,
    rel: &str,
    base: FileState,
    proposed: FileState,
    ctx: Context,
) -> Option<Proposal> {
    // A folder on either side is no file here: its files are their own
    // changes, so a folder replaced by a file (or a file by a folder) reads
    // as the one deleted and the other created.
    let (base, proposed) = (base.as_file(), proposed.as_file());
    if matches!(base, FileState::Special(_)) {
        // The user's FIFO or socket in the project: nothing to review.
        return None;
    }
    let mut ctx = ctx;
    if let FileState::Special(what) = proposed {
        ctx.held = Some(format!("{what}: a special file, not reviewed; reject it"));
    }
    if base == proposed && ctx.old_path.is_none() {
        return None;
    }
    let kind = match (&base, &proposed, &ctx.old_path) {
        (_, _, Some(_)) => ChangeKind::Renamed,
        (FileState::Missing, _, _) => ChangeKind::Created,
        (_, FileState::Missing, _) => ChangeKind::Deleted,
        _ => ChangeKind::Modified,
    };
    let key = diff_key(session, rel);
    let binary = [&base, &proposed]
        .iter()
        .any(|s| matches!(s, FileState::File { bytes, .. } if is_binary(bytes)));
    let symlink = [&base, &proposed]
        .iter()
        .any(|s| matches!(s, FileState::Symlink { .. }));
    let mut notice = None;
    let mut hunks = Vec::new();
    let mut mode_hunk = None;
    let mut whole = false;
    match (text_of(&base), text_of(&proposed)) {
        (Some(b), Some(p)) => {
            hunks = diff::diff_lines(&key, b, p);
            if let (Some(om), Some(nm)) = (base.mode(), proposed.mode()) {
                if om != nm {
                    mode_hunk = Some(side_hash(&key, "mode", &base, &proposed));
                    notice = Some(format!("Mode {om:o} → {nm:o}."));
                }
            }
            if hunks.is_empty() && mode_hunk.is_none() {
                whole = true;
                notice = Some(if matches!(kind, ChangeKind::Renamed) {
                    "Moved without edits.".to_string()
                } else {
                    "Empty file.".to_string()
                });
            }
        }
        _ => {
            whole = true;
            notice = Some(if symlink {
                let show = |s: &FileState| match s {
                    FileState::Symlink { target } => format!("symlink → {}", target.display()),
                    FileState::Missing => "nothing".to_string(),
                    FileState::File { bytes, .. } => format!("a file of {} bytes", bytes.len()),
                    FileState::Folder => "a folder".into(),
                    FileState::Special(what) => what.to_string(),
                };
                format!("{} becomes {}.", show(&base), show(&proposed))
            } else if binary {
                let size = |s: &FileState| {
                    s.bytes()
                        .map_or_else(|| "nothing".to_string(), |b| human_size(b.len() as u64))
                };
                format!(
                    "Binary file: {} → {}, approve or reject it whole.",
                    size(&base),
                    size(&proposed)
                )
            } else {
                format!(
                    "Larger than {} MB: shown without a diff; approve or reject it whole.",
                    MAX_DIFF_BYTES / (1024 * 1024)
                )
            });
        }
    }
    let whole_hunk = whole.then(|| side_hash(&key, "whole", &base, &proposed));
    let user = ctx.user_changed.as_deref();
    let mut headers: Vec<HunkHeader> = hunks
        .iter()
        .map(|h| {
            let mut hd = header(h);
            hd.conflict = user.is_some_and(|r| r.iter().any(|u| diff::touches(&h.before, u)));
            hd
        })
        .collect();
    for (id, kind) in [(&mode_hunk, HunkKind::Mode), (&whole_hunk, HunkKind::Whole)] {
        if let Some(id) = id {
            headers.push(HunkHeader {
                id: id.clone(),
                old_start: 0,
                old_lines: 0,
                new_start: 0,
                new_lines: 0,
                kind,
                // A whole file the user also changed cannot be merged line by line.
                conflict: kind == HunkKind::Whole && user.is_some_and(|r| !r.is_empty()),
                label: None,
                badges: Vec::new(),
            });
        }
    }
    let (additions, deletions) = hunks.iter().fold((0, 0), |(a, d), h| {
        (a + h.after.len() as u32, d + h.before.len() as u32)
    });
    let state = if ctx.held.is_some() {
        ChangeState::Held
    } else if headers.iter().any(|h| h.conflict) {
        ChangeState::Conflict
    } else {
        ChangeState::Pending
    };
    let size = |s: &FileState| s.bytes().map(|b| b.len() as u64);
    let change = Change {
        id: change_id(session, rel),
        version: version_of(&key, kind, &headers),
        session: session.to_string(),
        path: rel.to_string(),
        old_path: ctx.old_path.clone(),
        kind,
        state,
        held: ctx.held.clone(),
        binary,
        old_size: size(&base),
        new_size: size(&proposed),
        old_mode: base.mode(),
        new_mode: proposed.mode(),
        additions,
        deletions,
        hunks: headers,
        notice,
        badges: Vec::new(),
        risk: 0,
    };
    Some(Proposal {
        change,
        base,
        proposed,
        hunks,
        mode_hunk,
        whole_hunk,
        enriched: false,
    })
}

/// What a change proposes, as one short hash: its kind and its hunks' ids,
/// which hash the agent's lines with their anchors. The user's own edits
/// elsewhere in the file (merged into the base) leave it alone; anything the
/// agent writes moves it.
fn version_of(key: &str, kind: ChangeKind, headers: &[HunkHeader]) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0, kind as u8]);
    for hd in headers {
        h.update(hd.id.as_bytes());
        h.update([0]);
    }
    format!("v-{}", hex8(&h.finalize()))
}

/// A size as the review pane shows it: bytes, then KiB and MiB to one decimal.
fn human_size(n: u64) -> String {
    const KIB: u64 = 1024;
    if n < KIB {
        format!("{n} B")
    } else if n < KIB * KIB {
        format!("{:.1} KiB", n as f64 / KIB as f64)
    } else {
        format!("{:.1} MiB", n as f64 / (KIB * KIB) as f64)
    }
}

fn side_hash(key: &str, what: &str, base: &FileState, proposed: &FileState) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0]);
    h.update(what.as_bytes());
    for s in [base, proposed] {
        match s {
            FileState::Missing => h.update(b"\0missing"),
            FileState::File { bytes, mode } => {
                h.update(Sha256::digest(bytes));
                h.update(mode.to_le_bytes());
            }
            FileState::Symlink { target } => {
                h.update(b"\0link");
                h.update(target.as_os_str().as_encoded_bytes());
            }
            FileState::Folder => h.update(b"\0folder"),
            FileState::Special(what) => {
                h.update(b"\0special");
                h.update(what.as_bytes());
            }
        }
    }
    format!("h-{}", hex8(&h.finalize()))
}

fn header(h: &LineHunk) -> HunkHeader {
    let start = |r: &Range<u32>| if r.is_empty() { r.start } else { r.start + 1 };
    HunkHeader {
        id: h.id.clone(),
        old_start: start(&h.before),
        old_lines: h.before.len() as u32,
        new_start: start(&h.after),
        new_lines: h.after.len() as u32,
        kind: HunkKind::Lines,
        conflict: false,
        label: None,
        badges: Vec::new(),
    }
}

impl Proposal {
    /// True when `id` is one of this proposal's hunks.
    pub fn has_hunk(&self, id: &str) -> bool {
        self.change.hunks.iter().any(|h| h.id == id)
    }

    /// The ids of every hunk.
    pub fn all_ids(&self) -> HashSet<String> {
        self.change.hunks.iter().map(|h| h.id.clone()).collect()
    }

    /// The ids of hunks in conflict.
    pub fn conflicts(&self) -> Vec<&str> {
        self.change
            .hunks
            .iter()
            .filter(|h| h.conflict)
            .map(|h| h.id.as_str())
            .collect()
    }

    fn line_hunks_taken(&self, take: &HashSet<&str>) -> usize {
        self.hunks
            .iter()
            .filter(|h| take.contains(h.id.as_str()))
            .count()
    }

    /// The file the hunks in `take` make of `from` toward `to` (`take` all = `to`).
    fn blend(&self, take: &HashSet<&str>, toward_proposed: bool) -> FileState {
        if let Some(w) = &self.whole_hunk {
            return if take.contains(w.as_str()) == toward_proposed {
                self.proposed.clone()
            } else {
                self.base.clone()
            };
        }
        let taken = self.line_hunks_taken(take);
        let all_lines = taken == self.hunks.len();
        let no_lines = taken == 0;
        let mode_taken = self.mode_hunk.as_deref().is_some_and(|m| take.contains(m));
        // Which side each part comes from.
        let lines_from_proposed = if toward_proposed { all_lines } else { no_lines };
        let lines_from_base = if toward_proposed { no_lines } else { all_lines };
        let mode_from_proposed = mode_taken == toward_proposed;
        let (base_text, new_text) = (
            text_of(&self.base).unwrap_or(b""),
            text_of(&self.proposed).unwrap_or(b""),
        );
        // A file that does not exist on one side: all lines from that side = missing.
        if lines_from_proposed && matches!(self.proposed, FileState::Missing) {
            return FileState::Missing;
        }
        if lines_from_base && matches!(self.base, FileState::Missing) {
            return FileState::Missing;
        }
        let bytes = if lines_from_proposed {
            new_text.to_vec()
        } else if lines_from_base {
            base_text.to_vec()
        } else {
            let keep: HashSet<&str> = if toward_proposed {
                take.clone()
            } else {
                self.hunks
                    .iter()
                    .map(|h| h.id.as_str())
                    .filter(|id| !take.contains(id))
                    .collect()
            };
            let key = diff_key(&self.change.session, &self.change.path);
            diff::decide(
                &key,
                base_text,
                new_text,
                &self.hunks,
                &keep,
                toward_proposed,
            )
        };
        let mode = if mode_from_proposed {
            self.proposed.mode().or(self.base.mode())
        } else {
            self.base.mode().or(self.proposed.mode())
        }
        .unwrap_or(0o644);
        FileState::File { bytes, mode }
    }

    /// The project writes that land the hunks in `take`.
    pub fn plan_approve(&self, take: &HashSet<&str>) -> Vec<Write> {
        let after = self.blend(take, true);
        let mut writes = Vec::new();
        if let Some(old) = &self.change.old_path {
            // Any part of a rename that lands moves the file.
            if take.is_empty() {
                return writes;
            }
            let after = match after {
                FileState::Missing => self.base.clone(),
                other => other,
            };
            writes.push(Write {
                path: self.change.path.clone(),
                before: FileState::Missing,
                after,
            });
            writes.push(Write {
                path: old.clone(),
                before: self.base.clone(),
                after: FileState::Missing,
            });
            return writes;
        }
        if after != self.base {
            writes.push(Write {
                path: self.change.path.clone(),
                before: self.base.clone(),
                after,
            });
        }
        writes
    }

    /// The stage writes that revert the hunks in `drop`.
    pub fn plan_reject(&self, drop: &HashSet<&str>) -> Vec<Write> {
        let all = self.all_ids();
        let everything = all.iter().all(|id| drop.contains(id.as_str()));
        if let (Some(old), true) = (&self.change.old_path, everything) {
            return vec![
                Write {
                    path: self.change.path.clone(),
                    before: self.proposed.clone(),
                    after: FileState::Missing,
                },
                Write {
                    path: old.clone(),
                    before: FileState::Missing,
                    after: self.base.clone(),
                },
            ];
        }
        let after = self.blend(drop, false);
        let after = match (&self.change.old_path, after) {
            (Some(_), FileState::Missing) => self.proposed.clone(),
            (_, a) => a,
        };
        if after == self.proposed {
            return Vec::new();
        }
        vec![Write {
            path: self.change.path.clone(),
            before: self.proposed.clone(),
            after,
        }]
    }

    /// `text` (typed in a browser, so `\n` line ends) with the file's own line
    /// ends: CRLF where the hunk's lines have CRLF, and no final line end
    /// where the hunk ends a file that has none.
    fn match_line_endings(&self, h: &LineHunk, text: &[u8]) -> Vec<u8> {
        let new_text = text_of(&self.proposed).unwrap_or(b"");
        let base_text = text_of(&self.base).unwrap_or(b"");
        let (new_lines, base_lines) = (diff::lines(new_text), diff::lines(base_text));

        // The hunk's own lines decide; a hunk of one unterminated line asks the file.
        let around = new_lines[h.after.start as usize..h.after.end as usize]
            .iter()
            .chain(&base_lines[h.before.start as usize..h.before.end as usize]);
        let crlf = match around.clone().find(|l| l.ends_with(b"\n")) {
            Some(l) => l.ends_with(b"\r\n"),
            None => new_lines
                .iter()
                .chain(&base_lines)
                .any(|l| l.ends_with(b"\r\n")),
        };
        let mut out = Vec::with_capacity(text.len() + text.len() / 16);
        for (i, &b) in text.iter().enumerate() {
            if crlf && b == b'\n' && (i == 0 || text[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        let ends_file = h.after.end as usize == new_lines.len();
        let last_unterminated = new_lines.last().is_some_and(|l| !l.ends_with(b"\n"));
        if ends_file && last_unterminated && out.last() == Some(&b'\n') {
            out.pop();
            if out.last() == Some(&b'\r') {
                out.pop();
            }
        }
        out
    }

    /// Project and stage writes that land `text` in place of one line hunk.
    pub fn plan_edit(&self, hunk: &str, text: &[u8]) -> Result<(Vec<Write>, Vec<Write>)> {
        let h = self.hunks.iter().find(|h| h.id == hunk).ok_or_else(|| {
            EngineError::BadRequest(format!(
                "{hunk} is not a run of lines; approve or reject it as it is"
            ))
        })?;
        let text = &self.match_line_endings(h, text);
        let splice = |side: &[u8], range: &Range<u32>| {
            let lines = diff::lines(side);
            let mut out = Vec::with_capacity(side.len() + text.len());
            for l in &lines[..range.start as usize] {
                out.extend_from_slice(l);
            }
            out.extend_from_slice(text);
            for l in &lines[range.end as usize..] {
                out.extend_from_slice(l);
            }
            out
        };
        let base_text = text_of(&self.base).unwrap_or(b"");
        let new_text = text_of(&self.proposed).unwrap_or(b"");
        let mode = self.base.mode().or(self.proposed.mode()).unwrap_or(0o644);
        let project_after = FileState::File {
            bytes: splice(base_text, &h.before),
            mode,
        };
        let stage_after = FileState::File {
            bytes: splice(new_text, &h.after),
            mode: self.proposed.mode().unwrap_or(mode),
        };
        let mut project = vec![Write {
            path: self.change.path.clone(),
            before: if self.change.old_path.is_some() {
                FileState::Missing
            } else {
                self.base.clone()
            },
            after: project_after,
        }];
        if let Some(old) = &self.change.old_path {
            project.push(Write {
                path: old.clone(),
                before: self.base.clone(),
                after: FileState::Missing,
            });
        }
        let stage = vec![Write {
            path: self.change.path.clone(),
            before: self.proposed.clone(),
            after: stage_after,
        }];
        Ok((project, stage))
    }

    /// The text for approving some lines of a hunk: removed lines not chosen
    /// stay, then the chosen added lines.
    pub fn lines_text(&self, hunk: &str, removed: &[u32], added: &[u32]) -> Result<Vec<u8>> {
        let h = self
            .hunks
            .iter()
            .find(|h| h.id == hunk)
            .ok_or_else(|| EngineError::BadRequest(format!("{hunk} is not a run of lines")))?;
        let base_lines = diff::lines(text_of(&self.base).unwrap_or(b""));
        let new_lines = diff::lines(text_of(&self.proposed).unwrap_or(b""));
        let (nb, na) = (h.before.len() as u32, h.after.len() as u32);
        if let Some(bad) = removed
            .iter()
            .find(|i| **i >= nb)
            .or(added.iter().find(|i| **i >= na))
        {
            return Err(EngineError::BadRequest(format!(
                "line {bad} is not in hunk {hunk} ({nb} removed, {na} added lines)"
            )));
        }
        let mut out = Vec::new();
        for i in 0..nb {
            if !removed.contains(&i) {
                out.extend_from_slice(base_lines[(h.before.start + i) as usize]);
            }
        }
        for i in 0..na {
            if added.contains(&i) {
                out.extend_from_slice(new_lines[(h.after.start + i) as usize]);
            }
        }
        Ok(out)
    }

    /// Line hunks `from..from+count` (all when `count` is `None`) with their
    /// lines, highlighted and word-marked; white-space-only hunks left out on request.
    pub fn render(&self, from: u32, count: Option<u32>, ignore_whitespace: bool) -> ChangeDiff {
        let base = text_of(&self.base).unwrap_or(b"");
        let proposed = text_of(&self.proposed).unwrap_or(b"");
        let base_lines = diff::lines(base);
        let new_lines = diff::lines(proposed);
        let (base_count, new_count) = (base_lines.len() as u32, new_lines.len() as u32);
        let shown: Vec<(usize, &LineHunk)> = self
            .hunks
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                !ignore_whitespace
                    || !crate::words::same_but_whitespace(
                        &base_lines[h.before.start as usize..h.before.end as usize].concat(),
                        &new_lines[h.after.start as usize..h.after.end as usize].concat(),
                    )
            })
            .collect();
        let total = shown.len() as u32;
        let window: Vec<(usize, &LineHunk)> = shown
            .into_iter()
            .skip(from as usize)
            .take(count.map_or(usize::MAX, |c| c as usize))
            .collect();
        // Each hunk's context: up to CONTEXT lines either side, never shown twice.
        let spans: Vec<(Range<u32>, Range<u32>)> = window
            .iter()
            .map(|(i, h)| {
                let prev_end = i
                    .checked_sub(1)
                    .map(|p| self.hunks[p].before.end + CONTEXT)
                    .unwrap_or(0);
                let before_from = h
                    .before
                    .start
                    .saturating_sub(CONTEXT)
                    .max(prev_end.min(h.before.start));
                let next = self
                    .hunks
                    .get(i + 1)
                    .map(|n| n.before.start)
                    .unwrap_or(base_count);
                let after_to = (h.before.end + CONTEXT).min(next).min(base_count);
                (before_from..h.before.start, h.before.end..after_to)
            })
            .collect();
        // Highlight only what this window shows (and, for its state, what is above it).
        let mut want_base: Vec<u32> = Vec::new();
        let mut want_new: Vec<u32> = Vec::new();
        for ((_, h), (above, below)) in window.iter().zip(&spans) {
            want_base.extend(above.clone());
            want_base.extend(h.before.clone());
            want_base.extend(below.clone());
            want_new.extend(h.after.clone());
        }
        // Both sides at once, on the two highlighter threads.
        let path = self.change.path.as_str();
        let (base_html, new_html) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                highlight::lines_on(1, path, &String::from_utf8_lossy(proposed), &want_new)
            });
            let base_html = highlight_map(path, base, &want_base);
            (base_html, other.join().unwrap_or_default())
        });
        let mut out = Vec::with_capacity(window.len());
        for ((_, h), (above, below)) in window.iter().zip(spans) {
            let mut lines = Vec::new();
            let offset = h.after.start as i64 - h.before.start as i64;
            for b in above {
                lines.push(context_line(
                    &base_lines,
                    &base_html,
                    b,
                    (b as i64 + offset) as u32,
                ));
            }
            let removed: Vec<u32> = h.before.clone().collect();
            let added: Vec<u32> = h.after.clone().collect();
            let mut removed_words = vec![Vec::new(); removed.len()];
            let mut added_words = vec![Vec::new(); added.len()];
            if !removed.is_empty() && !added.is_empty() {
                let old: Vec<String> = removed
                    .iter()
                    .map(|&b| lossy_line(base_lines[b as usize]))
                    .collect();
                let new: Vec<String> = added
                    .iter()
                    .map(|&a| lossy_line(new_lines[a as usize]))
                    .collect();
                for (k, j, a, b) in word_pairs(&old, &new) {
                    removed_words[k] = a;
                    added_words[j] = b;
                }
            }
            for (k, b) in removed.iter().enumerate() {
                let raw = base_lines[*b as usize];
                let mut l = numbered(
                    LineKind::Removed,
                    Some(*b),
                    None,
                    raw,
                    pick(&base_html, *b, raw),
                );
                l.words = std::mem::take(&mut removed_words[k]);
                lines.push(l);
            }
            for (k, a) in added.iter().enumerate() {
                let raw = new_lines[*a as usize];
                let mut l = numbered(
                    LineKind::Added,
                    None,
                    Some(*a),
                    raw,
                    pick(&new_html, *a, raw),
                );
                l.words = std::mem::take(&mut added_words[k]);
                lines.push(l);
            }
            let offset_after = h.after.end as i64 - h.before.end as i64;
            for b in below {
                lines.push(context_line(
                    &base_lines,
                    &base_html,
                    b,
                    (b as i64 + offset_after) as u32,
                ));
            }
            let header = self
                .change
                .hunks
                .iter()
                .find(|x| x.id == h.id)
                .cloned()
                .unwrap_or_else(|| header(h));
            out.push(HunkDiff { header, lines });
        }
        ChangeDiff {
            change: self.change.clone(),
            first: from,
            total,
            hunks: out,
            old_line_count: base_count,
            new_line_count: new_count,
        }
    }

    /// Project lines `from..from+count` (1-based) as context, numbered on both sides.
    pub fn context_lines(&self, from: u32, count: u32) -> Vec<DiffLine> {
        let base = text_of(&self.base).unwrap_or(b"");
        let base_lines = diff::lines(base);
        let start = from.saturating_sub(1).min(base_lines.len() as u32);
        let end = start.saturating_add(count).min(base_lines.len() as u32);
        if start >= end {
            return Vec::new();
        }
        let wanted: Vec<u32> = (start..end).collect();
        let html = highlight_map(&self.change.path, base, &wanted);
        (start..end)
            .map(|b| {
                let shift: i64 = self
                    .hunks
                    .iter()
                    .filter(|h| h.before.end <= b)
                    .map(|h| h.after.len() as i64 - h.before.len() as i64)
                    .sum();
                context_line(&base_lines, &html, b, (b as i64 + shift) as u32)
            })
            .collect()
    }
}

/// How far past the last paired added line a removed line looks for its pair.
const PAIR_LOOKAHEAD: usize = 8;

/// Word marks for a hunk's removed lines (`old`) and added lines (`new`),
/// whatever their counts. In order, each removed line is paired with the
/// added line, among the next few not yet passed ([`PAIR_LOOKAHEAD`]), that
/// it shares most with, if it shares enough; pairs never cross. So a 2 → 3-line
/// edit, or one with a line inserted between the edited ones, still gets its
/// words marked. Returns (removed index, added index, removed ranges, added ranges).
fn word_pairs(
    old: &[String],
    new: &[String],
) -> Vec<(usize, usize, Vec<WordRange>, Vec<WordRange>)> {
    // The share of a line its marks cover: 0 is the same line, 2 all changed on both sides.
    let share = |ranges: &[WordRange], line: &str| {
        let marked: u32 = ranges.iter().map(|r| r.end - r.start).sum();
        f64::from(marked) / line.encode_utf16().count().max(1) as f64
    };
    let mut out = Vec::new();
    let mut next = 0;
    for (k, o) in old.iter().enumerate() {
        let end = new.len().min(next + PAIR_LOOKAHEAD);
        let mut best: Option<(f64, usize, Vec<WordRange>, Vec<WordRange>)> = None;
        for (j, n) in new.iter().enumerate().take(end).skip(next) {
            if let Some((a, b)) = crate::words::word_ranges(o, n) {
                let score = share(&a, o) + share(&b, n);
                if best.as_ref().is_none_or(|(s, ..)| score < *s) {
                    best = Some((score, j, a, b));
                }
            }
        }
        if let Some((_, j, a, b)) = best {
            out.push((k, j, a, b));
            next = j + 1;
            if next >= new.len() {
                break;
            }
        }
    }
    out
}

type HtmlLines = std::collections::HashMap<u32, String>;

fn lossy_line(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_end_matches(['\n', '\r'])
        .to_string()
}

fn highlight_map(path: &str, text: &[u8], wanted: &[u32]) -> HtmlLines {
    highlight::lines(path, &String::from_utf8_lossy(text), wanted)
}

fn pick(html: &HtmlLines, i: u32, raw: &[u8]) -> String {
    html.get(&i)
        .cloned()
        .unwrap_or_else(|| highlight::plain(&String::from_utf8_lossy(raw)))
}

fn numbered(
    kind: LineKind,
    old_no: Option<u32>,
    new_no: Option<u32>,
    raw: &[u8],
    html: String,
) -> DiffLine {
    DiffLine {
        kind,
        old_no: old_no.map(|n| n + 1),
        new_no: new_no.map(|n| n + 1),
        html,
        text: lossy_line(raw),
        words: Vec::new(),
    }
}

fn context_line(lines: &[&[u8]], html: &HtmlLines, b: u32, new_no: u32) -> DiffLine {
    let raw = lines[b as usize];
    numbered(
        LineKind::Context,
        Some(b),
        Some(new_no),
        raw,
        pick(html, b, raw),
    )
}

/// Pairs deleted and created files of one session into renames: identical
/// content, or at least half the lines shared. Returns (old, new) pairs.
pub fn pair_renames(
    deleted: &[(&str, &FileState)],
    created: &[(&str, &FileState)],
) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if deleted.is_empty() || created.is_empty() || deleted.len() * created.len() > 400 {
        return pairs;
    }
    let mut used = HashSet::new();
    for (old, old_state) in deleted {
        let mut best: Option<(f64, &str)> = None;
        for (new, new_state) in created {
            if used.contains(new) {
                continue;
            }
            let score = similarity(old_state, new_state);
            if score >= 0.5 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, new));
            }
        }
        if let Some((_, new)) = best {
            used.insert(new);
            pairs.push((old.to_string(), new.to_string()));
        }
    }
    pairs
}

fn similarity(a: &FileState, b: &FileState) -> f64 {
    match (a, b) {
        (FileState::File { bytes: x, .. }, FileState::File { bytes: y, .. }) => {
            if x == y {
                return if x.is_empty() { 0.0 } else { 1.0 };
            }
            match (text_of(a), text_of(b)) {
                (Some(x), Some(y)) => {
                    let lx = diff::lines(x);
                    let ly = diff::lines(y);
                    let total = lx.len().max(ly.len());
                    if total == 0 {
                        return 0.0;
                    }
                    let changed: usize = diff::diff_lines("", x, y)
                        .iter()
                        .map(|h| h.before.len().max(h.after.len()))
                        .sum();
                    1.0 - changed as f64 / total as f64
                }
                _ => 0.0,
            }
        }
        (FileState::Symlink { target: x }, FileState::Symlink { target: y }) if x == y => 1.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(s: &str) -> FileState {
        FileState::File {
            bytes: s.as_bytes().to_vec(),
            mode: 0o644,
        }
    }

    fn prop(base: FileState, new: FileState) -> Proposal {
        proposal_from("s", "f.txt", base, new, Context::default()).expect("change")
    }

    /// Lines that repeat let a fresh diff realign once part of a change has
    /// landed: here it would split the second hunk in two. The hunks still
    /// waiting keep their ids and lines after each approval or rejection.
    #[test]
    fn decisions_leave_the_other_hunks_as_they_were() {
        let text = |ns: &[u8]| -> String { ns.iter().map(|n| format!("line {n}\n")).collect() };
        let base = text(&[
            0, 0, 2, 2, 0, 0, 0, 10, 7, 1, 2, 0, 8, 0, 5, 11, 8, 3, 5, 8, 7, 1, 3, 6, 5, 11, 6, 0,
            0, 4, 3, 0, 0, 6, 0, 11,
        ]);
        let new = text(&[
            100, 0, 0, 2, 2, 0, 0, 0, 7, 2, 0, 8, 0, 5, 11, 8, 3, 5, 8, 7, 1, 3, 6, 5, 11, 6, 0, 0,
            3, 0, 0, 6, 0,
        ]);
        let p = prop(file(&base), file(&new));
        let ids_of =
            |p: &Proposal| -> Vec<String> { p.hunks.iter().map(|h| h.id.clone()).collect() };
        let ids = ids_of(&p);
        assert_eq!(ids.len(), 4);
        // Approve the first: the project gets it, three wait as they were.
        let first: HashSet<&str> = [ids[0].as_str()].into();
        let writes = p.plan_approve(&first);
        let project = writes[0].after.clone();
        let p = prop(project.clone(), file(&new));
        assert_eq!(ids_of(&p), ids[1..]);
        assert_eq!(p.hunks[0].before.len(), 13);
        // Reject the last: the stage loses it, two wait as they were.
        let last: HashSet<&str> = [ids[3].as_str()].into();
        let stage = p.plan_reject(&last)[0].after.clone();
        let p = prop(project, stage);
        assert_eq!(ids_of(&p), ids[1..3]);
    }

    #[test]
    fn kinds_and_whole_changes() {
        let p = prop(FileState::Missing, file("x\n"));
        assert_eq!(p.change.kind, ChangeKind::Created);
        assert_eq!(p.change.hunks.len(), 1);
        assert!(p.whole_hunk.is_none());
        assert_eq!(
            prop(file("x\n"), FileState::Missing).change.kind,
            ChangeKind::Deleted
        );
        assert!(prop(FileState::Missing, file("")).whole_hunk.is_some());
        let bin = FileState::File {
            bytes: vec![0, 1, 2],
            mode: 0o644,
        };
        let p = prop(file("x"), bin);
        assert!(p.whole_hunk.is_some() && p.change.binary);
        assert!(proposal_from("s", "a", file("same"), file("same"), Context::default()).is_none());
    }

    #[test]
    fn mode_is_its_own_hunk() {
        let exec = FileState::File {
            bytes: b"a\nB\n".to_vec(),
            mode: 0o755,
        };
        let p = prop(file("a\nb\n"), exec);
        assert_eq!(p.change.hunks.len(), 2);
        let mode = p.mode_hunk.clone().expect("mode hunk");
        let lines = p.hunks[0].id.clone();
        let only_mode: HashSet<&str> = [mode.as_str()].into();
        assert_eq!(
            p.plan_approve(&only_mode)[0].after,
            FileState::File {
                bytes: b"a\nb\n".to_vec(),
                mode: 0o755
            }
        );
        let only_lines: HashSet<&str> = [lines.as_str()].into();
        assert_eq!(
            p.plan_approve(&only_lines)[0].after,
            FileState::File {
                bytes: b"a\nB\n".to_vec(),
                mode: 0o644
            }
        );
        // Rejecting the mode keeps the agent's lines in the stage with the old mode.
        assert_eq!(
            p.plan_reject(&only_mode)[0].after,
            FileState::File {
                bytes: b"a\nB\n".to_vec(),
                mode: 0o644
            }
        );
    }

    #[test]
    fn invalid_utf8_is_text_and_survives() {
        let base = FileState::File {
            bytes: b"caf\xe9\nline\n".to_vec(),
            mode: 0o644,
        };
        let new = FileState::File {
            bytes: b"caf\xe9\nLINE\n".to_vec(),
            mode: 0o644,
        };
        let p = prop(base.clone(), new.clone());
        assert!(!p.change.binary);
        assert_eq!(p.hunks.len(), 1);
        let all = p.all_ids();
        let take: HashSet<&str> = all.iter().map(String::as_str).collect();
        assert_eq!(p.plan_approve(&take)[0].after, new);
        assert_eq!(
            p.render(0, None, false).hunks[0].lines[0].text,
            "caf\u{fffd}"
        );
    }

    #[test]
    fn edit_and_lines_approval() {
        let p = prop(file("a\nb\nc\n"), file("a\nB1\nB2\nc\n"));
        let id = p.hunks[0].id.clone();
        let text = p.lines_text(&id, &[0], &[1]).expect("lines");
        assert_eq!(text, b"B2\n");
        let (project, stage) = p.plan_edit(&id, b"mine\n").expect("edit");
        assert_eq!(project[0].after, file("a\nmine\nc\n"));
        assert_eq!(stage[0].after, file("a\nmine\nc\n"));
        assert!(p.lines_text(&id, &[5], &[]).is_err());
        // Typed with \n into a CRLF file without a final newline: the file's endings win.
        let p = prop(file("a\r\nb\r\nc"), file("a\r\nb\r\nC"));
        let id = p.hunks[0].id.clone();
        let (project, _) = p.plan_edit(&id, b"mine\nmore\n").expect("edit");
        assert_eq!(project[0].after, file("a\r\nb\r\nmine\r\nmore"));
    }

    #[test]
    fn conflicts_mark_overlapping_hunks() {
        let ctx = Context {
            user_changed: Some(std::iter::once(1..2).collect()),
            ..Default::default()
        };
        let base: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = base.replace("1\n", "one\n").replace("15\n", "fifteen\n");
        let p = proposal_from("s", "f", file(&base), file(&new), ctx).expect("change");
        assert_eq!(p.change.state, ChangeState::Conflict);
        assert_eq!(p.conflicts().len(), 1);
        assert!(p.change.hunks[0].conflict && !p.change.hunks[1].conflict);
    }

    #[test]
    fn renames_pair_by_content() {
        let a = file("one\ntwo\nthree\nfour\n");
        let b = file("one\ntwo\nthree\nFOUR\n");
        let c = file("something else entirely\n");
        let pairs = pair_renames(&[("old.txt", &a)], &[("x.txt", &c), ("new.txt", &b)]);
        assert_eq!(pairs, vec![("old.txt".to_string(), "new.txt".to_string())]);
        let ctx = Context {
            old_path: Some("old.txt".into()),
            ..Default::default()
        };
        let p = proposal_from("s", "new.txt", a.clone(), b, ctx).expect("rename");
        assert_eq!(p.change.kind, ChangeKind::Renamed);
        let all = p.all_ids();
        let take: HashSet<&str> = all.iter().map(String::as_str).collect();
        let w = p.plan_approve(&take);
        assert_eq!(w.len(), 2);
        assert_eq!(w[1].after, FileState::Missing);
        let r = p.plan_reject(&take);
        assert_eq!(r[1].after, a);
    }

    fn edit(base: &[String], edits: &[(usize, u8, u8)], tag: u8) -> Vec<String> {
        let mut out = base.to_vec();
        for (at, op, v) in edits {
            let at = (*at).min(out.len());
            match op {
                0 => out.insert(at, format!("{tag}-{v}\n")),
                1 if at < out.len() => {
                    out.remove(at);
                }
                _ if at < out.len() => out[at] = format!("{tag}-{v}\n"),
                _ => {}
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// For any base, user edit and agent edit: approving everything that
        /// can be approved never touches a line the user changed. Either the
        /// three-way merge forwards the user's edit into the stage, or the
        /// overlapping hunks are conflicts and stay out.
        #[test]
        fn user_lines_survive_or_conflict(
            base in proptest::collection::vec(0u8..10, 0..30),
            user_edits in proptest::collection::vec((0usize..30, 0u8..3, 0u8..50), 1..5),
            agent_edits in proptest::collection::vec((0usize..30, 0u8..3, 0u8..50), 1..5),
        ) {
            let base: Vec<String> = base.iter().map(|n| format!("line {n}\n")).collect();
            let user = edit(&base, &user_edits, 1).concat().into_bytes();
            let agent = edit(&base, &agent_edits, 2).concat().into_bytes();
            let base = base.concat().into_bytes();
            let user_ranges = diff::changed_ranges(&base, &user);
            let stage = match diffy::merge_bytes(&base, &user, &agent) {
                Ok(merged) => merged,
                Err(_) => agent.clone(),
            };
            let ctx = Context { user_changed: Some(user_ranges.clone()), ..Default::default() };
            let Some(p) = proposal_from("s", "f", file_bytes(&user), file_bytes(&stage), ctx) else {
                return Ok(());
            };
            let take: HashSet<&str> = p.change.hunks.iter().filter(|h| !h.conflict).map(|h| h.id.as_str()).collect();
            let landed = match p.plan_approve(&take).first() {
                Some(w) => w.after.bytes().unwrap_or_default().to_vec(),
                None => user.clone(),
            };
            // What landing changed, in the user's line numbers, must not touch the user's lines.
            let input = imara_diff::InternedInput::new(user.as_slice(), landed.as_slice());
            let mut d = imara_diff::Diff::compute(imara_diff::Algorithm::Histogram, &input);
            d.postprocess_lines(&input);
            for h in d.hunks() {
                for u in &user_ranges {
                    proptest::prop_assert!(
                        !(h.before.start < u.end && u.start < h.before.end),
                        "landing rewrote user lines {:?} (changed {:?})", u, h.before
                    );
                }
            }
        }
    }

    fn file_bytes(b: &[u8]) -> FileState {
        FileState::File {
            bytes: b.to_vec(),
            mode: 0o644,
        }
    }

    #[test]
    fn render_numbers_lines_and_limits_context() {
        let base: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let new = base.replace("l5\n", "L5\n").replace("l8\n", "L8\n");
        let d = prop(file(&base), file(&new)).render(0, None, false);
        assert_eq!(d.total, 2);
        assert_eq!(
            prop(file(&base), file(&new))
                .render(1, Some(1), false)
                .hunks[0]
                .header
                .new_start,
            8
        );
        let ctx = prop(file(&base), file(&new)).context_lines(10, 2);
        assert_eq!(
            (ctx[0].old_no, ctx[0].new_no, ctx[0].text.as_str()),
            (Some(10), Some(10), "l10")
        );
        assert_eq!(d.hunks.len(), 2);
        let first = &d.hunks[0].lines;
        assert_eq!(first[0].text, "l2");
        assert_eq!(first[0].old_no, Some(2));
        assert!(first
            .iter()
            .any(|l| l.kind == LineKind::Added && l.text == "L5" && l.new_no == Some(5)));
        let shown: Vec<&str> = d
            .hunks
            .iter()
            .flat_map(|h| h.lines.iter())
            .filter(|l| l.kind == LineKind::Context)
            .map(|l| l.text.as_str())
            .collect();
        let unique: HashSet<&&str> = shown.iter().collect();
        assert_eq!(unique.len(), shown.len());
    }

    /// The word marks of each removed and added line of a one-hunk change, as text.
    fn marks(base: &str, new: &str) -> (Vec<String>, Vec<String>) {
        let d = prop(file(base), file(new)).render(0, None, false);
        assert_eq!(d.hunks.len(), 1, "one hunk");
        let show = |kind: LineKind| -> Vec<String> {
            d.hunks[0]
                .lines
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| {
                    let units: Vec<u16> = l.text.encode_utf16().collect();
                    l.words
                        .iter()
                        .map(|w| String::from_utf16_lossy(&units[w.start as usize..w.end as usize]))
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect()
        };
        (show(LineKind::Removed), show(LineKind::Added))
    }

    #[test]
    fn word_marks_pair_lines_when_counts_differ() {
        let ctx = "a\nb\nc\n";
        let both = |base: &str, new: &str| {
            marks(&format!("{ctx}{base}{ctx}"), &format!("{ctx}{new}{ctx}"))
        };
        // Two lines become three; the second pairs with the line it is most like,
        // not with the inserted one.
        let (removed, added) = both(
            "let total = count + 1;\nreturn total;\n",
            "let total = count + 2;\nlog(total);\nreturn total * 2;\n",
        );
        assert_eq!(removed, ["1", ""]);
        assert_eq!(added, ["2", "", " * 2"]);
        // One becomes two, a comment inserted above it.
        let (removed, added) = both("a = compute(1);\n", "// note\na = compute(2);\n");
        assert_eq!(removed, ["1"]);
        assert_eq!(added, ["", "2"]);
        // Three become two: the removed line left over has no marks.
        let (removed, added) = both(
            "fn one(x: u32) {\n    unrelated();\n    gone();\n",
            "fn one(x: u64) {\n    related();\n",
        );
        assert_eq!(removed, ["u32", "unrelated", ""]);
        assert_eq!(added, ["u64", "related"]);
        // Equal counts still pair line by line.
        let (removed, added) = both("x = 1\ny = 2\n", "x = 10\ny = 20\n");
        assert_eq!(
            (removed, added),
            (
                vec!["1".to_string(), "2".into()],
                vec!["10".to_string(), "20".into()]
            )
        );
    }

    #[test]
    fn binary_notice_gives_both_sizes() {
        let bin = |n: usize| FileState::File {
            bytes: (0..n).map(|i| if i % 2 == 0 { 0 } else { 7 }).collect(),
            mode: 0o644,
        };
        let p = prop(bin(1229), bin(3482));
        assert!(p.change.binary);
        assert_eq!(
            p.change.notice.as_deref(),
            Some("Binary file: 1.2 KiB → 3.4 KiB, approve or reject it whole.")
        );
        let p = prop(FileState::Missing, bin(100));
        assert_eq!(
            p.change.notice.as_deref(),
            Some("Binary file: nothing → 100 B, approve or reject it whole.")
        );
        assert_eq!(human_size(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
    }
}
