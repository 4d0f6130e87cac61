//! Taking in what the watchers report: each path of a session is read and
//! diffed again (`compute`), on the intake thread for watcher batches, on
//! the actor for a decision's own paths; the results are applied unless a
//! newer look at the same path was asked for meanwhile.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use airlock_protocol::SessionMode;

use super::Actor;
use crate::diff;
use crate::error::Result;
use crate::fsx::{self, FileState};
use crate::review::{self, Context, Proposal};

impl Actor {
    /// Recomputes one path of one session now, on the actor (without
    /// announcing it: see [`Self::publish`]). Decisions use this: their
    /// answer shows the queue as it is after them.
    pub(super) fn refresh(&mut self, session: &str, rel: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        if s.info.mode == SessionMode::Gated {
            self.refreshes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.refresh_gated(session, rel);
            return;
        }
        let generation = s.queue.asked(rel);
        let job = Intake {
            project: self.project.clone(),
            stage: s.stage.clone(),
            session: session.to_string(),
            rels: vec![(rel.to_string(), s.queue.bases.get(rel).cloned(), generation)],
            memo: s.queue.memo.clone(),
        };
        for (rel, generation, computed) in job.run(&self.refreshes) {
            self.apply(session, &rel, generation, computed);
        }
    }

    /// Recomputes paths of one session off the actor, on the intake thread
    /// (reading and diffing a 100,000-line file there, not here); the
    /// results come back as [`Msg::Computed`] and are applied unless a
    /// newer look at the same path was asked for meanwhile.
    pub(super) fn refresh_later(&mut self, session: &str, rels: &BTreeSet<String>) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let rels = rels
            .iter()
            .map(|rel| {
                let generation = s.queue.asked(rel);
                (rel.clone(), s.queue.bases.get(rel).cloned(), generation)
            })
            .collect();
        let job = Intake {
            project: self.project.clone(),
            stage: s.stage.clone(),
            session: session.to_string(),
            rels,
            memo: s.queue.memo.clone(),
        };
        let (tx, refreshes) = (self.tx.clone(), self.refreshes.clone());
        self.intake.run(move || {
            let session = job.session.clone();
            let results = job.run(&refreshes);
            let _ = tx.blocking_send(super::Msg::Computed { session, results });
        });
    }

    /// The intake thread's results for a session: applied, then announced.
    pub(super) fn computed(&mut self, session: &str, results: Vec<Computed>) {
        let rels: BTreeSet<String> = results.iter().map(|(rel, _, _)| rel.clone()).collect();
        let was_pending: BTreeSet<String> = self
            .sessions
            .get(session)
            .map(|s| {
                rels.iter()
                    .filter(|r| s.queue.raw.contains_key(*r))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        // Their bases go to the journal in one transaction.
        if let Err(e) = self.journal.begin() {
            self.problem(Some(session), format!("journal: {e}"));
        }
        for (rel, generation, computed) in results {
            self.apply(session, &rel, generation, computed);
        }
        if let Err(e) = self.journal.commit() {
            self.problem(Some(session), format!("journal: {e}"));
        }
        self.relinked(session, &rels, &was_pending);
        self.publish(session);
    }

    /// Puts a computed proposal into the session's queue, unless a newer
    /// look at `rel` was asked for since it was computed.
    fn apply(
        &mut self,
        session: &str,
        rel: &str,
        generation: u64,
        computed: Result<Option<Proposal>>,
    ) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        if !s.queue.is_current(rel, generation) {
            return;
        }
        match computed {
            Ok(Some(mut p)) => {
                if let Some(old) = s.queue.raw.get(rel) {
                    p.inherit(old);
                }
                if !s.queue.bases.contains_key(rel) {
                    let base = p.base.clone();
                    self.set_base(session, rel, base);
                }
                if let Some(s) = self.sessions.get_mut(session) {
                    s.queue.set_raw(rel, p);
                }
            }
            Ok(None) => {
                s.queue.remove_raw(rel);
                if s.queue.bases.remove(rel).is_some() {
                    if let Err(e) = self.journal.remove_base(session, rel) {
                        self.problem(Some(session), format!("journal: {e}"));
                    }
                }
            }
            Err(e) => self.problem(Some(session), format!("cannot compare {rel}: {e}")),
        }
    }
}

/// A path's proposal as computed, with the look it answers.
pub(super) type Computed = (String, u64, Result<Option<Proposal>>);

/// Paths of one session to compare again: each with the base its pending
/// change started from and the look it answers.
pub(super) struct Intake {
    project: PathBuf,
    stage: PathBuf,
    session: String,
    rels: Vec<(String, Option<FileState>, u64)>,
    memo: diff::Memo,
}

impl Intake {
    /// Reads both sides of every path and diffs them (no actor state).
    fn run(self, refreshes: &std::sync::atomic::AtomicU64) -> Vec<Computed> {
        self.rels
            .into_iter()
            .map(|(rel, base, generation)| {
                refreshes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = compute(
                    &self.project,
                    &self.stage,
                    &self.session,
                    &rel,
                    base.as_ref(),
                    &self.memo,
                );
                (rel, generation, p)
            })
            .collect()
    }
}

/// What the stage holds at `rel` against the project: its proposal, or
/// `None` when they agree. `base` is the project text the agent's pending
/// edit started from: lines the user changed since are marked.
pub(super) fn compute(
    project: &Path,
    stage: &Path,
    session: &str,
    rel: &str,
    base: Option<&FileState>,
    memo: &diff::Memo,
) -> Result<Option<Proposal>> {
    let (base_now, mut held) = match fsx::safe_join(project, rel) {
        Ok(p) => (FileState::read(&p)?.as_file(), None),
        Err(_) => (
            FileState::Missing,
            Some("a folder on its path in the project is a symlink: landing would write outside the project".to_string()),
        ),
    };
    let proposed = match fsx::safe_join(stage, rel) {
        Ok(p) => FileState::read(&p)?,
        Err(_) => {
            held = Some(
                "a folder on its path in the stage is a symlink: it could lead anywhere"
                    .to_string(),
            );
            FileState::Missing
        }
    };
    if held.is_none() {
        held = review::stage_hazard(project, stage, rel, &proposed);
    }
    let user_changed = base.filter(|b| **b != base_now).map(|b| {
        match (review::text_of(b), review::text_of(&base_now)) {
            (Some(old), Some(new)) => diff::changed_ranges(old, new),
            _ => std::iter::once(0..u32::MAX).collect(),
        }
    });
    let ctx = Context {
        old_path: None,
        user_changed,
        held,
        memo: memo.clone(),
    };
    Ok(review::proposal_from(session, rel, base_now, proposed, ctx))
}
