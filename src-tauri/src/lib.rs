//! Airlock's desktop shell: a Tauri 2 window over the engine, and nothing more.
//!
//! At start it opens the [`airlock_engine::Engine`] for the folder given as the
//! first argument (or `$AIRLOCK_PROJECT`, or the current folder), serves the
//! engine's local socket so the `airlock` CLI reaches the same engine, and
//! registers four commands: `call_engine` (a protocol request in, a reply
//! out), `subscribe_events` (engine events, terminal output included, over a
//! `tauri::ipc::Channel`), `ack_output` (how much output the window has
//! taken, see [`flow`]) and `read_scrollback` (a session's scrollback as raw
//! bytes). The UI in `ui/` is the same one `airlock serve` gives a browser.

mod commands;
mod flow;

use std::path::PathBuf;

use airlock_engine::server::SocketServer;
use airlock_engine::{Engine, EngineConfig};

/// What the window's commands reach.
pub struct Desktop {
    engine: Engine,
    acks: flow::Acks,
    _socket: SocketServer,
}

fn project_from_args() -> PathBuf {
    std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("AIRLOCK_PROJECT").map(PathBuf::from))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Shows a desktop notification when a session starts waiting for the user or
/// finishes: the engine says so once per change of turn, never per byte.
fn notify_on_attention(engine: &Engine) {
    use airlock_protocol::AttentionKind;
    let mut events = engine.subscribe_without_output();
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.next().await {
            let airlock_protocol::Event::Attention { kind, message, .. } = event else {
                continue;
            };
            let summary = match kind {
                AttentionKind::Waiting => "Airlock: waiting for you",
                AttentionKind::Done => "Airlock: turn finished",
                AttentionKind::Finished => "Airlock: session finished",
            };
            let shown = tauri::async_runtime::spawn_blocking(move || {
                notify_rust::Notification::new()
                    .appname("Airlock")
                    .summary(summary)
                    .body(&message)
                    .show()
                    .map(|_| ())
            })
            .await;
            if let Ok(Err(e)) = shown {
                // No notification service (a bare X server, say): the sidebar still shows it.
                eprintln!("airlock: desktop notification not shown: {e}");
            }
        }
    });
}

/// Opens the engine and runs the window until it closes.
pub fn run() {
    // Software rendering under Xvfb and on machines without a GPU.
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    let project = project_from_args();
    let opened = tauri::async_runtime::block_on(async {
        let mut config = EngineConfig::new(&project);
        // Claude Code's hook is the `airlock` command installed beside this app.
        config.hook_program = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join("airlock")))
            .filter(|p| p.is_file());
        let engine = Engine::open(config).await?;
        let socket = SocketServer::start(engine.clone(), None).await?;
        Ok::<_, airlock_engine::EngineError>(Desktop {
            engine,
            acks: flow::Acks::start(),
            _socket: socket,
        })
    });
    let desktop = match opened {
        Ok(d) => d,
        Err(e) => {
            eprintln!("airlock: {e}");
            std::process::exit(1);
        }
    };
    let engine = desktop.engine.clone();
    notify_on_attention(&engine);
    let result = tauri::Builder::default()
        .manage(desktop)
        .invoke_handler(tauri::generate_handler![
            commands::engine::call_engine,
            commands::engine::subscribe_events,
            commands::engine::ack_output,
            commands::engine::read_scrollback
        ])
        .run(tauri::generate_context!());
    tauri::async_runtime::block_on(engine.shutdown());
    if let Err(e) = result {
        eprintln!("airlock: the window failed: {e}");
        std::process::exit(1);
    }
}
