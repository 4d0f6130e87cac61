//! Helpers for the proxy tests: starting a proxy with an event channel, raw
//! clients, mock upstreams on 127.0.0.1, the real `curl`, and waiting.

use std::time::Duration;

use airlock_proxy::{HostRule, Options, Proxy, ProxyEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::time::timeout;

/// Long enough for a loaded CI machine, short enough that a hang fails fast.
pub const PATIENCE: Duration = Duration::from_secs(10);

fn rules(texts: &[String]) -> Vec<HostRule> {
    texts
        .iter()
        .map(|text| HostRule::parse(text).expect("test rules are valid"))
        .collect()
}

pub async fn start(texts: &[String], options: Options) -> (Proxy, UnboundedReceiver<ProxyEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let options = Options {
        events: Some(tx),
        ..options
    };
    let proxy = Proxy::start_with(rules(texts), options)
        .await
        .expect("the proxy starts");
    (proxy, rx)
}

pub async fn next_event(events: &mut UnboundedReceiver<ProxyEvent>) -> ProxyEvent {
    timeout(PATIENCE, events.recv())
        .await
        .expect("an event arrives in time")
        .expect("the proxy is still running")
}

/// Sends `request` to the proxy and reads until the proxy closes.
pub async fn exchange(port: u16, request: &[u8]) -> String {
    let mut client = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the proxy accepts");
    client
        .write_all(request)
        .await
        .expect("the request is sent");
    let mut answer = Vec::new();
    timeout(PATIENCE, client.read_to_end(&mut answer))
        .await
        .expect("the proxy answers and closes in time")
        .expect("the answer is read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Reads until the end of an HTTP head, returning everything read.
pub async fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        let read = timeout(PATIENCE, stream.read(&mut byte))
            .await
            .expect("the head arrives in time")
            .expect("the head is read");
        assert_eq!(read, 1, "closed mid-head after {got:?}");
        got.push(byte[0]);
    }
    got
}

/// An upstream that accepts one connection and echoes every byte.
pub async fn echo_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let (mut read, mut write) = stream.split();
            let _ = tokio::io::copy(&mut read, &mut write).await;
        }
    });
    port
}

/// An HTTP upstream: for each connection it reads one request (head plus a
/// `Content-Length` body), reports the bytes, answers `ok` and closes.
pub async fn http_upstream() -> (u16, UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut got = read_head(&mut stream).await;
            let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            stream
                .read_exact(&mut body)
                .await
                .expect("the body arrives");
            got.extend_from_slice(&body);
            let _ = tx.send(got);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await;
        }
    });
    (port, rx)
}

/// A port nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Runs curl quietly with no proxy settings of its own; returns its exit code,
/// stdout and stderr.
pub async fn curl(args: &[&str]) -> (Option<i32>, String, String) {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            // -q first: ignore any ~/.curlrc.
            .args(["-q", "-sS", "--max-time", "10", "--noproxy", ""])
            .args(&args)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
    })
    .await
    .expect("join")
    .expect("curl runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
