//! The review model: one file's proposal (project text = base, stage text =
//! proposed), its hunks, and what approving or rejecting a set of hunks writes.
//!
//! Nothing is cached between decisions: each decision re-reads both files and
//! re-diffs, and acts only on hunk ids that still exist, so a decision can never
//! apply to text the user has not seen.

use std::collections::HashSet;
use std::path::Path;

use airlock_protocol::{Change, ChangeDiff, ChangeKind, DiffLine, HunkDiff, HunkHeader, LineKind};
use sha2::{Digest, Sha256};

use crate::diff::{self, LineHunk};
use crate::error::Result;
use crate::fsx::{self, FileState};
use crate::highlight;
use crate::journal::LandedFile;

/// Files larger than this are held whole: diffing them would stall the queue.
pub const MAX_DIFF_BYTES: usize = 8 * 1024 * 1024;
/// Lines of context shown around a hunk.
const CONTEXT: u32 = 3;

/// One path's pending proposal, computed from disk.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The summary the queue shows.
    pub change: Change,
    /// The project's side.
    pub base: FileState,
    /// The stage's side.
    pub proposed: FileState,
    /// Line hunks, when both sides are text and small enough.
    pub hunks: Vec<LineHunk>,
    /// True when the change is decided as a whole (binary, too large, mode only,
    /// empty file): its one hunk stands for the whole file.
    pub whole: bool,
}

/// The id of a session's change to a path.
pub fn change_id(session: &str, rel: &str) -> String {
    let d = Sha256::digest(format!("{session}\0{rel}").as_bytes());
    let hex: String = d[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("c-{hex}")
}

fn as_text(state: &FileState) -> Option<&str> {
    match state {
        FileState::Missing => Some(""),
        FileState::File { bytes, .. } => {
            if bytes.len() > MAX_DIFF_BYTES || bytes[..bytes.len().min(8000)].contains(&0) {
                return None;
            }
            std::str::from_utf8(bytes).ok()
        }
        FileState::Other => None,
    }
}

fn is_binary(state: &FileState) -> bool {
    match state {
        FileState::File { bytes, .. } => {
            bytes[..bytes.len().min(8000)].contains(&0) || std::str::from_utf8(bytes).is_err()
        }
        _ => false,
    }
}

/// Compares a path in the project and in the stage. `None` when they agree.
pub fn compute(session: &str, project: &Path, stage: &Path, rel: &str) -> Result<Option<Proposal>> {
    let base = FileState::read(&fsx::safe_join(project, rel)?)?;
    let proposed = FileState::read(&stage.join(rel))?;
    Ok(proposal_from(session, rel, base, proposed))
}

/// Builds the proposal for two sides already read.
pub fn proposal_from(
    session: &str,
    rel: &str,
    base: FileState,
    proposed: FileState,
) -> Option<Proposal> {
    // Symlinks and folders are not reviewed here: only regular files move.
    if matches!(base, FileState::Other) || matches!(proposed, FileState::Other) {
        return None;
    }
    if base == proposed {
        return None;
    }
    let kind = match (&base, &proposed) {
        (FileState::Missing, _) => ChangeKind::Created,
        (_, FileState::Missing) => ChangeKind::Deleted,
        _ => ChangeKind::Modified,
    };
    let key = format!("{session}\0{rel}");
    let binary = is_binary(&base) || is_binary(&proposed);
    let texts = (as_text(&base), as_text(&proposed));
    let mut notice = None;
    let (hunks, whole) = match texts {
        (Some(b), Some(p)) if b != p => (diff::diff_lines(&key, b, p), false),
        (Some(_), Some(_)) => (Vec::new(), true),
        _ => {
            notice = Some(if binary {
                "Binary file: approve or reject it whole.".to_string()
            } else {
                format!(
                    "Larger than {} MB: shown without a diff, approve or reject it whole.",
                    MAX_DIFF_BYTES / (1024 * 1024)
                )
            });
            (Vec::new(), true)
        }
    };
    let whole = whole || hunks.is_empty();
    if whole && notice.is_none() {
        if kind == ChangeKind::Modified {
            notice = Some(format!(
                "Mode change {:o} → {:o}.",
                base.mode().unwrap_or(0),
                proposed.mode().unwrap_or(0)
            ));
        } else {
            notice = Some("Empty file.".to_string());
        }
    }
    let headers: Vec<HunkHeader> = if whole {
        let mut h = Sha256::new();
        h.update(key.as_bytes());
        h.update(b"\0whole\0");
        h.update(Sha256::digest(base.bytes().unwrap_or(b"\xff-missing")));
        h.update(base.mode().unwrap_or(0).to_le_bytes());
        h.update(Sha256::digest(proposed.bytes().unwrap_or(b"\xff-missing")));
        h.update(proposed.mode().unwrap_or(0).to_le_bytes());
        let hex: String = h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        vec![HunkHeader {
            id: format!("h-{hex}"),
            old_start: 0,
            old_lines: 0,
            new_start: 0,
            new_lines: 0,
        }]
    } else {
        hunks.iter().map(header).collect()
    };
    let (additions, deletions) = hunks.iter().fold((0, 0), |(a, d), h| {
        (a + h.after.len() as u32, d + h.before.len() as u32)
    });
    let change = Change {
        id: change_id(session, rel),
        session: session.to_string(),
        path: rel.to_string(),
        kind,
        binary,
        old_size: base.bytes().map(|b| b.len() as u64),
        new_size: proposed.bytes().map(|b| b.len() as u64),
        old_mode: base.mode(),
        new_mode: proposed.mode(),
        additions,
        deletions,
        hunks: headers,
        notice,
    };
    Some(Proposal {
        change,
        base,
        proposed,
        hunks,
        whole,
    })
}

fn header(h: &LineHunk) -> HunkHeader {
    let start = |r: &std::ops::Range<u32>| if r.is_empty() { r.start } else { r.start + 1 };
    HunkHeader {
        id: h.id.clone(),
        old_start: start(&h.before),
        old_lines: h.before.len() as u32,
        new_start: start(&h.after),
        new_lines: h.after.len() as u32,
    }
}

impl Proposal {
    /// True when `id` is one of this proposal's hunks.
    pub fn has_hunk(&self, id: &str) -> bool {
        self.change.hunks.iter().any(|h| h.id == id)
    }

    fn all_ids(&self) -> HashSet<&str> {
        self.change.hunks.iter().map(|h| h.id.as_str()).collect()
    }

    /// What the project's file becomes when the hunks in `take` land.
    fn landed_state(&self, take: &HashSet<&str>) -> FileState {
        if take.is_empty() {
            return self.base.clone();
        }
        if self.whole || take.len() == self.change.hunks.len() {
            return match (&self.base, &self.proposed) {
                // A modified file keeps the project's mode unless the mode is the change.
                (
                    FileState::File { mode, .. },
                    FileState::File {
                        bytes,
                        mode: new_mode,
                    },
                ) if !self.whole => {
                    let _ = new_mode;
                    FileState::File {
                        bytes: bytes.clone(),
                        mode: *mode,
                    }
                }
                _ => self.proposed.clone(),
            };
        }
        let base = as_text(&self.base).unwrap_or("");
        let proposed = as_text(&self.proposed).unwrap_or("");
        let text = diff::compose(base, proposed, &self.hunks, take);
        let mode = self.base.mode().or(self.proposed.mode()).unwrap_or(0o644);
        FileState::File {
            bytes: text.into_bytes(),
            mode,
        }
    }

    /// What the stage's file becomes when the hunks in `drop` are rejected.
    fn rejected_state(&self, drop: &HashSet<&str>) -> FileState {
        let all = self.all_ids();
        let keep: HashSet<&str> = all.difference(drop).copied().collect();
        if keep.is_empty() {
            return self.base.clone();
        }
        if keep.len() == all.len() {
            return self.proposed.clone();
        }
        let base = as_text(&self.base).unwrap_or("");
        let proposed = as_text(&self.proposed).unwrap_or("");
        let text = diff::compose(base, proposed, &self.hunks, &keep);
        let mode = self.proposed.mode().or(self.base.mode()).unwrap_or(0o644);
        FileState::File {
            bytes: text.into_bytes(),
            mode,
        }
    }

    /// Lands the hunks in `take` in the project. Returns the journal record,
    /// or `None` when nothing changes on disk.
    pub fn approve(&self, project: &Path, take: &HashSet<&str>) -> Result<Option<LandedFile>> {
        let target = fsx::safe_join(project, &self.change.path)?;
        let after = self.landed_state(take);
        if after == self.base {
            return Ok(None);
        }
        fsx::mirror(&after, project, &target)?;
        Ok(Some(LandedFile {
            path: self.change.path.clone(),
            before: self.base.bytes().map(<[u8]>::to_vec),
            after: after.bytes().map(<[u8]>::to_vec),
            before_mode: self.base.mode(),
            after_mode: after.mode(),
        }))
    }

    /// Reverts the hunks in `drop` in the stage.
    pub fn reject(&self, stage: &Path, drop: &HashSet<&str>) -> Result<()> {
        let target = fsx::safe_join(stage, &self.change.path)?;
        let after = self.rejected_state(drop);
        if after != self.proposed {
            fsx::mirror(&after, stage, &target)?;
        }
        Ok(())
    }

    /// The change with every hunk's lines, highlighted.
    pub fn render(&self) -> ChangeDiff {
        if self.whole {
            return ChangeDiff {
                change: self.change.clone(),
                hunks: Vec::new(),
            };
        }
        let base = as_text(&self.base).unwrap_or("");
        let proposed = as_text(&self.proposed).unwrap_or("");
        let base_lines = diff::lines(base);
        let new_lines = diff::lines(proposed);
        let base_html = highlight::highlight_lines(&self.change.path, base);
        let new_html = highlight::highlight_lines(&self.change.path, proposed);
        let line =
            |kind, old_no: Option<u32>, new_no: Option<u32>, text: &str, html: &str| DiffLine {
                kind,
                old_no: old_no.map(|n| n + 1),
                new_no: new_no.map(|n| n + 1),
                html: html.to_string(),
                text: text.trim_end_matches(['\n', '\r']).to_string(),
            };
        let mut out = Vec::with_capacity(self.hunks.len());
        let mut shown_until = 0u32; // first base line not yet shown as context
        for (i, h) in self.hunks.iter().enumerate() {
            let mut lines = Vec::new();
            let before_from = h.before.start.saturating_sub(CONTEXT).max(shown_until);
            // Base and proposal agree outside hunks; offset maps a base line to its new number.
            let offset = h.after.start as i64 - h.before.start as i64;
            for b in before_from..h.before.start {
                let n = (b as i64 + offset) as u32;
                lines.push(line(
                    LineKind::Context,
                    Some(b),
                    Some(n),
                    base_lines[b as usize],
                    &base_html[b as usize],
                ));
            }
            for b in h.before.clone() {
                lines.push(line(
                    LineKind::Removed,
                    Some(b),
                    None,
                    base_lines[b as usize],
                    &base_html[b as usize],
                ));
            }
            for a in h.after.clone() {
                lines.push(line(
                    LineKind::Added,
                    None,
                    Some(a),
                    new_lines[a as usize],
                    &new_html[a as usize],
                ));
            }
            let next_start = self
                .hunks
                .get(i + 1)
                .map(|n| n.before.start)
                .unwrap_or(base_lines.len() as u32);
            let after_to = (h.before.end + CONTEXT)
                .min(next_start)
                .min(base_lines.len() as u32);
            let offset_after = h.after.end as i64 - h.before.end as i64;
            for b in h.before.end..after_to {
                let n = (b as i64 + offset_after) as u32;
                lines.push(line(
                    LineKind::Context,
                    Some(b),
                    Some(n),
                    base_lines[b as usize],
                    &base_html[b as usize],
                ));
            }
            shown_until = after_to;
            out.push(HunkDiff {
                header: header(h),
                lines,
            });
        }
        ChangeDiff {
            change: self.change.clone(),
            hunks: out,
        }
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

    #[test]
    fn kinds_and_whole_changes() {
        let p = proposal_from("s", "a.txt", FileState::Missing, file("x\n")).expect("change");
        assert_eq!(p.change.kind, ChangeKind::Created);
        assert_eq!(p.change.hunks.len(), 1);
        assert!(!p.whole);
        let p = proposal_from("s", "a.txt", file("x\n"), FileState::Missing).expect("change");
        assert_eq!(p.change.kind, ChangeKind::Deleted);
        let p = proposal_from("s", "a.txt", FileState::Missing, file("")).expect("change");
        assert!(p.whole);
        let bin = FileState::File {
            bytes: vec![0, 1, 2],
            mode: 0o644,
        };
        let p = proposal_from("s", "a.bin", file("x"), bin).expect("change");
        assert!(p.whole && p.change.binary);
        assert!(proposal_from("s", "a", file("same"), file("same")).is_none());
    }

    #[test]
    fn render_numbers_lines_and_limits_context() {
        let base: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let new = base.replace("l5\n", "L5\n").replace("l8\n", "L8\n");
        let p = proposal_from("s", "f.txt", file(&base), file(&new)).expect("change");
        let d = p.render();
        assert_eq!(d.hunks.len(), 2);
        let first = &d.hunks[0].lines;
        assert_eq!(first[0].text, "l2");
        assert_eq!(first[0].old_no, Some(2));
        assert!(first
            .iter()
            .any(|l| l.kind == LineKind::Removed && l.text == "l5"));
        assert!(first
            .iter()
            .any(|l| l.kind == LineKind::Added && l.text == "L5" && l.new_no == Some(5)));
        // The lines between the hunks are shown once, not twice.
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
}
