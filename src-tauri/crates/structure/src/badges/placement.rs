//! Placement: which hunk a finding belongs to, by overlap or else by distance.

use std::ops::Range;

use super::HunkLines;

/// Which hunk a finding belongs to, or the file when there are no hunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Hunk(usize),
    File,
}

/// Rows `[first, last]` overlapped by a hunk side, in rows.
fn overlap(side: &Range<u32>, first: u32, last: u32) -> u32 {
    let lo = side.start.max(first);
    let hi = side.end.min(last.saturating_add(1));
    hi.saturating_sub(lo)
}

/// The hunk whose old (`new == false`) or new side overlaps rows `[first, last]`
/// most; `None` if none does.
pub(crate) fn overlapping(hunks: &[HunkLines], new: bool, first: u32, last: u32) -> Option<usize> {
    hunks
        .iter()
        .enumerate()
        .map(|(i, (o, n))| (i, overlap(if new { n } else { o }, first, last)))
        .filter(|&(_, rows)| rows > 0)
        // max_by_key keeps the last of equals; prefer the first hunk.
        .min_by_key(|&(i, rows)| (u32::MAX - rows, i))
        .map(|(i, _)| i)
}

/// The hunk whose old or new side is closest to `row` (0 if it contains it).
pub(crate) fn nearest(hunks: &[HunkLines], new: bool, row: u32) -> Option<usize> {
    hunks
        .iter()
        .enumerate()
        .map(|(i, (o, n))| {
            let side = if new { n } else { o };
            let distance = if row < side.start {
                side.start - row
            } else if row >= side.end {
                (row - side.end).saturating_add(u32::from(side.end > side.start))
            } else {
                0
            };
            (i, distance)
        })
        .min_by_key(|&(i, distance)| (distance, i))
        .map(|(i, _)| i)
}

/// [`overlapping`], else [`nearest`] to `first`, else the file.
pub(crate) fn place_for(hunks: &[HunkLines], new: bool, first: u32, last: u32) -> Place {
    overlapping(hunks, new, first, last)
        .or_else(|| nearest(hunks, new, first))
        .map_or(Place::File, Place::Hunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_prefers_overlap_then_distance() {
        let hunks = [(0..2, 0..2), (10..14, 10..10), (20..20, 16..18)];
        assert_eq!(overlapping(&hunks, false, 11, 30), Some(1));
        assert_eq!(overlapping(&hunks, true, 16, 16), Some(2));
        assert_eq!(overlapping(&hunks, true, 10, 12), None);
        assert_eq!(nearest(&hunks, true, 11), Some(1));
        assert_eq!(nearest(&hunks, true, 19), Some(2));
        assert_eq!(nearest(&hunks, false, 3), Some(0));
        assert_eq!(place_for(&[], true, 3, 3), Place::File);
    }
}
