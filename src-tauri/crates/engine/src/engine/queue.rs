//! The review queue inside the actor: turning watcher batches into
//! proposals (refresh), publishing the queue's view (its rules are in
//! `review_queue`), and keeping every stage level with the user's own edits.
//! Deciding is in `decide`, landing and undoing in `land`.
//!
//! Each session keeps, per pending path, the *base*: the project text the
//! agent's edit started from. When the user edits that file in the project,
//! the edit is merged three-way (base, the project now, the stage) and the
//! result goes into the stage, so the agent works on the user's latest text
//! and the queue shows only the agent's own hunks. When that merge conflicts
//! the stage is left alone and every hunk that touches a line the user
//! changed is marked a conflict, which cannot be approved as it is: a landing
//! never writes over text the user wrote after the base.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use airlock_protocol::{Event, HunkEnrichment, SessionMode};

use super::review_queue::{merged, view_events};
use super::{Actor, FIRST_WINDOW_HUNKS};
use crate::diff;
use crate::error::Result;
use crate::fsx::{self, FileState};
use crate::review::{self, Context, Proposal};
use crate::stage::{self, IgnoreFilter};

/// Files a stage batch refreshes before the actor answers other messages.
const INTAKE_CHUNK: usize = 128;

/// The `n`-th key of a set (which must have more than `n`).
fn nth_key(set: &BTreeSet<String>, n: usize) -> String {
    set.iter().nth(n).cloned().unwrap_or_default()
}

/// How long a batch of deletions waits to be looked at again (see
/// [`Actor::stage_batch`]).
pub(super) const SETTLE: std::time::Duration = std::time::Duration::from_millis(100);

impl Actor {
    /// Turns a stage watcher batch into the paths to look at again.
    pub(super) fn stage_batch(&mut self, session: &str, paths: BTreeSet<PathBuf>, settled: bool) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        if !s.stage.is_dir() {
            self.check_stage(session);
            return;
        }
        if !settled && paths.iter().all(|p| std::fs::symlink_metadata(p).is_err()) {
            // Only deletions: perhaps the whole stage is being removed (its
            // folder goes last). Look again in a moment, so a stage deleted
            // under Airlock is said to be gone instead of its pending files
            // quietly leaving the queue; an agent's own delete shows then.
            let tx = self.tx.clone();
            let session = session.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(SETTLE).await;
                let _ = tx
                    .send(super::Msg::StageBatch {
                        session,
                        paths,
                        settled: true,
                    })
                    .await;
            });
            return;
        }
        if paths.contains(&s.stage) {
            self.rescan(session);
            return;
        }
        if paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == ".gitignore"))
        {
            let filter = IgnoreFilter::new(&s.stage, Some(&self.project.join(".git/info/exclude")));
            if let Some(s) = self.sessions.get_mut(session) {
                s.filter = filter;
            }
        }
        let mut paths = paths;
        if paths.len() > INTAKE_CHUNK {
            // A burst of thousands of paths is taken in a chunk at a time,
            // each path looked at once: the rest is put off behind the
            // backlog, so a window's `status` (or a click) is answered in
            // between.
            if let Some(at) = paths.iter().nth(INTAKE_CHUNK).cloned() {
                let rest = paths.split_off(&at);
                self.put_off(super::Msg::StageBatch {
                    session: session.to_string(),
                    paths: rest,
                    settled: true,
                });
            }
        }
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let mut rels = expand(&s.stage, &self.project, &s.filter, &paths, &s.queue.raw);
        // Airlock's own writes into the stage were taken in when it made them.
        rels.retain(|rel| {
            !self.echoes.is_echo(&s.stage.join(rel))
                && !super::echoes::temp_gone(&s.stage, &self.project, rel)
        });
        if rels.len() > INTAKE_CHUNK {
            // A folder's files: a chunk now, the rest put off as well.
            let rest = rels.split_off(&nth_key(&rels, INTAKE_CHUNK));
            let stage = s.stage.clone();
            self.put_off(super::Msg::StageBatch {
                session: session.to_string(),
                paths: rest.iter().map(|rel| stage.join(rel)).collect(),
                settled: true,
            });
        }
        self.refresh_later(session, &rels);
    }

    /// Making or removing a hard link changes the link count of every name of
    /// that file, but inotify reports only the name linked or unlinked. After
    /// a batch that linked a name (now held as hard-linked) or removed one (no
    /// longer a file in the stage), the other proposals whose hard-link hold
    /// no longer matches their file are looked at again.
    pub(super) fn relinked(
        &mut self,
        session: &str,
        rels: &BTreeSet<String>,
        was_pending: &BTreeSet<String>,
    ) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let linked = |p: &Proposal| p.change.held.as_deref() == Some(review::HARD_LINKED);
        let touched = rels.iter().any(|rel| match s.queue.raw.get(rel) {
            Some(p) => linked(p) || !matches!(p.proposed, FileState::File { .. }),
            // A name gone from the queue (a folder's path never was in it).
            None => was_pending.contains(rel),
        });
        if !touched {
            return;
        }
        let stale: Vec<String> = s
            .queue
            .raw
            .iter()
            .filter(|(rel, p)| {
                !rels.contains(*rel)
                    && matches!(p.proposed, FileState::File { .. })
                    && fsx::safe_join(&s.stage, rel)
                        .is_ok_and(|path| linked(p) != (fsx::link_count(&path) > 1))
            })
            .map(|(rel, _)| rel.clone())
            .collect();
        for rel in stale {
            self.refresh(session, &rel);
        }
    }

    /// The user (or a landing) changed files in the project.
    pub(super) fn project_batch(&mut self, paths: BTreeSet<PathBuf>) {
        if paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == ".gitignore"))
        {
            self.project_filter =
                IgnoreFilter::new(&self.project, Some(&self.project.join(".git/info/exclude")));
        }
        let rels: Vec<String> = if paths.contains(&self.project) {
            stage::walk_files(&self.project)
        } else {
            let mut rels = BTreeSet::new();
            for abs in &paths {
                let Some(rel) = fsx::rel_path(&self.project, abs) else {
                    continue;
                };
                let is_dir = std::fs::symlink_metadata(abs).is_ok_and(|m| m.is_dir());
                if self.project_filter.is_ignored(abs, is_dir) {
                    continue;
                }
                if is_dir {
                    for f in stage::walk_files(abs) {
                        rels.insert(format!("{rel}/{f}"));
                    }
                } else {
                    rels.insert(rel);
                }
            }
            rels.into_iter().collect()
        };
        // A landing was taken in when it was made: its echo is not news.
        let rels: Vec<String> = rels
            .into_iter()
            .filter(|rel| !self.echoes.is_echo(&self.project.join(rel)))
            .collect();
        self.gated_landed(&rels);
        self.project_changed(&rels);
    }

    /// Brings every stage level with the project for `rels`: forwards the
    /// user's edit where the agent has none pending, merges three-way where it
    /// has, and refreshes the queue.
    pub(super) fn project_changed(&mut self, rels: &[String]) {
        self.project_changed_except(rels, None);
    }

    /// [`Self::project_changed`], leaving `keep`'s stage as it is (its files
    /// then show as pending again): how an undone landing returns to review.
    pub(super) fn project_changed_except(&mut self, rels: &[String], keep: Option<&str>) {
        if rels.is_empty() {
            return;
        }
        let ids: Vec<String> = self.sessions.keys().cloned().collect();
        for id in ids {
            let Some(s) = self.sessions.get(&id) else {
                continue;
            };
            if s.info.mode == SessionMode::Gated || keep == Some(id.as_str()) {
                // A gated session works in the project itself; the kept one keeps its text.
                for rel in rels {
                    self.refresh(&id, rel);
                }
                self.publish(&id);
                continue;
            }
            if !s.stage.is_dir() {
                continue;
            }
            let stage_root = s.stage.clone();
            for rel in rels {
                self.bring_to_stage(&id, &stage_root, rel);
                self.refresh(&id, rel);
            }
            self.publish(&id);
        }
    }

    /// The user's edit of `rel` reaches a staged session's stage: copied
    /// where the agent has nothing pending there, merged three-way where it
    /// has (a conflict leaves the agent's text; the review marks the hunks
    /// that touch the user's lines).
    fn bring_to_stage(&mut self, id: &str, stage_root: &std::path::Path, rel: &str) {
        let (Ok(project_path), Ok(stage_path)) = (
            fsx::safe_join(&self.project, rel),
            fsx::safe_join(stage_root, rel),
        ) else {
            return;
        };
        let (Ok(now), Ok(staged)) = (FileState::read(&project_path), FileState::read(&stage_path))
        else {
            return;
        };
        let Some(s) = self.sessions.get(id) else {
            return;
        };
        let pending = s.queue.raw.contains_key(rel);
        let base = s.queue.bases.get(rel).cloned();
        if !pending {
            if staged != now && !matches!(now, FileState::Folder | FileState::Special(_)) {
                if let Err(e) = self.mirror_into(&now, stage_root, rel) {
                    self.problem(
                        Some(id),
                        format!("could not bring your edit of {rel} to the stage: {e}"),
                    );
                }
            }
            return;
        }
        let Some(base) = base.filter(|b| *b != now.clone().as_file()) else {
            return;
        };
        let Some(next) = merged(&base, &now, &staged) else {
            return;
        };
        if next != staged {
            if let Err(e) = self.mirror_into(&next, stage_root, rel) {
                let message = format!("could not merge your edit of {rel} into the stage: {e}");
                self.problem(Some(id), message);
                return;
            }
        }
        self.set_base(id, rel, now);
    }

    /// Writes `state` at `rel` under `root` (link-free) as Airlock's own
    /// write: the watcher's report of it is recognised as its echo.
    pub(super) fn mirror_into(&mut self, state: &FileState, root: &Path, rel: &str) -> Result<()> {
        let target = fsx::safe_join(root, rel)?;
        fsx::mirror(state, root, &target)?;
        self.echoes.wrote(&target);
        Ok(())
    }

    pub(super) fn set_base(&mut self, session: &str, rel: &str, state: FileState) {
        if let Err(e) = self.journal.set_base(session, rel, &state) {
            self.problem(Some(session), format!("journal: {e}"));
        }
        if let Some(s) = self.sessions.get_mut(session) {
            s.queue.bases.insert(rel.to_string(), state);
        }
    }

    /// Compares the whole stage with the project again.
    pub(super) fn rescan(&mut self, session: &str) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        // Both trees are walked on the intake thread (100,000 files take a
        // good part of a second); what they hold is then taken in like any
        // batch, a chunk at a time.
        let (project, stage) = (self.project.clone(), s.stage.clone());
        let pending: Vec<String> = s.queue.raw.keys().cloned().collect();
        let (tx, session) = (self.tx.clone(), session.to_string());
        self.intake.run(move || {
            let mut rels: BTreeSet<String> = stage::walk_files(&project).into_iter().collect();
            rels.extend(stage::walk_files(&stage));
            rels.extend(pending);
            let paths = rels.iter().map(|rel| stage.join(rel)).collect();
            let _ = tx.blocking_send(super::Msg::StageBatch {
                session,
                paths,
                settled: true,
            });
        });
    }

    /// A gated edit against the project as it is now.
    pub(super) fn refresh_gated(&mut self, session: &str, rel: &str) {
        let project = self.project.clone();
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let Some(g) = s.gate.gated.get_mut(rel) else {
            return;
        };
        let Ok(now) = fsx::safe_join(&project, rel).and_then(|p| FileState::read(&p)) else {
            return;
        };
        let mut context = Context {
            memo: s.queue.memo.clone(),
            ..Default::default()
        };
        if now != g.seen {
            // The user edited the file while the agent waited: take their edit
            // in, so approving never writes over it.
            let rebased = if g.tool == "NotebookEdit" {
                // The tool edits the notebook as it is when it runs: apply it to that.
                review::text_of(&now)
                    .and_then(|t| {
                        super::gate::tool_result(&g.tool, &String::from_utf8_lossy(t), &g.input)
                            .ok()
                    })
                    .map(String::into_bytes)
            } else {
                match (
                    review::text_of(&g.seen),
                    review::text_of(&now),
                    review::text_of(&g.proposed),
                ) {
                    (Some(b), Some(o), Some(t)) => diffy::merge_bytes(b, o, t).ok(),
                    _ => None,
                }
            };
            match rebased {
                Some(bytes) => {
                    let mode = g.proposed.mode().or(now.mode()).unwrap_or(0o644);
                    g.proposed = FileState::File {
                        bytes: bytes.into(),
                        mode,
                    };
                    g.seen = now.clone();
                    g.rebased = g.tool != "NotebookEdit";
                }
                None => {
                    // Overlapping edits: the hunks over the user's lines are conflicts.
                    context.user_changed =
                        Some(match (review::text_of(&g.seen), review::text_of(&now)) {
                            (Some(old), Some(new)) if g.tool != "NotebookEdit" => {
                                diff::changed_ranges(old, new)
                            }
                            _ => std::iter::once(0..u32::MAX).collect(),
                        });
                }
            }
        }
        if let Some(mut p) = review::proposal_from(session, rel, now, g.proposed.clone(), context) {
            p.inherit(&g.proposal);
            g.proposal = p;
        }
    }

    /// Pairs renames, rebuilds the session's queue view, and announces what changed.
    pub(super) fn publish(&mut self, session: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let gated = (s.info.mode == SessionMode::Gated).then_some(&s.gate.gated);
        let delta = s.queue.rebuild_view(session, gated);
        if let Some(job) = s.queue.pairing_job() {
            // Files only mostly alike are paired off the actor (a diff of
            // each pair); the view shows the exact pairs meanwhile.
            let tx = self.tx.clone();
            let session = session.to_string();
            self.intake.run(move || {
                let (candidates, pairs) = job.run();
                let _ = tx.blocking_send(super::Msg::Paired {
                    session,
                    candidates,
                    pairs,
                });
            });
        }
        // Labels and badges come from tree-sitter, which can take tens of
        // milliseconds on a large file: compute them off the actor, behind what
        // a user waits for, and announce the change again when they are ready;
        // a result for hunks that moved on meanwhile is dropped. The first
        // window's highlighting is worked out there too, ahead of the pane.
        for p in s.queue.take_unenriched(&delta) {
            let (tx, hl) = (self.tx.clone(), self.highlighter.clone());
            let session_id = session.to_string();
            self.background.run(move || {
                // The review pane opens on the first hunks: have their lines
                // highlighted before it asks (the highlighter keeps its work).
                let _ = p.render(&hl, 0, Some(FIRST_WINDOW_HUNKS), false);
                let enrichment = review::enrich(&p);
                let _ = tx.blocking_send(super::Msg::Enriched {
                    session: session_id,
                    change: p.change.id.clone(),
                    enrichment,
                });
            });
        }
        let mut events = view_events(session, &delta, &s.queue.view);
        let before = (s.info.pending_changes, s.info.pending_hunks);
        s.counts();
        if before != (s.info.pending_changes, s.info.pending_hunks) {
            events.push(Event::SessionUpdated {
                session: s.info.clone(),
            });
        }
        for e in events {
            self.emit(e);
        }
        self.update_turn(session);
    }

    /// Renames worked out off the actor: shown if they are still wanted.
    pub(super) fn paired(
        &mut self,
        session: &str,
        candidates: super::pairing::Candidates,
        pairs: Vec<super::pairing::Pair>,
    ) {
        let wanted = self
            .sessions
            .get_mut(session)
            .is_some_and(|s| s.queue.paired(candidates, pairs));
        if wanted {
            self.publish(session);
        }
    }

    /// Labels and badges arrived for a change.
    pub(super) fn enriched(&mut self, session: &str, change: &str, e: review::Enrichment) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        s.queue
            .enriching
            .remove(&(change.to_string(), e.hunk_ids.clone()));
        let mut updated = None;
        for p in s.queue.view.values_mut() {
            if p.change.id == change && !p.enriched && p.apply(&e) {
                updated = Some(p.change.clone());
            }
        }
        if let Some(c) = &updated {
            if let Some(raw) = s.queue.raw.get_mut(&c.path) {
                if raw.change.id == c.id {
                    raw.apply(&e);
                }
            }
            if let Some(g) = s.gate.gated.get_mut(&c.path) {
                g.proposal.apply(&e);
            }
        }
        if let Some(c) = updated {
            let hunks = e
                .hunk_ids
                .iter()
                .enumerate()
                .map(|(i, id)| HunkEnrichment {
                    id: id.clone(),
                    label: e.labels.get(i).cloned().flatten(),
                    badges: e.hunk_badges.get(i).cloned().unwrap_or_default(),
                })
                .collect();
            self.emit(Event::ChangeEnriched {
                change: c.id,
                session: session.to_string(),
                hunks,
                badges: e.file_badges,
                risk: e.risk,
            });
        }
    }
}

/// The relative paths a batch of absolute stage paths stands for: files
/// below a folder that appeared, project files below one that vanished, and
/// pending paths below either.
fn expand(
    stage: &std::path::Path,
    project: &std::path::Path,
    filter: &IgnoreFilter,
    paths: &BTreeSet<PathBuf>,
    pending: &BTreeMap<String, Proposal>,
) -> BTreeSet<String> {
    let mut rels = BTreeSet::new();
    for abs in paths {
        let Some(rel) = fsx::rel_path(stage, abs) else {
            continue;
        };
        let meta = std::fs::symlink_metadata(abs);
        let is_dir = meta.as_ref().is_ok_and(|m| m.is_dir());
        if filter.is_ignored(abs, is_dir) {
            continue;
        }
        if is_dir {
            for f in stage::walk_files(abs) {
                rels.insert(format!("{rel}/{f}"));
            }
            // A file in the project that is a folder in the stage now is deleted.
            rels.insert(rel);
            continue;
        }
        // A folder in the project that is gone from the stage, or is a file
        // there now: its files are deleted.
        let project_dir = project.join(&rel);
        let project_is_dir = std::fs::symlink_metadata(&project_dir).is_ok_and(|m| m.is_dir());
        if project_is_dir {
            for f in stage::walk_files(&project_dir) {
                rels.insert(format!("{rel}/{f}"));
            }
        }
        let prefix = format!("{rel}/");
        rels.extend(
            pending
                .range::<String, _>(prefix.clone()..)
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(&prefix))
                .cloned(),
        );
        rels.insert(rel);
    }
    rels
}
