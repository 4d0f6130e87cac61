//! Renames: a deleted and a created file of one session with the same or
//! mostly the same text.

use std::collections::HashSet;

use super::*;

/// Pairs deleted and created files of one session into renames: identical
/// content, or at least half the lines shared. Returns (old, new) pairs.
pub fn pair_renames(
    deleted: &[(&str, &FileState)],
    created: &[(&str, &FileState)],
) -> Vec<(String, String)> {
    pair_by(deleted, created, similarity)
}

/// [`pair_renames`] of files with the same bytes only: a compare of bytes
/// per pair, no diff.
pub fn pair_exact(
    deleted: &[(&str, &FileState)],
    created: &[(&str, &FileState)],
) -> Vec<(String, String)> {
    pair_by(deleted, created, |a, b| match (a, b) {
        (FileState::File { bytes: x, .. }, FileState::File { bytes: y, .. })
            if x == y && !x.is_empty() =>
        {
            1.0
        }
        (FileState::Symlink { target: x }, FileState::Symlink { target: y }) if x == y => 1.0,
        _ => 0.0,
    })
}

fn pair_by(
    deleted: &[(&str, &FileState)],
    created: &[(&str, &FileState)],
    similarity: impl Fn(&FileState, &FileState) -> f64,
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
