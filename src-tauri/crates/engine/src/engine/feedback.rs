//! Review feedback: comments on pending changes and hunks, collected without
//! deciding anything, then sent to the agent as one message ("Send review").
//!
//! How the message reaches the agent depends on what the agent is:
//! - a chat agent gets it as a prompt (refused while a turn runs);
//! - gated Claude Code waiting on a commented change gets it in that hook
//!   call's answer: the edit is denied with the review as its reason, which
//!   Claude reads and acts on;
//! - any other terminal agent gets it typed into its terminal as one
//!   bracketed paste and Enter, only while it waits at its prompt (not while
//!   its turn is running, where the text would interleave with its work).
//!
//! Comments live with their session (in memory) until sent or deleted; a
//! comment on a change decided meanwhile is still sent: it is still what the
//! user thinks of the agent's work.

use std::collections::HashSet;

use airlock_protocol::{Event, ReviewComment, ReviewDelivery, SessionMode, TurnState};

use super::Actor;
use crate::error::{EngineError, Result};

/// The bracketed-paste markers: the terminal program takes what is between
/// as typed text, newlines included, without running it line by line.
const PASTE_START: &str = "\x1b[200~";
const PASTE_END: &str = "\x1b[201~";

/// The message an agent gets for `comments` (all of one session).
pub(super) fn review_message(comments: &[ReviewComment]) -> String {
    let mut out = String::from("Review of your changes, from the user (in Airlock):\n");
    let mut last_path = None;
    for c in comments {
        if last_path != Some(&c.path) {
            out.push_str(&format!("\n{}:\n", c.path));
            last_path = Some(&c.path);
        }
        let at = match (c.line, c.place.is_empty()) {
            (Some(l), _) => format!("line {l}"),
            (None, false) => c.place.clone(),
            (None, true) => "the whole file".into(),
        };
        out.push_str(&format!("- {at}: {}\n", c.text.trim()));
    }
    out.push_str("\nPlease address these comments.");
    out
}

impl Actor {
    fn comments_of(&self, session: &str) -> Vec<ReviewComment> {
        self.sessions
            .get(session)
            .map(|s| s.comments.clone())
            .unwrap_or_default()
    }

    /// Announces a session's comments and keeps them on disk, so an engine
    /// restart loses none (`comments/<session>.json` in the project's data folder).
    fn comments_changed(&self, session: &str) {
        let comments = self.comments_of(session);
        let file = self.comments_file(session);
        let kept = if comments.is_empty() {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.to_string()),
                _ => Ok(()),
            }
        } else {
            file.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(|e| e.to_string())
                .and_then(|()| serde_json::to_vec(&comments).map_err(|e| e.to_string()))
                .and_then(|bytes| {
                    crate::fsx::atomic_write(&file, &bytes, 0o600).map_err(|e| e.to_string())
                })
        };
        if let Err(e) = kept {
            self.problem(
                Some(session),
                format!("could not keep the review comments on disk: {e}"),
            );
        }
        self.emit(Event::Comments {
            session: session.to_string(),
            comments,
        });
    }

    /// Where a session's comments are kept.
    pub(super) fn comments_file(&self, session: &str) -> std::path::PathBuf {
        self.home
            .dir
            .join("comments")
            .join(format!("{session}.json"))
    }

    /// A session's comments as the last engine left them; none when the file
    /// is missing or unreadable.
    pub(super) fn load_comments(&self, session: &str) -> Vec<ReviewComment> {
        std::fs::read(self.comments_file(session))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// [`airlock_protocol::Request::Comment`]; the session's comments after it.
    pub(super) fn comment(
        &mut self,
        target: &str,
        line: Option<u32>,
        text: String,
    ) -> Result<Vec<ReviewComment>> {
        if text.trim().is_empty() {
            return Err(EngineError::BadRequest("the comment is empty".into()));
        }
        let (session, rel) = self.find_hunk(target)?;
        let s = self.session_mut(&session)?;
        let p = s
            .queue
            .view
            .get(&rel)
            .ok_or_else(|| EngineError::UnknownId {
                what: "change",
                id: target.to_string(),
            })?;
        let hunk = p.change.hunks.iter().find(|h| h.id == target);
        let place = match hunk {
            Some(h) => {
                let range = format!(
                    "@@ -{},{} +{},{} @@",
                    h.old_start, h.old_lines, h.new_start, h.new_lines
                );
                match &h.label {
                    Some(l) => format!("{range} {l}"),
                    None => range,
                }
            }
            None => String::new(),
        };
        let comment = ReviewComment {
            id: format!("m-{}", &crate::home::random_token()[..12]),
            session: session.clone(),
            path: p.change.path.clone(),
            hunk: hunk.map(|h| h.id.clone()),
            line,
            place,
            text,
        };
        s.comments.push(comment);
        self.comments_changed(&session);
        Ok(self.comments_of(&session))
    }

    /// [`airlock_protocol::Request::DeleteComment`].
    pub(super) fn delete_comment(&mut self, id: &str) -> Result<Vec<ReviewComment>> {
        let session = self
            .sessions
            .values()
            .find(|s| s.comments.iter().any(|c| c.id == id))
            .map(|s| s.info.id.clone())
            .ok_or_else(|| EngineError::UnknownId {
                what: "comment",
                id: id.to_string(),
            })?;
        self.session_mut(&session)?.comments.retain(|c| c.id != id);
        self.comments_changed(&session);
        Ok(self.comments_of(&session))
    }

    /// [`airlock_protocol::Request::ListComments`].
    pub(super) fn list_comments(&mut self, session: Option<&str>) -> Result<Vec<ReviewComment>> {
        if let Some(id) = session {
            self.session_mut(id)?;
        }
        Ok(self
            .sessions
            .values()
            .filter(|s| session.is_none_or(|id| id == s.info.id))
            .flat_map(|s| s.comments.iter().cloned())
            .collect())
    }

    /// [`airlock_protocol::Request::SendReview`]: how it went, how many, the message.
    pub(super) fn send_review(&mut self, session: &str) -> Result<(ReviewDelivery, u32, String)> {
        let s = self.session_mut(session)?;
        if s.comments.is_empty() {
            return Err(EngineError::BadRequest(format!(
                "session {session} has no comments to send: comment on a change or a hunk first"
            )));
        }
        let comments = s.comments.clone();
        let message = review_message(&comments);
        let commented: HashSet<&str> = comments.iter().map(|c| c.path.as_str()).collect();
        let waiting_edit = s
            .gate
            .gated
            .keys()
            .find(|rel| commented.contains(rel.as_str()))
            .cloned();
        let (is_chat, mode) = (s.chat.is_some(), s.info.mode);
        let via = if is_chat {
            self.prompt(session, message.clone())?;
            ReviewDelivery::Prompt
        } else if let (SessionMode::Gated, Some(rel)) = (mode, waiting_edit) {
            // The hook call waiting on the commented edit carries the review back.
            let none = HashSet::new();
            self.answer_gated(session, &rel, &none, false, Some(&message), None)?;
            self.publish(session);
            ReviewDelivery::Hook
        } else {
            let s = self.session_mut(session)?;
            let Some(p) = s.term.process.as_ref() else {
                return Err(EngineError::BadRequest(format!(
                    "session {session} has exited: there is no agent to send the review to"
                )));
            };
            if s.info.turn == TurnState::Running {
                return Err(EngineError::BadRequest(format!(
                    "{} is in the middle of its turn: send the review when it waits at its prompt",
                    s.info.name
                )));
            }
            p.write(format!("{PASTE_START}{message}{PASTE_END}").into_bytes())?;
            // Enter on its own, after the paste: the program takes the text first.
            p.write(b"\r".to_vec())?;
            s.term.turn_reported = false;
            ReviewDelivery::Terminal
        };
        if let Some(s) = self.sessions.get_mut(session) {
            s.comments.clear();
        }
        self.comments_changed(session);
        Ok((via, comments.len() as u32, message))
    }
}
