//! Gates: agents that ask before they act. Claude Code's PreToolUse hook
//! (`airlock hook claude`) reaches the engine over its socket with the
//! session's own token and waits here for an answer.
//!
//! - An edit in a gated session becomes a pending change computed from the
//!   tool's input against the file on disk. Approving all of it allows the
//!   tool call as it is; approving part of it (or an edited version) allows it
//!   with an updated input, so the agent writes exactly what was approved;
//!   rejecting denies it with the user's reason, which the agent reads.
//! - In a staged session an edit inside the stage is allowed: the stage is
//!   where it is reviewed.
//! - Everything else goes through the policy ([`airlock_policy::decide`]):
//!   allowed, denied, or held as an [`Action`] card until the user decides.
//!
//! A reply channel dropped without an answer (the session ended, the engine
//! stopped) is a denial, never an allow.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use airlock_policy::{Decision, Policy};
use airlock_protocol::{Action, Event, GateReply, GateRequest, Risk, SessionMode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::Actor;
use crate::error::{EngineError, Result};
use crate::fsx::{self, FileState};
use crate::review::{self, Context, Proposal};

/// An action card and the agent waiting on it.
pub(super) struct PendingAction {
    pub(super) action: Action,
    pub(super) reply: oneshot::Sender<GateReply>,
}

/// A gated edit and the agent waiting on it.
pub(super) struct GatedEdit {
    pub(super) proposal: Proposal,
    /// What the file will hold if all of it is approved.
    pub(super) proposed: FileState,
    /// The project's file as `proposed` was worked out against: as the agent
    /// saw it, or as the user last left it when their edit was merged in.
    pub(super) seen: FileState,
    /// True once the user's edit was merged into `proposed`: the tool's own
    /// input would then write over it, so an approval sends the merged text.
    pub(super) rebased: bool,
    pub(super) tool: String,
    pub(super) input: Value,
    pub(super) reply: oneshot::Sender<GateReply>,
}

pub(super) fn reply(
    decision: &str,
    reason: Option<String>,
    updated_input: Option<Value>,
) -> GateReply {
    GateReply {
        decision: decision.to_string(),
        reason,
        updated_input,
    }
}

/// The policy's answer to one tool call, as the gate uses it.
#[derive(Clone)]
pub(super) struct Verdict {
    pub(super) decision: Decision,
    /// The deny rule that matched, if one did.
    pub(super) deny_rule: Option<String>,
    /// Allowed by one of the user's rules (not only by the built-in
    /// classifier): what the exec gate trusts with the programs it starts.
    pub(super) by_rule: bool,
    /// One of the user's `ask` rules matched.
    pub(super) asked_by_rule: bool,
    pub(super) risks: Vec<Risk>,
    pub(super) suggested_rule: Option<String>,
}

pub(super) fn denied_why(v: &Verdict) -> String {
    match &v.deny_rule {
        Some(r) => format!("denied by the rule {r} in Airlock's policy"),
        None => "denied by Airlock's policy".to_string(),
    }
}

/// The policy's verdict on one action, in the gate's terms. `broken` is why
/// the policy files did not load: then nothing is allowed without the user.
pub(super) fn judge(
    policy: &Policy,
    broken: Option<&str>,
    action: &airlock_policy::Action,
) -> Verdict {
    let v = airlock_policy::decide(action, policy);
    let mut risks: Vec<Risk> = v
        .risks
        .iter()
        .map(|r| Risk {
            kind: serde_json::to_value(r.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            why: r.why.clone(),
        })
        .collect();
    let mut decision = v.decision;
    if let Some(e) = broken {
        risks.insert(
            0,
            Risk {
                kind: "policy".into(),
                why: format!(
                    "Airlock's policy does not load ({e}): every action waits for you until it is fixed"
                ),
            },
        );
        decision = decision.max(Decision::Ask);
    }
    Verdict {
        decision,
        deny_rule: v
            .matched
            .iter()
            .find(|m| m.list == Decision::Deny)
            .map(|m| m.rule.clone()),
        by_rule: decision == Decision::Allow && v.matched.iter().any(|m| m.list == Decision::Allow),
        asked_by_rule: v.matched.iter().any(|m| m.list == Decision::Ask),
        risks,
        suggested_rule: v.suggested_rules.first().cloned(),
    }
}

pub(super) fn policy_files(project: &Path, home: &Path) -> (PathBuf, PathBuf) {
    (
        project.join(airlock_policy::PROJECT_POLICY_FILE),
        home.join("policy.toml"),
    )
}

/// The tools whose writes a gated session reviews as pending changes.
const EDIT_TOOLS: [&str; 4] = ["Write", "Edit", "MultiEdit", "NotebookEdit"];

/// What the file holds once `tool` has run with `input` on `current`;
/// `Err` says why the tool would fail (writing nothing).
pub(super) fn tool_result(
    tool: &str,
    current: &str,
    input: &Value,
) -> std::result::Result<String, String> {
    match tool {
        "Write" => input
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| "the Write has no content".to_string()),
        "NotebookEdit" => crate::notebook::apply(current, input),
        _ => apply_edits(current, tool, input)
            .ok_or_else(|| "its old_string is not in the file as it is on disk".to_string()),
    }
}

/// Applies Claude Code's Edit / MultiEdit input to `text`; `None` when an
/// `old_string` is not there (the tool will fail on its own, writing nothing).
fn apply_edits(text: &str, tool: &str, input: &Value) -> Option<String> {
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

impl Actor {
    /// A gate's question; the answer goes to `reply` now or when the user decides.
    pub(super) fn gate(
        &mut self,
        token: &str,
        req: GateRequest,
        reply_to: oneshot::Sender<GateReply>,
    ) {
        let Some(s) = self.sessions.get(&req.session) else {
            let _ = reply_to.send(reply(
                "ask",
                Some(format!("Airlock does not know session {}", req.session)),
                None,
            ));
            return;
        };
        if !crate::server::token_matches(token, &s.gate.hook_token) {
            let _ = reply_to.send(reply(
                "ask",
                Some("Airlock refused the hook's token".into()),
                None,
            ));
            return;
        }
        self.gate_checked(req, reply_to);
    }

    /// A gate's question from a session already known to be the asker
    /// (its hook showed the token, or its chat connection asked).
    pub(super) fn gate_checked(&mut self, req: GateRequest, reply_to: oneshot::Sender<GateReply>) {
        let Some(s) = self.sessions.get(&req.session) else {
            let _ = reply_to.send(reply("deny", Some("unknown session".into()), None));
            return;
        };
        let cwd = if req.cwd.is_empty() {
            s.stage.clone()
        } else {
            PathBuf::from(&req.cwd)
        };
        let path_of = |input: &Value| -> Option<PathBuf> {
            let p = input
                .get("file_path")
                .or_else(|| input.get("notebook_path"))?
                .as_str()?;
            Some(if Path::new(p).is_absolute() {
                PathBuf::from(p)
            } else {
                cwd.join(p)
            })
        };
        let is_edit = EDIT_TOOLS.contains(&req.tool.as_str());
        if is_edit {
            if let Some(path) = path_of(&req.input) {
                let staged = s.info.mode == SessionMode::Staged;
                if staged && fsx::rel_path(&s.stage, &path).is_some() {
                    let _ = reply_to.send(reply(
                        "allow",
                        Some("Airlock holds edits in the stage for review".into()),
                        None,
                    ));
                    return;
                }
                if !staged {
                    if let Some(rel) = fsx::rel_path(&self.project, &path) {
                        // The user's deny rules hold for edits too (`Edit(secrets/**)`).
                        let verdict = self.verdict(&req, &cwd, self.project.clone());
                        if verdict.decision == Decision::Deny {
                            let _ = reply_to.send(reply("deny", Some(denied_why(&verdict)), None));
                            return;
                        }
                        match self.gated_edit(&req, &rel, reply_to) {
                            Ok(()) => {}
                            Err(e) => self.problem(
                                Some(&req.session),
                                format!("cannot hold the edit of {rel}: {e}"),
                            ),
                        }
                        return;
                    }
                }
            }
        }
        let _ = self.gate_action(req, cwd, reply_to);
    }

    fn gated_edit(
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
                    "deny",
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
            bytes: text.into_bytes(),
            mode: base.mode().unwrap_or(0o644),
        };
        let Some(proposal) = review::proposal_from(
            &req.session,
            rel,
            base.clone(),
            proposed.clone(),
            Context::default(),
        ) else {
            let _ = reply_to.send(reply("allow", Some("no change".into()), None));
            return Ok(());
        };
        let s = self.session_mut(&req.session)?;
        if let Some(old) = s.gate.gated.remove(rel) {
            let _ = old.reply.send(reply(
                "deny",
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

    /// The policy's verdict on a tool call. A policy file that does not load
    /// allows nothing: every call then waits for the user, saying why.
    fn verdict(&mut self, req: &GateRequest, cwd: &Path, root: PathBuf) -> Verdict {
        let (project_file, global_file) = policy_files(&self.project, &self.home_root);
        let (policy, broken) = match Policy::load(Some(&project_file), Some(&global_file)) {
            Ok(p) => (p, None),
            Err(e) => {
                self.problem(None, format!("policy: {e}"));
                (Policy::default(), Some(e.to_string()))
            }
        };
        judge(
            &policy,
            broken.as_deref(),
            &airlock_policy::Action {
                tool: req.tool.clone(),
                input: req.input.clone(),
                cwd: cwd.to_path_buf(),
                project: root,
            },
        )
    }

    /// Answers from the policy, or holds an action card for the user (its id).
    pub(super) fn gate_action(
        &mut self,
        req: GateRequest,
        cwd: PathBuf,
        reply_to: oneshot::Sender<GateReply>,
    ) -> Option<String> {
        // A staged agent's project is its stage: paths there are inside.
        let root = match self.sessions.get(&req.session) {
            Some(s) if s.info.mode == SessionMode::Staged => s.stage.clone(),
            _ => self.project.clone(),
        };
        let verdict = self.verdict(&req, &cwd, root);
        match verdict.decision {
            Decision::Allow => {
                self.remember_for_exec(&req.session, &req.tool, &req.input);
                let _ = reply_to.send(reply(
                    "allow",
                    Some("allowed by Airlock's policy".into()),
                    None,
                ));
                None
            }
            Decision::Deny => {
                let _ = reply_to.send(reply("deny", Some(denied_why(&verdict)), None));
                None
            }
            Decision::Ask => {
                let summary = match req.tool.as_str() {
                    "Bash" => req
                        .input
                        .get("command")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    _ => [
                        "file_path",
                        "notebook_path",
                        "url",
                        "path",
                        "pattern",
                        "query",
                    ]
                    .iter()
                    .find_map(|k| req.input.get(*k).and_then(Value::as_str))
                    .map(str::to_string)
                    .unwrap_or_else(|| req.input.to_string()),
                };
                let action = Action {
                    id: format!("a-{}", &crate::home::random_token()[..12]),
                    session: req.session.clone(),
                    tool: req.tool.clone(),
                    summary,
                    cwd: cwd.display().to_string(),
                    risks: verdict.risks,
                    suggested_rule: verdict.suggested_rule,
                    at: crate::home::now_ms(),
                };
                Some(self.hold_action(action, reply_to))
            }
        }
    }

    /// Holds an action card until the user decides; returns its id.
    pub(super) fn hold_action(
        &mut self,
        action: Action,
        reply_to: oneshot::Sender<GateReply>,
    ) -> String {
        if let Some(s) = self.sessions.get_mut(&action.session) {
            s.gate.actions.insert(
                action.id.clone(),
                PendingAction {
                    action: action.clone(),
                    reply: reply_to,
                },
            );
        }
        let (session, id) = (action.session.clone(), action.id.clone());
        self.emit(Event::ActionRequested { action });
        self.update_turn(&session);
        id
    }

    /// An agent's own report that its turn ended (its session's token only):
    /// the turn is idle until the user types, and the user hears it is done.
    pub(super) fn turn_report(
        &mut self,
        token: &str,
        report: &airlock_protocol::TurnReport,
    ) -> std::result::Result<(), airlock_protocol::IpcError> {
        use airlock_protocol::{ErrorCode, IpcError, TurnState};
        let s = self.sessions.get_mut(&report.session).ok_or_else(|| {
            IpcError::new(
                ErrorCode::NotFound,
                format!("Airlock does not know session {}", report.session),
            )
        })?;
        if !crate::server::token_matches(token, &s.gate.hook_token) {
            return Err(IpcError::new(
                ErrorCode::Unauthorized,
                "Airlock refused the hook's token",
            ));
        }
        s.term.turn_reported = true;
        self.update_turn(&report.session);
        let Some(s) = self.sessions.get(&report.session) else {
            return Ok(());
        };
        if s.info.turn == TurnState::Idle {
            self.emit(Event::Attention {
                session: report.session.clone(),
                kind: "done".into(),
                message: format!("{} finished its turn", s.info.name),
            });
        }
        Ok(())
    }

    /// Every waiting action, oldest first; forgets those whose agent stopped waiting.
    pub(super) fn actions(&mut self) -> Vec<Action> {
        let mut gone = Vec::new();
        let mut out = Vec::new();
        for s in self.sessions.values_mut() {
            s.gate.actions.retain(|id, p| {
                if p.reply.is_closed() {
                    gone.push(id.clone());
                    false
                } else {
                    true
                }
            });
            out.extend(s.gate.actions.values().map(|p| p.action.clone()));
        }
        for id in gone {
            self.emit(Event::ActionResolved {
                action: id,
                outcome: "gone".into(),
                rule: None,
            });
        }
        out.sort_by_key(|a| a.at);
        out
    }

    /// Allows or denies action ids; returns the rules written.
    pub(super) fn decide_actions(
        &mut self,
        ids: &[String],
        allow: bool,
        always: bool,
        reason: Option<&str>,
    ) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for id in ids {
            let owner = self
                .sessions
                .iter()
                .find(|(_, s)| s.gate.actions.contains_key(id))
                .map(|(k, _)| k.clone())
                .ok_or_else(|| EngineError::UnknownId {
                    what: "action",
                    id: id.clone(),
                })?;
            found.push((owner, id.clone()));
        }
        let mut rules = Vec::new();
        for (session, id) in found {
            let Some(p) = self
                .sessions
                .get_mut(&session)
                .and_then(|s| s.gate.actions.remove(&id))
            else {
                continue;
            };
            let mut rule = None;
            if allow && always {
                if let Some(r) = &p.action.suggested_rule {
                    let (file, _) = policy_files(&self.project, &self.home_root);
                    airlock_policy::Policy::add_allow_rule(&file, r).map_err(|e| {
                        EngineError::BadRequest(format!("could not write the rule {r}: {e}"))
                    })?;
                    rules.push(r.clone());
                    rule = Some(r.clone());
                }
            }
            if allow && p.action.tool == "Bash" {
                let input = json!({ "command": p.action.summary });
                self.remember_for_exec(&session, "Bash", &input);
            }
            let answer = if allow {
                reply("allow", Some("allowed by the user in Airlock".into()), None)
            } else {
                reply(
                    "deny",
                    Some(
                        reason
                            .map(str::to_string)
                            .unwrap_or_else(|| "The user denied this in Airlock.".into()),
                    ),
                    None,
                )
            };
            let delivered = p.reply.send(answer).is_ok();
            self.journal.record_decision(
                &session,
                &id,
                &p.action.summary,
                if allow { "allow" } else { "deny" },
                reason,
            )?;
            self.emit(Event::ActionResolved {
                action: id.clone(),
                outcome: if !delivered {
                    "gone".into()
                } else if allow {
                    "allow".into()
                } else {
                    "deny".into()
                },
                rule,
            });
        }
        Ok(rules)
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
        let answer = if approve {
            approval(&g, take, whole, edited)?
        } else {
            let why = reason.unwrap_or("The user rejected this edit in Airlock.");
            reply("deny", Some(why.to_string()), None)
        };
        if g.reply.send(answer).is_err() {
            self.problem(
                Some(session),
                format!("the agent stopped waiting for the edit of {rel}"),
            );
        }
        self.publish(session);
        Ok(())
    }
}

/// The answer to an approved gated edit: allow as the agent asked, or,
/// for a part, an edited version or a merge with the user's own edit,
/// allow with the tool's input rewritten to the approved text.
fn approval(
    g: &GatedEdit,
    take: &HashSet<&str>,
    whole: bool,
    edited: Option<(&str, &[u8])>,
) -> Result<GateReply> {
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
        return Ok(reply("allow", None, None));
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
    Ok(reply("allow", Some(why.into()), Some(updated)))
}
