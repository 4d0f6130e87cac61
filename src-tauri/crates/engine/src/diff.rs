//! Line diffs between the project's text (base) and a stage's text (proposed).
//!
//! A [`LineHunk`] is one contiguous changed region as imara-diff's histogram
//! algorithm finds it. Its id hashes the file, the lines it removes and adds and
//! the proposal's lines just before it (its anchor), so editing elsewhere in
//! the file, or approving other hunks first, does not change it. [`compose`] builds the text that results from taking the
//! proposal for some hunks and the base for the rest; approving and rejecting
//! are both that one function.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use imara_diff::{Algorithm, Diff, InternedInput};
use sha2::{Digest, Sha256};

/// How many lines before a hunk make its anchor.
const ANCHOR_LINES: u32 = 3;

/// One changed region: `before` lines of the base become `after` lines of the proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineHunk {
    /// Stable id (`h-…`).
    pub id: String,
    /// Line range in the base (0-based, end exclusive).
    pub before: Range<u32>,
    /// Line range in the proposal (0-based, end exclusive).
    pub after: Range<u32>,
}

/// Splits text into lines that keep their terminators, exactly as the diff sees them.
/// Works on bytes, so Latin-1 or otherwise invalid UTF-8 text diffs like any other.
pub fn lines(text: &[u8]) -> Vec<&[u8]> {
    imara_diff::sources::byte_lines(text).collect()
}

/// The hunks that turn `base` into `proposed`. `key` names the file (session and
/// path) so equal edits in two files get different ids.
pub fn diff_lines(key: &str, base: &[u8], proposed: &[u8]) -> Vec<LineHunk> {
    let input = InternedInput::new(base, proposed);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let mut seen: HashMap<[u8; 32], u32> = HashMap::new();
    diff.hunks()
        .map(|h| {
            // The anchor is the proposal's lines just before the hunk: approving
            // other hunks never changes the proposal, so ids survive any order
            // of approvals, and the agent's edits elsewhere leave them alone.
            let anchor_start = h.after.start.saturating_sub(ANCHOR_LINES);
            let mut hasher = Sha256::new();
            hasher.update(key.as_bytes());
            hasher.update([0]);
            for t in &input.after[anchor_start as usize..h.after.start as usize] {
                hasher.update(input.interner[*t]);
            }
            hasher.update([1]);
            for t in &input.before[h.before.start as usize..h.before.end as usize] {
                hasher.update(input.interner[*t]);
            }
            hasher.update([2]);
            for t in &input.after[h.after.start as usize..h.after.end as usize] {
                hasher.update(input.interner[*t]);
            }
            let digest: [u8; 32] = hasher.finalize().into();
            // The same edit with the same anchor twice in one file: number the repeats.
            let n = seen.entry(digest).or_insert(0);
            *n += 1;
            let id = hunk_id(&digest, *n);
            LineHunk {
                id,
                before: h.before,
                after: h.after,
            }
        })
        .collect()
}

fn hunk_id(digest: &[u8; 32], occurrence: u32) -> String {
    let mut id = String::with_capacity(19);
    id.push_str("h-");
    for b in &digest[..8] {
        id.push_str(&format!("{b:02x}"));
    }
    if occurrence > 1 {
        id.push_str(&format!("-{occurrence}"));
    }
    id
}

/// The text made of the proposal's lines for the hunks in `take` and the base's
/// lines everywhere else. `take` = every hunk gives `proposed`; none gives `base`.
pub fn compose(base: &[u8], proposed: &[u8], hunks: &[LineHunk], take: &HashSet<&str>) -> Vec<u8> {
    let base_lines = lines(base);
    let new_lines = lines(proposed);
    let mut out = Vec::with_capacity(base.len().max(proposed.len()));
    let mut pos = 0usize;
    for h in hunks {
        for l in &base_lines[pos..h.before.start as usize] {
            out.extend_from_slice(l);
        }
        if take.contains(h.id.as_str()) {
            for l in &new_lines[h.after.start as usize..h.after.end as usize] {
                out.extend_from_slice(l);
            }
        } else {
            for l in &base_lines[h.before.start as usize..h.before.end as usize] {
                out.extend_from_slice(l);
            }
        }
        pos = h.before.end as usize;
    }
    for l in &base_lines[pos..] {
        out.extend_from_slice(l);
    }
    out
}

/// The line ranges of `new` that differ from `old` (in `new`'s line numbers);
/// a pure deletion is the empty range where it happened.
pub fn changed_ranges(old: &[u8], new: &[u8]) -> Vec<Range<u32>> {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    diff.hunks().map(|h| h.after).collect()
}

/// True when line range `a` touches range `b` (an empty range touches what it borders).
pub fn touches(a: &Range<u32>, b: &Range<u32>) -> bool {
    a.start <= b.end && b.start <= a.end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(h: &[LineHunk]) -> HashSet<&str> {
        h.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn accept_all_and_reject_all() {
        let base = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nB\nc\nd\ne\nf\nG\nh\n";
        let hunks = diff_lines("k", base.as_bytes(), new.as_bytes());
        assert_eq!(hunks.len(), 2);
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &all(&hunks)),
            new.as_bytes()
        );
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &HashSet::new()),
            base.as_bytes()
        );
        let first: HashSet<&str> = [hunks[0].id.as_str()].into();
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &first),
            b"a\nB\nc\nd\ne\nf\ng\nh\n"
        );
    }

    #[test]
    fn ids_survive_edits_elsewhere() {
        let base = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
        let v1 = "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nnine\n";
        let v2 = "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nNINE\n";
        let h1 = diff_lines("k", base.as_bytes(), v1.as_bytes());
        let h2 = diff_lines("k", base.as_bytes(), v2.as_bytes());
        assert_eq!(h1.len(), 1);
        assert_eq!(h2.len(), 2);
        assert_eq!(h1[0].id, h2[0].id);
        assert_ne!(h2[0].id, h2[1].id);
        assert_ne!(
            diff_lines("other", base.as_bytes(), v1.as_bytes())[0].id,
            h1[0].id
        );
    }

    #[test]
    fn keeps_crlf_and_missing_final_newline() {
        let base = "a\r\nb\r\nc";
        let new = "a\r\nB\r\nc";
        let hunks = diff_lines("k", base.as_bytes(), new.as_bytes());
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &all(&hunks)),
            new.as_bytes()
        );
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &HashSet::new()),
            base.as_bytes()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Accept-all = proposed, reject-all = base, and approving any subset one
        /// hunk at a time, in any order, re-diffing after each, gives the same
        /// file as approving it at once.
        #[test]
        fn any_subset_in_any_order(
            base in proptest::collection::vec(0u8..12, 0..40),
            edits in proptest::collection::vec((0usize..40, 0u8..3, 0u8..12), 0..8),
            pick in proptest::collection::vec(proptest::bool::ANY, 8),
            order_seed in 0u64..1000,
        ) {
            let line = |n: u8| format!("line {n}\n");
            let base_lines: Vec<String> = base.iter().map(|n| line(*n)).collect();
            let mut new_lines = base_lines.clone();
            for (at, op, v) in edits {
                let at = at.min(new_lines.len());
                match op {
                    0 => new_lines.insert(at, line(v + 100)),
                    1 if at < new_lines.len() => { new_lines.remove(at); }
                    _ if at < new_lines.len() => new_lines[at] = line(v + 200),
                    _ => {}
                }
            }
            let base_text = base_lines.concat().into_bytes();
            let new_text = new_lines.concat().into_bytes();
            let hunks = diff_lines("k", &base_text, &new_text);
            proptest::prop_assert_eq!(compose(&base_text, &new_text, &hunks, &all(&hunks)), new_text.clone());
            proptest::prop_assert_eq!(compose(&base_text, &new_text, &hunks, &HashSet::new()), base_text.clone());
            let chosen: Vec<String> = hunks.iter().zip(pick.iter().cycle()).filter(|(_, p)| **p).map(|(h, _)| h.id.clone()).collect();
            let at_once: HashSet<&str> = chosen.iter().map(String::as_str).collect();
            let expected = compose(&base_text, &new_text, &hunks, &at_once);
            let mut order = chosen.clone();
            let n = order.len().max(1);
            order.rotate_left(order_seed as usize % n);
            if order_seed % 2 == 1 { order.reverse(); }
            let mut project = base_text.clone();
            for id in &order {
                let now = diff_lines("k", &project, &new_text);
                proptest::prop_assert!(now.iter().any(|h| h.id == *id), "hunk {} vanished after other approvals", id);
                let one: HashSet<&str> = [id.as_str()].into();
                project = compose(&project, &new_text, &now, &one);
            }
            proptest::prop_assert_eq!(project, expected);
        }
    }

    #[test]
    fn repeated_identical_edits_get_distinct_ids() {
        let base = "x\nx\nx\nx\nx\nx\nx\nx\nx\nx\n";
        let new = "x\nx\nx\nx\ny\nx\nx\nx\nx\ny\nx\n";
        let hunks = diff_lines("k", base.as_bytes(), new.as_bytes());
        let ids: HashSet<&str> = all(&hunks);
        assert_eq!(ids.len(), hunks.len());
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &ids),
            new.as_bytes()
        );
    }
}
