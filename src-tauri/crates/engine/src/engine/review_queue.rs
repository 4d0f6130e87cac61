//! A session's review queue as plain data, and the rules that need no
//! files, processes or channels: how the shown view is built from the raw
//! proposals (renames paired, labels kept), what a new view announces, what
//! still needs labels, how a user's edit merges into the agent's text, and
//! what a decision takes of each file (or why it is refused). The actor
//! reads the files and performs what these return.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use airlock_protocol::{Change, Event};

use super::gate::GatedEdit;
use super::pairing::{Candidates, Pair, Pairing, PairingJob};
use crate::diff;
use crate::error::{EngineError, Result};
use crate::fsx::FileState;
use crate::review::{self, Proposal};

/// What a session proposes and what was decided of it.
#[derive(Default)]
pub(super) struct ReviewQueue {
    /// One proposal per differing path, before renames are paired.
    pub(super) raw: BTreeMap<String, Proposal>,
    /// What the queue shows: `raw` with deletions and creations paired into renames.
    pub(super) view: BTreeMap<String, Proposal>,
    /// The project text each pending path started from (see `queue`).
    pub(super) bases: HashMap<String, FileState>,
    /// What was decided, newest last (at most [`super::DECIDED_KEPT`]), with when.
    pub(super) decided: VecDeque<(u64, Change)>,
    /// Changes whose labels and badges are being computed (by change id and hunk ids).
    pub(super) enriching: HashSet<(String, Vec<String>)>,
    /// Paths set or removed in `raw` since the view was last brought up to date.
    dirty: BTreeSet<String>,
    /// The renames the view shows: new path → old path.
    renamed: BTreeMap<String, String>,
    /// The latest look asked for at each path: a result computed for an
    /// older one is dropped (the path moved on meanwhile).
    looks: HashMap<String, u64>,
    /// Counts looks.
    next_look: u64,
    /// The diffs decisions on this queue left (see [`diff::Memo`]).
    pub(super) memo: diff::Memo,
    /// Its renames (see [`Pairing`]).
    pairing: Pairing,
}

impl ReviewQueue {
    /// A new look at `rel` is asked for: its number.
    pub(super) fn asked(&mut self, rel: &str) -> u64 {
        self.next_look += 1;
        self.looks.insert(rel.to_string(), self.next_look);
        self.next_look
    }

    /// Whether `look` is still the latest asked for at `rel` (it is then
    /// forgotten: its result is being applied).
    pub(super) fn is_current(&mut self, rel: &str, look: u64) -> bool {
        if self.looks.get(rel) != Some(&look) {
            return false;
        }
        self.looks.remove(rel);
        true
    }

    /// Sets `rel`'s proposal (what the stage holds against the project).
    pub(super) fn set_raw(&mut self, rel: &str, p: Proposal) {
        self.raw.insert(rel.to_string(), p);
        self.dirty.insert(rel.to_string());
    }

    /// `rel` no longer differs.
    pub(super) fn remove_raw(&mut self, rel: &str) {
        if self.raw.remove(rel).is_some() {
            self.dirty.insert(rel.to_string());
        }
    }

    /// Brings the view up to date with `raw` (or, for a gated session, with
    /// its waiting edits), pairing a deleted and a created file with the
    /// same text into a rename and keeping the labels of hunks that did not
    /// change. Only the paths set or removed since the last call, and those
    /// a rename pairs or paired, are looked at: a chunk of a burst of
    /// thousands of files costs its own size, not the queue's. Returns what
    /// each of those paths showed before.
    pub(super) fn rebuild_view(
        &mut self,
        session: &str,
        gated: Option<&BTreeMap<String, GatedEdit>>,
    ) -> Delta {
        let pairs = self.renames(session);
        let mut touched = std::mem::take(&mut self.dirty);
        touched.extend(
            self.renamed
                .iter()
                .flat_map(|(n, o)| [n.clone(), o.clone()]),
        );
        touched.extend(pairs.iter().flat_map(|(o, n, _)| [o.clone(), n.clone()]));
        if let Some(gated) = gated {
            touched.extend(self.view.keys().cloned());
            touched.extend(gated.keys().cloned());
        }
        let delta: Delta = touched
            .into_iter()
            .map(|rel| {
                let old = self.view.remove(&rel);
                (rel, old)
            })
            .collect();
        for (rel, _) in &delta {
            let shown = match gated {
                Some(gated) => gated.get(rel).map(|g| g.proposal.clone()),
                None => self.raw.get(rel).cloned(),
            };
            if let Some(p) = shown {
                self.view.insert(rel.clone(), p);
            }
        }
        self.renamed.clear();
        for (old, new, p) in pairs {
            self.view.remove(&old);
            self.view.insert(new.clone(), p);
            self.renamed.insert(new, old);
        }
        // Labels carried over by id (a rename's id is its new path's).
        let old_by_id: HashMap<&str, &Proposal> = delta
            .iter()
            .filter_map(|(_, o)| o.as_ref().map(|o| (o.change.id.as_str(), o)))
            .collect();
        for (rel, _) in &delta {
            if let Some(p) = self.view.get_mut(rel) {
                if let Some(old) = old_by_id.get(p.change.id.as_str()) {
                    p.inherit(old);
                }
            }
        }
        delta
    }

    /// Deleted and created files of the same text, paired into renames
    /// (see [`Pairing`]).
    fn renames(&mut self, session: &str) -> Vec<Pair> {
        for rel in &self.dirty {
            self.pairing.track(rel, self.raw.get(rel));
        }
        self.pairing.pairs(session, &self.raw, &self.memo)
    }

    /// The rename pairing to work out off the actor, if one was made.
    pub(super) fn pairing_job(&mut self) -> Option<PairingJob> {
        self.pairing.take_job()
    }

    /// A pairing job's answer: true when it is still wanted (the view is
    /// then rebuilt with it).
    pub(super) fn paired(&mut self, candidates: Candidates, pairs: Vec<Pair>) -> bool {
        self.pairing.answered(candidates, pairs)
    }

    /// The shown proposals among `delta`'s paths that still need labels and
    /// badges and are not being worked on yet; they are marked as being
    /// worked on.
    pub(super) fn take_unenriched(&mut self, delta: &Delta) -> Vec<Proposal> {
        let mut out = Vec::new();
        for (rel, _) in delta {
            let Some(p) = self.view.get(rel).filter(|p| !p.enriched) else {
                continue;
            };
            if self.enriching.insert((p.change.id.clone(), p.line_ids())) {
                out.push(p.clone());
            }
        }
        out
    }
}

/// Paths whose view entry may have changed, each with what it showed before.
pub(super) type Delta = Vec<(String, Option<Proposal>)>;

/// What the window must hear after the view changed at `delta`'s paths:
/// the changes that are gone, then the new or different ones.
pub(super) fn view_events(
    session: &str,
    delta: &Delta,
    view: &BTreeMap<String, Proposal>,
) -> Vec<Event> {
    let mut events = Vec::new();
    for (path, old) in delta {
        let Some(old) = old else { continue };
        if view.get(path).is_none_or(|p| p.change.id != old.change.id) {
            events.push(Event::ChangeRemoved {
                change: old.change.id.clone(),
                session: session.to_string(),
                path: path.clone(),
            });
        }
    }
    for (path, old) in delta {
        let Some(p) = view.get(path) else { continue };
        if old.as_ref().is_none_or(|o| o.change != p.change) {
            events.push(Event::ChangeProposed {
                change: p.change.clone(),
            });
        }
    }
    events
}

/// The user edited a file the agent also changed: the agent's text with
/// the user's edit merged in three ways (`base` is the project text the
/// agent started from, `now` the project's, `staged` the agent's). `None`
/// when the two conflict or either side is not text: the stage then keeps
/// the agent's text, and the review marks the hunks that touch the
/// user's lines.
pub(super) fn merged(base: &FileState, now: &FileState, staged: &FileState) -> Option<FileState> {
    let bytes = match (
        review::text_of(base),
        review::text_of(now),
        review::text_of(staged),
    ) {
        (Some(b), Some(o), Some(t)) => diffy::merge_bytes(b, o, t).ok()?,
        _ => return None,
    };
    let both_gone = matches!(now, FileState::Missing) && matches!(staged, FileState::Missing);
    Some(if bytes.is_empty() && both_gone {
        FileState::Missing
    } else {
        FileState::File {
            bytes: bytes.into(),
            mode: staged.mode().or(now.mode()).unwrap_or(0o644),
        }
    })
}

/// A queued file: its session and path.
pub(super) type Key = (String, String);
/// Decided ids by file: the chosen hunk ids, or `None` for the whole change.
pub(super) type Groups = BTreeMap<Key, Option<HashSet<String>>>;

/// The rules of a decision, checked against the files as they are now
/// (`fresh`) before anything is written: what each file takes. A hunk
/// that is gone, or a whole change whose version moved on since the user
/// reviewed it, fails the decision with the paths that changed. Approving
/// a held change or a hunk over the user's own lines is refused, or (in
/// bulk) skipped; a file that changes what may run is never approved in bulk.
pub(super) fn plan_decisions(
    groups: Groups,
    reviewed: &HashMap<Key, String>,
    fresh: &HashMap<Key, Proposal>,
    approve: bool,
    bulk: bool,
) -> Result<Vec<(String, Proposal, HashSet<String>)>> {
    let mut moved = Vec::new();
    let mut plans: Vec<(String, Proposal, HashSet<String>)> = Vec::new();
    for ((session, rel), chosen) in groups {
        let key = (session, rel);
        let Some(p) = fresh.get(&key) else {
            moved.push(key.1);
            continue;
        };
        let stale = reviewed.get(&key).is_some_and(|v| *v != p.change.version);
        let (session, rel) = key;
        let mut take: HashSet<String> = match chosen {
            None => p.all_ids(),
            Some(set) => {
                // A hunk id names its lines: one that is gone moved on.
                if set.iter().any(|h| !p.has_hunk(h)) {
                    moved.push(rel);
                    continue;
                }
                set
            }
        };
        if approve && bulk && grants_power(&p.change) {
            // Approved on its own, never in bulk: it changes what may run.
            continue;
        }
        if approve {
            if let Some(why) = &p.change.held {
                if bulk {
                    continue;
                }
                return Err(EngineError::Held(format!(
                    "{rel} is held: {why}; reject it instead"
                )));
            }
            let conflicts: Vec<&str> = p
                .conflicts()
                .into_iter()
                .filter(|c| take.contains(*c))
                .collect();
            if !conflicts.is_empty() {
                if bulk {
                    take.retain(|h| !p.conflicts().contains(&h.as_str()));
                } else {
                    return Err(EngineError::Held(format!(
                    "{rel}: hunk {} overlaps lines you changed since the agent's edit; reject it to keep yours, or edit it before approving",
                    conflicts.join(", ")
                )));
                }
            }
        }
        // Held and conflicting hunks are refused as such first: their
        // message says what to do, whatever else moved.
        if stale {
            moved.push(rel);
            continue;
        }
        if !take.is_empty() {
            plans.push((session, p.clone(), take));
        }
    }
    if !moved.is_empty() {
        return Err(EngineError::Changed(moved));
    }
    Ok(plans)
}
/// Whether a change touches a file that changes what agents or tools may run.
fn grants_power(c: &Change) -> bool {
    std::iter::once(&c.path)
        .chain(c.old_path.as_ref())
        .any(|p| airlock_structure::grants_power(p).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::Context;
    use airlock_protocol::ChangeKind;

    fn file(text: &str) -> FileState {
        FileState::File {
            bytes: text.as_bytes().to_vec().into(),
            mode: 0o644,
        }
    }

    fn queue(changes: &[(&str, FileState, FileState)]) -> ReviewQueue {
        let mut q = ReviewQueue::default();
        for (rel, base, proposed) in changes {
            let p = review::proposal_from(
                "s-1",
                rel,
                base.clone(),
                proposed.clone(),
                Context::default(),
            )
            .expect("a change");
            q.set_raw(rel, p);
        }
        q
    }

    const BODY: &str = "fn main() {\n    println!(\"hello\");\n}\n";

    #[test]
    fn a_deleted_and_a_created_file_with_one_text_show_as_one_rename() {
        let mut q = queue(&[
            ("old.rs", file(BODY), FileState::Missing),
            ("new.rs", FileState::Missing, file(BODY)),
        ]);
        q.rebuild_view("s-1", None);
        assert_eq!(q.view.len(), 1, "{:?}", q.view.keys().collect::<Vec<_>>());
        let p = &q.view["new.rs"];
        assert_eq!(p.change.kind, ChangeKind::Renamed);
        assert_eq!(p.change.old_path.as_deref(), Some("old.rs"));
    }

    #[test]
    fn unrelated_files_stay_two_changes() {
        let mut q = queue(&[
            ("a.rs", file(BODY), FileState::Missing),
            ("b.txt", FileState::Missing, file("nothing alike\n")),
        ]);
        q.rebuild_view("s-1", None);
        assert_eq!(q.view.len(), 2);
    }

    #[test]
    fn a_new_view_announces_only_what_changed() {
        let mut q = queue(&[("a.txt", file("1\n"), file("2\n"))]);
        let delta = q.rebuild_view("s-1", None);
        let first = view_events("s-1", &delta, &q.view);
        assert!(matches!(first.as_slice(), [Event::ChangeProposed { .. }]));
        // Nothing set since: nothing looked at, nothing to say.
        let delta = q.rebuild_view("s-1", None);
        assert!(delta.is_empty() && view_events("s-1", &delta, &q.view).is_empty());
        // The same proposal set again: looked at, nothing to say.
        let same = q.raw["a.txt"].clone();
        q.set_raw("a.txt", same);
        let delta = q.rebuild_view("s-1", None);
        assert_eq!(delta.len(), 1);
        assert!(view_events("s-1", &delta, &q.view).is_empty());
        // The file went back to the project's text: its change is removed.
        q.remove_raw("a.txt");
        let delta = q.rebuild_view("s-1", None);
        let events = view_events("s-1", &delta, &q.view);
        assert!(
            matches!(events.as_slice(), [Event::ChangeRemoved { path, .. }] if path == "a.txt"),
            "{events:?}"
        );
    }

    #[test]
    fn only_the_paths_set_since_are_looked_at_and_a_rename_comes_apart_when_one_side_goes() {
        let mut q = queue(&[
            ("old.rs", file(BODY), FileState::Missing),
            ("new.rs", FileState::Missing, file(BODY)),
            ("other.txt", file("1\n"), file("2\n")),
        ]);
        q.rebuild_view("s-1", None);
        assert_eq!(q.view.len(), 2, "the rename and other.txt");
        // The agent puts old.rs back: new.rs is a plain new file again.
        q.remove_raw("old.rs");
        let delta = q.rebuild_view("s-1", None);
        let looked: Vec<&str> = delta.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(looked, ["new.rs", "old.rs"], "other.txt is not looked at");
        assert_eq!(q.view["new.rs"].change.kind, ChangeKind::Created);
        assert!(!q.view.contains_key("old.rs"));
        assert!(q.view.contains_key("other.txt"));
        let events = view_events("s-1", &delta, &q.view);
        assert!(
            matches!(events.as_slice(), [Event::ChangeProposed { change }] if change.kind == ChangeKind::Created),
            "the rename became a new file (same id, new text): {events:?}"
        );
    }

    #[test]
    fn labels_are_kept_for_hunks_that_did_not_change_and_asked_for_once() {
        let mut q = queue(&[("a.txt", file("1\n"), file("2\n"))]);
        let delta = q.rebuild_view("s-1", None);
        let wanted = q.take_unenriched(&delta);
        assert_eq!(wanted.len(), 1);
        assert!(q.take_unenriched(&delta).is_empty(), "asked for twice");
        let mut enriched = wanted[0].clone();
        enriched.enriched = true;
        q.view.insert("a.txt".into(), enriched);
        // The agent writes the same text again: the labels stay.
        let same = q.raw["a.txt"].clone();
        q.set_raw("a.txt", same);
        q.rebuild_view("s-1", None);
        assert!(q.view["a.txt"].enriched, "labels lost on a rebuild");
    }

    #[test]
    fn a_user_edit_merges_into_the_agents_text() {
        let base = file("one\ntwo\nthree\n");
        let now = file("ONE\ntwo\nthree\n");
        let staged = file("one\ntwo\nTHREE\n");
        assert_eq!(
            merged(&base, &now, &staged),
            Some(file("ONE\ntwo\nTHREE\n"))
        );
    }

    #[test]
    fn a_conflicting_or_binary_edit_does_not_merge() {
        let base = file("one\n");
        assert_eq!(merged(&base, &file("two\n"), &file("three\n")), None);
        let binary = FileState::File {
            bytes: vec![0u8, 159, 146, 150].into(),
            mode: 0o644,
        };
        assert_eq!(merged(&base, &binary, &file("three\n")), None);
    }

    #[test]
    fn a_file_both_sides_deleted_stays_deleted() {
        let base = file("one\n");
        assert_eq!(
            merged(&base, &FileState::Missing, &FileState::Missing),
            Some(FileState::Missing)
        );
    }
}

#[cfg(test)]
mod decision_tests {
    use super::*;
    use crate::review::{proposal_from, Context};

    fn file(text: &str) -> FileState {
        FileState::File {
            bytes: text.as_bytes().to_vec().into(),
            mode: 0o644,
        }
    }

    /// A queued change of `rel` from "a\nb\nc\n" to "A\nb\nC\n": two hunks.
    fn queued(rel: &str, ctx: Context) -> (Key, Proposal) {
        let p =
            proposal_from("s-1", rel, file("a\nb\nc\n"), file("A\nb\nC\n"), ctx).expect("a change");
        (("s-1".to_string(), rel.to_string()), p)
    }

    fn whole(key: &Key) -> Groups {
        BTreeMap::from([(key.clone(), None)])
    }

    fn plan(
        groups: Groups,
        reviewed: &HashMap<Key, String>,
        fresh: &[(Key, Proposal)],
        approve: bool,
        bulk: bool,
    ) -> Result<Vec<(String, Proposal, HashSet<String>)>> {
        let fresh: HashMap<Key, Proposal> = fresh.iter().cloned().collect();
        plan_decisions(groups, reviewed, &fresh, approve, bulk)
    }

    #[test]
    fn a_whole_change_is_decided_at_the_version_reviewed_only() {
        let (key, p) = queued("a.txt", Context::default());
        let seen = HashMap::from([(key.clone(), p.change.version.clone())]);
        let plans = plan(whole(&key), &seen, &[(key.clone(), p.clone())], true, false)
            .expect("the version reviewed");
        assert_eq!(plans[0].2, p.all_ids());
        let stale = HashMap::from([(key.clone(), "an older version".to_string())]);
        let err = plan(whole(&key), &stale, &[(key.clone(), p)], true, false)
            .expect_err("a version that moved on");
        assert!(matches!(&err, EngineError::Changed(paths) if paths == &["a.txt".to_string()]));
    }

    #[test]
    fn a_hunk_that_is_gone_changes_nothing() {
        let (key, p) = queued("a.txt", Context::default());
        let mut chosen: HashSet<String> = p.all_ids().into_iter().take(1).collect();
        chosen.insert("h-gone".into());
        let groups = BTreeMap::from([(key.clone(), Some(chosen))]);
        let err = plan(groups, &HashMap::new(), &[(key, p)], false, false).expect_err("gone");
        assert!(matches!(err, EngineError::Changed(_)));
    }

    #[test]
    fn a_file_gone_from_the_queue_is_changed_since() {
        let (key, _) = queued("a.txt", Context::default());
        let err = plan(whole(&key), &HashMap::new(), &[], true, false).expect_err("gone");
        assert!(matches!(err, EngineError::Changed(_)));
    }

    #[test]
    fn a_held_change_is_refused_alone_skipped_in_bulk_and_may_be_rejected() {
        let held = Context {
            held: Some("hard-linked".into()),
            ..Default::default()
        };
        let (key, p) = queued("a.txt", held);
        let fresh = [(key.clone(), p)];
        let err = plan(whole(&key), &HashMap::new(), &fresh, true, false).expect_err("held");
        assert!(matches!(err, EngineError::Held(_)));
        let bulk = plan(whole(&key), &HashMap::new(), &fresh, true, true).expect("skipped");
        assert!(bulk.is_empty());
        let rejected = plan(whole(&key), &HashMap::new(), &fresh, false, false).expect("reject");
        assert_eq!(rejected.len(), 1);
    }

    #[test]
    fn a_hunk_over_the_users_lines_is_refused_alone_and_left_out_in_bulk() {
        let mine = Context {
            user_changed: Some(std::iter::once(0..1).collect()),
            ..Default::default()
        };
        let (key, p) = queued("a.txt", mine);
        let conflicts: Vec<String> = p.conflicts().iter().map(|c| c.to_string()).collect();
        assert_eq!(conflicts.len(), 1, "the first hunk touches line 1");
        let fresh = [(key.clone(), p.clone())];
        let err = plan(whole(&key), &HashMap::new(), &fresh, true, false).expect_err("conflict");
        assert!(matches!(err, EngineError::Held(_)));
        let bulk = plan(whole(&key), &HashMap::new(), &fresh, true, true).expect("bulk");
        assert_eq!(bulk[0].2.len(), p.all_ids().len() - 1);
        assert!(!bulk[0].2.contains(&conflicts[0]));
    }

    #[test]
    fn a_file_that_changes_what_may_run_is_never_approved_in_bulk() {
        let (key, p) = queued(".github/workflows/ci.yml", Context::default());
        let fresh = [(key.clone(), p)];
        assert!(plan(whole(&key), &HashMap::new(), &fresh, true, true)
            .expect("bulk")
            .is_empty());
        assert_eq!(
            plan(whole(&key), &HashMap::new(), &fresh, true, false)
                .expect("alone")
                .len(),
            1
        );
    }
}
