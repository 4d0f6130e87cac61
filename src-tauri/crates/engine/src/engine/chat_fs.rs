//! A chat agent's file requests: `fs/read_text_file` and `fs/write_text_file`,
//! answered inside the session's folder only. A staged session's writes go to
//! its stage (where the stage watcher holds them for review like any other);
//! a gated session's wait as gated edits and reach the project as approved.

use std::path::{Path, PathBuf};

use agent_client_protocol::v1::schema as acp;
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
                String::from_utf8(bytes).map_err(|_| format!("{rel} is not UTF-8 text"))?
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

    pub(super) fn agent_write(
        &mut self,
        session: &str,
        req: acp::WriteTextFileRequest,
        responder: agent_client_protocol::v1::Responder<acp::WriteTextFileResponse>,
    ) {
        let refuse = |responder: agent_client_protocol::v1::Responder<
            acp::WriteTextFileResponse,
        >,
                      why: String| {
            let _ = responder.respond_with_error(agent_client_protocol::Error::new(-32001, why));
        };
        let (root, rel) = match self.inside(session, &req.path) {
            Ok(x) => x,
            Err(why) => {
                self.notice(session, why.clone());
                return refuse(responder, why);
            }
        };
        let target = match fsx::safe_join(&root, &rel) {
            Ok(t) => t,
            Err(e) => return refuse(responder, e.to_string()),
        };
        let gated = self
            .sessions
            .get(session)
            .is_some_and(|s| s.info.mode == SessionMode::Gated);
        if !gated {
            // The stage watcher sees this write and holds it like any other.
            let mode = crate::fsx::FileState::read(&target)
                .ok()
                .and_then(|f| f.mode())
                .unwrap_or(0o644);
            // Relative to the stage's folder descriptors, never following a
            // link: the agent may swap a folder for a link meanwhile.
            let file = fsx::FileState::File {
                bytes: req.content.into_bytes(),
                mode,
            };
            let written = fsx::mirror(&file, &root, &target);
            let _ = match written {
                Ok(()) => responder.respond(acp::WriteTextFileResponse::new()),
                Err(e) => return refuse(responder, format!("cannot write {rel}: {e}")),
            };
            return;
        }
        // Gated: the write waits as a gated edit; what the user approves is written.
        let question = GateRequest {
            session: session.to_string(),
            agent: "acp".into(),
            tool: "Write".into(),
            input: json!({ "file_path": target.display().to_string(), "content": req.content }),
            cwd: root.display().to_string(),
        };
        let (tx, rx) = oneshot::channel::<GateReply>();
        self.gate_checked(question, tx);
        let content = req.content;
        tokio::spawn(async move {
            let reply = rx.await.ok();
            match reply {
                Some(r) if r.decision == "allow" => {
                    let text = r
                        .updated_input
                        .as_ref()
                        .and_then(|i| i.get("content"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or(content);
                    let mode = crate::fsx::FileState::read(&target)
                        .ok()
                        .and_then(|f| f.mode())
                        .unwrap_or(0o644);
                    let file = fsx::FileState::File {
                        bytes: text.into_bytes(),
                        mode,
                    };
                    let _ = match fsx::mirror(&file, &root, &target) {
                        Ok(()) => responder.respond(acp::WriteTextFileResponse::new()),
                        Err(e) => responder.respond_with_error(agent_client_protocol::Error::new(
                            -32001,
                            format!("cannot write {rel}: {e}"),
                        )),
                    };
                }
                Some(r) => {
                    let why = r
                        .reason
                        .unwrap_or_else(|| "The user rejected this write in Airlock.".into());
                    let _ = responder
                        .respond_with_error(agent_client_protocol::Error::new(-32001, why));
                }
                None => {
                    let _ = responder.respond_with_error(agent_client_protocol::Error::new(
                        -32001,
                        "the write was not decided: the session ended",
                    ));
                }
            }
        });
    }
}
