//! The proxy over real loopback sockets: a mock upstream on 127.0.0.1, the
//! proxy in front of it, and raw clients (and the real `curl`, when present).
//! Nothing here leaves 127.0.0.1.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use airlock_proxy::{BlockReason, Options, Proxy, ProxyEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use support::{
    closed_port, curl, echo_upstream, exchange, http_upstream, next_event, read_head, start,
    wait_until, PATIENCE,
};

#[tokio::test]
async fn connect_tunnels_bytes_both_ways() {
    let upstream = echo_upstream().await;
    let (proxy, mut events) = start(&[format!("127.0.0.1:{upstream}")], Options::default()).await;

    let mut client = TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .expect("connect");
    // Bytes sent right behind the head (as a TLS client may) are not lost.
    let request = format!("CONNECT 127.0.0.1:{upstream} HTTP/1.1\r\nHost: x\r\n\r\nearly ");
    client.write_all(request.as_bytes()).await.expect("send");
    assert_eq!(
        read_head(&mut client).await,
        b"HTTP/1.1 200 Connection established\r\n\r\n"
    );
    client.write_all(b"ping").await.expect("send");
    let mut echoed = [0u8; 10];
    timeout(PATIENCE, client.read_exact(&mut echoed))
        .await
        .expect("echo in time")
        .expect("echo");
    assert_eq!(&echoed, b"early ping");

    assert_eq!(
        next_event(&mut events).await,
        ProxyEvent::Allowed {
            host: "127.0.0.1".into(),
            port: upstream
        }
    );
    assert_eq!((proxy.allowed(), proxy.blocked()), (1, 0));
    assert_eq!(proxy.open_connections(), 1);

    // Closing our side ends the tunnel and frees the connection.
    client.shutdown().await.expect("shutdown");
    let mut rest = Vec::new();
    timeout(PATIENCE, client.read_to_end(&mut rest))
        .await
        .expect("the tunnel ends in time")
        .expect("read");
    wait_until("the tunnel's task ends", || proxy.open_connections() == 0).await;
}

#[tokio::test]
async fn absolute_form_is_forwarded_in_origin_form_with_its_body() {
    let (upstream, mut requests) = http_upstream().await;
    let (proxy, mut events) = start(&[format!("127.0.0.1:{upstream}")], Options::default()).await;

    let answer = exchange(
        proxy.port(),
        format!(
            "POST http://127.0.0.1:{upstream}/v1/messages?beta=1 HTTP/1.1\r\n\
             Host: somewhere.else\r\nProxy-Authorization: Basic eDp5\r\n\
             Proxy-Connection: Keep-Alive\r\nContent-Type: text/plain\r\n\
             Content-Length: 11\r\n\r\nhello world"
        )
        .as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");

    let got = timeout(PATIENCE, requests.recv())
        .await
        .expect("in time")
        .expect("a request");
    assert_eq!(
        String::from_utf8_lossy(&got),
        format!(
            "POST /v1/messages?beta=1 HTTP/1.1\r\nHost: 127.0.0.1:{upstream}\r\n\
             Content-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\n\
             hello world"
        )
    );
    assert!(matches!(
        next_event(&mut events).await,
        ProxyEvent::Allowed { .. }
    ));
}

#[tokio::test]
async fn a_host_not_allowed_gets_403_an_event_and_a_count() {
    let (proxy, mut events) = start(&["api.anthropic.com".to_owned()], Options::default()).await;

    let answer = exchange(
        proxy.port(),
        b"CONNECT Example.TEST:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
    assert!(answer.contains("Content-Type: text/plain; charset=utf-8\r\n"));
    assert!(
        answer.ends_with(
            "\r\n\r\nblocked by Airlock: example.test:443 is not among this session's \
             allowed hosts (network: model-only)\n"
        ),
        "{answer}"
    );
    assert_eq!(
        next_event(&mut events).await,
        ProxyEvent::Blocked {
            host: "example.test".into(),
            port: 443,
            reason: BlockReason::NotAllowed
        }
    );

    // Plain http is checked the same way; hosts are reported as in a URL.
    let answer = exchange(
        proxy.port(),
        b"GET http://[::1]:8080/ HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    assert!(
        answer.contains("blocked by Airlock: [::1]:8080 is not"),
        "{answer}"
    );
    assert!(matches!(
        next_event(&mut events).await,
        ProxyEvent::Blocked { port: 8080, .. }
    ));

    assert_eq!((proxy.allowed(), proxy.blocked()), (0, 2));
    assert_eq!(proxy.last_blocked(), Some(("[::1]".to_owned(), 8080)));
}

#[tokio::test]
async fn malformed_and_non_proxy_requests_get_400_or_405() {
    let (proxy, mut events) = start(&["api.anthropic.com".to_owned()], Options::default()).await;
    for (request, status) in [
        (&b"this is not http\r\n\r\n"[..], "400 Bad Request"),
        (
            b"GET / HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n",
            "400 Bad Request",
        ),
        (
            b"CONNECT api.anthropic.com HTTP/1.1\r\n\r\n",
            "400 Bad Request",
        ),
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
            "400 Bad Request",
        ),
        (
            b"GET api.anthropic.com:443 HTTP/1.1\r\n\r\n",
            "405 Method Not Allowed",
        ),
    ] {
        let answer = exchange(proxy.port(), request).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{request:?} got {answer}"
        );
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or("");
        assert_eq!(body.lines().count(), 1, "{body:?}");
        assert!(matches!(
            next_event(&mut events).await,
            ProxyEvent::Rejected { .. }
        ));
    }
    assert_eq!((proxy.allowed(), proxy.blocked()), (0, 0));
}

#[tokio::test]
async fn an_oversized_head_gets_431() {
    let (proxy, mut events) = start(&["api.anthropic.com".to_owned()], Options::default()).await;
    let mut request = b"CONNECT api.anthropic.com:443 HTTP/1.1\r\nX-Pad: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', 20 * 1024));
    request.extend_from_slice(b"\r\n\r\n");
    let answer = exchange(proxy.port(), &request).await;
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{answer}"
    );
    assert_eq!(
        next_event(&mut events).await,
        ProxyEvent::Rejected {
            status: 431,
            reason: "the request head is larger than 16 KiB, the most Airlock's proxy reads".into()
        }
    );
}

#[tokio::test]
async fn an_unreachable_upstream_gets_502_with_the_error() {
    let port = closed_port().await;
    let (proxy, mut events) = start(&[format!("127.0.0.1:{port}")], Options::default()).await;
    let answer = exchange(
        proxy.port(),
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains(&format!(
            "Airlock could not reach 127.0.0.1:{port}: 127.0.0.1:{port}: "
        )),
        "{answer}"
    );
    match next_event(&mut events).await {
        ProxyEvent::Failed {
            host,
            port: failed,
            status: 502,
            error,
        } => {
            assert_eq!((host.as_str(), failed), ("127.0.0.1", port));
            assert!(error.contains("could not reach"), "{error}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!((proxy.allowed(), proxy.blocked()), (0, 0));
}

#[tokio::test]
async fn a_slow_upstream_connect_gets_504() {
    // A listener that never accepts and has a one-slot backlog: once the
    // backlog is full the kernel drops further SYNs, so connects hang.
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let stuck = socket.listen(1).expect("listen");
    let addr = stuck.local_addr().expect("addr");
    let mut held = Vec::new();
    let mut full = false;
    for _ in 0..16 {
        match timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => held.push(stream),
            Ok(Err(err)) => panic!("connect to the stuck listener: {err}"),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    if !full {
        println!("skipped: this kernel accepted 16 connects to a full backlog; no hanging connect");
        return;
    }

    let options = Options {
        connect_timeout: Duration::from_millis(300),
        ..Options::default()
    };
    let (proxy, mut events) = start(&[addr.to_string()], options).await;
    let answer = exchange(
        proxy.port(),
        format!("CONNECT {addr} HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 504 Gateway Timeout\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("Airlock gave up connecting to {addr} after 0.3 s")),
        "{answer}"
    );
    assert!(matches!(
        next_event(&mut events).await,
        ProxyEvent::Failed { status: 504, .. }
    ));
    drop(held);
}

#[tokio::test]
async fn a_silent_client_is_closed() {
    let options = Options {
        head_timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let (proxy, _events) = start(&[], options).await;
    let mut client = TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .expect("connect");
    client.write_all(b"CONNECT api.anth").await.expect("send");
    let mut rest = Vec::new();
    timeout(PATIENCE, client.read_to_end(&mut rest))
        .await
        .expect("closed in time")
        .expect("read");
    assert!(rest.is_empty(), "{rest:?}");
    wait_until("the silent client's task ends", || {
        proxy.open_connections() == 0
    })
    .await;
}

#[tokio::test]
async fn a_client_gone_mid_head_leaves_no_task() {
    let (proxy, _events) = start(&["api.anthropic.com".to_owned()], Options::default()).await;
    for _ in 0..20 {
        let mut client = TcpStream::connect(("127.0.0.1", proxy.port()))
            .await
            .expect("connect");
        client
            .write_all(b"GET http://api.anthropic.com/ HTTP/1.1\r\nHost: api.an")
            .await
            .expect("send");
        drop(client);
    }
    wait_until("every half-sent connection is closed", || {
        proxy.open_connections() == 0
    })
    .await;
    // And the proxy still answers.
    let answer = exchange(proxy.port(), b"GET / HTTP/1.1\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let options = Options {
        max_connections: 1,
        ..Options::default()
    };
    let (proxy, _events) = start(&[], options).await;
    let first = TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .expect("connect");
    wait_until("the first connection is served", || {
        proxy.open_connections() == 1
    })
    .await;

    let port = proxy.port();
    let second = tokio::spawn(async move { exchange(port, b"GET / HTTP/1.1\r\n\r\n").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second client was served beside the first"
    );

    drop(first);
    let answer = timeout(PATIENCE, second)
        .await
        .expect("served in time")
        .expect("join");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
}

#[tokio::test]
async fn dropping_the_proxy_closes_the_listener_and_its_tunnels() {
    let upstream = echo_upstream().await;
    let (proxy, _events) = start(&[format!("127.0.0.1:{upstream}")], Options::default()).await;
    let port = proxy.port();
    let mut client = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    client
        .write_all(format!("CONNECT 127.0.0.1:{upstream} HTTP/1.1\r\n\r\n").as_bytes())
        .await
        .expect("send");
    read_head(&mut client).await;

    drop(proxy);

    // The tunnel ends: the client sees the end of the stream (or a reset).
    let mut rest = Vec::new();
    let ended = timeout(PATIENCE, client.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the tunnel outlived the proxy");
    // The listener is gone: connecting fails (the abort lands within moments).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener outlived the proxy"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn shutdown_waits_until_the_listener_is_closed() {
    let proxy = Proxy::start(Vec::new()).await.expect("start");
    let port = proxy.port();
    proxy.shutdown().await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
async fn env_points_every_variable_at_the_proxy() {
    let proxy = Proxy::start(Vec::new()).await.expect("start");
    let url = format!("http://127.0.0.1:{}", proxy.port());
    assert_eq!(proxy.url(), url);
    let env = proxy.env();
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy"] {
        assert!(env.contains(&(name, url.clone())), "{name} in {env:?}");
    }
    assert!(env.contains(&("NO_PROXY", String::new())));
}

/// The real `curl`: plain http through the proxy, https-style CONNECT
/// (`--proxytunnel`), and a blocked host.
#[tokio::test]
async fn curl_goes_through_the_proxy() {
    let found = tokio::task::spawn_blocking(|| {
        std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_ok()
    })
    .await
    .expect("join");
    if !found {
        println!("skipped: curl is not installed, so the real-client check did not run");
        return;
    }
    let (upstream, mut requests) = http_upstream().await;
    let (proxy, mut events) = start(&[format!("127.0.0.1:{upstream}")], Options::default()).await;
    let proxy_url = proxy.url();
    let url = format!("http://127.0.0.1:{upstream}/hello?x=1");

    // Plain http: curl sends the absolute form.
    let (code, out, err) = curl(&["-x", &proxy_url, "-d", "body", &url]).await;
    assert_eq!((code, out.as_str()), (Some(0), "ok"), "{err}");
    let got = String::from_utf8_lossy(&requests.recv().await.expect("a request")).into_owned();
    assert!(got.starts_with("POST /hello?x=1 HTTP/1.1\r\n"), "{got}");
    assert!(
        got.contains(&format!("\r\nHost: 127.0.0.1:{upstream}\r\n")),
        "{got}"
    );
    assert!(
        !got.to_ascii_lowercase().contains("proxy-connection"),
        "{got}"
    );
    assert!(got.ends_with("\r\n\r\nbody"), "{got}");

    // A tunnel, as for https.
    let (code, out, err) = curl(&["-p", "-x", &proxy_url, &url]).await;
    assert_eq!((code, out.as_str()), (Some(0), "ok"), "{err}");
    let got = String::from_utf8_lossy(&requests.recv().await.expect("a request")).into_owned();
    assert!(got.starts_with("GET /hello?x=1 HTTP/1.1\r\n"), "{got}");

    // A blocked host: the body says why; through a tunnel curl reports the 403.
    let (code, out, _) = curl(&["-x", &proxy_url, "http://blocked.invalid/"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "blocked by Airlock: blocked.invalid:80 is not among this session's allowed hosts \
         (network: model-only)\n"
    );
    let (code, _, err) = curl(&["-p", "-x", &proxy_url, "http://blocked.invalid/"]).await;
    assert_ne!(code, Some(0));
    assert!(err.contains("403"), "{err}");

    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(next_event(&mut events).await);
    }
    assert!(matches!(seen[0], ProxyEvent::Allowed { .. }), "{seen:?}");
    assert!(matches!(seen[1], ProxyEvent::Allowed { .. }), "{seen:?}");
    assert!(
        matches!(seen[2], ProxyEvent::Blocked { port: 80, .. }),
        "{seen:?}"
    );
    assert!(
        matches!(seen[3], ProxyEvent::Blocked { port: 80, .. }),
        "{seen:?}"
    );
    assert_eq!((proxy.allowed(), proxy.blocked()), (2, 2));
}
