//! Action cards: a risky tool call or program held until the user allows
//! or denies it (once, or always with a rule written to the policy).

use airlock_protocol::{ActionOutcome, GateDecision};
use std::path::PathBuf;

use airlock_policy::Decision;
use airlock_protocol::{Action, Event, GateReply, GateRequest, SessionMode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::gate::{denied_why, policy_files, reply, PendingAction};
use super::Actor;
use crate::error::{EngineError, Result};

impl Actor {
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
                    GateDecision::Allow,
                    Some("allowed by Airlock's policy".into()),
                    None,
                ));
                None
            }
            Decision::Deny => {
                let _ = reply_to.send(reply(GateDecision::Deny, Some(denied_why(&verdict)), None));
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
                outcome: ActionOutcome::Gone,
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
                reply(
                    GateDecision::Allow,
                    Some("allowed by the user in Airlock".into()),
                    None,
                )
            } else {
                reply(
                    GateDecision::Deny,
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
                    ActionOutcome::Gone
                } else if allow {
                    ActionOutcome::Allow
                } else {
                    ActionOutcome::Deny
                },
                rule,
            });
        }
        Ok(rules)
    }
}
