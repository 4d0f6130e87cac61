//! What a chat's agent streams during a turn, kept in the transcript:
//! tool calls updated in place, its plan, its commands, mode, settings and
//! usage; and its permission requests, each its tool call's state, answered
//! by the policy or the user.

use agent_client_protocol::v1::schema::{self as acp, RequestPermissionResponse, SessionUpdate};
use airlock_protocol::GateDecision;
use airlock_protocol::{
    ChatChoice, ChatEntry, ChatUsage, GateReply, Permission, PlanItem, PlanStatus, SessionMode,
    ToolCall,
};
use tokio::sync::oneshot;

use super::chat_wire::*;
use super::{Actor, Msg};
use crate::fsx;

impl Actor {
    /// What the agent streams during a turn: text, thoughts, tool calls,
    /// its plan, and changes to its commands, mode, settings and usage.
    pub(super) fn session_update(&mut self, session: &str, update: SessionUpdate) {
        let root = match self.sessions.get(session) {
            Some(s) => s.stage.clone(),
            None => return,
        };
        match update {
            SessionUpdate::AgentMessageChunk(c) => {
                self.stream_text(session, false, block_text(&c.content))
            }
            SessionUpdate::AgentThoughtChunk(c) => {
                self.stream_text(session, true, block_text(&c.content))
            }
            SessionUpdate::UserMessageChunk(c) => {
                self.push_entry(
                    session,
                    ChatEntry::User {
                        text: block_text(&c.content),
                    },
                );
            }
            SessionUpdate::ToolCall(tc) => {
                let mut call = blank_call(tc.tool_call_id.to_string());
                call.title = tc.title.clone();
                call.kind = tool_kind(&tc.kind);
                call.status = tool_status(&tc.status);
                call.locations = locations(&root, &tc.locations);
                call.content = tool_content(&root, &tc.content);
                self.upsert_call(session, call.id.clone(), |c| {
                    let permission = c.permission.take();
                    *c = call;
                    c.permission = permission;
                });
            }
            SessionUpdate::ToolCallUpdate(u) => {
                self.upsert_call(session, u.tool_call_id.to_string(), |c| {
                    apply_fields(c, &root, &u.fields)
                });
            }
            SessionUpdate::Plan(p) => self.plan_update(session, &p),
            SessionUpdate::AvailableCommandsUpdate(u) => self.chat_info_changed(session, |c| {
                c.commands = u
                    .available_commands
                    .into_iter()
                    .map(|a| ChatChoice {
                        id: a.name,
                        description: Some(a.description),
                    })
                    .collect();
            }),
            SessionUpdate::CurrentModeUpdate(u) => self.chat_info_changed(session, |c| {
                c.mode = Some(u.current_mode_id.to_string());
            }),
            SessionUpdate::ConfigOptionUpdate(u) => {
                let config = config_options(&u.config_options);
                self.chat_info_changed(session, |c| c.config = config);
            }
            SessionUpdate::UsageUpdate(u) => self.chat_info_changed(session, |c| {
                c.usage = Some(ChatUsage {
                    used: u.used,
                    size: u.size,
                });
            }),
            _ => {}
        }
    }

    /// The agent's plan: one entry of the transcript, replaced in place.
    fn plan_update(&mut self, session: &str, p: &acp::Plan) {
        let items: Vec<PlanItem> = p
            .entries
            .iter()
            .map(|e| PlanItem {
                content: e.content.clone(),
                status: match e.status {
                    acp::PlanEntryStatus::InProgress => PlanStatus::InProgress,
                    acp::PlanEntryStatus::Completed => PlanStatus::Completed,
                    _ => PlanStatus::Pending,
                },
            })
            .collect();
        let Ok(chat) = self.chat_mut(session) else {
            return;
        };
        match chat.plan.filter(|i| *i < chat.transcript.len()) {
            Some(i) => {
                chat.transcript[i] = ChatEntry::Plan { items };
                self.replaced(session, i);
            }
            None => {
                let i = self.push_entry(session, ChatEntry::Plan { items });
                if let Ok(chat) = self.chat_mut(session) {
                    chat.plan = i;
                }
            }
        }
    }

    /// Changes a tool call in place (making it when the agent never announced it).
    fn upsert_call(&mut self, session: &str, id: String, change: impl FnOnce(&mut ToolCall)) {
        let Ok(chat) = self.chat_mut(session) else {
            return;
        };
        match chat.tools.get(&id).copied() {
            Some(i) => {
                if let Some(ChatEntry::Tool { call }) = chat.transcript.get_mut(i) {
                    change(call);
                }
                self.replaced(session, i);
            }
            None => {
                let mut call = blank_call(id);
                change(&mut call);
                self.push_entry(session, ChatEntry::Tool { call });
            }
        }
    }

    fn set_permission(&mut self, session: &str, tool: &str, permission: Permission) {
        self.upsert_call(session, tool.to_string(), |c| {
            c.permission = Some(permission)
        });
    }

    pub(super) fn permission(
        &mut self,
        session: &str,
        req: acp::RequestPermissionRequest,
        responder: agent_client_protocol::v1::Responder<RequestPermissionResponse>,
    ) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let (root, mode) = (s.stage.clone(), s.info.mode);
        let tool_id = req.tool_call.tool_call_id.to_string();
        // Make sure the card exists with what the request says about the call.
        self.upsert_call(session, tool_id.clone(), |c| {
            apply_fields(c, &root, &req.tool_call.fields)
        });
        let question = gate_question(session, &root, &req.tool_call);
        let paths_inside = req
            .tool_call
            .fields
            .locations
            .as_ref()
            .is_none_or(|l| l.iter().all(|l| fsx::rel_path(&root, &l.path).is_some()));
        let edit = question.tool == "Write";
        if edit && paths_inside {
            let why = match mode {
                SessionMode::Staged => "the stage holds what it writes for your review",
                SessionMode::Gated => "its write comes to Airlock and waits for your review",
            };
            let (answer, outcome) = permission_answer(
                &req.options,
                Some(&super::gate::reply(GateDecision::Allow, None, None)),
            );
            let _ = responder.respond(RequestPermissionResponse::new(answer));
            self.set_permission(
                session,
                &tool_id,
                Permission {
                    action: None,
                    outcome: Some(outcome),
                    reason: Some(why.into()),
                },
            );
            return;
        }
        let (tx, rx) = oneshot::channel::<GateReply>();
        let action = self.gate_action(question, root, tx);
        self.set_permission(
            session,
            &tool_id,
            Permission {
                action: action.clone(),
                outcome: None,
                reason: None,
            },
        );
        let options = req.options;
        let report = self.tx.clone();
        let session = session.to_string();
        tokio::spawn(async move {
            let reply = rx.await.ok();
            let (answer, outcome) = permission_answer(&options, reply.as_ref());
            let _ = responder.respond(RequestPermissionResponse::new(answer));
            let answered = Msg::Answered {
                session,
                tool: tool_id,
                permission: Permission {
                    action,
                    outcome: Some(outcome),
                    reason: reply.and_then(|r| r.reason),
                },
            };
            let _ = report.send(answered).await;
        });
    }

    /// A permission request was answered (by the user, the policy, or a cancel).
    pub(super) fn answered(&mut self, session: &str, tool: &str, permission: Permission) {
        self.set_permission(session, tool, permission);
        self.update_turn(session);
    }
}
