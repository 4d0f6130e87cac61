//! Gated edits: an agent's edit in a gated session held as a pending
//! change against the file on disk, and the answer its hook gets when the
//! user decides (allow as asked, allow a part or an edited version with the
//! tool's input rewritten, or deny with the user's reason).

use airlock_protocol::{Event, GateDecision};
use std::collections::HashSet;

use airlock_protocol::{GateReply, GateRequest};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::gate::{reply, tool_result, GatedEdit};
use super::Actor;
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::review::{self, Context};

impl Actor {
    pub(super) fn gated_edit(
        &mut self,
        req: &GateRequest,
        rel: &str,
        reply_to: oneshot::Sender<GateReply>,
    ) -> Result<()> {
        let target = fsx::safe_join(&self.project, rel)?;
        let base = FileState::read(&target)?;
        let current = String::from_utf8_lossy(base.bytes().unwrap_or_default()).into_owned();
        let text = match tool_result(&req.tool, &current, &req.input) {
            Ok(text) => text,
            Err(why) => {
                // Nothing to review means nothing to allow: the agent reads why and tries again.
                let _ = reply_to.send(reply(
                    GateDecision::Deny,
                    Some(format!(
                        "Airlock cannot show this {} of {rel} for review: {why}. Read the file again and retry.",
                        req.tool
                    )),
                    None,
                ));
                return Ok(());
            }
        };
        let proposed = FileState::File {
            bytes: text.into_bytes().into(),
            mode: base.mode().unwrap_or(0o644),
        };
        let memo = self.session_mut(&req.session)?.queue.memo.clone();
        let Some(proposal) = review::proposal_from(
            &req.session,
            rel,
            base.clone(),
            proposed.clone(),
            Context {
                memo,
                ..Default::default()
            },
        ) else {
            let _ = reply_to.send(reply(GateDecision::Allow, Some("no change".into()), None));
            return Ok(());
        };
        let s = self.session_mut(&req.session)?;
        if let Some(old) = s.gate.gated.remove(rel) {
            let _ = old.reply.send(reply(
                GateDecision::Deny,
                Some("superseded by a newer edit of the same file".into()),
                None,
            ));
        }
        s.gate.gated.insert(
            rel.to_string(),
            GatedEdit {
                proposal,
                proposed,
                seen: base,
                rebased: false,
                tool: req.tool.clone(),
                input: req.input.clone(),
                reply: reply_to,
            },
        );
        let session = req.session.clone();
        self.publish(&session);
        Ok(())
    }

    /// Answers a gated edit: allow (with an updated input for a part), or deny.
    pub(super) fn answer_gated(
        &mut self,
        session: &str,
        rel: &str,
        take: &HashSet<&str>,
        approve: bool,
        reason: Option<&str>,
        edited: Option<(&str, &[u8])>,
    ) -> Result<()> {
        let s = self.session_mut(session)?;
        let g = s
            .gate
            .gated
            .get(rel)
            .ok_or_else(|| EngineError::UnknownId {
                what: "change",
                id: rel.to_string(),
            })?;
        let all = g.proposal.all_ids();
        let whole = all.iter().all(|h| take.contains(h.as_str()));
        if approve && g.tool == "NotebookEdit" && (edited.is_some() || !whole) {
            // The tool takes a cell and its source, not a file's text: it cannot write a part.
            return Err(EngineError::BadRequest(format!(
                "{rel}: a notebook edit is approved or rejected whole; approve all of it, or reject it with a reason"
            )));
        }
        let Some(g) = s.gate.gated.remove(rel) else {
            return Ok(());
        };
        let (answer, after) = if approve {
            let (answer, after) = approval(&g, take, whole, edited)?;
            (answer, Some(after))
        } else {
            let why = reason.unwrap_or("The user rejected this edit in Airlock.");
            (reply(GateDecision::Deny, Some(why.to_string()), None), None)
        };
        if g.reply.send(answer).is_err() {
            self.problem(
                Some(session),
                format!("the agent stopped waiting for the edit of {rel}"),
            );
        } else if let Some(after) = after {
            // The agent writes it now: when the watcher sees the file as
            // approved, it is journalled as a landing (History, Undo).
            let before = fsx::safe_join(&self.project, rel)
                .and_then(|p| FileState::read(&p))
                .map(FileState::as_file)
                .unwrap_or(FileState::Missing);
            if let Some(s) = self.sessions.get_mut(session) {
                let at = std::time::Instant::now();
                s.gate.approved.insert(rel.to_string(), (before, after, at));
            }
        }
        self.publish(session);
        Ok(())
    }

    /// The project watcher saw `rels` change: an approved gated edit that
    /// the agent has now written as approved is journalled as a landing,
    /// listed in History and undoable like any other.
    pub(super) fn gated_landed(&mut self, rels: &[String]) {
        let mut landed = Vec::new();
        for s in self.sessions.values_mut() {
            s.gate
                .approved
                .retain(|_, (_, _, at)| at.elapsed() < APPROVED_KEPT);
            for rel in rels {
                let Some((_, after, _)) = s.gate.approved.get(rel) else {
                    continue;
                };
                let now = fsx::safe_join(&self.project, rel)
                    .and_then(|p| FileState::read(&p))
                    .map(FileState::as_file);
                if now.is_ok_and(|now| now == *after) {
                    if let Some((before, after, _)) = s.gate.approved.remove(rel) {
                        landed.push((s.info.id.clone(), rel.clone(), before, after));
                    }
                }
            }
        }
        for (session, path, before, after) in landed {
            let writes = [crate::review::Write {
                path: path.clone(),
                before,
                after,
            }];
            let id = self
                .journal
                .begin_landing(&session, &writes, None)
                .and_then(|id| self.journal.finish_landing(id).map(|()| id));
            match id {
                Ok(landing) => self.emit(Event::Landed {
                    landing,
                    session,
                    paths: vec![path],
                }),
                Err(e) => self.problem(Some(&session), format!("journal: {e}")),
            }
        }
    }
}

/// The answer to an approved gated edit: allow as the agent asked, or,
/// for a part, an edited version or a merge with the user's own edit,
/// allow with the tool's input rewritten to the approved text.
pub(super) fn approval(
    g: &GatedEdit,
    take: &HashSet<&str>,
    whole: bool,
    edited: Option<(&str, &[u8])>,
) -> Result<(GateReply, FileState)> {
    let after = match edited {
        Some((hunk, text)) => g
            .proposal
            .plan_edit(hunk, text)?
            .0
            .first()
            .map(|w| w.after.clone()),
        None if whole && !g.rebased => None,
        None => g
            .proposal
            .plan_approve(take)
            .first()
            .map(|w| w.after.clone()),
    };
    let Some(state) = after else {
        return Ok((reply(GateDecision::Allow, None, None), g.proposed.clone()));
    };
    let text = String::from_utf8(state.bytes().unwrap_or_default().to_vec())
        .map_err(|_| EngineError::BadRequest("the approved text is not UTF-8".into()))?;
    let file_path = g.input.get("file_path").cloned().unwrap_or(Value::Null);
    let current = String::from_utf8_lossy(g.proposal.base.bytes().unwrap_or_default()).into_owned();
    let updated = match g.tool.as_str() {
        "Write" => json!({ "file_path": file_path, "content": text }),
        "MultiEdit" => {
            json!({ "file_path": file_path, "edits": [{ "old_string": current, "new_string": text }] })
        }
        _ => {
            json!({ "file_path": file_path, "old_string": current, "new_string": text, "replace_all": false })
        }
    };
    let why = if g.rebased && whole && edited.is_none() {
        "the user approved this edit in Airlock, merged with their own edit of the file"
    } else {
        "the user approved part of this edit in Airlock"
    };
    Ok((
        reply(GateDecision::Allow, Some(why.into()), Some(updated)),
        state,
    ))
}

/// How long an approved gated edit waits for the agent to write it.
const APPROVED_KEPT: std::time::Duration = std::time::Duration::from_secs(120);

/// Applies Claude Code's Edit / MultiEdit input to `text`; `None` when an
/// `old_string` is not there (the tool will fail on its own, writing nothing).
pub(super) fn apply_edits(text: &str, tool: &str, input: &Value) -> Option<String> {
    let one = |text: &str, e: &Value| -> Option<String> {
        let old = e.get("old_string")?.as_str()?;
        let new = e.get("new_string")?.as_str()?;
        let all = e
            .get("replace_all")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if old.is_empty() {
            return (text.is_empty()).then(|| new.to_string());
        }
        if !text.contains(old) {
            return None;
        }
        Some(if all {
            text.replace(old, new)
        } else {
            text.replacen(old, new, 1)
        })
    };
    match tool {
        "Edit" => one(text, input),
        "MultiEdit" => {
            let mut t = text.to_string();
            for e in input.get("edits")?.as_array()? {
                t = one(&t, e)?;
            }
            Some(t)
        }
        _ => None,
    }
}
