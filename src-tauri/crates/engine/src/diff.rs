//! Line diffs between the project's text (base) and a stage's text (proposed).
//!
//! A [`LineHunk`] is one contiguous changed region as imara-diff's histogram
//! algorithm finds it. Its id hashes the file, the lines it removes and adds and
//! the proposal's lines just before it (its anchor), so editing elsewhere in
//! the file does not change it. [`compose`] builds the text that results from
//! taking the proposal for some hunks and the base for the rest; approving and
//! rejecting are both that one function.
//!
//! Deciding some hunks leaves the rest of the diff known, and [`Memo::decide`]
//! remembers it: the next diff of the same two texts ([`Memo::diff_lines`])
//! is that one, not a fresh one. A fresh diff could align repeated lines differently once part of a
//! change has landed and split, merge or rename the hunks still waiting,
//! under the user's eyes and under the ids a client holds.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use imara_diff::{Algorithm, Diff, InternedInput, Token};
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

/// The hunks that turn `base` into `proposed`, freshly worked out (see
/// [`Memo::diff_lines`] for the diff a decision left). `key` names the file
/// (session and path) so equal edits in two files get different ids.
pub fn diff_lines(key: &str, base: &[u8], proposed: &[u8]) -> Vec<LineHunk> {
    let input = InternedInput::new(base, proposed);
    let mut seen: HashMap<[u8; 32], u32> = HashMap::new();
    line_hunks(&input)
        .into_iter()
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

/// How many decided diffs a [`Memo`] keeps (the oldest go first).
const REMEMBERED: usize = 64;

/// A diff that deciding some hunks left: `hunks` turn the text hashed as
/// `base` into the one hashed as `proposed`, for the file `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The file (session and path).
    pub key: String,
    /// SHA-256 of the base text.
    pub base: [u8; 32],
    /// SHA-256 of the proposed text.
    pub proposed: [u8; 32],
    /// The hunks still waiting.
    pub hunks: Vec<LineHunk>,
}

/// The diffs decisions left, newest first: a review queue's own, shared by
/// the threads that diff for it (cloning shares it) and gone with it.
#[derive(Clone, Default)]
pub struct Memo(Arc<Mutex<VecDeque<Remembered>>>);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

fn digest(text: &[u8]) -> [u8; 32] {
    Sha256::digest(text).into()
}

impl Memo {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Remembered>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is remembered, newest first: what the journal keeps.
    pub fn entries(&self) -> Vec<Remembered> {
        self.lock().iter().cloned().collect()
    }

    /// Remembers `entries` (newest first) in place of what was: the
    /// journal's, when a session comes back.
    pub fn load(&self, entries: Vec<Remembered>) {
        let mut kept = self.lock();
        *kept = entries.into_iter().take(REMEMBERED).collect();
    }

    /// The diff a decision left of these two texts, else a fresh one
    /// ([`diff_lines`]).
    pub fn diff_lines(&self, key: &str, base: &[u8], proposed: &[u8]) -> Vec<LineHunk> {
        self.recall(key, base, proposed)
            .unwrap_or_else(|| diff_lines(key, base, proposed))
    }

    /// The remembered diff of these two texts, if a decision left one.
    /// Hashes the texts only when this file has one at all.
    fn recall(&self, key: &str, base: &[u8], proposed: &[u8]) -> Option<Vec<LineHunk>> {
        if !self.lock().iter().any(|r| r.key == key) {
            return None;
        }
        // Hashed without the lock: diffs run on several threads at once.
        let (b, p) = (digest(base), digest(proposed));
        self.lock()
            .iter()
            .find(|r| r.key == key && r.base == b && r.proposed == p)
            .map(|r| r.hunks.clone())
    }

    /// [`compose`], for a decision: the text made of the proposal's lines for
    /// the hunks in `take` and the base's elsewhere. When `approve`, that text
    /// is the new base and the hunks not taken still wait; otherwise it is the
    /// new proposal and the taken hunks still wait. Either way the diff that
    /// is left is remembered (see the module's doc), keeping each hunk's id
    /// and lines.
    pub fn decide(
        &self,
        key: &str,
        base: &[u8],
        proposed: &[u8],
        hunks: &[LineHunk],
        take: &HashSet<&str>,
        approve: bool,
    ) -> Vec<u8> {
        let out = compose(base, proposed, hunks, take);
        let left = hunks_left(hunks, take, approve);
        let (b, p) = if approve {
            (digest(&out), digest(proposed))
        } else {
            (digest(base), digest(&out))
        };
        let mut decided = self.lock();
        decided.retain(|r| !(r.key == key && r.base == b && r.proposed == p));
        decided.push_front(Remembered {
            key: key.to_string(),
            base: b,
            proposed: p,
            hunks: left,
        });
        decided.truncate(REMEMBERED);
        out
    }
}

/// The hunks a decision leaves waiting, where each sits in the decided text
/// (the lines between hunks are the base's).
fn hunks_left(hunks: &[LineHunk], take: &HashSet<&str>, approve: bool) -> Vec<LineHunk> {
    let mut left = Vec::new();
    let mut shift = 0i64;
    for h in hunks {
        let taken = take.contains(h.id.as_str());
        let start = (i64::from(h.before.start) + shift) as u32;
        let len = if taken { h.after.len() } else { h.before.len() } as u32;
        shift += i64::from(len) - h.before.len() as i64;
        let at = start..start + len;
        if approve && !taken {
            left.push(LineHunk {
                before: at,
                ..h.clone()
            });
        } else if !approve && taken {
            left.push(LineHunk {
                after: at,
                ..h.clone()
            });
        }
    }
    left
}

/// The line ranges of `new` that differ from `old` (in `new`'s line numbers);
/// a pure deletion is the empty range where it happened.
pub fn changed_ranges(old: &[u8], new: &[u8]) -> Vec<Range<u32>> {
    let input = InternedInput::new(old, new);
    line_hunks(&input).into_iter().map(|h| h.after).collect()
}

/// Above this many lines a diff is split at anchors first (see [`line_hunks`]).
const ANCHOR_ABOVE: usize = 5_000;

/// The changed regions of two interned texts, histogram algorithm.
///
/// imara-diff's histogram slows down with the number of scattered changes in
/// a large file (about 200 ms for 1,000 one-line edits in 100,000 lines here),
/// because each step re-reads its whole range. For large inputs the lines
/// that occur exactly once on each side and keep their order (the longest
/// increasing run, as patience diff finds them) split the file first; the
/// histogram then runs on each small gap between anchors. Code is mostly
/// unique lines, so the result is the histogram's own, found in a few
/// milliseconds; a moved block's unique lines fall out of order and show as
/// a removal and an addition, as with the histogram alone.
pub fn line_hunks<T: AsRef<[u8]>>(input: &InternedInput<T>) -> Vec<imara_diff::Hunk> {
    let (before, after) = (&input.before, &input.after);
    if before.len().max(after.len()) <= ANCHOR_ABOVE {
        let mut diff = Diff::compute(Algorithm::Histogram, input);
        diff.postprocess_lines(input);
        return diff.hunks().collect();
    }
    let pairs = unique_pairs(input);
    let anchors = increasing_run(&pairs);
    let mut hunks = Vec::new();
    let (mut pb, mut pa) = (0u32, 0u32);
    let mut sub = Diff::default();
    let mut local: HashMap<Token, u32> = HashMap::new();
    let (mut lb, mut la) = (Vec::new(), Vec::new());
    let mut gap = |b: Range<u32>, a: Range<u32>, hunks: &mut Vec<imara_diff::Hunk>| {
        if b.is_empty() && a.is_empty() {
            return;
        }
        if b.is_empty() || a.is_empty() {
            hunks.push(imara_diff::Hunk {
                before: b,
                after: a,
            });
            return;
        }
        // The histogram sizes a table by the number of distinct tokens: give
        // each small gap its own small numbering instead of the whole file's.
        local.clear();
        let mut number = |t: &Token| {
            let next = local.len() as u32;
            Token::from(*local.entry(*t).or_insert(next))
        };
        lb.clear();
        la.clear();
        lb.extend(
            before[b.start as usize..b.end as usize]
                .iter()
                .map(&mut number),
        );
        la.extend(
            after[a.start as usize..a.end as usize]
                .iter()
                .map(&mut number),
        );
        sub.compute_with(Algorithm::Histogram, &lb, &la, local.len() as u32);
        for h in sub.hunks() {
            hunks.push(imara_diff::Hunk {
                before: h.before.start + b.start..h.before.end + b.start,
                after: h.after.start + a.start..h.after.end + a.start,
            });
        }
    };
    for (i, j) in anchors {
        gap(pb..i, pa..j, &mut hunks);
        pb = i + 1;
        pa = j + 1;
    }
    gap(pb..before.len() as u32, pa..after.len() as u32, &mut hunks);
    merge_touching(hunks)
}

/// The lines that occur exactly once on each side, as (before, after)
/// line numbers in the order of `before`.
fn unique_pairs<T: AsRef<[u8]>>(input: &InternedInput<T>) -> Vec<(u32, u32)> {
    let (before, after) = (&input.before, &input.after);
    let n = input.interner.num_tokens() as usize;
    let (mut count_b, mut count_a) = (vec![0u32; n], vec![0u32; n]);
    let mut pos_a = vec![0u32; n];
    for t in before.iter() {
        count_b[u32::from(*t) as usize] += 1;
    }
    for (j, t) in after.iter().enumerate() {
        let t = u32::from(*t) as usize;
        count_a[t] += 1;
        pos_a[t] = j as u32;
    }
    before
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let t = u32::from(*t) as usize;
            (count_b[t] == 1 && count_a[t] == 1).then_some((i as u32, pos_a[t]))
        })
        .collect()
}

/// Neighbouring regions split by nothing but an anchor stay separate hunks;
/// touching ones (no line between them) merge.
fn merge_touching(hunks: Vec<imara_diff::Hunk>) -> Vec<imara_diff::Hunk> {
    let mut merged: Vec<imara_diff::Hunk> = Vec::with_capacity(hunks.len());
    for h in hunks {
        match merged.last_mut() {
            Some(last) if last.before.end == h.before.start && last.after.end == h.after.start => {
                last.before.end = h.before.end;
                last.after.end = h.after.end;
            }
            _ => merged.push(h),
        }
    }
    merged
}

/// The longest run of pairs increasing in both coordinates (pairs come sorted
/// by the first), by patience sorting: O(n log n).
fn increasing_run(pairs: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut tails: Vec<usize> = Vec::new(); // index into pairs of the smallest tail per length
    let mut prev: Vec<usize> = vec![usize::MAX; pairs.len()];
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let at = tails.partition_point(|&t| pairs[t].1 < j);
        if at > 0 {
            prev[k] = tails[at - 1];
        }
        if at == tails.len() {
            tails.push(k);
        } else {
            tails[at] = k;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut k = tails.last().copied().unwrap_or(usize::MAX);
    while k != usize::MAX {
        out.push(pairs[k]);
        k = prev[k];
    }
    out.reverse();
    out
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
        /// Accept-all = proposed, reject-all = base; approving any subset one
        /// hunk at a time, in any order, re-diffing after each, gives the same
        /// file as approving it at once, and so does rejecting the rest one at
        /// a time; the hunks still waiting keep their ids throughout.
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
            // Approving them one at a time: the project moves toward the proposal.
            let memo = Memo::default();
            let mut project = base_text.clone();
            let mut waiting: Vec<&str> = hunks.iter().map(|h| h.id.as_str()).collect();
            for id in &order {
                let now = memo.diff_lines("k", &project, &new_text);
                let ids: Vec<&str> = now.iter().map(|h| h.id.as_str()).collect();
                proptest::prop_assert_eq!(&ids, &waiting, "the hunks waiting changed before approving {}", id);
                let one: HashSet<&str> = [id.as_str()].into();
                project = memo.decide("k", &project, &new_text, &now, &one, true);
                waiting.retain(|w| w != id);
            }
            proptest::prop_assert_eq!(project, expected.clone());
            // Rejecting the others one at a time: the stage moves toward the base.
            let mut stage = new_text.clone();
            let mut waiting: Vec<&str> = hunks.iter().map(|h| h.id.as_str()).collect();
            for h in hunks.iter().filter(|h| !at_once.contains(h.id.as_str())) {
                let now = memo.diff_lines("k", &base_text, &stage);
                let ids: Vec<&str> = now.iter().map(|h| h.id.as_str()).collect();
                proptest::prop_assert_eq!(&ids, &waiting, "the hunks waiting changed before rejecting {}", h.id);
                let keep: HashSet<&str> = waiting.iter().copied().filter(|w| *w != h.id).collect();
                stage = memo.decide("k", &base_text, &stage, &now, &keep, false);
                waiting.retain(|w| *w != h.id);
            }
            proptest::prop_assert_eq!(stage, expected);
        }
    }

    #[test]
    fn anchored_diff_of_a_large_file_matches_the_texts() {
        let base: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let mut lines: Vec<String> = base.lines().map(|l| format!("{l}\n")).collect();
        for i in (10..lines.len()).step_by(97) {
            lines[i] = format!("edited {i}\n");
        }
        let block: Vec<String> = lines.drain(1000..1500).collect();
        for (k, l) in block.into_iter().enumerate() {
            lines.insert(15_000 + k, l);
        }
        lines.insert(3, "inserted\n".into());
        lines.remove(7000);
        let new = lines.concat();
        let hunks = diff_lines("k", base.as_bytes(), new.as_bytes());
        assert!(hunks.len() > 150, "{}", hunks.len());
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &all(&hunks)),
            new.as_bytes()
        );
        assert_eq!(
            compose(base.as_bytes(), new.as_bytes(), &hunks, &HashSet::new()),
            base.as_bytes()
        );
        // The moved block shows as 500 lines out and 500 in, not as churn everywhere.
        let changed: usize = hunks.iter().map(|h| h.before.len() + h.after.len()).sum();
        assert!(changed < 2 * (206 + 500) + 10, "{changed}");
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
