//! Following an engine: every [`Event`] in order, with terminal output pulled
//! per subscriber.
//!
//! Output does not travel through the event channel as data. The actor
//! appends it to the session's bounded scrollback and announces only that
//! there is more; each subscriber then reads everything it has not seen yet in
//! one go. A slow window therefore never blocks the agent, and its pending
//! frames merge instead of piling up in memory: a window that fell behind the
//! in-memory tail catches up from the session's log on disk, and loses bytes
//! only past the log's size (256 MB), which the [`Event::Output`] offset shows.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use airlock_protocol::Event;
use base64::Engine as _;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::scrollback::Scrollback;

/// Largest output frame handed to a subscriber at once: small enough that a
/// terminal renders one within a frame or two.
const MAX_FRAME: usize = 256 * 1024;

/// What goes through the engine's broadcast channel.
#[derive(Debug, Clone)]
pub(crate) enum Wire {
    /// An event as it is (boxed: the channel keeps a ring of these).
    Event(Box<Event>),
    /// A session has new output in its scrollback.
    Output(String),
}

/// Every session's scrollback, shared between the actor (which appends) and
/// subscribers (which read). A lock held only to copy bytes, never across an await.
pub(crate) type Outputs = Arc<RwLock<HashMap<String, Arc<Mutex<Scrollback>>>>>;

/// One thing a [`Subscription`] yields: an event, or terminal output as raw
/// bytes (for a transport that carries bytes, such as a binary WebSocket frame).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Any event but output.
    Event(Event),
    /// Terminal output: `bytes` start at `offset` in the session's whole output.
    Output {
        /// Which session.
        session: String,
        /// Offset of the first byte.
        offset: u64,
        /// The raw bytes (a frame may split a UTF-8 character).
        bytes: Vec<u8>,
    },
}

impl Frame {
    /// As an [`Event`]: output becomes [`Event::Output`] with its bytes in base64.
    pub fn into_event(self) -> Event {
        match self {
            Frame::Event(e) => e,
            Frame::Output {
                session,
                offset,
                bytes,
            } => Event::Output {
                session,
                data: base64::engine::general_purpose::STANDARD.encode(&bytes),
                offset,
            },
        }
    }
}

/// A live follow of the engine; see the module docs.
pub struct Subscription {
    rx: broadcast::Receiver<Wire>,
    outputs: Outputs,
    offsets: HashMap<String, u64>,
    queue: VecDeque<Frame>,
}

impl Subscription {
    pub(crate) fn new(rx: broadcast::Receiver<Wire>, outputs: Outputs) -> Self {
        // Output from before now is for `readScrollback`; follow from here.
        let offsets = outputs
            .read()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.lock().map(|s| s.end()).unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            rx,
            outputs,
            offsets,
            queue: VecDeque::new(),
        }
    }

    /// The next event, or `None` when the engine is gone.
    pub async fn next(&mut self) -> Option<Event> {
        self.next_frame().await.map(Frame::into_event)
    }

    /// The next event or output, or `None` when the engine is gone: as
    /// [`Subscription::next`], with output left as bytes.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            match self.rx.recv().await {
                Ok(Wire::Event(e)) => return Some(Frame::Event(*e)),
                Ok(Wire::Output(session)) => self.pull(&session),
                Err(RecvError::Lagged(missed)) => {
                    let sessions: Vec<String> = self
                        .outputs
                        .read()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for s in sessions {
                        self.pull(&s);
                    }
                    self.queue.push_back(Frame::Event(Event::Problem {
                        session: None,
                        message: format!(
                            "this window fell behind and missed {missed} updates; reload to catch up"
                        ),
                    }));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn pull(&mut self, session: &str) {
        let Some(sb) = self
            .outputs
            .read()
            .ok()
            .and_then(|m| m.get(session).cloned())
        else {
            return;
        };
        let from = self.offsets.get(session).copied().unwrap_or(0);
        loop {
            let (bytes, start) = match sb.lock() {
                Ok(s) => s.since(
                    self.offsets.get(session).copied().unwrap_or(from),
                    MAX_FRAME,
                ),
                Err(_) => return,
            };
            if bytes.is_empty() {
                return;
            }
            self.offsets
                .insert(session.to_string(), start + bytes.len() as u64);
            self.queue.push_back(Frame::Output {
                session: session.to_string(),
                offset: start,
                bytes,
            });
        }
    }
}
