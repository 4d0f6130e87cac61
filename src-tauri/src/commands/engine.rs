//! `call_engine` and `subscribe_events`: the whole IPC surface.

use airlock_protocol::{Event, Reply, Request};
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::broadcast::error::RecvError;

use crate::Desktop;

/// Performs one engine operation. Failures come back as `{"error": …}` in the
/// reply rather than as a rejected promise, exactly as over HTTP.
#[tauri::command]
pub async fn call_engine(desktop: State<'_, Desktop>, request: Request) -> Result<Reply, ()> {
    Ok(desktop.engine.call(request).await.into())
}

/// Streams every engine event to the window until the channel closes.
#[tauri::command]
pub fn subscribe_events(desktop: State<'_, Desktop>, on_event: Channel<Event>) {
    let mut events = desktop.engine.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if on_event.send(event).is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let _ = on_event.send(Event::Problem {
                        session: None,
                        message: format!(
                            "the window fell behind and missed {missed} events; reload (Ctrl+R) to catch up"
                        ),
                    });
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
