//! A session and its parts. Each part owns one job: the [`Terminal`] its
//! process and screen, the [`ReviewQueue`] its proposed changes, the
//! [`Gate`] what its agent waits on. A chat session has a
//! [`Chat`](super::chat::Chat) beside its queue instead of a running
//! terminal; its kind is [`SessionInfo::kind`], data rather than `if`s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use airlock_protocol::{ReviewComment, SessionInfo};

use super::review_queue::ReviewQueue;
use super::{chat, exec_gate, gate, sandbox};
use crate::fsx::FileState;
use crate::pty::PtyProcess;
use crate::scrollback::Scrollback;
use crate::stage::IgnoreFilter;
use crate::watch::TreeWatcher;

pub(super) struct Session {
    pub(super) info: SessionInfo,
    /// Where its agent works: the stage, or the project for a gated session.
    pub(super) stage: PathBuf,
    pub(super) _watcher: Option<TreeWatcher>,
    pub(super) filter: IgnoreFilter,
    /// The stage was found gone from disk (said once, not every tick).
    pub(super) stage_lost: bool,
    /// What confines its processes; worked out again at a restart when
    /// `None` (a session brought back from the journal).
    pub(super) sandbox: Option<sandbox::Sandbox>,
    /// Its `model-only` network proxy.
    pub(super) proxy: Option<airlock_proxy::Proxy>,
    /// The output: a tail in memory and a log on disk, shared with
    /// subscribers (a chat's agent log goes here too).
    pub(super) scrollback: Arc<Mutex<Scrollback>>,
    pub(super) term: Terminal,
    /// A chat session's conversation and agent (`None` for a terminal).
    pub(super) chat: Option<chat::Chat>,
    pub(super) queue: ReviewQueue,
    pub(super) gate: Gate,
    /// Review comments waiting to be sent to the agent.
    pub(super) comments: Vec<ReviewComment>,
}

/// A terminal session's process and what is known of its screen.
pub(super) struct Terminal {
    pub(super) process: Option<PtyProcess>,
    /// The terminal's size as last set (columns, rows): a restart starts at it.
    pub(super) size: (u16, u16),
    /// When the process last printed something.
    pub(super) last_output: Option<Instant>,
    /// The agent said its turn ended and the user has not typed since: the
    /// turn is not guessed from output (a TUI redraws while it waits).
    pub(super) turn_reported: bool,
}

/// What a session's agent waits on: its hook calls, its gated edits, its
/// exec gate.
pub(super) struct Gate {
    /// The token this session's hooks must show.
    pub(super) hook_token: String,
    /// Actions waiting for the user, by id.
    pub(super) actions: BTreeMap<String, gate::PendingAction>,
    /// Gated edits waiting for the user, by path.
    pub(super) gated: BTreeMap<String, gate::GatedEdit>,
    /// Gated edits approved and not yet seen written, by path: the file
    /// before, as approved, and when.
    pub(super) approved: BTreeMap<String, (FileState, FileState, std::time::Instant)>,
    /// The session's exec gate, while its processes run under one.
    pub(super) exec: Option<exec_gate::Handle>,
}

/// What a new or brought-back session starts with.
pub(super) struct Parts {
    pub(super) info: SessionInfo,
    pub(super) stage: PathBuf,
    pub(super) watcher: Option<TreeWatcher>,
    pub(super) filter: IgnoreFilter,
    pub(super) scrollback: Arc<Mutex<Scrollback>>,
    pub(super) hook_token: String,
}

impl Session {
    /// A session with nothing running, nothing proposed and nothing waiting.
    pub(super) fn new(parts: Parts) -> Self {
        Self {
            info: parts.info,
            stage: parts.stage,
            _watcher: parts.watcher,
            filter: parts.filter,
            stage_lost: false,
            sandbox: None,
            proxy: None,
            scrollback: parts.scrollback,
            term: Terminal {
                process: None,
                size: (80, 24),
                last_output: None,
                turn_reported: false,
            },
            chat: None,
            queue: ReviewQueue::default(),
            gate: Gate {
                hook_token: parts.hook_token,
                actions: BTreeMap::new(),
                gated: BTreeMap::new(),
                approved: BTreeMap::new(),
                exec: None,
            },
            comments: Vec::new(),
        }
    }

    /// Brings the pending counts in `info` up to date with the queue.
    pub(super) fn counts(&mut self) {
        self.info.pending_changes = self.queue.view.len() as u32;
        self.info.pending_hunks = self.queue.hunks_shown() as u32;
    }

    /// Whether anything of it waits for the user.
    pub(super) fn waits(&self) -> bool {
        !self.queue.view.is_empty() || !self.gate.actions.is_empty() || !self.gate.gated.is_empty()
    }
}
