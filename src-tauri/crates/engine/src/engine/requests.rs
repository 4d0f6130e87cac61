//! The requests people send (windows, the CLI), answered on the actor.

use std::path::Path;

use airlock_protocol::{
    Change, DecisionOutcome, IpcError, Request, Response, SessionInfo, StatusInfo,
};
use base64::Engine as _;
use tokio::sync::oneshot;

use super::session::Session;
use super::{chat, sandbox, stage, Actor, LISTED_FILES};
use crate::error::{EngineError, Result};

impl Actor {
    /// Answers a request from a person; diffs, lines and file lists are
    /// rendered beside the actor instead (see `Actor::run`).
    pub(super) async fn handle(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::Status => Ok(Response::Status(self.status())),
            Request::StartSession(params) => self.start_session(params, None).await,
            Request::RestartSession { session } => self.restart_session(&session).await,
            Request::ListAgents => Ok(Response::Agents {
                agents: chat::known_agents(),
            }),
            Request::GetDiff { .. } | Request::GetLines { .. } | Request::ListFiles { .. } => Err(
                EngineError::BadRequest("diffs are rendered beside the actor".into()),
            ),
            Request::CommitPlan { .. } | Request::Commit(..) | Request::OpenPullRequest(..) => {
                Err(EngineError::BadRequest("git runs beside the actor".into()))
            }
            Request::StartAttempts(..) => Err(EngineError::BadRequest(
                "attempts start beside the actor".into(),
            )),
            request @ (Request::GetStageConfig
            | Request::SetStageConfig(..)
            | Request::ListTasks
            | Request::Compare { .. }
            | Request::Keep(..)
            | Request::FinishTask { .. }) => self.task_request(request),
            Request::GetThemeCss => {
                let (light, dark, auto) = crate::highlight::theme_css();
                Ok(Response::ThemeCss { light, dark, auto })
            }
            request @ (Request::StopSession { .. }
            | Request::RemoveSession { .. }
            | Request::ListOrphans
            | Request::CleanOrphans
            | Request::WriteInput { .. }
            | Request::ResizeSession { .. }
            | Request::ReadScrollback { .. }) => self.session_request(request),
            request @ (Request::Prompt { .. }
            | Request::Cancel { .. }
            | Request::Transcript { .. }
            | Request::SetChatConfig { .. }
            | Request::SetChatMode { .. }
            | Request::Comment { .. }
            | Request::DeleteComment { .. }
            | Request::ListComments { .. }
            | Request::SendReview { .. }) => self.chat_request(request),
            request @ (Request::ListChanges { .. }
            | Request::Approve { .. }
            | Request::Reject { .. }
            | Request::ApproveAll { .. }
            | Request::RejectAll { .. }
            | Request::ApproveEdited { .. }
            | Request::ApproveLines { .. }
            | Request::ListLandings
            | Request::Undo { .. }
            | Request::UndoReject { .. }) => self.review_request(request),
        }
    }

    /// A session's process, terminal and folders.
    fn session_request(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::StopSession { session } => {
                let s = self.session_mut(&session)?;
                if let Some(p) = s.term.process.as_mut() {
                    p.stop();
                }
                if let Some(agent) = s.chat.as_ref().and_then(|c| c.agent.as_ref()) {
                    agent.kill();
                }
                Ok(Response::Done)
            }
            Request::RemoveSession { session, force } => {
                self.remove_session(&session, force.unwrap_or(false))?;
                Ok(Response::Done)
            }
            Request::ListOrphans => Ok(Response::Orphans {
                orphans: self.orphans(),
            }),
            Request::CleanOrphans => self.clean_orphans(),
            Request::WriteInput { session, data } => {
                let s = self.session_mut(&session)?;
                if s.chat.is_some() {
                    return Err(EngineError::BadRequest(format!(
                        "session {session} is a chat: send it a prompt instead"
                    )));
                }
                // The user typing starts the agent's next turn.
                s.term.turn_reported = false;
                match &s.term.process {
                    Some(p) => p.write(data.into_bytes())?,
                    None => {
                        return Err(EngineError::BadRequest(format!(
                            "session {session} has exited; start a new session to type into"
                        )))
                    }
                }
                Ok(Response::Done)
            }
            Request::ResizeSession {
                session,
                cols,
                rows,
            } => {
                let s = self.session_mut(&session)?;
                if let Some(p) = &s.term.process {
                    p.resize(cols, rows)?;
                }
                s.term.size = (cols, rows);
                Ok(Response::Done)
            }
            Request::ReadScrollback { session } => {
                let (bytes, end) = self.outputs.snapshot(&session)?;
                Ok(Response::Scrollback {
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                    end,
                })
            }
            other => Err(misrouted(&other)),
        }
    }

    /// A chat's conversation and the review comments sent to agents.
    fn chat_request(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::Prompt { session, text } => Ok(Response::Prompted {
                index: self.prompt(&session, text)?,
            }),
            Request::Cancel { session } => {
                self.cancel(&session)?;
                Ok(Response::Done)
            }
            Request::Transcript { session, from } => {
                let from = from.unwrap_or(0);
                Ok(Response::Transcript {
                    from,
                    entries: self.transcript(&session, from)?,
                })
            }
            Request::SetChatConfig {
                session,
                config,
                value,
            } => {
                self.set_chat_config(&session, config, value)?;
                Ok(Response::Done)
            }
            Request::SetChatMode { session, mode } => {
                self.set_chat_mode(&session, mode)?;
                Ok(Response::Done)
            }
            Request::Comment { target, line, text } => Ok(Response::Comments {
                comments: self.comment(&target, line, text)?,
            }),
            Request::DeleteComment { comment } => Ok(Response::Comments {
                comments: self.delete_comment(&comment)?,
            }),
            Request::ListComments { session } => Ok(Response::Comments {
                comments: self.list_comments(session.as_deref())?,
            }),
            Request::SendReview { session } => {
                let (via, comments, message) = self.send_review(&session)?;
                Ok(Response::ReviewSent {
                    via,
                    comments,
                    message,
                })
            }
            other => Err(misrouted(&other)),
        }
    }

    /// The review queue: what is pending, decisions, landings and undo.
    pub(super) fn review_request(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::ListChanges { session, decided } => {
                self.list_changes(session, decided.unwrap_or(false))
            }
            Request::Approve {
                ids,
                always,
                versions,
            } => {
                let (actions, rest): (Vec<String>, Vec<String>) =
                    ids.into_iter().partition(|id| id.starts_with("a-"));
                let rules = self.decide_actions(&actions, true, always.unwrap_or(false), None)?;
                let mut out = decided(self.decide(&rest, true, None, false, versions.as_ref())?);
                out.actions = actions;
                out.rules = rules;
                Ok(Response::Decided(out))
            }
            Request::Reject {
                ids,
                reason,
                versions,
            } => {
                let (actions, rest): (Vec<String>, Vec<String>) =
                    ids.into_iter().partition(|id| id.starts_with("a-"));
                self.decide_actions(&actions, false, false, reason.as_deref())?;
                let mut out = decided(self.decide(
                    &rest,
                    false,
                    reason.as_deref(),
                    false,
                    versions.as_ref(),
                )?);
                out.actions = actions;
                Ok(Response::Decided(out))
            }
            Request::ApproveAll { session, versions } => {
                let ids = self.all_change_ids(session.as_deref(), versions.as_ref())?;
                self.decide(&ids, true, None, true, versions.as_ref())
            }
            Request::RejectAll {
                session,
                reason,
                versions,
            } => {
                let ids = self.all_change_ids(session.as_deref(), versions.as_ref())?;
                self.decide(&ids, false, reason.as_deref(), true, versions.as_ref())
            }
            Request::ApproveEdited { hunk, text } => {
                self.approve_edited(&hunk, text.into_bytes(), true)
            }
            Request::ApproveLines {
                hunk,
                removed,
                added,
            } => {
                let (session, rel) = self.find_hunk(&hunk)?;
                let text = self
                    .fresh(&session, &rel)?
                    .lines_text(&hunk, &removed, &added)?;
                self.approve_edited(&hunk, text, false)
            }
            Request::ListLandings => Ok(Response::Landings {
                landings: self.journal.landings()?,
            }),
            Request::Undo { landing } => self.undo(landing),
            Request::UndoReject { rejection } => self.undo_reject(&rejection),
            other => Err(misrouted(&other)),
        }
    }
    /// Removes the stages no session owns, and the agent state of sessions
    /// that are gone (a crash between a session's removal and its folders').
    fn clean_orphans(&mut self) -> Result<Response> {
        let orphans = self.orphans();
        for o in &orphans {
            stage::remove(&self.project, Path::new(&o.path))?;
        }
        if let Ok(entries) = std::fs::read_dir(self.home.dir.join("state")) {
            for e in entries.flatten() {
                let id = e.file_name().to_string_lossy().into_owned();
                if !self.sessions.contains_key(&id) {
                    sandbox::remove_state(&e.path())
                        .map_err(|e| EngineError::io("remove an orphaned state folder", e))?;
                }
            }
        }
        Ok(Response::Orphans { orphans })
    }

    /// The pending changes (of one session or all), and the decided ones
    /// after them, oldest first, when asked.
    fn list_changes(&mut self, session: Option<String>, decided: bool) -> Result<Response> {
        if let Some(id) = &session {
            self.session_mut(id)?;
        }
        let mine = |s: &&Session| session.as_ref().is_none_or(|id| *id == s.info.id);
        let mut changes: Vec<Change> = self
            .sessions
            .values()
            .filter(mine)
            .flat_map(|s| s.queue.view.values().map(|p| p.change.clone()))
            .collect();
        if decided {
            let mut done: Vec<&(u64, Change)> = self
                .sessions
                .values()
                .filter(mine)
                .flat_map(|s| s.queue.decided.iter())
                .collect();
            done.sort_by_key(|(at, _)| *at);
            changes.extend(done.into_iter().map(|(_, c)| c.clone()));
        }
        Ok(Response::Changes { changes })
    }

    pub(super) fn status(&mut self) -> StatusInfo {
        let actions = self.actions();
        let sessions: Vec<SessionInfo> = self.sessions.values().map(|s| s.info.clone()).collect();
        let mut sessions = sessions;
        sessions.sort_by_key(|s| s.created_at);
        StatusInfo {
            version: airlock_protocol::VERSION.to_string(),
            project: self.project.display().to_string(),
            pid: std::process::id(),
            pending_changes: sessions.iter().map(|s| s.pending_changes).sum(),
            pending_hunks: sessions.iter().map(|s| s.pending_hunks).sum(),
            sessions,
            actions,
        }
    }

    pub(super) fn session_mut(&mut self, id: &str) -> Result<&mut Session> {
        self.sessions
            .get_mut(id)
            .ok_or_else(|| EngineError::UnknownId {
                what: "session",
                id: id.to_string(),
            })
    }
}

/// A request that reached a handler not its own: Airlock's fault.
fn misrouted(request: &Request) -> EngineError {
    let name = serde_json::to_value(request)
        .ok()
        .and_then(|v| v.get("op").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_default();
    EngineError::Internal(format!("request {name} reached the wrong handler"))
}

/// Runs a CPU-heavy answer on the blocking pool and replies from there.
pub(super) fn render_beside(
    reply: oneshot::Sender<std::result::Result<Response, IpcError>>,
    work: impl FnOnce() -> Response + Send + 'static,
) {
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| IpcError::from(EngineError::Internal(format!("rendering failed: {e}"))));
        let _ = reply.send(result);
    });
}

fn decided(r: Response) -> DecisionOutcome {
    match r {
        Response::Decided(d) => d,
        _ => DecisionOutcome::default(),
    }
}

impl Actor {
    /// Answers a request. Rendering a diff can take a while on a huge file,
    /// and walking a big tree too: those run beside the actor, so typing and
    /// other requests never wait on them.
    pub(super) async fn call(
        &mut self,
        request: Request,
        reply: oneshot::Sender<std::result::Result<Response, IpcError>>,
    ) {
        match request {
            Request::GetDiff {
                change,
                from,
                count,
                ignore_whitespace,
            } => match self.queued_change(&change) {
                Ok(p) => {
                    let hl = self.highlighter.clone();
                    render_beside(reply, move || {
                        Response::Diff(p.render(
                            &hl,
                            from.unwrap_or(0),
                            count,
                            ignore_whitespace.unwrap_or(false),
                        ))
                    })
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Request::GetLines {
                change,
                from,
                count,
            } => match self.queued_change(&change) {
                Ok(p) => {
                    let hl = self.highlighter.clone();
                    render_beside(reply, move || Response::Lines {
                        lines: p.context_lines(&hl, from, count),
                    })
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            // Walking a big tree runs beside the actor too.
            Request::ListFiles { session } => match self.session_mut(&session) {
                Ok(s) => {
                    let root = s.stage.clone();
                    render_beside(reply, move || {
                        let mut paths = stage::walk_files(&root);
                        let truncated = paths.len() > LISTED_FILES;
                        paths.truncate(LISTED_FILES);
                        Response::Files { paths, truncated }
                    })
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            // Git (and the user's hooks) runs on the git thread.
            request @ (Request::CommitPlan { .. }
            | Request::Commit(..)
            | Request::OpenPullRequest(..)) => self.vcs_request(request, reply),
            // A staged session's stage is made off the actor.
            Request::StartSession(params) => self.start_request(params, reply).await,
            Request::StartAttempts(params) => self.start_attempts(params, reply),
            request => {
                let result = self.handle(request).await.map_err(IpcError::from);
                let _ = reply.send(result);
            }
        }
    }
}
