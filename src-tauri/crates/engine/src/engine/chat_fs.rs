//! A chat agent's file requests: `fs/read_text_file` and `fs/write_text_file`,
//! answered inside the session's folder only. A staged session's writes go to
//! its stage (where the stage watcher holds them for review like any other);
//! a gated session's wait as gated edits and reach the project as approved.

use airlock_protocol::GateDecision;
use std::path::{Path, PathBuf};

use agent_client_protocol::v1::schema as acp;
use agent_client_protocol::v1::Responder;
use airlock_protocol::{GateReply, GateRequest, SessionMode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::Actor;
use crate::fsx;

impl Actor {
    /// The session's folder-relative path of an absolute path the agent named,
    /// or why it is refused.
    fn inside(&self, session: &str, path: &Path) -> std::result::Result<(PathBuf, String), String> {
        let s = self
            .sessions
            .get(session)
            .ok_or_else(|| "unknown session".to_string())?;
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            s.stage.join(path)
        };
        match fsx::rel_path(&s.stage, &path) {
            Some(rel) if !rel.is_empty() => Ok((s.stage.clone(), rel)),
            _ => Err(format!(
                "Airlock refused: {} is outside this session's folder {}",
                path.display(),
                s.stage.display()
            )),
        }
    }

    pub(super) fn agent_read(
        &self,
        session: &str,
        req: &acp::ReadTextFileRequest,
    ) -> std::result::Result<String, String> {
        let (root, rel) = self.inside(session, &req.path)?;
        let path = fsx::safe_join(&root, &rel).map_err(|e| e.to_string())?;
        // Read without following a link at the end (the engine is not
        // confined: a link in the stage to the engine's token or `~/.ssh`
        // must not be read through) and without blocking on a FIFO.
        let text = match fsx::FileState::read(&path).map_err(|e| format!("cannot read {rel}: {e}"))? {
            fsx::FileState::File { bytes, .. } => {
                String::from_utf8(bytes.to_vec()).map_err(|_| format!("{rel} is not UTF-8 text"))?
            }
            // A file that does not exist yet reads as empty: agents read before they create.
            fsx::FileState::Missing => String::new(),
            fsx::FileState::Symlink { target } => {
                return Err(format!(
                    "Airlock refused: {rel} is a symbolic link (to {}); only regular files in the session's folder are read",
                    target.display()
                ))
            }
            fsx::FileState::Folder => return Err(format!("{rel} is a folder")),
            fsx::FileState::Special(what) => return Err(format!("Airlock refused: {rel} is {what}")),
        };
        let from = req.line.map(|l| l.saturating_sub(1) as usize).unwrap_or(0);
        Ok(match (from, req.limit) {
            (0, None) => text,
            (from, limit) => text
                .split_inclusive('\n')
                .skip(from)
                .take(limit.map(|l| l as usize).unwrap_or(usize::MAX))
                .collect(),
        })
    }

    /// The agent's `fs/write_text_file`: inside its folder only. Staged, it
    /// lands in the stage and is held like any staged write; gated, it waits
    /// as a gated edit and what the user approves is written, the reply
    /// going out only when the user decides.
    pub(super) fn agent_write(
        &mut self,
        session: &str,
        req: acp::WriteTextFileRequest,
        responder: Responder<acp::WriteTextFileResponse>,
    ) {
        let (root, rel) = match self.inside(session, &req.path) {
            Ok(x) => x,
            Err(why) => {
                self.notice(session, why.clone());
                return answer_write(responder, Err(why));
            }
        };
        let target = match fsx::safe_join(&root, &rel) {
            Ok(t) => t,
            Err(e) => return answer_write(responder, Err(e.to_string())),
        };
        let gated = self
            .sessions
            .get(session)
            .is_some_and(|s| s.info.mode == SessionMode::Gated);
        let at = Target { root, rel, target };
        if !gated {
            // The stage watcher sees this write and holds it like any other.
            return answer_write(responder, at.write(req.content));
        }
        let question = GateRequest {
            session: session.to_string(),
            agent: "acp".into(),
            tool: "Write".into(),
            input: json!({ "file_path": at.target.display().to_string(), "content": req.content }),
            cwd: at.root.display().to_string(),
            agent_session: None,
        };
        let (tx, rx) = oneshot::channel::<GateReply>();
        self.gate_checked(question, tx);
        let content = req.content;
        tokio::spawn(async move {
            let result = match rx.await.ok() {
                Some(r) if r.decision == GateDecision::Allow => {
                    // The text the user approved: some hunks, or edited.
                    let text = r
                        .updated_input
                        .as_ref()
                        .and_then(|i| i.get("content"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or(content);
                    at.write(text)
                }
                Some(r) => Err(r
                    .reason
                    .unwrap_or_else(|| "The user rejected this write in Airlock.".into())),
                None => Err("the write was not decided: the session ended".into()),
            };
            answer_write(responder, result);
        });
    }
}

/// Where an agent's write goes: relative to the folder's descriptors, never
/// following a link (the agent may swap a folder for a link meanwhile).
struct Target {
    root: PathBuf,
    rel: String,
    target: PathBuf,
}

impl Target {
    /// Writes `text`, keeping the file's mode (a new file gets 0644).
    fn write(&self, text: String) -> std::result::Result<(), String> {
        let mode = fsx::FileState::read(&self.target)
            .ok()
            .and_then(|f| f.mode())
            .unwrap_or(0o644);
        let file = fsx::FileState::File {
            bytes: text.into_bytes().into(),
            mode,
        };
        fsx::mirror(&file, &self.root, &self.target)
            .map_err(|e| format!("cannot write {}: {e}", self.rel))
    }
}

/// The reply to a write: success, or an error with why (the user's reason
/// for a rejection). An agent that stopped waiting needs no reply.
fn answer_write(
    responder: Responder<acp::WriteTextFileResponse>,
    result: std::result::Result<(), String>,
) {
    let _ = match result {
        Ok(()) => responder.respond(acp::WriteTextFileResponse::new()),
        Err(why) => responder.respond_with_error(agent_client_protocol::Error::new(-32001, why)),
    };
}
