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
    /// The hunks `view` shows, counted as it changes.
    hunks_shown: usize,
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
        let hunks = |p: &Proposal| p.change.hunks.len();
        let was: usize = delta
            .iter()
            .filter_map(|(_, o)| o.as_ref())
            .map(hunks)
            .sum();
        let now: usize = delta
            .iter()
            .filter_map(|(rel, _)| self.view.get(rel))
            .map(hunks)
            .sum();
        self.hunks_shown = (self.hunks_shown + now).saturating_sub(was);
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

    /// How many hunks the view shows (kept as it changes: no walk of the queue).
    pub(super) fn hunks_shown(&self) -> usize {
        self.hunks_shown
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
#[path = "review_queue_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "review_queue_decision_tests.rs"]
mod decision_tests;
