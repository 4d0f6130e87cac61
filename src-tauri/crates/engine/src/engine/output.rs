//! A session's output and turn: its coalescer puts PTY reads into the
//! scrollback a frame at a time, the actor announces them, works out whose
//! turn it is, and tidies up when the process exits.

use airlock_protocol::AttentionKind;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlock_protocol::{Event, SessionState, TurnState};
use tokio::sync::{mpsc, oneshot};

use super::{Actor, Msg, FRAME, FRAME_BYTES, OUTPUT_LOG_BYTES};
use crate::scrollback::Scrollback;
use crate::subscription::Wire;

impl Actor {
    /// Brings every session's output log up to date (see [`Scrollback::persist`]).
    pub(super) fn persist_output(&self, force: bool) {
        for s in self.sessions.values() {
            if let Ok(mut sb) = s.scrollback.lock() {
                sb.persist(force);
            }
        }
    }

    /// A session's scrollback, shared with subscribers, backed by its log on disk.
    pub(super) fn open_scrollback(&self, session: &str) -> Arc<Mutex<Scrollback>> {
        let dir = self.home.dir.join("scrollback");
        let path = dir.join(format!("{session}.log"));
        let sb = crate::home::create_private_dir(&dir)
            .ok()
            .and_then(|_| Scrollback::with_log(self.scrollback_bytes, &path, OUTPUT_LOG_BYTES).ok())
            .unwrap_or_else(|| Scrollback::new(self.scrollback_bytes));
        let sb = Arc::new(Mutex::new(sb));
        self.outputs.insert(session, sb.clone());
        sb
    }

    /// A session's scrollback is no more: not followed, not on disk.
    pub(super) fn forget_scrollback(&self, session: &str) {
        self.outputs.remove(session);
        let log = self
            .home
            .dir
            .join("scrollback")
            .join(format!("{session}.log"));
        self.remove_file(session, &log);
    }

    /// Puts a session's output into its scrollback and announces it at most
    /// once per [`FRAME`], then reports the exit once the output has drained.
    ///
    /// Reads go into the scrollback as they are: merging them into a frame of
    /// their own first would cost a copy of every byte and a fresh buffer per
    /// frame, and subscribers read the scrollback in their own frames anyway.
    pub(super) fn spawn_coalescer(
        &self,
        session: String,
        scrollback: Arc<Mutex<Scrollback>>,
        mut rx: mpsc::Receiver<Vec<u8>>,
        mut exit_rx: oneshot::Receiver<Option<i32>>,
    ) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut last = tokio::time::Instant::now() - FRAME;
            let mut exit: Option<Option<i32>> = None;
            loop {
                let first = if exit.is_some() {
                    // The process is gone; whatever is still queued drains, then stop.
                    match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                        Ok(Some(b)) => b,
                        _ => break,
                    }
                } else {
                    tokio::select! {
                        b = rx.recv() => match b {
                            Some(b) => b,
                            None => {
                                exit = Some((&mut exit_rx).await.unwrap_or(None));
                                break;
                            }
                        },
                        code = &mut exit_rx => {
                            exit = Some(code.unwrap_or(None));
                            continue;
                        }
                    }
                };
                // Output keeps coming: let it queue (the channel holds more than a
                // frame) until the frame is due, rather than waking for every read.
                let due = last + FRAME;
                if tokio::time::Instant::now() < due {
                    tokio::time::sleep_until(due).await;
                }
                let mut taken = first.len();
                if let Ok(mut sb) = scrollback.lock() {
                    sb.push(&first);
                    while taken < FRAME_BYTES {
                        match rx.try_recv() {
                            Ok(b) => {
                                taken += b.len();
                                sb.push(&b);
                            }
                            Err(_) => break,
                        }
                    }
                }
                // A full frame means more is waiting: the next one goes at once.
                last = tokio::time::Instant::now();
                if taken >= FRAME_BYTES {
                    last -= FRAME;
                }
                if tx.send(Msg::Output(session.clone())).await.is_err() {
                    return;
                }
            }
            let code = match exit {
                Some(code) => code,
                None => exit_rx.await.unwrap_or(None),
            };
            let _ = tx.send(Msg::Exited { session, code }).await;
        });
    }

    pub(super) fn output(&mut self, session: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        s.term.last_output = Some(std::time::Instant::now());
        let _ = self.events.send(Wire::Output(session.to_string()));
        if s.info.turn == TurnState::Idle {
            self.update_turn(session);
        }
    }

    /// Works out whose turn it is and announces a change of it.
    pub(super) fn update_turn(&mut self, session: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let busy = match &s.info.chat {
            // A chat says when its turn ends; so does an agent with a turn
            // hook; any other terminal is judged by its output.
            Some(c) => c.busy,
            None => {
                !s.term.turn_reported
                    && s.term
                        .last_output
                        .is_some_and(|t| t.elapsed() < Duration::from_millis(1500))
            }
        };
        let was = s.info.turn;
        // A turn that says when it ends (a chat's, a hook's) is over now.
        let says = s.info.chat.is_some() || s.term.turn_reported;
        let turn = if s.info.state == SessionState::Exited {
            TurnState::Exited
        } else if s.waits() {
            TurnState::Waiting
        } else if busy {
            TurnState::Running
        } else {
            TurnState::Idle
        };
        if s.info.turn != turn {
            s.info.turn = turn;
            let info = s.info.clone();
            let attention = match turn {
                TurnState::Waiting => {
                    let actions = s.gate.actions.len();
                    let what = match (info.pending_hunks, actions) {
                        (h, 0) => format!("{h} hunk(s) to review"),
                        (0, a) => format!("{a} action(s) to allow or deny"),
                        (h, a) => format!("{h} hunk(s) and {a} action(s)"),
                    };
                    Some((
                        AttentionKind::Waiting,
                        format!("{} is waiting for you: {what}", info.name),
                    ))
                }
                TurnState::Idle if s.chat.is_some() && was == TurnState::Running => Some((
                    AttentionKind::Done,
                    format!("{} finished its turn", info.name),
                )),
                TurnState::Exited => Some((
                    AttentionKind::Finished,
                    match info.exit_code {
                        Some(0) => format!("{} finished", info.name),
                        Some(c) => format!("{} exited with code {c}", info.name),
                        None => format!("{} was stopped", info.name),
                    },
                )),
                _ => None,
            };
            self.emit(Event::SessionUpdated { session: info });
            if let Some((kind, message)) = attention {
                self.emit(Event::Attention {
                    session: session.to_string(),
                    kind,
                    message,
                });
            }
            if says && was == TurnState::Running && turn != TurnState::Running {
                self.turn_over(session);
            }
        }
    }

    pub(super) fn exited(&mut self, session: &str, code: Option<i32>) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        s.term.process = None;
        if let Ok(mut sb) = s.scrollback.lock() {
            sb.persist(true);
        }
        // Dropping the reply channels answers every waiting hook with a denial.
        let dropped: Vec<String> = s.gate.actions.keys().cloned().collect();
        s.gate.actions.clear();
        let had_gated = !s.gate.gated.is_empty();
        s.gate.gated.clear();
        s.info.state = SessionState::Exited;
        s.info.exit_code = code;
        if let Err(e) = self.journal.session_exited(session, code) {
            self.problem(Some(session), format!("journal: {e}"));
        }
        for id in dropped {
            self.emit(Event::ActionResolved {
                action: id,
                outcome: airlock_protocol::ActionOutcome::Gone,
                rule: None,
            });
        }
        if had_gated {
            self.publish(session);
        }
        self.emit(Event::SessionExited {
            session: session.to_string(),
            exit_code: code,
        });
        self.update_turn(session);
        self.turn_over(session);
    }
}
