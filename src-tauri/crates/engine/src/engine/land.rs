//! Landing approved writes in the project (journalled first, rolled back
//! when a write fails), finishing landings a crash cut short, and undo.

use airlock_protocol::{DecisionOutcome, Event, Response};

use super::Actor;
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::review::{self, Write};

impl Actor {
    /// Writes into the project, journalled first so a crash can be rolled forward.
    pub(super) fn land(
        &mut self,
        session: &str,
        mut writes: Vec<Write>,
        undoes: Option<i64>,
    ) -> Result<Option<i64>> {
        if writes.is_empty() {
            return Ok(None);
        }
        // Deletions first: a folder replaced by a file (or a file by a folder)
        // is free for the new one only once the old one is gone.
        writes.sort_by_key(|w| !matches!(w.after, FileState::Missing));
        // The user may have saved a moment ago: land only onto what was planned against.
        for w in &writes {
            let now = FileState::read(&fsx::safe_join(&self.project, &w.path)?)?.as_file();
            if now != w.before {
                return Err(EngineError::Held(format!(
                    "{} changed on disk just now; look at it again before deciding",
                    w.path
                )));
            }
        }
        let id = self.journal.begin_landing(session, &writes, undoes)?;
        if let Err((e, done)) = self.write_all(&writes) {
            let done: Vec<Write> = done.into_iter().map(|i| writes[i].clone()).collect();
            self.roll_back(id, &done);
            return Err(e);
        }
        self.journal.finish_landing(id)?;
        for w in &writes {
            if let Ok(target) = fsx::safe_join(&self.project, &w.path) {
                self.echoes.wrote(&target);
            }
        }
        // What landed came from this session's proposal, so it moves the base its
        // remaining hunks stand on (it is not an edit of the user's to merge):
        // the landed change is applied to the old base, which keeps any edit of
        // the user's out of the base, so it still counts as the user's.
        for w in &writes {
            let Some(base) = self
                .sessions
                .get(session)
                .and_then(|s| s.queue.bases.get(&w.path))
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
                            bytes: bytes.into(),
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

    /// Carries out a landing's writes with two file-system syncs in all: new
    /// files' bytes go to temp files beside their targets (deletions and
    /// symlinks are done in that pass, in order, so a folder a file replaces
    /// is gone before the file's temp is made), one sync, then every temp is
    /// renamed into place, and one more sync. On failure: the error and the
    /// indices of the writes already in the project (temps left are removed).
    fn write_all(&self, writes: &[Write]) -> std::result::Result<(), (EngineError, Vec<usize>)> {
        let mut done = Vec::new();
        let mut temps: Vec<(usize, fsx::Temp)> = Vec::new();
        let fail = |e: EngineError, done: Vec<usize>, temps: &[(usize, fsx::Temp)]| {
            for (_, tmp) in temps {
                tmp.discard();
            }
            Err((e, done))
        };
        for (i, w) in writes.iter().enumerate() {
            let target = match fsx::safe_join(&self.project, &w.path) {
                Ok(t) => t,
                Err(e) => return fail(e, done, &temps),
            };
            let result = match &w.after {
                FileState::File { bytes, mode } => {
                    fsx::write_temp(&self.project, &target, bytes, *mode)
                        .map(|tmp| temps.push((i, tmp)))
                }
                other => fsx::mirror(other, &self.project, &target).map(|()| done.push(i)),
            };
            if let Err(e) = result {
                return fail(e, done, &temps);
            }
        }
        if let Err(e) = fsx::sync_under(&self.project) {
            return fail(e, done, &temps);
        }
        let mut left = temps.into_iter();
        while let Some((i, tmp)) = left.next() {
            if let Err(e) = tmp.place() {
                let rest: Vec<_> = left.collect();
                return fail(e, done, &rest);
            }
            done.push(i);
        }
        fsx::sync_under(&self.project).map_err(|e| (e, done))
    }

    /// Puts back what a failed landing already wrote. When all of it is back
    /// the landing is recorded as failed (not done, not listed); when some of
    /// it cannot be put back it stays pending, so the next start finishes it
    /// and every file ends whole as approved.
    fn roll_back(&mut self, id: i64, written: &[Write]) {
        let mut whole = true;
        for done in written.iter().rev() {
            let put_back = fsx::safe_join(&self.project, &done.path)
                .and_then(|target| fsx::mirror(&done.before, &self.project, &target));
            if let Err(e) = put_back {
                whole = false;
                self.problem(
                    None,
                    format!(
                        "landing {id} failed and {} could not be put back ({e}); Airlock finishes the landing when it starts again",
                        done.path
                    ),
                );
            }
        }
        if whole {
            if let Err(e) = self.journal.abandon_landing(id) {
                self.problem(None, format!("journal: {e}"));
            }
        }
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
                        bytes: bytes.into(),
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
