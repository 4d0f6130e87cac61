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

use airlock_protocol::{AttentionKind, GateDecision, RiskKind};
use std::path::{Path, PathBuf};

use airlock_policy::{Decision, Policy};
use airlock_protocol::{Action, Event, GateReply, GateRequest, Risk, SessionMode};
use serde_json::Value;
use tokio::sync::oneshot;

use super::gated::apply_edits;
use super::Actor;
use crate::fsx::{self, FileState};
use crate::review::Proposal;

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
    decision: GateDecision,
    reason: Option<String>,
    updated_input: Option<Value>,
) -> GateReply {
    GateReply {
        decision,
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
            kind: risk_kind(r.kind),
            why: r.why.clone(),
        })
        .collect();
    let mut decision = v.decision;
    if let Some(e) = broken {
        risks.insert(
            0,
            Risk {
                kind: RiskKind::Policy,
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
                GateDecision::Ask,
                Some(format!("Airlock does not know session {}", req.session)),
                None,
            ));
            return;
        };
        if !crate::home::token_matches(token, &s.gate.hook_token) {
            let _ = reply_to.send(reply(
                GateDecision::Ask,
                Some("Airlock refused the hook's token".into()),
                None,
            ));
            return;
        }
        self.remember_resume(&req.session, req.agent_session.as_deref());
        self.gate_checked(req, reply_to);
    }

    /// A gate's question from a session already known to be the asker
    /// (its hook showed the token, or its chat connection asked).
    pub(super) fn gate_checked(&mut self, req: GateRequest, reply_to: oneshot::Sender<GateReply>) {
        let Some(s) = self.sessions.get(&req.session) else {
            let _ = reply_to.send(reply(
                GateDecision::Deny,
                Some("unknown session".into()),
                None,
            ));
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
                        GateDecision::Allow,
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
                            let _ = reply_to.send(reply(
                                GateDecision::Deny,
                                Some(denied_why(&verdict)),
                                None,
                            ));
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

    /// The policy's verdict on a tool call. A policy file that does not load
    /// allows nothing: every call then waits for the user, saying why.
    pub(super) fn verdict(&mut self, req: &GateRequest, cwd: &Path, root: PathBuf) -> Verdict {
        if self.policy.refresh_now() {
            if let Some(e) = &self.policy.broken {
                self.problem(None, format!("policy: {e}"));
            }
        }
        judge(
            &self.policy.policy,
            self.policy.broken.as_deref(),
            &airlock_policy::Action {
                tool: req.tool.clone(),
                input: req.input.clone(),
                cwd: cwd.to_path_buf(),
                project: root,
            },
        )
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
        if !crate::home::token_matches(token, &s.gate.hook_token) {
            return Err(IpcError::new(
                ErrorCode::Unauthorized,
                "Airlock refused the hook's token",
            ));
        }
        s.term.turn_reported = true;
        self.remember_resume(&report.session, report.agent_session.as_deref());
        self.update_turn(&report.session);
        let Some(s) = self.sessions.get(&report.session) else {
            return Ok(());
        };
        if s.info.turn == TurnState::Idle {
            self.emit(Event::Attention {
                session: report.session.clone(),
                kind: AttentionKind::Done,
                message: format!("{} finished its turn", s.info.name),
            });
        }
        Ok(())
    }
}

/// The wire's name for a kind of harm the policy found.
pub(super) fn risk_kind(kind: airlock_policy::RiskKind) -> RiskKind {
    use airlock_policy::RiskKind as P;
    match kind {
        P::Delete => RiskKind::Delete,
        P::ForcePush => RiskKind::ForcePush,
        P::HistoryRewrite => RiskKind::HistoryRewrite,
        P::Sudo => RiskKind::Sudo,
        P::PipeToShell => RiskKind::PipeToShell,
        P::PackageInstall => RiskKind::PackageInstall,
        P::OutsideProject => RiskKind::OutsideProject,
        P::Network => RiskKind::Network,
        P::Secrets => RiskKind::Secrets,
        P::Permissions => RiskKind::Permissions,
        P::Exec => RiskKind::Exec,
        P::Unparsed => RiskKind::Unparsed,
    }
}
