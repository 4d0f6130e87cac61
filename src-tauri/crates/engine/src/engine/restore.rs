//! Bringing back the journal's sessions after a restart, and the watchers
//! of the project and of each stage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use airlock_protocol::{SessionKind, SessionMode};

use super::session::{Parts, Session};
use super::{chat, Actor, Msg};
use crate::error::Result;
use crate::home;
use crate::stage::IgnoreFilter;
use crate::watch::{self, TreeWatcher};

impl Actor {
    /// Brings back the journal's sessions: exited, with their pending changes.
    pub(super) fn restore(&mut self) {
        let sessions = match self.journal.sessions() {
            Ok(s) => s,
            Err(e) => {
                self.problem(None, format!("could not read the journal: {e}"));
                return;
            }
        };
        for info in sessions {
            let stage = PathBuf::from(&info.cwd);
            let id = info.id.clone();
            let running_before = info.exit_code.is_none();
            let gated = info.mode == SessionMode::Gated;
            let watcher = if stage.is_dir() && !gated {
                self.watch_stage(&id, &stage).ok()
            } else {
                None
            };
            let filter = IgnoreFilter::new(&stage, Some(&self.project.join(".git/info/exclude")));
            let scrollback = self.open_scrollback(&id);
            let chat = chat::Chat::load(self.chat_file(&id));
            let mut info = info;
            info.resume = std::fs::read_to_string(self.resume_file(&id))
                .ok()
                .filter(|id| super::resume::resumable_id(id));
            if chat.is_some() {
                info.kind = SessionKind::Chat;
            }
            if running_before {
                let note: &[u8] =
                    b"\r\n[Airlock restarted; this session's process ended with it]\r\n";
                if let Ok(mut sb) = scrollback.lock() {
                    sb.push(note);
                }
            }
            let bases = match self.journal.bases(&id) {
                Ok(b) => b,
                Err(e) => {
                    self.problem(Some(&id), format!("could not read the journal: {e}"));
                    HashMap::new()
                }
            };
            let mut session = Session::new(Parts {
                info,
                stage: stage.clone(),
                watcher,
                filter,
                scrollback,
                hook_token: home::random_token(),
            });
            session.queue.bases = bases;
            match self.journal.remembered(&id) {
                Ok(kept) => session.queue.memo.load(kept),
                Err(e) => self.problem(Some(&id), format!("could not read the journal: {e}")),
            }
            session.chat = chat;
            session.comments = self.load_comments(&id);
            self.sessions.insert(id.clone(), session);
            if running_before {
                if let Err(e) = self.journal.session_exited(&id, None) {
                    self.problem(Some(&id), format!("journal: {e}"));
                }
            }
            if stage.is_dir() && !gated {
                self.rescan(&id);
            }
        }
    }

    pub(super) fn watch_project(&mut self) {
        let tx = self.tx.clone();
        let watched = watch::watch_tree(
            &self.project,
            |p| {
                p.components()
                    .any(|c| crate::fsx::is_git_dir(c.as_os_str()))
                    || p.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains(".airlock-"))
            },
            tx,
            |paths| Msg::ProjectBatch { paths },
        );
        match watched {
            Ok(w) => self._project_watcher = Some(w),
            Err(e) => self.problem(
                None,
                format!(
                    "cannot watch the project, so your own edits will not reach the agents: {e}"
                ),
            ),
        }
    }

    pub(super) fn watch_stage(&self, session: &str, stage: &Path) -> Result<TreeWatcher> {
        let tx = self.tx.clone();
        let id = session.to_string();
        watch::watch_tree(
            stage,
            |p| {
                p.components()
                    .any(|c| crate::fsx::is_git_dir(c.as_os_str()))
            },
            tx,
            move |paths| Msg::StageBatch {
                session: id.clone(),
                paths,
                settled: false,
            },
        )
    }
}
