//! One client connection: read the head, decide, connect, splice.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::request::{self, HeadError, Refusal, Request, Status, MAX_HEAD};
use crate::rule::Host;
use crate::{BlockReason, OpenConnection, ProxyEvent, Shared};

/// After a refusal, how long and how much of the client's unread input is
/// drained before closing: closing a socket with unread input sends a reset,
/// which can destroy the answer before the client reads it.
const DRAIN_TIME: Duration = Duration::from_secs(1);
const DRAIN_BYTES: usize = 64 * 1024;

pub(crate) async fn handle(mut client: TcpStream, open: OpenConnection) {
    let shared: &Shared = &open.shared;
    // Latency matters more than packet count for interactive streams; a
    // failure here only costs a little latency.
    let _ = client.set_nodelay(true);

    let head = tokio::time::timeout(
        shared.options.head_timeout,
        request::read_head(&mut client, MAX_HEAD),
    )
    .await;
    let (head, early) = match head {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge)) => {
            let refusal = Refusal::new(
                Status::HeadTooLarge,
                format!(
                    "the request head is larger than {} KiB, the most Airlock's proxy reads",
                    MAX_HEAD / 1024
                ),
            );
            return reject(client, shared, refusal).await;
        }
        // Silent, gone or broken clients get no answer.
        Err(_) | Ok(Err(HeadError::Closed)) => return,
    };

    let request = match request::parse(&head) {
        Ok(request) => request,
        Err(refusal) => return reject(client, shared, refusal).await,
    };
    let (host, port) = request.destination();
    if !shared.rules.iter().any(|rule| rule.allows(host, port)) {
        return block(client, shared, host, port).await;
    }

    let mut upstream = match connect(host, port, shared.options.connect_timeout).await {
        Ok(upstream) => upstream,
        Err(refusal) => {
            shared.emit(ProxyEvent::Failed {
                host: host.to_string(),
                port,
                status: refusal.status.code(),
                error: refusal.why.clone(),
            });
            return refuse(client, &refusal).await;
        }
    };
    let _ = upstream.set_nodelay(true);
    shared.allowed.fetch_add(1, Ordering::Relaxed);
    shared.emit(ProxyEvent::Allowed {
        host: host.to_string(),
        port,
    });

    let sent = match &request {
        Request::Connect { .. } => client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_ok(),
        Request::Forward { head, .. } => upstream.write_all(head).await.is_ok(),
    };
    if !sent || upstream.write_all(&early).await.is_err() {
        return;
    }
    // Ends when both sides have closed or one fails; either way the tunnel is
    // over and there is no one left to tell.
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

async fn reject(client: TcpStream, shared: &Shared, refusal: Refusal) {
    shared.emit(ProxyEvent::Rejected {
        status: refusal.status.code(),
        reason: refusal.why.clone(),
    });
    refuse(client, &refusal).await;
}

async fn block(client: TcpStream, shared: &Shared, host: &Host, port: u16) {
    let shown = host.to_string();
    shared.blocked.fetch_add(1, Ordering::Relaxed);
    *shared
        .last_blocked
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some((shown.clone(), port));
    shared.emit(ProxyEvent::Blocked {
        host: shown.clone(),
        port,
        reason: BlockReason::NotAllowed,
    });
    let refusal = Refusal::new(
        Status::Forbidden,
        format!(
            "blocked by Airlock: {shown}:{port} is {} (network: {})",
            BlockReason::NotAllowed,
            shared.options.network
        ),
    );
    refuse(client, &refusal).await;
}

/// Sends the refusal, then drains what the client still sends for a moment so
/// that closing does not reset the connection before the answer is read.
async fn refuse(mut client: TcpStream, refusal: &Refusal) {
    if client.write_all(&refusal.response()).await.is_err() || client.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < DRAIN_BYTES {
            match client.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(read) => drained += read,
            }
        }
    };
    // Running out of time is the normal end for a client that keeps the
    // connection open.
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}

/// Resolves and connects to the upstream within `limit`; the refusal is a 502
/// for an error and a 504 for running out of time.
async fn connect(host: &Host, port: u16, limit: Duration) -> Result<TcpStream, Refusal> {
    let attempt = async {
        let addrs: Vec<SocketAddr> = match host {
            Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
            Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
                .await
                .map_err(|err| {
                    Refusal::new(
                        Status::BadGateway,
                        format!("Airlock could not resolve {name}: {err}"),
                    )
                })?
                .collect(),
        };
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(err) => last = Some(format!("{addr}: {err}")),
            }
        }
        let why = last.unwrap_or_else(|| "the name has no address".to_owned());
        Err(Refusal::new(
            Status::BadGateway,
            format!("Airlock could not reach {host}:{port}: {why}"),
        ))
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(result) => result,
        Err(_) => Err(Refusal::new(
            Status::GatewayTimeout,
            format!(
                "Airlock gave up connecting to {host}:{port} after {} s",
                limit.as_secs_f32()
            ),
        )),
    }
}
