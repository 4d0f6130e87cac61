//! # airlock-proxy
//!
//! The network half of the `model-only` mode. Landlock (see `airlock-sandbox`)
//! lets a confined session open TCP connections to one port only; this crate
//! is what listens there: a small HTTP proxy on `127.0.0.1` that lets through
//! only the hosts the session's policy names (by default the model APIs) and
//! refuses everything else with an HTTP answer that says why. The agent finds
//! it through `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY` ([`Proxy::env`]).
//!
//! ## The main types
//!
//! - [`HostRule`]: one allowed destination, parsed from a string:
//!   `api.anthropic.com`, `*.googleapis.com` (subdomains only), optionally with
//!   a port (`127.0.0.1:8080`, `[::1]:443`). [`RuleError`] says what is wrong
//!   with a malformed rule.
//! - [`Proxy`]: one running proxy for one session. [`Proxy::start`] binds
//!   `127.0.0.1:0` and serves in a tokio task; [`Proxy::port`] is the port to
//!   give Landlock and the agent. Dropping it (or [`Proxy::shutdown`]) closes
//!   the listener and every tunnel it carries.
//! - [`Options`]: where events go, the timeouts and the connection cap.
//! - [`ProxyEvent`]: one per request: [`Allowed`](ProxyEvent::Allowed),
//!   [`Blocked`](ProxyEvent::Blocked), [`Failed`](ProxyEvent::Failed) or
//!   [`Rejected`](ProxyEvent::Rejected), sent on an unbounded channel the
//!   caller passes in. The counters ([`Proxy::allowed`], [`Proxy::blocked`],
//!   [`Proxy::last_blocked`]) can be read at any time without the channel.
//!
//! ## What it speaks
//!
//! - `CONNECT host:port HTTP/1.1` (what clients send for `https://` URLs): if
//!   allowed and the upstream answers, the reply is `200 Connection
//!   established` and the two connections are spliced until either side ends.
//! - Absolute-form requests (`GET http://host:port/path HTTP/1.1`, what clients
//!   send for `http://` URLs): the request line is rewritten to origin-form
//!   (`GET /path HTTP/1.1`), `Host` is set from the URL, `Proxy-Authorization`
//!   and `Proxy-Connection` are dropped, and the head plus the rest of the
//!   stream go to the upstream. A client connection gets **one** upstream: the
//!   forwarded request carries `Connection: close` (unless the client asks to
//!   upgrade), so a keep-alive client sees the connection close after the
//!   first response and opens a new one for its next request, which is then
//!   checked afresh.
//! - Everything else is refused with `Connection: close` and a one-line plain
//!   text body: 400 for malformed requests and for origin-form requests (the
//!   client did not know it was talking to a proxy), 403 for a host not
//!   allowed, 405 for a bare `host:port` or `*` target with a method other
//!   than CONNECT, 431 for a head over 16 KiB, 502 when the upstream cannot be
//!   resolved or reached (with the error), 504 when connecting takes longer
//!   than [`Options::connect_timeout`] (10 s). A client that has not sent a
//!   whole request head within [`Options::head_timeout`] (30 s) is closed
//!   without an answer.
//!
//! ## Limits (what this does not protect against)
//!
//! - The proxy decides on the host named in the CONNECT line (or the URL). It
//!   does not look inside the TLS handshake, so a client may name an allowed
//!   host and then send another name in its TLS SNI: the bytes still go only
//!   to the allowed host's address, but a server that fronts several domains
//!   (a CDN) could serve the other one. Domain fronting is not prevented.
//! - Upstream names are resolved with the system resolver
//!   (`tokio::net::lookup_host`) and its answer is trusted: a rule for a name
//!   whose DNS points at a private or loopback address lets the session reach
//!   that address. A rule for `127.0.0.1` without a port opens every loopback
//!   port, the proxy's own included.
//! - Only TCP through this proxy is covered. Landlock filters TCP by port
//!   only and does not filter UDP at all (so plain DNS queries and QUIC leave
//!   the session unfiltered), and Unix sockets are not network rules.
//! - Address families are tried in the order the resolver returns them, one
//!   after the other, within the one connect timeout; there is no Happy
//!   Eyeballs racing.
//! - Once a tunnel is open nothing more is checked and there is no idle
//!   timeout (model APIs stream for minutes); it lasts until either side
//!   closes or the proxy is dropped.
//! - At most [`Options::max_connections`] client connections are served at
//!   once (each holds two descriptors in the engine's process); further ones
//!   wait in the listen backlog.

#![deny(missing_docs)]

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

mod connection;
mod request;
mod rule;

pub use rule::{HostRule, RuleError};

/// What happened to one client request. Hosts are written as in a URL: a
/// lower-case name, an IPv4 address, or an IPv6 address in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyEvent {
    /// A rule allowed the destination and the upstream connection is open.
    Allowed {
        /// The host the client named.
        host: String,
        /// The port the client named.
        port: u16,
    },
    /// No rule allows the destination; the client got a 403.
    Blocked {
        /// The host the client named.
        host: String,
        /// The port the client named.
        port: u16,
        /// Why it was refused.
        reason: BlockReason,
    },
    /// A rule allowed the destination but it could not be reached; the client
    /// got a 502 or, on a timeout, a 504.
    Failed {
        /// The host the client named.
        host: String,
        /// The port the client named.
        port: u16,
        /// The HTTP status the client got (502 or 504).
        status: u16,
        /// What went wrong, as told to the client.
        error: String,
    },
    /// The request was not one the proxy serves (malformed, not a proxy
    /// request, head too large); no host was checked.
    Rejected {
        /// The HTTP status the client got (400, 405 or 431).
        status: u16,
        /// Why, as told to the client.
        reason: String,
    },
}

/// Why a destination was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// No [`HostRule`] of this proxy matches the host and port.
    NotAllowed,
}

impl std::fmt::Display for BlockReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockReason::NotAllowed => f.write_str("not among this session's allowed hosts"),
        }
    }
}

/// How a [`Proxy`] runs. `Options::default()` is what a session uses; tests
/// shorten the timeouts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where [`ProxyEvent`]s go; `None` keeps only the counters. Sends to a
    /// receiver that is gone are ignored.
    pub events: Option<UnboundedSender<ProxyEvent>>,
    /// The network mode named in a 403's body, so the user knows which
    /// setting refused ("model-only").
    pub network: String,
    /// How long a client has to send a whole request head before it is closed
    /// (30 s).
    pub head_timeout: Duration,
    /// How long resolving and connecting to the upstream may take before the
    /// client gets a 504 (10 s).
    pub connect_timeout: Duration,
    /// How many client connections are served at once (128); at least one.
    pub max_connections: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            events: None,
            network: "model-only".to_owned(),
            head_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_connections: 128,
        }
    }
}

/// A running proxy for one session, listening on `127.0.0.1:`[`port`](Proxy::port).
///
/// Dropping it aborts the task that owns the listener and every client
/// connection, so the listener and all tunnels close as soon as the runtime
/// gets to that task (almost at once, but not before `drop` returns);
/// [`Proxy::shutdown`] waits for it.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1` with an ephemeral port that allows the
    /// destinations `rules` match, with default [`Options`] (no event
    /// channel). Must be called within a tokio runtime.
    pub async fn start(rules: Vec<HostRule>) -> io::Result<Proxy> {
        Proxy::start_with(rules, Options::default()).await
    }

    /// Starts a proxy as [`Proxy::start`] does, with the given [`Options`].
    pub async fn start_with(rules: Vec<HostRule>, options: Options) -> io::Result<Proxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let limit = options.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        let shared = Arc::new(Shared {
            rules,
            options,
            allowed: AtomicU64::new(0),
            blocked: AtomicU64::new(0),
            open: AtomicUsize::new(0),
            last_blocked: Mutex::new(None),
        });
        let task = tokio::spawn(serve(
            listener,
            Arc::clone(&shared),
            Arc::new(Semaphore::new(limit)),
        ));
        Ok(Proxy { addr, shared, task })
    }

    /// The port the proxy listens on, on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment that points an agent at this proxy: `HTTPS_PROXY`,
    /// `HTTP_PROXY` and `ALL_PROXY` in upper and lower case, and `NO_PROXY`
    /// / `no_proxy` set empty, so that an inherited `NO_PROXY=localhost,…`
    /// does not send a client around the proxy into a Landlock refusal with
    /// no explanation; through the proxy it gets a 403 that says why.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let url = self.url();
        let mut env: Vec<(&'static str, String)> = [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .into_iter()
        .map(|name| (name, url.clone()))
        .collect();
        env.push(("NO_PROXY", String::new()));
        env.push(("no_proxy", String::new()));
        env
    }

    /// The rules this proxy was started with.
    pub fn rules(&self) -> &[HostRule] {
        &self.shared.rules
    }

    /// How many destinations were allowed and reached since the start.
    pub fn allowed(&self) -> u64 {
        self.shared.allowed.load(Ordering::Relaxed)
    }

    /// How many requests were blocked (403) since the start.
    pub fn blocked(&self) -> u64 {
        self.shared.blocked.load(Ordering::Relaxed)
    }

    /// The host and port of the most recent blocked request, if any (host as
    /// in [`ProxyEvent`]).
    pub fn last_blocked(&self) -> Option<(String, u16)> {
        self.shared
            .last_blocked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many client connections are open now (reading a head, answering,
    /// or tunnelling).
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::Relaxed)
    }

    /// Stops the proxy and waits until the listener and every connection are
    /// closed.
    pub async fn shutdown(mut self) {
        self.task.abort();
        // The task never panics, and cancellation is what was asked for.
        let _ = (&mut self.task).await;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the accept loop and every connection share: the policy, the options
/// and the counters. Nothing here is locked across an `.await`.
#[derive(Debug)]
struct Shared {
    rules: Vec<HostRule>,
    options: Options,
    allowed: AtomicU64,
    blocked: AtomicU64,
    open: AtomicUsize,
    last_blocked: Mutex<Option<(String, u16)>>,
}

impl Shared {
    fn emit(&self, event: ProxyEvent) {
        if let Some(events) = &self.options.events {
            // The receiver may be gone; the counters still tell.
            let _ = events.send(event);
        }
    }
}

/// Counts an open client connection for as long as it lives, however its
/// task ends (finished or aborted).
struct OpenConnection {
    shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
}

impl OpenConnection {
    fn new(shared: Arc<Shared>, permit: OwnedSemaphorePermit) -> OpenConnection {
        shared.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection {
            shared,
            _permit: permit,
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.shared.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The accept loop. It owns every connection task in a `JoinSet`, so aborting
/// this task (dropping the [`Proxy`]) drops the listener and aborts them all.
async fn serve(listener: TcpListener, shared: Arc<Shared>, limit: Arc<Semaphore>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next() => {}
            accepted = accept(&listener, &limit) => {
                if let Some((stream, permit)) = accepted {
                    let open = OpenConnection::new(Arc::clone(&shared), permit);
                    connections.spawn(connection::handle(stream, open));
                }
            }
        }
    }
}

/// Waits for a free connection slot, then for a client.
async fn accept(
    listener: &TcpListener,
    limit: &Arc<Semaphore>,
) -> Option<(tokio::net::TcpStream, OwnedSemaphorePermit)> {
    let permit = Arc::clone(limit).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => Some((stream, permit)),
        Err(_) => {
            // Out of descriptors or a connection aborted before accept: the
            // listener is still fine; pause so a persistent error does not spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}
