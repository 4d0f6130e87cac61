//! Resuming a terminal agent's conversation: Claude Code's hooks say its
//! session id; it is kept beside the journal, and a restart (even of
//! Airlock) runs `claude --resume ID`.

use std::path::{Path, PathBuf};

use airlock_protocol::Event;

use super::Actor;
use crate::home;

impl Actor {
    /// The agent said its own conversation id (a hook call carries it):
    /// kept beside the journal, so a restart, even of Airlock, resumes it.
    /// Only an id that cannot pass for an option is taken.
    pub(super) fn remember_resume(&mut self, session: &str, id: Option<&str>) {
        let Some(id) = id.filter(|id| resumable_id(id)) else {
            return;
        };
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        if s.info.resume.as_deref() == Some(id) {
            return;
        }
        s.info.resume = Some(id.to_string());
        let info = s.info.clone();
        let file = self.resume_file(session);
        let kept = file
            .parent()
            .map_or(Ok(()), home::create_private_dir)
            .and_then(|()| crate::fsx::atomic_write(&file, id.as_bytes(), 0o600));
        if let Err(e) = kept {
            let message = format!("could not keep the agent's conversation id, so a restart of Airlock starts it anew: {e}");
            self.problem(Some(session), message);
        }
        self.emit(Event::SessionUpdated { session: info });
    }

    /// Where a terminal agent's conversation id is kept.
    pub(super) fn resume_file(&self, id: &str) -> PathBuf {
        self.home.dir.join("resume").join(id)
    }
}

/// A conversation id Airlock passes to `--resume`: letters, digits, `-` and
/// `_`, starting with a letter or digit (never an option), at most 128.
pub(super) fn resumable_id(id: &str) -> bool {
    id.len() <= 128
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The command a restart runs: for Claude Code with a known conversation,
/// `--resume ID` in place of any way the user's command chose one.
pub(super) fn resumed(command: &[String], resume: Option<&str>) -> Vec<String> {
    let program = command
        .first()
        .and_then(|p| Path::new(p).file_name())
        .is_some_and(|n| n == "claude");
    let Some(id) = resume.filter(|_| program) else {
        return command.to_vec();
    };
    let mut out = vec![command[0].clone(), "--resume".into(), id.to_string()];
    let mut args = command[1..].iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--resume" | "-r" => {
                args.next();
            }
            "--continue" | "-c" => {}
            _ if a.starts_with("--resume=") => {}
            _ => out.push(a.clone()),
        }
    }
    out
}
