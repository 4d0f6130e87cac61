//! Decisions on the review queue: approving or rejecting hunks and whole
//! changes (checked against the version the user reviewed), edited and
//! partial approvals, and putting back what a reject reverted.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use airlock_protocol::{Change, ChangeState, DecisionOutcome, Response, SessionMode};

use super::review_queue::{plan_decisions, Groups, Key};
use super::Actor;
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::review::{Proposal, Write};

impl Actor {
    /// Where a hunk or change id is: its session and path.
    fn locate(&self, id: &str) -> Result<(String, String)> {
        for s in self.sessions.values() {
            for (rel, p) in &s.queue.view {
                if p.change.id == id || p.has_hunk(id) {
                    return Ok((s.info.id.clone(), rel.clone()));
                }
            }
        }
        Err(unknown(id))
    }

    pub(super) fn find_hunk(&self, id: &str) -> Result<(String, String)> {
        self.locate(id)
    }

    /// Re-reads a queued path from disk; the proposal as it is now.
    pub(super) fn fresh(&mut self, session: &str, rel: &str) -> Result<Proposal> {
        let key = (session.to_string(), rel.to_string());
        let mut fresh = self.fresh_many(std::slice::from_ref(&key))?;
        fresh
            .remove(&key)
            .ok_or_else(|| EngineError::Changed(vec![rel.to_string()]))
    }

    /// Re-reads queued paths from disk (and the old paths of renames), then
    /// publishes each session once: the proposals as they are now, for the
    /// paths that still have one. One pass however many paths, so deciding
    /// n changes costs n reads, not n re-publishes of the whole queue.
    fn fresh_many(
        &mut self,
        keys: &[(String, String)],
    ) -> Result<HashMap<(String, String), Proposal>> {
        let mut by_session: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (session, rel) in keys {
            let s = self
                .sessions
                .get(session)
                .ok_or_else(|| EngineError::UnknownId {
                    what: "session",
                    id: session.clone(),
                })?;
            if !s.stage.is_dir() {
                return Err(EngineError::StageGone(session.clone()));
            }
            let rels = by_session.entry(session).or_default();
            rels.push(rel.clone());
            if let Some(old) = s
                .queue
                .view
                .get(rel)
                .and_then(|p| p.change.old_path.clone())
            {
                rels.push(old);
            }
        }
        let by_session: Vec<(String, Vec<String>)> = by_session
            .into_iter()
            .map(|(s, r)| (s.to_string(), r))
            .collect();
        for (session, rels) in &by_session {
            for rel in rels {
                self.refresh(session, rel);
            }
            self.publish(session);
        }
        Ok(keys
            .iter()
            .filter_map(|(session, rel)| {
                let p = self.sessions.get(session)?.queue.view.get(rel)?.clone();
                Some(((session.clone(), rel.clone()), p))
            })
            .collect())
    }

    /// A queued change as the queue holds it, for showing: the watchers keep
    /// it current, and a decision re-reads the disk anyway ([`Self::fresh`]),
    /// so a diff opened on a huge file costs no re-read and no re-diff.
    pub(super) fn queued_change(&self, id: &str) -> Result<Proposal> {
        self.sessions
            .values()
            .flat_map(|s| s.queue.view.values())
            .find(|p| p.change.id == id)
            .cloned()
            .ok_or_else(|| EngineError::UnknownId {
                what: "change",
                id: id.to_string(),
            })
    }

    /// The change ids in scope of an approve-all or reject-all: every
    /// pending change of `session` (or of all sessions), or, when the user's
    /// reviewed `versions` are given, only the changes among them.
    pub(super) fn all_change_ids(
        &mut self,
        session: Option<&str>,
        versions: Option<&BTreeMap<String, String>>,
    ) -> Result<Vec<String>> {
        if let Some(id) = session {
            self.session_mut(id)?;
        }
        Ok(self
            .sessions
            .values()
            .filter(|s| session.is_none_or(|id| id == s.info.id))
            .flat_map(|s| s.queue.view.values().map(|p| p.change.id.clone()))
            .filter(|id| versions.is_none_or(|v| v.contains_key(id)))
            .collect())
    }

    /// Approves or rejects hunk and change ids. Every id is checked against
    /// the files as they are now before anything is written, so a decision
    /// applies to exactly what was shown or fails with nothing done: a hunk
    /// id names its content, and a whole change is decided only at the
    /// version the user reviewed (`versions`, or else the one the queue last
    /// announced). With `bulk` (approve all), held changes and conflict hunks
    /// are skipped instead of refused.
    pub(super) fn decide(
        &mut self,
        ids: &[String],
        approve: bool,
        reason: Option<&str>,
        bulk: bool,
        versions: Option<&BTreeMap<String, String>>,
    ) -> Result<Response> {
        let (groups, reviewed) = self.group_ids(ids, versions)?;
        let keys: Vec<Key> = groups.keys().cloned().collect();
        let fresh = self.fresh_many(&keys)?;
        let plans = plan_decisions(groups, &reviewed, &fresh, approve, bulk)?;
        self.carry_out(&plans, approve, reason)
    }

    /// Groups decided ids by the file they belong to: its chosen hunk ids,
    /// or `None` for the whole change, and the version each whole-change
    /// decision was made on.
    fn group_ids(
        &self,
        ids: &[String],
        versions: Option<&BTreeMap<String, String>>,
    ) -> Result<(Groups, HashMap<Key, String>)> {
        // Every id the queue shows, once, rather than a search of the whole
        // queue per id (approving all of 10,000 changes names 10,000 ids).
        let mut index: HashMap<&str, (&str, &str, &str)> = HashMap::new();
        for s in self.sessions.values() {
            for (rel, p) in &s.queue.view {
                let at = (s.info.id.as_str(), rel.as_str(), p.change.version.as_str());
                index.insert(p.change.id.as_str(), at);
                for h in &p.change.hunks {
                    index.insert(h.id.as_str(), at);
                }
            }
        }
        // (session, path) -> chosen hunk ids (None = the whole change).
        let mut groups: Groups = BTreeMap::new();
        // The version a whole-change decision was made on.
        let mut reviewed: HashMap<Key, String> = HashMap::new();
        for id in ids {
            let &(session, rel, announced) = index.get(id.as_str()).ok_or_else(|| unknown(id))?;
            let key = (session.to_string(), rel.to_string());
            let whole = id.starts_with("c-");
            if whole {
                let version = versions
                    .and_then(|v| v.get(id))
                    .map_or(announced, String::as_str);
                reviewed.insert(key.clone(), version.to_string());
            }
            let entry = groups.entry(key).or_insert_with(|| Some(HashSet::new()));
            match (entry.as_mut(), whole) {
                (_, true) => *entry = None,
                (Some(set), false) => {
                    set.insert(id.clone());
                }
                (None, false) => {}
            }
        }
        Ok((groups, reviewed))
    }

    /// Performs checked decisions: journals them, answers gated agents,
    /// lands approvals, reverts rejected text in stages (kept for undo).
    fn carry_out(
        &mut self,
        plans: &[(String, Proposal, HashSet<String>)],
        approve: bool,
        reason: Option<&str>,
    ) -> Result<Response> {
        let mut outcome = DecisionOutcome::default();
        let mut records: Vec<(String, Change)> = Vec::new();
        let mut landings: BTreeMap<String, Vec<Write>> = BTreeMap::new();
        let mut stage_writes: Vec<(String, Vec<Write>)> = Vec::new();
        for (session, p, take) in plans {
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
                self.mirror_into(&w.after, &stage, &w.path)?;
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
        let sessions: BTreeSet<String> = records.iter().map(|(s, _)| s.clone()).collect();
        for (session, record) in records {
            self.record_decided(&session, record);
        }
        for session in &sessions {
            self.keep_remembered(session);
        }
        Ok(Response::Decided(outcome))
    }

    /// Journals the diffs the session's decisions left, so a restarted
    /// engine shows the hunks still waiting with the same ids and lines.
    pub(super) fn keep_remembered(&mut self, session: &str) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let entries = s.queue.memo.entries();
        if let Err(e) = self.journal.set_remembered(session, &entries) {
            self.problem(Some(session), format!("journal: {e}"));
        }
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
                self.mirror_into(&w.before, stage, &w.path)?;
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
            if s.queue.decided.len() >= super::DECIDED_KEPT {
                s.queue.decided.pop_front();
            }
            s.queue.decided.push_back((crate::home::now_ms(), change));
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
                self.mirror_into(&w.after, &stage, &w.path)?;
            }
        }
        let paths: Vec<String> = project_writes.iter().map(|w| w.path.clone()).collect();
        let landing = self.land(&session, project_writes, None)?;
        self.project_changed(&paths);
        let take = HashSet::from([hunk.to_string()]);
        self.record_decided(&session, decided_record(&p, &take, ChangeState::Landed));
        self.keep_remembered(&session);
        Ok(Response::Decided(DecisionOutcome {
            paths,
            hunks: 1,
            landing,
            ..Default::default()
        }))
    }
}

/// A change as it was decided: the hunks `take` chose, in `state`.
fn decided_record(p: &Proposal, take: &HashSet<String>, state: ChangeState) -> Change {
    let mut c = p.change.clone();
    c.hunks.retain(|h| take.contains(&h.id));
    c.state = state;
    c
}

fn unknown(id: &str) -> EngineError {
    EngineError::UnknownId {
        what: match id.get(..2) {
            Some("h-") => "hunk",
            Some("a-") => "action",
            _ => "change",
        },
        id: id.to_string(),
    }
}
