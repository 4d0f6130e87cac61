//! The review queue inside the actor: turning watcher batches into
//! proposals, pairing renames, deciding, landing, undoing, and keeping every
//! stage level with the user's own edits.
//!
//! Each session keeps, per pending path, the *base*: the project text the
//! agent's edit started from. When the user edits that file in the project,
//! the edit is merged three-way (base, the project now, the stage) and the
//! result goes into the stage, so the agent works on the user's latest text
//! and the queue shows only the agent's own hunks. When that merge conflicts
//! the stage is left alone and every hunk that touches a line the user
//! changed is marked a conflict, which cannot be approved as it is: a landing
//! never writes over text the user wrote after the base.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use airlock_protocol::{
    Change, ChangeKind, ChangeState, DecisionOutcome, Event, Response, SessionMode,
};

use super::{Actor, FIRST_WINDOW_HUNKS};
use crate::diff;
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::review::{self, Context, Proposal, Write};
use crate::stage::{self, IgnoreFilter};

impl Actor {
    /// Turns a stage watcher batch into the paths to look at again.
    pub(super) fn stage_batch(&mut self, session: &str, paths: BTreeSet<PathBuf>) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        if !s.stage.is_dir() {
            self.problem(
                Some(session),
                EngineError::StageGone(session.to_string()).to_string(),
            );
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
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let rels = expand(&s.stage, &self.project, &s.filter, &paths, s.raw.keys());
        for rel in &rels {
            self.refresh(session, rel);
        }
        self.relinked(session, &rels);
        self.publish(session);
    }

    /// Making or removing a hard link changes the link count of every name of
    /// that file, but inotify reports only the name linked or unlinked. After
    /// a batch that linked a name (now held as hard-linked) or removed one (no
    /// longer a file in the stage), the other proposals whose hard-link hold
    /// no longer matches their file are looked at again.
    fn relinked(&mut self, session: &str, rels: &BTreeSet<String>) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let linked = |p: &Proposal| p.change.held.as_deref() == Some(review::HARD_LINKED);
        let touched = rels.iter().any(|rel| match s.raw.get(rel) {
            Some(p) => linked(p) || !matches!(p.proposed, FileState::File { .. }),
            None => true,
        });
        if !touched {
            return;
        }
        let stale: Vec<String> = s
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
                let Ok(project_path) = fsx::safe_join(&self.project, rel) else {
                    continue;
                };
                let Ok(stage_path) = fsx::safe_join(&stage_root, rel) else {
                    continue;
                };
                let Ok(now) = FileState::read(&project_path) else {
                    continue;
                };
                let Ok(staged) = FileState::read(&stage_path) else {
                    continue;
                };
                let Some(s) = self.sessions.get(&id) else {
                    continue;
                };
                let pending = s.raw.contains_key(rel);
                let base = s.bases.get(rel).cloned();
                if !pending {
                    if staged != now && !matches!(now, FileState::Other) {
                        if let Err(e) = fsx::mirror(&now, &stage_root, &stage_path) {
                            self.problem(
                                Some(&id),
                                format!("could not bring your edit of {rel} to the stage: {e}"),
                            );
                        }
                    }
                } else if let Some(base) = base.filter(|b| *b != now) {
                    let merged = match (
                        review::text_of(&base),
                        review::text_of(&now),
                        review::text_of(&staged),
                    ) {
                        (Some(b), Some(o), Some(t)) => diffy::merge_bytes(b, o, t).ok(),
                        _ => None,
                    };
                    if let Some(merged) = merged {
                        let mode = staged.mode().or(now.mode()).unwrap_or(0o644);
                        let next = if merged.is_empty()
                            && matches!(now, FileState::Missing)
                            && matches!(staged, FileState::Missing)
                        {
                            FileState::Missing
                        } else {
                            FileState::File {
                                bytes: merged,
                                mode,
                            }
                        };
                        if next != staged {
                            if let Err(e) = fsx::mirror(&next, &stage_root, &stage_path) {
                                self.problem(
                                    Some(&id),
                                    format!(
                                        "could not merge your edit of {rel} into the stage: {e}"
                                    ),
                                );
                                continue;
                            }
                        }
                        self.set_base(&id, rel, now.clone());
                    }
                    // A conflicting merge leaves the stage as the agent wrote it;
                    // refresh marks the hunks that touch the user's lines.
                }
                self.refresh(&id, rel);
            }
            self.publish(&id);
        }
    }

    fn set_base(&mut self, session: &str, rel: &str, state: FileState) {
        if let Err(e) = self.journal.set_base(session, rel, &state) {
            self.problem(Some(session), format!("journal: {e}"));
        }
        if let Some(s) = self.sessions.get_mut(session) {
            s.bases.insert(rel.to_string(), state);
        }
    }

    /// Compares the whole stage with the project again.
    pub(super) fn rescan(&mut self, session: &str) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let mut rels: BTreeSet<String> = stage::walk_files(&self.project).into_iter().collect();
        rels.extend(stage::walk_files(&s.stage));
        rels.extend(s.raw.keys().cloned());
        for rel in rels {
            self.refresh(session, &rel);
        }
        self.publish(session);
    }

    /// Recomputes one path of one session (without announcing it: see [`Self::publish`]).
    pub(super) fn refresh(&mut self, session: &str, rel: &str) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        if s.info.mode == SessionMode::Gated {
            self.refresh_gated(session, rel);
            return;
        }
        let computed = (|| -> Result<Option<Proposal>> {
            let (base_now, mut held) = match fsx::safe_join(&self.project, rel) {
                Ok(p) => (FileState::read(&p)?, None),
                Err(_) => (
                    FileState::Missing,
                    Some("a folder on its path in the project is a symlink: landing would write outside the project".to_string()),
                ),
            };
            let proposed = match fsx::safe_join(&s.stage, rel) {
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
                held = review::stage_hazard(&self.project, &s.stage, rel, &proposed);
            }
            let user_changed = s.bases.get(rel).filter(|b| **b != base_now).map(|b| {
                match (review::text_of(b), review::text_of(&base_now)) {
                    (Some(old), Some(new)) => diff::changed_ranges(old, new),
                    _ => std::iter::once(0..u32::MAX).collect(),
                }
            });
            Ok(review::proposal_from(
                session,
                rel,
                base_now,
                proposed,
                Context {
                    old_path: None,
                    user_changed,
                    held,
                },
            ))
        })();
        match computed {
            Ok(Some(mut p)) => {
                if let Some(old) = s.raw.get(rel) {
                    p.inherit(old);
                }
                if !s.bases.contains_key(rel) {
                    let base = p.base.clone();
                    self.set_base(session, rel, base);
                }
                if let Some(s) = self.sessions.get_mut(session) {
                    s.raw.insert(rel.to_string(), p);
                }
            }
            Ok(None) => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.raw.remove(rel);
                    if s.bases.remove(rel).is_some() {
                        if let Err(e) = self.journal.remove_base(session, rel) {
                            self.problem(Some(session), format!("journal: {e}"));
                        }
                    }
                }
            }
            Err(e) => self.problem(Some(session), format!("cannot compare {rel}: {e}")),
        }
    }

    /// A gated edit against the project as it is now.
    fn refresh_gated(&mut self, session: &str, rel: &str) {
        let project = self.project.clone();
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let Some(g) = s.gated.get_mut(rel) else {
            return;
        };
        let Ok(now) = fsx::safe_join(&project, rel).and_then(|p| FileState::read(&p)) else {
            return;
        };
        let mut context = Context::default();
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
                    g.proposed = FileState::File { bytes, mode };
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
        let deleted: Vec<(&str, &FileState)> = s
            .raw
            .values()
            .filter(|p| {
                p.change.kind == ChangeKind::Deleted && p.change.state == ChangeState::Pending
            })
            .map(|p| (p.change.path.as_str(), &p.base))
            .collect();
        let created: Vec<(&str, &FileState)> = s
            .raw
            .values()
            .filter(|p| {
                p.change.kind == ChangeKind::Created && p.change.state == ChangeState::Pending
            })
            .map(|p| (p.change.path.as_str(), &p.proposed))
            .collect();
        let pairs = review::pair_renames(&deleted, &created);
        let mut view: BTreeMap<String, Proposal> = if s.info.mode == SessionMode::Gated {
            s.gated
                .iter()
                .map(|(k, g)| (k.clone(), g.proposal.clone()))
                .collect()
        } else {
            s.raw.clone()
        };
        for (old, new) in pairs {
            let (Some(o), Some(n)) = (s.raw.get(&old), s.raw.get(&new)) else {
                continue;
            };
            let ctx = Context {
                old_path: Some(old.clone()),
                ..Default::default()
            };
            if let Some(p) =
                review::proposal_from(session, &new, o.base.clone(), n.proposed.clone(), ctx)
            {
                view.remove(&old);
                view.insert(new, p);
            }
        }
        for p in view.values_mut() {
            if let Some(old) = s.view.values().find(|o| o.change.id == p.change.id) {
                p.inherit(old);
            }
        }
        let old_view = std::mem::replace(&mut s.view, view);
        // Labels and badges come from tree-sitter, which can take tens of
        // milliseconds on a large file: compute them off the actor, behind what
        // a user waits for, and announce the change again when they are ready;
        // a result for hunks that moved on meanwhile is dropped. The first
        // window's highlighting is worked out there too, ahead of the pane.
        for p in s.view.values().filter(|p| !p.enriched) {
            let key = (p.change.id.clone(), p.line_ids());
            if !s.enriching.insert(key) {
                continue;
            }
            let p = p.clone();
            let tx = self.tx.clone();
            let session_id = session.to_string();
            super::in_background(move || {
                // The review pane opens on the first hunks: have their lines
                // highlighted before it asks (the highlighter keeps its work).
                let _ = p.render(0, Some(FIRST_WINDOW_HUNKS), false);
                let enrichment = review::enrich(&p);
                let _ = tx.send(super::Msg::Enriched {
                    session: session_id,
                    change: p.change.id.clone(),
                    enrichment,
                });
            });
        }
        let mut events = Vec::new();
        for (path, p) in &old_view {
            if !s.view.values().any(|n| n.change.id == p.change.id) {
                events.push(Event::ChangeRemoved {
                    change: p.change.id.clone(),
                    session: session.to_string(),
                    path: path.clone(),
                });
            }
        }
        for p in s.view.values() {
            let same = old_view.values().any(|o| o.change == p.change);
            if !same {
                events.push(Event::ChangeProposed {
                    change: p.change.clone(),
                });
            }
        }
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

    /// Labels and badges arrived for a change.
    pub(super) fn enriched(&mut self, session: &str, change: &str, e: review::Enrichment) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        s.enriching
            .remove(&(change.to_string(), e.hunk_ids.clone()));
        let mut updated = None;
        for p in s.view.values_mut() {
            if p.change.id == change && !p.enriched && p.apply(&e) {
                updated = Some(p.change.clone());
            }
        }
        if let Some(c) = &updated {
            if let Some(raw) = s.raw.get_mut(&c.path) {
                if raw.change.id == c.id {
                    raw.apply(&e);
                }
            }
            if let Some(g) = s.gated.get_mut(&c.path) {
                g.proposal.apply(&e);
            }
        }
        if let Some(change) = updated {
            self.emit(Event::ChangeProposed { change });
        }
    }

    fn locate(
        &self,
        pred: impl Fn(&Proposal) -> bool,
        what: &'static str,
        id: &str,
    ) -> Result<(String, String)> {
        for s in self.sessions.values() {
            for (rel, p) in &s.view {
                if pred(p) {
                    return Ok((s.info.id.clone(), rel.clone()));
                }
            }
        }
        Err(EngineError::UnknownId {
            what,
            id: id.to_string(),
        })
    }

    pub(super) fn find_hunk(&self, id: &str) -> Result<(String, String)> {
        self.locate(|p| p.has_hunk(id), "hunk", id)
    }

    /// Re-reads a queued path from disk; the proposal as it is now.
    pub(super) fn fresh(&mut self, session: &str, rel: &str) -> Result<Proposal> {
        let old_path = self
            .sessions
            .get(session)
            .and_then(|s| s.view.get(rel))
            .and_then(|p| p.change.old_path.clone());
        let stage = self
            .sessions
            .get(session)
            .map(|s| s.stage.clone())
            .ok_or_else(|| EngineError::UnknownId {
                what: "session",
                id: session.to_string(),
            })?;
        if !stage.is_dir() {
            return Err(EngineError::StageGone(session.to_string()));
        }
        self.refresh(session, rel);
        if let Some(old) = &old_path {
            self.refresh(session, old);
        }
        self.publish(session);
        self.sessions
            .get(session)
            .and_then(|s| s.view.get(rel))
            .cloned()
            .ok_or_else(|| {
                EngineError::BadRequest(format!(
                    "{rel} changed since it was shown and has nothing pending now; look at the queue again"
                ))
            })
    }

    /// A queued change as the queue holds it, for showing: the watchers keep
    /// it current, and a decision re-reads the disk anyway ([`Self::fresh`]),
    /// so a diff opened on a huge file costs no re-read and no re-diff.
    pub(super) fn queued_change(&self, id: &str) -> Result<Proposal> {
        self.sessions
            .values()
            .flat_map(|s| s.view.values())
            .find(|p| p.change.id == id)
            .cloned()
            .ok_or_else(|| EngineError::UnknownId {
                what: "change",
                id: id.to_string(),
            })
    }

    pub(super) fn all_change_ids(&mut self, session: Option<&str>) -> Result<Vec<String>> {
        if let Some(id) = session {
            self.session_mut(id)?;
        }
        Ok(self
            .sessions
            .values()
            .filter(|s| session.is_none_or(|id| id == s.info.id))
            .flat_map(|s| s.view.values().map(|p| p.change.id.clone()))
            .collect())
    }

    /// Approves or rejects hunk and change ids. Every id is checked against
    /// the files as they are now before anything is written, so a decision
    /// applies to exactly what was shown or fails with nothing done. With
    /// `bulk` (approve all), held changes and conflict hunks are skipped
    /// instead of refused.
    pub(super) fn decide(
        &mut self,
        ids: &[String],
        approve: bool,
        reason: Option<&str>,
        bulk: bool,
    ) -> Result<Response> {
        // (session, path) -> chosen hunk ids (None = the whole change).
        let mut groups: BTreeMap<(String, String), Option<HashSet<String>>> = BTreeMap::new();
        for id in ids {
            let (session, rel) = self.locate(
                |p| p.change.id == *id || p.has_hunk(id),
                if id.starts_with("h-") {
                    "hunk"
                } else {
                    "change"
                },
                id,
            )?;
            let whole = id.starts_with("c-");
            let entry = groups
                .entry((session, rel))
                .or_insert_with(|| Some(HashSet::new()));
            match (entry.as_mut(), whole) {
                (_, true) => *entry = None,
                (Some(set), false) => {
                    set.insert(id.clone());
                }
                (None, false) => {}
            }
        }
        let mut plans: Vec<(String, Proposal, HashSet<String>)> = Vec::new();
        for ((session, rel), chosen) in groups {
            let p = self.fresh(&session, &rel)?;
            let mut take: HashSet<String> = match chosen {
                None => p.all_ids(),
                Some(set) => {
                    if let Some(stale) = set.iter().find(|h| !p.has_hunk(h)) {
                        return Err(EngineError::BadRequest(format!(
                            "hunk {stale} in {rel} changed since it was shown; look at the diff again"
                        )));
                    }
                    set
                }
            };
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
            if !take.is_empty() {
                plans.push((session, p, take));
            }
        }
        let mut outcome = DecisionOutcome::default();
        let mut records: Vec<(String, Change)> = Vec::new();
        let mut landings: BTreeMap<String, Vec<Write>> = BTreeMap::new();
        let mut stage_writes: Vec<(String, Vec<Write>)> = Vec::new();
        for (session, p, take) in &plans {
            let take_refs: HashSet<&str> = take.iter().map(String::as_str).collect();
            let gated = self
                .sessions
                .get(session)
                .is_some_and(|s| s.info.mode == SessionMode::Gated);
            if gated {
                // The agent waits on its hook: answer it instead of writing.
                self.answer_gated(session, &p.change.path, &take_refs, approve, reason, None)?;
            } else if approve {
                landings
                    .entry(session.clone())
                    .or_default()
                    .extend(p.plan_approve(&take_refs));
            } else {
                stage_writes.push((session.clone(), p.plan_reject(&take_refs)));
            }
            for h in take {
                self.journal.record_decision(
                    session,
                    h,
                    &p.change.path,
                    if approve { "approve" } else { "reject" },
                    reason,
                )?;
            }
            outcome.hunks += take.len() as u32;
            outcome.paths.push(p.change.path.clone());
            let state = match (approve, gated) {
                (false, _) => ChangeState::Rejected,
                (true, true) => ChangeState::Approved,
                (true, false) => ChangeState::Landed,
            };
            records.push((session.clone(), decided_record(p, take, state)));
        }
        for (session, writes) in &stage_writes {
            let stage = self.session_mut(session)?.stage.clone();
            for w in writes {
                fsx::mirror(&w.after, &stage, &fsx::safe_join(&stage, &w.path)?)?;
            }
        }
        let mut touched: Vec<String> = Vec::new();
        for (session, writes) in landings {
            touched.extend(writes.iter().map(|w| w.path.clone()));
            if let Some(id) = self.land(&session, writes, None)? {
                outcome.landing = Some(id);
            }
        }
        for (session, writes) in &stage_writes {
            for w in writes {
                self.refresh(session, &w.path);
            }
            self.publish(session);
        }
        let reverted: Vec<(String, Vec<Write>)> = stage_writes
            .into_iter()
            .filter(|(_, w)| !w.is_empty())
            .collect();
        if !reverted.is_empty() {
            let id = format!("r-{}", &crate::home::random_token()[..12]);
            for (session, writes) in reverted {
                if self.rejections.len() >= super::DECIDED_KEPT {
                    self.rejections.pop_front();
                }
                self.rejections.push_back((id.clone(), session, writes));
            }
            outcome.rejection = Some(id);
        }
        self.project_changed(&touched);
        for (session, record) in records {
            self.record_decided(&session, record);
        }
        Ok(Response::Decided(outcome))
    }

    /// Puts back what a reject reverted in a stage: the agent's text, pending again.
    pub(super) fn undo_reject(&mut self, id: &str) -> Result<Response> {
        let parts: Vec<(String, Vec<Write>)> = self
            .rejections
            .iter()
            .filter(|(r, _, _)| r == id)
            .map(|(_, s, w)| (s.clone(), w.clone()))
            .collect();
        if parts.is_empty() {
            return Err(EngineError::UnknownId {
                what: "rejection",
                id: id.to_string(),
            });
        }
        // Check every file first: all of it comes back, or nothing does.
        let mut stages = Vec::new();
        for (session, writes) in &parts {
            let stage = self.session_mut(session)?.stage.clone();
            if !stage.is_dir() {
                return Err(EngineError::StageGone(session.clone()));
            }
            for w in writes {
                if FileState::read(&fsx::safe_join(&stage, &w.path)?)? != w.after {
                    return Err(EngineError::Held(format!(
                        "the agent has written {} since it was rejected: undoing would overwrite that; nothing was changed",
                        w.path
                    )));
                }
            }
            stages.push(stage);
        }
        let mut outcome = DecisionOutcome::default();
        for ((session, writes), stage) in parts.iter().zip(&stages) {
            for w in writes {
                fsx::mirror(&w.before, stage, &fsx::safe_join(stage, &w.path)?)?;
                outcome.paths.push(w.path.clone());
            }
            self.journal.record_decision(
                session,
                id,
                &outcome.paths.join(" "),
                "undo-reject",
                None,
            )?;
            for w in writes {
                self.refresh(session, &w.path);
            }
            self.publish(session);
        }
        self.rejections.retain(|(r, _, _)| r != id);
        Ok(Response::Decided(outcome))
    }

    /// Remembers a decision for `listChanges` with `decided`.
    fn record_decided(&mut self, session: &str, change: Change) {
        if let Some(s) = self.sessions.get_mut(session) {
            if s.decided.len() >= super::DECIDED_KEPT {
                s.decided.pop_front();
            }
            s.decided.push_back((crate::home::now_ms(), change));
        }
    }

    /// Lands an edited version of one hunk in the project and the stage.
    pub(super) fn approve_edited(
        &mut self,
        hunk: &str,
        text: Vec<u8>,
        into_stage: bool,
    ) -> Result<Response> {
        let (session, rel) = self.find_hunk(hunk)?;
        let p = self.fresh(&session, &rel)?;
        if let Some(why) = &p.change.held {
            return Err(EngineError::Held(format!(
                "{rel} is held: {why}; reject it instead"
            )));
        }
        let verb = if into_stage {
            "approve-edited"
        } else {
            "approve-lines"
        };
        self.journal
            .record_decision(&session, hunk, &rel, verb, None)?;
        let gated = self
            .sessions
            .get(&session)
            .is_some_and(|s| s.info.mode == SessionMode::Gated);
        if gated {
            // The agent writes it: answer its hook with the edited text.
            self.answer_gated(
                &session,
                &rel,
                &HashSet::new(),
                true,
                None,
                Some((hunk, &text)),
            )?;
            let take = HashSet::from([hunk.to_string()]);
            self.record_decided(&session, decided_record(&p, &take, ChangeState::Approved));
            return Ok(Response::Decided(DecisionOutcome {
                paths: vec![rel],
                hunks: 1,
                ..Default::default()
            }));
        }
        let (project_writes, stage_writes) = p.plan_edit(hunk, &text)?;
        // An edited version goes into the stage too, so the agent sees it; a
        // choice of lines does not, so the lines left out stay pending.
        if into_stage {
            let stage = self.session_mut(&session)?.stage.clone();
            for w in &stage_writes {
                fsx::mirror(&w.after, &stage, &fsx::safe_join(&stage, &w.path)?)?;
            }
        }
        let paths: Vec<String> = project_writes.iter().map(|w| w.path.clone()).collect();
        let landing = self.land(&session, project_writes, None)?;
        self.project_changed(&paths);
        let take = HashSet::from([hunk.to_string()]);
        self.record_decided(&session, decided_record(&p, &take, ChangeState::Landed));
        Ok(Response::Decided(DecisionOutcome {
            paths,
            hunks: 1,
            landing,
            ..Default::default()
        }))
    }

    /// Writes into the project, journalled first so a crash can be rolled forward.
    pub(super) fn land(
        &mut self,
        session: &str,
        writes: Vec<Write>,
        undoes: Option<i64>,
    ) -> Result<Option<i64>> {
        if writes.is_empty() {
            return Ok(None);
        }
        // The user may have saved a moment ago: land only onto what was planned against.
        for w in &writes {
            let now = FileState::read(&fsx::safe_join(&self.project, &w.path)?)?;
            if now != w.before {
                return Err(EngineError::Held(format!(
                    "{} changed on disk just now; look at it again before deciding",
                    w.path
                )));
            }
        }
        let id = self.journal.begin_landing(session, &writes, undoes)?;
        for (i, w) in writes.iter().enumerate() {
            let result = fsx::safe_join(&self.project, &w.path)
                .and_then(|target| fsx::mirror(&w.after, &self.project, &target));
            if let Err(e) = result {
                // Put back what this landing already wrote, then report.
                for done in writes[..i].iter().rev() {
                    if let Ok(target) = fsx::safe_join(&self.project, &done.path) {
                        let _ = fsx::mirror(&done.before, &self.project, &target);
                    }
                }
                let _ = self.journal.finish_landing(id);
                return Err(e);
            }
        }
        self.journal.finish_landing(id)?;
        // What landed came from this session's proposal, so it moves the base its
        // remaining hunks stand on (it is not an edit of the user's to merge):
        // the landed change is applied to the old base, which keeps any edit of
        // the user's out of the base, so it still counts as the user's.
        for w in &writes {
            let Some(base) = self
                .sessions
                .get(session)
                .and_then(|s| s.bases.get(&w.path))
                .cloned()
            else {
                continue;
            };
            let moved = match (
                review::text_of(&w.before),
                review::text_of(&base),
                review::text_of(&w.after),
            ) {
                (Some(before), Some(old_base), Some(after)) if w.after.bytes().is_some() => {
                    diffy::merge_bytes(before, old_base, after)
                        .ok()
                        .map(|bytes| FileState::File {
                            bytes,
                            mode: w.after.mode().unwrap_or(0o644),
                        })
                }
                _ => None,
            };
            if let Some(next) = moved {
                self.set_base(session, &w.path, next);
            }
        }
        self.emit(Event::Landed {
            landing: id,
            session: session.to_string(),
            paths: writes.iter().map(|w| w.path.clone()).collect(),
        });
        Ok(Some(id))
    }

    /// Rolls forward landings a crash interrupted: every file of a journalled
    /// landing ends up as approved.
    pub(super) fn recover_landings(&mut self) {
        let pending = match self.journal.pending_landings() {
            Ok(p) => p,
            Err(e) => {
                self.problem(None, format!("could not read the journal: {e}"));
                return;
            }
        };
        for (id, writes) in pending {
            // Temp files a killed write left beside its target.
            for w in &writes {
                let Ok(target) = fsx::safe_join(&self.project, &w.path) else {
                    continue;
                };
                fsx::remove_temp_files(&target);
            }
            let mut ok = true;
            for w in &writes {
                let result = fsx::safe_join(&self.project, &w.path).and_then(|target| {
                    let now = FileState::read(&target)?;
                    if now == w.after {
                        return Ok(());
                    }
                    if now != w.before {
                        // Someone wrote the file since (the user, while Airlock was
                        // down): theirs stays; the journal keeps what was to land.
                        self.problem(
                            None,
                            format!(
                                "landing {id} was cut short and {} changed since: left as you have it (its approved text stays in the journal)",
                                w.path
                            ),
                        );
                        return Ok(());
                    }
                    fsx::mirror(&w.after, &self.project, &target)
                });
                if let Err(e) = result {
                    ok = false;
                    self.problem(
                        None,
                        format!("could not finish landing {id} ({}): {e}", w.path),
                    );
                }
            }
            if ok {
                let _ = self.journal.finish_landing(id);
            }
        }
    }

    /// Reverts a landing, three-way merged where a file changed since.
    pub(super) fn undo(&mut self, landing: Option<i64>) -> Result<Response> {
        let landings = self.journal.landings()?;
        let target = match landing {
            Some(id) => {
                landings
                    .iter()
                    .find(|l| l.id == id)
                    .ok_or_else(|| EngineError::UnknownId {
                        what: "landing",
                        id: id.to_string(),
                    })?
            }
            None => landings
                .iter()
                .find(|l| l.undone_by.is_none())
                .ok_or_else(|| EngineError::BadRequest("nothing to undo".into()))?,
        };
        if let Some(by) = target.undone_by {
            return Err(EngineError::BadRequest(format!(
                "landing {} was already undone by landing {by}",
                target.id
            )));
        }
        let id = target.id;
        let mut plan = Vec::new();
        for w in self.journal.landing_writes(id)?.into_iter().rev() {
            let now = FileState::read(&fsx::safe_join(&self.project, &w.path)?)?;
            let after = if now == w.after {
                w.before.clone()
            } else {
                let merged = match (
                    review::text_of(&w.after),
                    review::text_of(&now),
                    review::text_of(&w.before),
                ) {
                    (Some(base), Some(ours), Some(theirs)) => {
                        diffy::merge_bytes(base, ours, theirs).ok()
                    }
                    _ => None,
                };
                match merged {
                    Some(bytes) => FileState::File {
                        bytes,
                        mode: now.mode().or(w.before.mode()).unwrap_or(0o644),
                    },
                    None => {
                        return Err(EngineError::Held(format!(
                            "{} changed since landing {id} in a way that overlaps it; undoing would overwrite your edits, so nothing was undone",
                            w.path
                        )))
                    }
                }
            };
            if after != now {
                plan.push(Write {
                    path: w.path.clone(),
                    before: now,
                    after,
                });
            }
        }
        let paths: Vec<String> = plan.iter().map(|w| w.path.clone()).collect();
        let origin = target.session.clone();
        let landing = self.land("undo", plan, Some(id))?;
        // The agent's version stays in its stage and comes back for review.
        self.project_changed_except(&paths, Some(&origin));
        Ok(Response::Decided(DecisionOutcome {
            hunks: 0,
            paths,
            landing,
            ..Default::default()
        }))
    }
}

/// The relative paths a batch of absolute stage paths stands for: files
/// below a folder that appeared, project files below one that vanished, and
/// pending paths below either.
fn expand<'a>(
    stage: &std::path::Path,
    project: &std::path::Path,
    filter: &IgnoreFilter,
    paths: &BTreeSet<PathBuf>,
    pending: impl Iterator<Item = &'a String> + Clone,
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
            continue;
        }
        let project_dir = project.join(&rel);
        if meta.is_err() && project_dir.is_dir() {
            for f in stage::walk_files(&project_dir) {
                rels.insert(format!("{rel}/{f}"));
            }
        }
        let prefix = format!("{rel}/");
        rels.extend(pending.clone().filter(|k| k.starts_with(&prefix)).cloned());
        rels.insert(rel);
    }
    rels
}

/// A change as it was decided: the hunks `take` chose, in `state`.
fn decided_record(p: &Proposal, take: &HashSet<String>, state: ChangeState) -> Change {
    let mut c = p.change.clone();
    c.hunks.retain(|h| take.contains(&h.id));
    c.state = state;
    c
}
