//! Following an engine: every [`Event`] in order, with terminal output pulled
//! per subscriber.
//!
//! Output does not travel through the event channel as data. A session's
//! coalescer appends it to the session's bounded scrollback and the actor
//! announces only that there is more; each subscriber then reads what it has
//! not seen yet, a frame (up to 256 KiB) at a time, straight into the binary
//! frame it sends, as fast as it takes them. A slow window
//! therefore never blocks the agent, and its pending frames merge instead of
//! piling up in memory: a window that fell behind the
//! in-memory tail catches up from the session's log on disk (each subscription
//! is a reader the scrollback keeps bytes for, see [`Scrollback::follow`]), and
//! loses bytes only past the log's size (256 MB), which the [`Event::Output`]
//! offset shows.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use airlock_protocol::{output_frame_head, output_frame_head_len, Event};
use base64::Engine as _;
use tokio::sync::broadcast::{
    self,
    error::{RecvError, TryRecvError},
};

use crate::error::EngineError;
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

/// Every session's scrollback, shared between its coalescer (which appends) and
/// subscribers (which read), and the subscribers that follow them. A lock held
/// only to copy bytes, never across an await.
#[derive(Clone, Default)]
pub(crate) struct Outputs(Arc<RwLock<Followed>>);

#[derive(Default)]
struct Followed {
    sessions: HashMap<String, Arc<Mutex<Scrollback>>>,
    readers: HashSet<u64>,
}

impl Outputs {
    /// A new session's scrollback: every subscriber follows it from its start.
    pub(crate) fn insert(&self, session: &str, sb: Arc<Mutex<Scrollback>>) {
        if let Ok(mut f) = self.0.write() {
            if let Ok(mut s) = sb.lock() {
                let end = s.end();
                for &id in &f.readers {
                    s.follow(id, end);
                }
            }
            f.sessions.insert(session.to_string(), sb);
        }
    }

    pub(crate) fn remove(&self, session: &str) {
        if let Ok(mut f) = self.0.write() {
            f.sessions.remove(session);
        }
    }

    pub(crate) fn get(&self, session: &str) -> Option<Arc<Mutex<Scrollback>>> {
        self.0.read().ok()?.sessions.get(session).cloned()
    }

    /// A session's kept output and the offset of its end.
    pub(crate) fn snapshot(&self, session: &str) -> crate::error::Result<(Vec<u8>, u64)> {
        let sb = self.get(session).ok_or_else(|| EngineError::UnknownId {
            what: "session",
            id: session.to_string(),
        })?;
        let sb = sb
            .lock()
            .map_err(|_| EngineError::BadRequest("the scrollback is not readable".into()))?;
        Ok(sb.snapshot())
    }

    fn sessions(&self) -> Vec<String> {
        self.0
            .read()
            .map(|f| f.sessions.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Reader `id` follows every session from its end; the ends, by session.
    fn join(&self, id: u64) -> HashMap<String, u64> {
        let Ok(mut f) = self.0.write() else {
            return HashMap::new();
        };
        f.readers.insert(id);
        f.sessions
            .iter()
            .filter_map(|(k, v)| {
                let mut s = v.lock().ok()?;
                let end = s.end();
                s.follow(id, end);
                Some((k.clone(), end))
            })
            .collect()
    }

    /// Reader `id` is gone: nothing is kept for it any more.
    fn leave(&self, id: u64) {
        let Ok(mut f) = self.0.write() else {
            return;
        };
        f.readers.remove(&id);
        for sb in f.sessions.values() {
            if let Ok(mut s) = sb.lock() {
                s.unfollow(id);
            }
        }
    }
}

/// Subscription ids, for the scrollbacks' readers.
static NEXT_READER: AtomicU64 = AtomicU64::new(1);

/// One thing a [`Subscription`] yields: an event, or terminal output as raw
/// bytes (for a transport that carries bytes, such as a binary WebSocket frame).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Any event but output (boxed: most frames are output, kept small).
    Event(Box<Event>),
    /// Terminal output.
    Output(Output),
}

/// Terminal output, read straight into the binary frame the transports carry
/// ([`airlock_protocol::output_frame`]), so that sending it costs no copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    session: String,
    offset: u64,
    frame: Vec<u8>,
}

impl Output {
    /// Which session.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Offset of the first byte in the session's whole output.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The raw bytes (a frame may split a UTF-8 character).
    pub fn bytes(&self) -> &[u8] {
        &self.frame[output_frame_head_len(&self.session)..]
    }

    /// The whole binary frame, header and bytes.
    pub fn as_frame(&self) -> &[u8] {
        &self.frame
    }

    /// The whole binary frame, header and bytes.
    pub fn into_frame(self) -> Vec<u8> {
        self.frame
    }
}

impl Frame {
    /// As an [`Event`]: output becomes [`Event::Output`] with its bytes in base64.
    pub fn into_event(self) -> Event {
        match self {
            Frame::Event(e) => *e,
            Frame::Output(o) => Event::Output {
                data: base64::engine::general_purpose::STANDARD.encode(o.bytes()),
                session: o.session,
                offset: o.offset,
            },
        }
    }
}

/// A live follow of the engine; see the module docs.
pub struct Subscription {
    id: u64,
    rx: broadcast::Receiver<Wire>,
    outputs: Outputs,
    offsets: HashMap<String, u64>,
    queue: VecDeque<Frame>,
    /// Sessions that may have more output for this subscriber, in turn.
    behind: VecDeque<String>,
    /// Whether this subscriber reads terminal output at all.
    output: bool,
}

impl Subscription {
    /// Follows events, and terminal output too when `output` is true.
    pub(crate) fn new(rx: broadcast::Receiver<Wire>, outputs: Outputs, output: bool) -> Self {
        // Output from before now is for `readScrollback`; follow from here.
        let id = NEXT_READER.fetch_add(1, Ordering::Relaxed);
        let offsets = if output {
            outputs.join(id)
        } else {
            HashMap::new()
        };
        Self {
            id,
            rx,
            outputs,
            offsets,
            queue: VecDeque::new(),
            behind: VecDeque::new(),
            output,
        }
    }

    /// The next event, or `None` when the engine is gone.
    pub async fn next(&mut self) -> Option<Event> {
        self.next_frame().await.map(Frame::into_event)
    }

    /// The next event or output, or `None` when the engine is gone: as
    /// [`Subscription::next`], with output left as bytes.
    ///
    /// Output is read one frame at a time, as the subscriber asks: what it has
    /// not read yet stays in the scrollback (kept there for it), not in a queue
    /// of its own. Events are taken as they come, so a subscriber that reads
    /// output slowly still hears of them at once; a session's exit comes after
    /// all of its output.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            // What the engine said meanwhile: the channel's ring never fills
            // up while a subscriber is busy with output.
            let closed = loop {
                match self.rx.try_recv() {
                    Ok(wire) => self.take(wire),
                    Err(TryRecvError::Empty) => break false,
                    Err(TryRecvError::Lagged(missed)) => self.lagged(missed),
                    Err(TryRecvError::Closed) => break true,
                }
            };
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            if let Some(session) = self.behind.pop_front() {
                self.pull(&session);
                continue;
            }
            if closed {
                return None;
            }
            match self.rx.recv().await {
                Ok(wire) => self.take(wire),
                Err(RecvError::Lagged(missed)) => self.lagged(missed),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn take(&mut self, wire: Wire) {
        match wire {
            Wire::Output(session) => {
                if self.output && !self.behind.contains(&session) {
                    self.behind.push_back(session);
                }
            }
            Wire::Event(e) => {
                if let Event::SessionExited { session, .. } = e.as_ref() {
                    if self.output {
                        // All its output first: nothing comes after the exit.
                        let session = session.clone();
                        while self.pull(&session) {}
                    }
                }
                self.queue.push_back(Frame::Event(e));
            }
        }
    }

    /// Events were lost (this subscriber did not read for a long while):
    /// output is still all there; say that the rest may not be.
    fn lagged(&mut self, missed: u64) {
        if self.output {
            for s in self.outputs.sessions() {
                if !self.behind.contains(&s) {
                    self.behind.push_back(s);
                }
            }
        }
        self.queue.push_back(Frame::Event(Box::new(Event::Problem {
            session: None,
            message: format!(
                "this window fell behind and missed {missed} updates; reload to catch up"
            ),
        })));
    }

    /// Reads the next frame of a session's output into the queue, if there
    /// is one (then true, and the session is looked at again after it).
    fn pull(&mut self, session: &str) -> bool {
        let Some(sb) = self.outputs.get(session) else {
            return false;
        };
        let from = self.offsets.get(session).copied().unwrap_or(0);
        let head_len = output_frame_head_len(session);
        let (frame, start) = match sb.lock() {
            Ok(mut s) => {
                let (frame, start) = s.since_after(from, MAX_FRAME, |start, len| {
                    output_frame_head(session, start, len)
                });
                s.follow(self.id, start + (frame.len() - head_len) as u64);
                (frame, start)
            }
            Err(_) => return false,
        };
        let len = frame.len() - head_len;
        if len == 0 {
            return false;
        }
        self.offsets.insert(session.to_string(), start + len as u64);
        self.queue.push_back(Frame::Output(Output {
            session: session.to_string(),
            offset: start,
            frame,
        }));
        if !self.behind.iter().any(|s| s == session) {
            self.behind.push_back(session.to_string());
        }
        true
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.output {
            self.outputs.leave(self.id);
        }
    }
}
