//! The engine's gate socket: it takes each gated session's seccomp listener
//! (with the session's one-time token) and starts that session's thread.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use airlock_sandbox::{ExecGate, ExecListener};

use super::{Ctx, Handle, SessionGate, Shared};

struct Waiting {
    ctx: Ctx,
    shared: Arc<Shared>,
    stop: UnixStream,
}

/// The engine's gate socket: takes each session's listener and starts its thread.
pub(in crate::engine) struct GateServer {
    socket: PathBuf,
    waiting: Arc<Mutex<HashMap<String, Waiting>>>,
    stopped: Arc<AtomicBool>,
}

impl GateServer {
    /// Binds `socket` (private to the user) and starts taking hand-overs.
    pub(in crate::engine) fn start(socket: PathBuf) -> io::Result<GateServer> {
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
        let waiting: Arc<Mutex<HashMap<String, Waiting>>> = Default::default();
        let stopped = Arc::new(AtomicBool::new(false));
        let (w, s) = (waiting.clone(), stopped.clone());
        std::thread::Builder::new()
            .name("exec-gate-accept".into())
            .spawn(move || accept_loop(listener, w, s))?;
        Ok(GateServer {
            socket,
            waiting,
            stopped,
        })
    }

    /// Registers a session about to start: the spec its entry hands over
    /// with, and the actor's handle.
    pub(in crate::engine) fn register(&self, ctx: Ctx) -> io::Result<(ExecGate, Handle)> {
        let token = crate::home::random_token();
        let (mine, theirs) = UnixStream::pair()?;
        let shared = Arc::new(Shared::default());
        if let Ok(mut w) = self.waiting.lock() {
            // A session that never handed over (its start failed) is forgotten here.
            w.retain(|_, v| v.ctx.session != ctx.session);
            w.insert(
                token.clone(),
                Waiting {
                    ctx,
                    shared: shared.clone(),
                    stop: theirs,
                },
            );
        }
        Ok((
            ExecGate {
                socket: self.socket.clone(),
                token,
            },
            Handle {
                shared,
                _stop: mine,
            },
        ))
    }
}

impl Drop for GateServer {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = UnixStream::connect(&self.socket);
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// How many hand-overs may be read at once. A connection that sends
/// nothing holds its slot for the hand-over's 5 s read timeout at most.
const HAND_OVERS: usize = 16;

fn accept_loop(
    listener: UnixListener,
    waiting: Arc<Mutex<HashMap<String, Waiting>>>,
    stopped: Arc<AtomicBool>,
) {
    let busy = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        // Each hand-over in its own thread: one that stalls (a process that
        // connected and said nothing) does not hold up the next session.
        if busy.fetch_add(1, Ordering::AcqRel) >= HAND_OVERS {
            busy.fetch_sub(1, Ordering::AcqRel);
            let _ = airlock_sandbox::answer_hand_over(&conn, Some("the exec gate is busy; retry"));
            continue;
        }
        let (waiting, done) = (waiting.clone(), busy.clone());
        let spawned = std::thread::Builder::new()
            .name("exec-gate-hand-over".into())
            .spawn(move || {
                take_hand_over(&conn, &waiting);
                done.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            busy.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads one session's hand-over and starts its gate thread.
fn take_hand_over(conn: &UnixStream, waiting: &Mutex<HashMap<String, Waiting>>) {
    let (token, pid, fd) = match airlock_sandbox::accept_hand_over(conn) {
        Ok(h) => h,
        Err(e) => {
            let _ = airlock_sandbox::answer_hand_over(conn, Some(&e.to_string()));
            return;
        }
    };
    let found = waiting.lock().ok().and_then(|mut w| w.remove(&token));
    let Some(w) = found else {
        let _ = airlock_sandbox::answer_hand_over(conn, Some("unknown or used token"));
        return;
    };
    let gate = SessionGate::new(w.ctx, w.shared, pid);
    let listener = Arc::new(ExecListener::new(fd));
    let started = std::thread::Builder::new().name("exec-gate".into()).spawn({
        let listener = listener.clone();
        move || gate.run(&listener, w.stop)
    });
    let refusal = started.err().map(|e| format!("cannot start the gate: {e}"));
    let _ = airlock_sandbox::answer_hand_over(conn, refusal.as_deref());
}
