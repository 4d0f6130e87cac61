//! `airlock serve`: the engine plus the web UI on a loopback port.
//!
//! Only loopback addresses are accepted. Every request must name this server
//! in `Host` (so a rebound DNS name cannot reach it) and, when a browser sends
//! `Origin`, come from this server's own origin. The API needs the token that
//! the printed URL carries: `Authorization: Bearer …` for `POST /api/call`,
//! `?token=…` for the `GET /api/events` WebSocket. Static UI files need no
//! token: they hold no state. The page itself, asked for with the token in its
//! URL, also carries the engine's first state (see [`page_with_state`]).

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use airlock_engine::home::token_matches;
use airlock_engine::server::{write_info, EngineInfo, SocketServer};
use airlock_engine::{Engine, EngineConfig, Frame};
use airlock_protocol::{ErrorCode, IpcError, Reply, Request};
use anyhow::{anyhow, bail, Context, Result};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request as HttpRequest, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

struct AppState {
    engine: Engine,
    token: String,
    ui: PathBuf,
    hosts: Vec<String>,
    origins: Vec<String>,
}

fn default_ui_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIRLOCK_UI_DIR") {
        return PathBuf::from(dir);
    }
    // Next to the executable first (an unpacked build), then where the Debian
    // package puts it (`/usr/bin/airlock` → `/usr/share/airlock/ui`), then the
    // source tree.
    if let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        for dir in [bin.join("ui"), bin.join("../share/airlock/ui")] {
            if dir.join("index.html").is_file() {
                return dir;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/dist")
}

pub async fn run(
    project: PathBuf,
    listen: String,
    ui: Option<PathBuf>,
    scrollback_mb: Option<u16>,
) -> Result<()> {
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| anyhow!("--listen wants an address like 127.0.0.1:8080, not `{listen}`"))?;
    if !addr.ip().is_loopback() {
        bail!("refusing to listen on {addr}: only loopback addresses (127.0.0.1, ::1) are allowed; use an SSH tunnel to reach it from elsewhere");
    }
    let ui = ui.unwrap_or_else(default_ui_dir);
    if !ui.join("index.html").is_file() {
        bail!(
            "no built UI at {}: run `npm ci && npm run build` in ui/ (or pass --ui DIR)",
            ui.display()
        );
    }
    let mut config = EngineConfig::new(&project);
    config.hook_program = std::env::current_exe().ok();
    if let Some(mb) = scrollback_mb {
        config.scrollback_bytes = usize::from(mb) * 1024 * 1024;
    }
    let engine = Engine::open(config)
        .await
        .map_err(|e| anyhow!(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let port = bound.port();
    let host = if bound.is_ipv6() {
        format!("[{}]", bound.ip())
    } else {
        bound.ip().to_string()
    };
    let url = format!("http://{host}:{port}/?token={}", engine.token());
    let socket = SocketServer::start(engine.clone(), Some(url.clone()))
        .await
        .map_err(|e| anyhow!(e.to_string()))?;
    let hosts = vec![
        format!("{host}:{port}"),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
    ];
    let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
    let state = Arc::new(AppState {
        token: engine.token().to_string(),
        engine: engine.clone(),
        ui,
        hosts,
        origins,
    });
    let app = Router::new()
        .route("/api/call", post(api_call))
        .route("/api/events", get(api_events))
        .route("/api/scrollback", get(api_scrollback))
        .fallback(get(static_file))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    // The URL is the first line, and nothing may come before it.
    println!("{url}");
    eprintln!(
        "airlock: serving {} (engine pid {}); Ctrl-C stops",
        engine.project().display(),
        std::process::id()
    );
    let _ = write_info(
        engine.project_home(),
        &EngineInfo {
            pid: std::process::id(),
            project: engine.project().display().to_string(),
            socket: engine.project_home().socket().display().to_string(),
            token: engine.token().to_string(),
            url: Some(url),
        },
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    engine.shutdown().await;
    drop(socket);
    Ok(())
}

async fn shutdown_signal() {
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}

fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(Reply::Error(IpcError::new(code, message)))).into_response()
}

/// What the page may load and run: only this server's own scripts (the
/// first state rides in a JSON data block, which is not run), inline styles
/// (the editor and the terminal set them), and connections back to this
/// server; never framed, never a form or a base elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Host and Origin checks for every request; every answer carries the
/// content policy and sends no referrer (a URL with the token never leaves).
async fn guard(state: State<Arc<AppState>>, req: HttpRequest, next: Next) -> Response {
    let mut response = check(state, req, next).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn check(State(state): State<Arc<AppState>>, req: HttpRequest, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.hosts.iter().any(|h| h == host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            ErrorCode::Forbidden,
            "unexpected Host header: open the URL that `airlock serve` printed",
        );
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !state.origins.iter().any(|o| o == origin) {
            return refuse(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "cross-origin requests are refused",
            );
        }
    }
    // Everything under /api needs the token, whatever the method or route.
    if req.uri().path().starts_with("/api/") {
        let given = match bearer(req.headers()) {
            "" if req.uri().path() == "/api/events" => query_param(req.uri(), "token"),
            b => b,
        };
        if !token_matches(given, &state.token) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "missing or wrong token: open the URL that `airlock serve` printed",
            );
        }
    }
    next.run(req).await
}

/// The value of `name` in a URL's query, or "".
fn query_param<'a>(uri: &'a Uri, name: &str) -> &'a str {
    uri.query()
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        })
        .unwrap_or("")
}

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
}

async fn api_call(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("malformed request: {e}"),
            )
        }
    };
    let reply: Reply = state.engine.call(request).await.into();
    Json(reply).into_response()
}

/// `GET /api/scrollback?session=ID`: a session's scrollback as raw bytes,
/// with the output offset of its end in `x-airlock-end` — `readScrollback`
/// without base64 in JSON, which for 10 MB took a page's main thread for
/// tens of milliseconds.
async fn api_scrollback(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    match state.engine.scrollback(query_param(&uri, "session")) {
        Ok((bytes, end)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (
                    header::HeaderName::from_static("x-airlock-end"),
                    end.to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            let e = IpcError::from(e);
            let status = match e.code {
                ErrorCode::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, Json(Reply::Error(e))).into_response()
        }
    }
}

async fn api_events(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    let events = state.engine.subscribe();
    ws.on_upgrade(move |socket| stream_events(socket, events))
}

async fn stream_events(mut socket: WebSocket, mut events: airlock_engine::Subscription) {
    loop {
        tokio::select! {
            frame = events.next_frame() => match frame {
                Some(frame) => {
                    // Output goes as bytes (see `output_frame`), the rest as JSON text.
                    let message = match frame {
                        Frame::Output(output) => Message::Binary(output.into_frame().into()),
                        Frame::Event(event) => match event.to_json() {
                            Ok(text) => Message::Text(text.into()),
                            Err(_) => continue,
                        },
                    };
                    if socket.send(message).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn static_file(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let rel = Path::new(path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let file = state.ui.join(rel);
    match tokio::fs::read(&file).await {
        Ok(bytes)
            if path == "index.html" && token_matches(query_param(&uri, "token"), &state.token) =>
        {
            page_with_state(state.engine.clone(), bytes)
        }
        Ok(bytes) => {
            let mime = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "html" => "text/html; charset=utf-8",
                "js" | "mjs" => "text/javascript; charset=utf-8",
                "css" => "text/css; charset=utf-8",
                "svg" => "image/svg+xml",
                "png" => "image/png",
                "json" => "application/json",
                "woff2" => "font/woff2",
                "ico" => "image/x-icon",
                _ => "application/octet-stream",
            };
            // Vite names what it puts in assets/ by a hash of its content: a
            // name never holds anything else, so the browser keeps it (and
            // the code it compiled from it) across page loads.
            let cache = if path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, cache),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The page as built, with the engine's first state written in before
/// `</body>` (`<script type="application/json" id="airlock-boot">`, read by
/// ui/src/ipc/boot.ts). The page is sent in two parts: everything before the
/// state at once, so the browser fetches the script and the stylesheet while
/// the engine answers, then the state and the end of the page. The page's
/// script runs only once the page has been read, so the state is there when
/// it starts, and the first diff paints with no request behind the start-up.
fn page_with_state(engine: Engine, page: Vec<u8>) -> Response {
    use futures_util::stream::{self, StreamExt};
    let page = String::from_utf8_lossy(&page).into_owned();
    let at = page.rfind("</body>").unwrap_or(page.len());
    let (head, tail) = page.split_at(at);
    let (head, tail) = (head.to_string(), tail.to_string());
    let rest = async move {
        #[derive(serde::Serialize)]
        struct Entry {
            request: Request,
            response: airlock_protocol::Response,
        }
        let entries: Vec<Entry> = engine
            .first_replies()
            .await
            .into_iter()
            .map(|(request, response)| Entry { request, response })
            .collect();
        // `<` only ever stands inside JSON strings, where `\u003c` means the
        // same: no `</script>` or `<!--` in the text can end the element early.
        let json = serde_json::to_string(&entries)
            .unwrap_or_else(|_| "[]".into())
            .replace('<', "\\u003c");
        Ok::<_, std::convert::Infallible>(Bytes::from(format!(
            "<script type=\"application/json\" id=\"airlock-boot\">{json}</script>\n{tail}"
        )))
    };
    let body = stream::iter([Ok(Bytes::from(head))]).chain(stream::once(rest));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The state is this moment's, and the page is the token holder's alone.
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}
