//! `call_engine` and `subscribe_events`: the whole IPC surface.

use airlock_protocol::{Event, Reply, Request};
use tauri::ipc::Channel;
use tauri::State;

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
        // Output is pulled per subscriber, so a slow window merges frames
        // instead of holding the agent back.
        while let Some(event) = events.next().await {
            if on_event.send(event).is_err() {
                return;
            }
        }
    });
}
