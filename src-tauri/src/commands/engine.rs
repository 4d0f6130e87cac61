//! `call_engine`, `subscribe_events`, `ack_output` and `read_scrollback`: the
//! whole IPC surface.

use airlock_engine::Frame;
use airlock_protocol::{IpcError, Reply, Request};
use tauri::ipc::{Channel, InvokeResponseBody, Response};
use tauri::{State, Webview};

use crate::flow::wait_for_window;
use crate::Desktop;

/// Performs one engine operation. Failures come back as `{"error": …}` in the
/// reply rather than as a rejected promise, exactly as over HTTP.
#[tauri::command]
pub async fn call_engine(desktop: State<'_, Desktop>, request: Request) -> Result<Reply, ()> {
    Ok(desktop.engine.call(request).await.into())
}

/// Streams every engine event to the window until the channel closes: events
/// as JSON, terminal output as raw bytes in the binary frame the browser's
/// WebSocket carries too (`output_frame`). Output waits while the window is
/// more than [`crate::flow::AHEAD`] bytes behind (see `ack_output`); a new
/// subscription from the same window ends this one.
#[tauri::command]
pub fn subscribe_events(
    desktop: State<'_, Desktop>,
    webview: Webview,
    on_event: Channel<InvokeResponseBody>,
) {
    let mut events = desktop.engine.subscribe();
    let acks = desktop.acks.clone();
    let channel = on_event.id();
    let mut taken = acks.open(webview.label(), channel);
    tauri::async_runtime::spawn(async move {
        let mut sent: u64 = 0;
        while let Some(frame) = events.next_frame().await {
            let body = match frame {
                Frame::Output(output) => {
                    if !wait_for_window(&mut taken, sent).await {
                        break;
                    }
                    let frame = output.into_frame();
                    sent += frame.len() as u64;
                    InvokeResponseBody::Raw(frame)
                }
                Frame::Event(event) => match event.to_json() {
                    Ok(json) => InvokeResponseBody::Json(json),
                    Err(_) => continue,
                },
            };
            if on_event.send(body).is_err() {
                break;
            }
        }
        acks.close(channel);
    });
}

/// The window has taken `taken` bytes of output frames from the stream on
/// `channel` in all.
#[tauri::command]
pub fn ack_output(desktop: State<'_, Desktop>, channel: u32, taken: u64) {
    desktop.acks.ack(channel, taken);
}

/// A session's scrollback as raw bytes: the output offset of its end (u64,
/// little-endian), then the kept bytes. `readScrollback` answers the same in
/// base64 inside JSON, which for 10 MB costs the window tens of milliseconds
/// of its main thread; the browser gets raw bytes from `GET /api/scrollback`.
#[tauri::command]
pub fn read_scrollback(desktop: State<'_, Desktop>, session: String) -> Result<Response, IpcError> {
    let (bytes, end) = desktop.engine.scrollback(&session)?;
    let mut body = Vec::with_capacity(8 + bytes.len());
    body.extend_from_slice(&end.to_le_bytes());
    body.extend_from_slice(&bytes);
    Ok(Response::new(body))
}
