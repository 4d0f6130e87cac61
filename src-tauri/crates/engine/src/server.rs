//! The engine's local sockets: how the CLI reaches a running engine, and
//! (on the agents' own socket, described below) how agents' hooks do.
//!
//! The socket lives in the project's state folder (`0700`), is itself `0600`,
//! and every line must carry the engine's token, which only the engine's
//! `engine.json` (`0600`) holds. One JSON object per line each way:
//!
//! ```text
//! → {"token":"…","request":{"op":"status"}}
//! ← {"ok":{"type":"status",…}}            or {"error":{"code":"…","message":"…"}}
//! → {"token":"…","subscribe":true}
//! ← {"type":"changeProposed",…}            one event per line until the client leaves
//! ```
//!
//! Agents have a door of their own, `hook.sock` beside it: a session's hook
//! asks there about its own actions (`gate`, `turn`, with the session's
//! token) and nothing else is served there. It is the only one of the two a
//! sandboxed session can reach (its view of Airlock's data folder shows it
//! that socket and hides `engine.sock`), so a hostile session cannot even
//! connect where decisions are made, and what it can make the engine hold
//! is bounded: at most [`MAX_CONNECTIONS`] open connections, a first line
//! within [`FIRST_LINE`], and [`MAX_INFLIGHT_BYTES`] of partly read lines.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airlock_protocol::{ErrorCode, IpcError, Reply, Request};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::error::{EngineError, IoContext, Result};
use crate::home::ProjectHome;

pub use crate::client::{Client, EventStream};

/// What a running engine leaves in `engine.json` for its front ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The engine's process.
    pub pid: u32,
    /// The project.
    pub project: String,
    /// The socket.
    pub socket: String,
    /// The token every request must carry.
    pub token: String,
    /// The browser URL (with token), when `airlock serve` runs it.
    pub url: Option<String>,
}

/// One line from a socket client.
#[derive(Debug, Serialize, Deserialize)]
pub struct SocketRequest {
    /// The engine's token.
    pub token: String,
    /// An operation.
    #[serde(default)]
    pub request: Option<Request>,
    /// Ask for the event stream instead.
    #[serde(default)]
    pub subscribe: bool,
    /// An agent's gate asking (with the session's token, not the engine's).
    #[serde(default)]
    pub gate: Option<airlock_protocol::GateRequest>,
    /// An agent saying its turn ended (with the session's token).
    #[serde(default)]
    pub turn: Option<airlock_protocol::TurnReport>,
}

/// The socket server; dropping it stops accepting and removes the socket.
pub struct SocketServer {
    task: JoinHandle<()>,
    socket: PathBuf,
    hook_socket: PathBuf,
    info: PathBuf,
}

impl Drop for SocketServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_file(&self.hook_socket);
        let _ = std::fs::remove_file(&self.info);
    }
}

impl SocketServer {
    /// Binds the engine's socket and writes `engine.json`. Fails if another
    /// engine already answers for this project.
    pub async fn start(engine: Engine, url: Option<String>) -> Result<SocketServer> {
        let ph = engine.project_home().clone();
        let socket = ph.socket();
        if socket.exists() {
            if UnixStream::connect(&socket).await.is_ok() {
                let pid = read_info(&ph)
                    .map(|i| i.pid.to_string())
                    .unwrap_or_else(|_| "?".into());
                return Err(EngineError::BadRequest(format!(
                    "an Airlock engine (pid {pid}) is already running for {}; use it, or stop it first",
                    engine.project().display()
                )));
            }
            std::fs::remove_file(&socket)
                .context(|| format!("remove stale {}", socket.display()))?;
        }
        let listener = bind_private(&socket)?;
        let hook_socket = ph.hook_socket();
        let _ = std::fs::remove_file(&hook_socket);
        let hook_listener = bind_private(&hook_socket)?;
        let info = EngineInfo {
            pid: std::process::id(),
            project: engine.project().display().to_string(),
            socket: socket.display().to_string(),
            token: engine.token().to_string(),
            url,
        };
        write_info(&ph, &info)?;
        // One task serves both doors: aborting it stops both.
        let task = tokio::spawn(async move {
            let user = accept(
                engine.clone(),
                listener,
                Door::User,
                Limits::new(tokio::sync::Semaphore::MAX_PERMITS, u64::MAX),
            );
            let agents = accept(
                engine,
                hook_listener,
                Door::Agents,
                Limits::new(MAX_CONNECTIONS, MAX_INFLIGHT_BYTES),
            );
            tokio::join!(user, agents);
        });
        Ok(SocketServer {
            task,
            socket,
            hook_socket,
            info: ph.info(),
        })
    }
}

/// Binds a Unix socket only the user may connect to.
fn bind_private(socket: &Path) -> Result<UnixListener> {
    let listener = UnixListener::bind(socket).context(|| format!("bind {}", socket.display()))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .context(|| format!("chmod {}", socket.display()))?;
    Ok(listener)
}

/// Which socket a client came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    /// `engine.sock`: the user's CLI and tools, with the engine's token.
    User,
    /// `hook.sock`: agents' hooks, with their session's token, about their
    /// own actions only.
    Agents,
}

/// Serves every client of one socket, within its limits.
async fn accept(engine: Engine, listener: UnixListener, door: Door, limits: Limits) {
    while let Ok((stream, _)) = listener.accept().await {
        match limits.connections.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(serve_client(
                    engine.clone(),
                    stream,
                    door,
                    limits.clone(),
                    permit,
                ));
            }
            Err(_) => {
                tokio::spawn(refuse(stream));
            }
        }
    }
}

/// The longest line a client may send: a gated write carries the whole file
/// it would write, so this is generous, but a line is read into memory before
/// its token is checked, so it is bounded.
pub const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// How many connections the agents' socket holds open at once.
pub const MAX_CONNECTIONS: usize = 256;

/// How many bytes of lines not yet whole all connections may hold at once.
pub const MAX_INFLIGHT_BYTES: u64 = 256 * 1024 * 1024;

/// How long a new connection may take to send its first line.
pub const FIRST_LINE: Duration = Duration::from_secs(10);

/// What the socket's clients share: connection permits and the budget of
/// bytes being read.
#[derive(Clone)]
struct Limits {
    connections: Arc<tokio::sync::Semaphore>,
    inflight: Arc<AtomicU64>,
    max_inflight: u64,
}

impl Limits {
    fn new(connections: usize, max_inflight: u64) -> Limits {
        Limits {
            connections: Arc::new(tokio::sync::Semaphore::new(connections)),
            inflight: Arc::new(AtomicU64::new(0)),
            max_inflight,
        }
    }
}

/// Bytes of one line counted against [`Limits::inflight`] while it is read.
struct Held<'a> {
    inflight: &'a AtomicU64,
    bytes: u64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.inflight.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// Tells a connection over the limit why, and closes it.
async fn refuse(stream: UnixStream) {
    let (_, mut write) = stream.into_split();
    let refused = Reply::Error(IpcError::new(
        ErrorCode::Unavailable,
        format!("too many connections to the agents' socket ({MAX_CONNECTIONS} open); close some and retry"),
    ));
    let _ = write_line(&mut write, &refused).await;
}

/// Reads one line of at most [`MAX_LINE_BYTES`]; `Err` with what to say when
/// it is longer or the engine already holds [`Limits::inflight`]'s worth of
/// partial lines, `Ok(None)` at the end of the stream.
async fn read_line_capped(
    reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    limits: &Limits,
) -> std::result::Result<Option<String>, String> {
    let mut buf = Vec::new();
    let mut held = Held {
        inflight: &limits.inflight,
        bytes: 0,
    };
    loop {
        let chunk = reader
            .fill_buf()
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if chunk.is_empty() {
            if buf.is_empty() {
                return Ok(None);
            }
            break;
        }
        let (take, whole) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if (buf.len() + take) as u64 > MAX_LINE_BYTES + 1 {
            return Err(format!(
                "request too large: a line may hold at most {} MiB",
                MAX_LINE_BYTES / (1024 * 1024)
            ));
        }
        let before = limits.inflight.fetch_add(take as u64, Ordering::AcqRel);
        held.bytes += take as u64;
        if before + take as u64 > limits.max_inflight {
            return Err(
                "the engine is busy reading other large requests; retry in a moment".to_string(),
            );
        }
        buf.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if whole {
            break;
        }
    }
    drop(held);
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| "malformed request: not UTF-8".to_string())
}

/// The next request line; an agent's first must come within [`FIRST_LINE`].
async fn next_line(
    reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    limits: &Limits,
    first: bool,
) -> std::result::Result<Option<String>, String> {
    let read = read_line_capped(reader, limits);
    if !first {
        return read.await;
    }
    tokio::time::timeout(FIRST_LINE, read)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no request within {} s; connect when there is one to send",
                FIRST_LINE.as_secs()
            ))
        })
}

async fn serve_client(
    engine: Engine,
    stream: UnixStream,
    door: Door,
    limits: Limits,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut first = door == Door::Agents;
    loop {
        let read = next_line(&mut reader, &limits, std::mem::take(&mut first)).await;
        let line = match read {
            Ok(Some(line)) => line,
            Ok(None) => return,
            Err(why) => {
                // Say why, then hang up: the rest of that line is not read.
                let refused = Reply::Error(IpcError::new(ErrorCode::BadRequest, why));
                let _ = write_line(&mut write, &refused).await;
                return;
            }
        };
        let reply = match serde_json::from_str::<SocketRequest>(&line) {
            Err(e) => Reply::Error(IpcError::new(
                ErrorCode::BadRequest,
                format!("malformed request: {e}"),
            )),
            Ok(SocketRequest {
                token,
                gate: Some(gate),
                ..
            }) => {
                // The actor checks the session's own token.
                let answer = engine.gate(&token, gate).await;
                if write_line(&mut write, &answer).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(SocketRequest {
                token,
                turn: Some(turn),
                ..
            }) => match engine.turn_ended(&token, turn).await {
                Ok(()) => Reply::Ok(airlock_protocol::Response::Done),
                Err(e) => Reply::Error(e),
            },
            Ok(_) if door == Door::Agents => Reply::Error(IpcError::new(
                ErrorCode::Unauthorized,
                "this is the agents' socket: it answers a session's questions about its own actions (gate, turn) and nothing else",
            )),
            Ok(req) if !crate::home::token_matches(&req.token, engine.token()) => Reply::Error(IpcError::new(
                ErrorCode::Unauthorized,
                "wrong token: the engine was restarted; run the command again",
            )),
            Ok(req) if req.subscribe => {
                let mut events = engine.subscribe();
                while let Some(event) = events.next().await {
                    if write_line(&mut write, &event).await.is_err() {
                        return;
                    }
                }
                return;
            }
            Ok(SocketRequest {
                request: Some(request),
                ..
            }) => engine.call(request).await.into(),
            Ok(_) => Reply::Error(IpcError::new(
                ErrorCode::BadRequest,
                "a request needs `request` or `subscribe`",
            )),
        };
        if write_line(&mut write, &reply).await.is_err() {
            return;
        }
    }
}

pub(crate) async fn write_line<T: Serialize>(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    value: &T,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await
}

/// Writes `engine.json` (`0600`).
pub fn write_info(ph: &ProjectHome, info: &EngineInfo) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(info)
        .map_err(|e| EngineError::Internal(format!("engine info: {e}")))?;
    crate::fsx::atomic_write(&ph.info(), &bytes, 0o600)
}

/// Reads `engine.json`.
pub fn read_info(ph: &ProjectHome) -> Result<EngineInfo> {
    let bytes = std::fs::read(ph.info()).context(|| format!("read {}", ph.info().display()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| EngineError::BadRequest(format!("{} is damaged: {e}", ph.info().display())))
}
