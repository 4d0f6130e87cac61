//! Building a proposal from two sides already read: its hunks, ids and
//! versions (what a decision must match to apply).

use airlock_protocol::{Change, ChangeKind, ChangeState, HunkHeader, HunkKind};
use sha2::{Digest, Sha256};

use super::*;

/// What names a file to [`diff`]: its session and path.
pub(super) fn diff_key(session: &str, rel: &str) -> String {
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
    let (hunks, mode_hunk, whole, notice) =
        hunks_of(&ctx.memo, &key, &base, &proposed, kind, (symlink, binary));
    let whole_hunk = whole.then(|| side_hash(&key, "whole", &base, &proposed));
    let user = ctx.user_changed.as_deref();
    let headers = headers_of(&hunks, &mode_hunk, &whole_hunk, user);
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
        memo: ctx.memo,
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

/// A change's line hunks, its mode hunk's id, whether it is decided whole,
/// and what it says in place of (or beside) a diff.
fn hunks_of(
    memo: &diff::Memo,
    key: &str,
    base: &FileState,
    proposed: &FileState,
    kind: ChangeKind,
    (symlink, binary): (bool, bool),
) -> (Vec<LineHunk>, Option<String>, bool, Option<String>) {
    let mut notice = None;
    let mut hunks = Vec::new();
    let mut mode_hunk = None;
    let mut whole = false;
    match (text_of(base), text_of(proposed)) {
        (Some(b), Some(p)) => {
            hunks = memo.diff_lines(key, b, p);
            if let (Some(om), Some(nm)) = (base.mode(), proposed.mode()) {
                if om != nm {
                    mode_hunk = Some(side_hash(key, "mode", base, proposed));
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
            notice = Some(whole_notice(base, proposed, symlink, binary));
        }
    }
    (hunks, mode_hunk, whole, notice)
}

/// What a change held whole says instead of a diff.
fn whole_notice(base: &FileState, proposed: &FileState, symlink: bool, binary: bool) -> String {
    if symlink {
        let show = |s: &FileState| match s {
            FileState::Symlink { target } => format!("symlink → {}", target.display()),
            FileState::Missing => "nothing".to_string(),
            FileState::File { bytes, .. } => format!("a file of {} bytes", bytes.len()),
            FileState::Folder => "a folder".into(),
            FileState::Special(what) => what.to_string(),
        };
        format!("{} becomes {}.", show(base), show(proposed))
    } else if binary {
        let size = |s: &FileState| {
            s.bytes()
                .map_or_else(|| "nothing".to_string(), |b| human_size(b.len() as u64))
        };
        format!(
            "Binary file: {} → {}, approve or reject it whole.",
            size(base),
            size(proposed)
        )
    } else {
        format!(
            "Larger than {} MB: shown without a diff; approve or reject it whole.",
            MAX_DIFF_BYTES / (1024 * 1024)
        )
    }
}

/// The hunks' headers as the wire shows them, the mode and whole-file
/// hunks last; hunks that touch lines the user changed are conflicts.
fn headers_of(
    hunks: &[LineHunk],
    mode_hunk: &Option<String>,
    whole_hunk: &Option<String>,
    user: Option<&[Range<u32>]>,
) -> Vec<HunkHeader> {
    let mut headers: Vec<HunkHeader> = hunks
        .iter()
        .map(|h| {
            let mut hd = header(h);
            hd.conflict = user.is_some_and(|r| r.iter().any(|u| diff::touches(&h.before, u)));
            hd
        })
        .collect();
    for (id, kind) in [(mode_hunk, HunkKind::Mode), (whole_hunk, HunkKind::Whole)] {
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
    headers
}

/// A size as the review pane shows it: bytes, then KiB and MiB to one decimal.
pub(super) fn human_size(n: u64) -> String {
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

pub(super) fn header(h: &LineHunk) -> HunkHeader {
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
