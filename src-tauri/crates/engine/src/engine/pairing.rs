//! Renames in a review queue: a deleted and a created file of one session
//! paired into one change.
//!
//! Files of the same bytes pair at once, on the actor (a compare of bytes).
//! Files that are only mostly alike need a diff of each pair, which for
//! large files takes seconds: that pairing is a [`PairingJob`] run off the
//! actor, and its answer is taken only if the deletions and creations it
//! was worked out for are still the ones waiting (their paths and
//! versions). Until then the exact pairs are shown.

use std::collections::{BTreeMap, BTreeSet};

use airlock_protocol::{ChangeKind, ChangeState};

use crate::diff;
use crate::fsx::FileState;
use crate::review::{self, Context, Proposal};

/// The most deletions × creations that are paired; past it none are.
pub(super) const MOST_PAIRS: usize = 400;

/// The deletions and the creations waiting, by path and version.
pub(super) type Candidates = (Vec<(String, String)>, Vec<(String, String)>);

/// (old path, new path, the rename's proposal).
pub(super) type Pair = (String, String, Proposal);

/// What a queue knows and has asked about its renames.
#[derive(Default)]
pub(super) struct Pairing {
    deleted: BTreeSet<String>,
    created: BTreeSet<String>,
    /// Pairs worked out for these candidates.
    known: Option<(Candidates, Vec<Pair>)>,
    /// The candidates a job was made for, not answered yet.
    asked: Option<Candidates>,
    /// A job made and not yet taken by the actor.
    wanted: Option<PairingJob>,
}

/// Pairing worked out off the actor: both sides' files, shared, not copied.
pub(super) struct PairingJob {
    candidates: Candidates,
    session: String,
    deleted: Vec<(String, FileState)>,
    created: Vec<(String, FileState)>,
    memo: diff::Memo,
}

impl PairingJob {
    /// Pairs by similarity and builds each rename's proposal.
    pub(super) fn run(self) -> (Candidates, Vec<Pair>) {
        let d: Vec<(&str, &FileState)> =
            self.deleted.iter().map(|(p, s)| (p.as_str(), s)).collect();
        let c: Vec<(&str, &FileState)> =
            self.created.iter().map(|(p, s)| (p.as_str(), s)).collect();
        let pairs = review::pair_renames(&d, &c);
        let pairs = build(
            &self.session,
            &self.memo,
            &self.deleted,
            &self.created,
            pairs,
        );
        (self.candidates, pairs)
    }
}

/// Each pair's rename proposal: the deleted file's base against the
/// created file's text.
fn build(
    session: &str,
    memo: &diff::Memo,
    deleted: &[(String, FileState)],
    created: &[(String, FileState)],
    pairs: Vec<(String, String)>,
) -> Vec<Pair> {
    let find = |side: &[(String, FileState)], path: &str| {
        side.iter().find(|(p, _)| p == path).map(|(_, s)| s.clone())
    };
    pairs
        .into_iter()
        .filter_map(|(old, new)| {
            let (base, proposed) = (find(deleted, &old)?, find(created, &new)?);
            let ctx = Context {
                old_path: Some(old.clone()),
                memo: memo.clone(),
                ..Default::default()
            };
            let p = review::proposal_from(session, &new, base, proposed, ctx)?;
            Some((old, new, p))
        })
        .collect()
}

impl Pairing {
    /// `rel` was set to `p`, or removed (`None`): is it a candidate now?
    pub(super) fn track(&mut self, rel: &str, p: Option<&Proposal>) {
        let waiting = |kind| {
            p.is_some_and(|p| p.change.kind == kind && p.change.state == ChangeState::Pending)
        };
        for (set, kind) in [
            (&mut self.deleted, ChangeKind::Deleted),
            (&mut self.created, ChangeKind::Created),
        ] {
            if waiting(kind) {
                set.insert(rel.to_string());
            } else {
                set.remove(rel);
            }
        }
    }

    /// The renames to show now: those worked out for the candidates waiting,
    /// else the exact ones (and a job is made for the rest).
    pub(super) fn pairs(
        &mut self,
        session: &str,
        raw: &BTreeMap<String, Proposal>,
        memo: &diff::Memo,
    ) -> Vec<Pair> {
        if self.deleted.is_empty()
            || self.created.is_empty()
            || self.deleted.len() * self.created.len() > MOST_PAIRS
        {
            self.known = None;
            return Vec::new();
        }
        let side = |set: &BTreeSet<String>, deleted: bool| -> Vec<(String, FileState, String)> {
            set.iter()
                .filter_map(|rel| raw.get(rel))
                .map(|p| {
                    let state = if deleted { &p.base } else { &p.proposed };
                    (
                        p.change.path.clone(),
                        state.clone(),
                        p.change.version.clone(),
                    )
                })
                .collect()
        };
        let (deleted, created) = (side(&self.deleted, true), side(&self.created, false));
        let names = |v: &[(String, FileState, String)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(p, _, ver)| (p.clone(), ver.clone()))
                .collect()
        };
        let candidates = (names(&deleted), names(&created));
        if let Some((known, pairs)) = &self.known {
            if *known == candidates {
                return pairs.clone();
            }
        }
        let files = |v: Vec<(String, FileState, String)>| -> Vec<(String, FileState)> {
            v.into_iter().map(|(p, s, _)| (p, s)).collect()
        };
        let (deleted, created) = (files(deleted), files(created));
        let d: Vec<(&str, &FileState)> = deleted.iter().map(|(p, s)| (p.as_str(), s)).collect();
        let c: Vec<(&str, &FileState)> = created.iter().map(|(p, s)| (p.as_str(), s)).collect();
        let exact = review::pair_exact(&d, &c);
        let exact = build(session, memo, &deleted, &created, exact);
        if exact.len() == deleted.len().min(created.len()) {
            // Nothing is left to pair: no job.
            self.known = Some((candidates, exact.clone()));
            return exact;
        }
        if self.asked.as_ref() != Some(&candidates) {
            self.asked = Some(candidates.clone());
            self.wanted = Some(PairingJob {
                candidates,
                session: session.to_string(),
                deleted,
                created,
                memo: memo.clone(),
            });
        }
        exact
    }

    /// The job made since the last call, for the actor to run.
    pub(super) fn take_job(&mut self) -> Option<PairingJob> {
        self.wanted.take()
    }

    /// A job's answer: kept if it is for the candidates asked about last
    /// (true: the view should be rebuilt).
    pub(super) fn answered(&mut self, candidates: Candidates, pairs: Vec<Pair>) -> bool {
        if self.asked.as_ref() != Some(&candidates) {
            return false;
        }
        self.asked = None;
        self.known = Some((candidates, pairs));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(s: &str) -> FileState {
        FileState::File {
            bytes: s.as_bytes().to_vec().into(),
            mode: 0o644,
        }
    }

    /// A queue's raw proposals and its pairing, with `changes` set.
    fn queue(changes: &[(&str, FileState, FileState)]) -> (BTreeMap<String, Proposal>, Pairing) {
        let mut raw = BTreeMap::new();
        let mut pairing = Pairing::default();
        for (rel, base, new) in changes {
            let p =
                review::proposal_from("s-1", rel, base.clone(), new.clone(), Context::default())
                    .expect("a change");
            pairing.track(rel, Some(&p));
            raw.insert(rel.to_string(), p);
        }
        (raw, pairing)
    }

    fn lines(n: usize, changed: usize) -> String {
        (0..n)
            .map(|i| {
                if i < changed {
                    format!("new {i}\n")
                } else {
                    format!("line {i}\n")
                }
            })
            .collect()
    }

    fn names(pairs: &[Pair]) -> Vec<(&str, &str)> {
        pairs
            .iter()
            .map(|(o, n, _)| (o.as_str(), n.as_str()))
            .collect()
    }

    #[test]
    fn files_of_the_same_bytes_pair_at_once_without_a_job() {
        let (raw, mut pairing) = queue(&[
            ("old.rs", file("fn a() {}\n"), FileState::Missing),
            ("new.rs", FileState::Missing, file("fn a() {}\n")),
        ]);
        let pairs = pairing.pairs("s-1", &raw, &diff::Memo::default());
        assert_eq!(names(&pairs), [("old.rs", "new.rs")]);
        assert_eq!(pairs[0].2.change.kind, ChangeKind::Renamed);
        assert!(pairing.take_job().is_none());
    }

    #[test]
    fn files_mostly_alike_pair_off_the_actor_and_show_once_answered() {
        let (raw, mut pairing) = queue(&[
            ("old.txt", file(&lines(40, 0)), FileState::Missing),
            ("new.txt", FileState::Missing, file(&lines(40, 4))),
        ]);
        let memo = diff::Memo::default();
        assert!(pairing.pairs("s-1", &raw, &memo).is_empty(), "not yet");
        let job = pairing.take_job().expect("a job");
        assert!(pairing.pairs("s-1", &raw, &memo).is_empty());
        assert!(
            pairing.take_job().is_none(),
            "asked once for the same files"
        );
        let (candidates, pairs) = job.run();
        assert!(pairing.answered(candidates, pairs));
        let pairs = pairing.pairs("s-1", &raw, &memo);
        assert_eq!(names(&pairs), [("old.txt", "new.txt")]);
        assert_eq!(pairs[0].2.change.additions, 4);
    }

    #[test]
    fn an_answer_for_files_that_changed_since_is_dropped() {
        let (mut raw, mut pairing) = queue(&[
            ("old.txt", file(&lines(40, 0)), FileState::Missing),
            ("new.txt", FileState::Missing, file(&lines(40, 4))),
        ]);
        let memo = diff::Memo::default();
        pairing.pairs("s-1", &raw, &memo);
        let stale = pairing.take_job().expect("a job");
        // The agent rewrites new.txt: now nothing like old.txt.
        let p = review::proposal_from(
            "s-1",
            "new.txt",
            FileState::Missing,
            file("other\n"),
            Context::default(),
        )
        .expect("a change");
        pairing.track("new.txt", Some(&p));
        raw.insert("new.txt".into(), p);
        pairing.pairs("s-1", &raw, &memo);
        let fresh = pairing.take_job().expect("asked again");
        let (candidates, pairs) = stale.run();
        assert!(!pairing.answered(candidates, pairs), "stale");
        let (candidates, pairs) = fresh.run();
        assert!(pairing.answered(candidates, pairs));
        assert!(pairing.pairs("s-1", &raw, &memo).is_empty());
    }

    #[test]
    fn past_the_limit_nothing_is_paired_or_asked() {
        let mut changes = Vec::new();
        for i in 0..21 {
            changes.push((format!("d{i}"), file(&format!("{i}\n")), FileState::Missing));
            changes.push((format!("c{i}"), FileState::Missing, file(&format!("{i}\n"))));
        }
        let refs: Vec<(&str, FileState, FileState)> = changes
            .iter()
            .map(|(r, b, n)| (r.as_str(), b.clone(), n.clone()))
            .collect();
        let (raw, mut pairing) = queue(&refs);
        assert!(pairing
            .pairs("s-1", &raw, &diff::Memo::default())
            .is_empty());
        assert!(pairing.take_job().is_none());
    }
}
