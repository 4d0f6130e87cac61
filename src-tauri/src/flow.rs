//! Flow control for the window's event stream.
//!
//! A `tauri::ipc::Channel` never pushes back: every `send` queues a message
//! for the webview at once. Left alone, a window slower than an agent's
//! output would queue without bound. So the window says how much output it
//! has taken (`ack_output`), and its stream waits while more than [`AHEAD`]
//! bytes are on their way; meanwhile the output stays in the engine's
//! scrollback, kept for this reader, and goes out merged into larger frames
//! once the window catches up, as over the browser's WebSocket.
//!
//! One stream per window: a window that loads its page again subscribes
//! again, and the stream of the page it left ends.

use std::collections::HashMap;

use tokio::sync::{mpsc, watch};

/// Output bytes a stream may send beyond what its window has taken.
pub const AHEAD: u64 = 8 * 1024 * 1024;

enum Msg {
    Open {
        window: String,
        channel: u32,
        taken: watch::Sender<u64>,
    },
    Ack {
        channel: u32,
        taken: u64,
    },
    Close {
        channel: u32,
    },
}

/// The streams' acknowledgements, kept by one task (see the module docs).
#[derive(Clone)]
pub struct Acks {
    tx: mpsc::UnboundedSender<Msg>,
}

impl Acks {
    /// Starts the task that routes acknowledgements to streams.
    pub fn start() -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        tauri::async_runtime::spawn(async move {
            // By window: its stream's channel and where to tell it.
            let mut streams: HashMap<String, (u32, watch::Sender<u64>)> = HashMap::new();
            while let Some(msg) = rx.recv().await {
                match msg {
                    // Replacing a window's stream drops the old sender: that stream ends.
                    Msg::Open {
                        window,
                        channel,
                        taken,
                    } => {
                        streams.insert(window, (channel, taken));
                    }
                    Msg::Ack { channel, taken } => {
                        if let Some((_, tx)) = streams.values().find(|(c, _)| *c == channel) {
                            tx.send_replace(taken);
                        }
                    }
                    Msg::Close { channel } => streams.retain(|_, (c, _)| *c != channel),
                }
            }
        });
        Self { tx }
    }

    /// A new stream on `channel` for `window`: what its window has taken so far.
    pub fn open(&self, window: &str, channel: u32) -> watch::Receiver<u64> {
        let (taken, rx) = watch::channel(0);
        let _ = self.tx.send(Msg::Open {
            window: window.to_string(),
            channel,
            taken,
        });
        rx
    }

    /// The window has taken `taken` bytes of `channel`'s output in all.
    pub fn ack(&self, channel: u32, taken: u64) {
        let _ = self.tx.send(Msg::Ack { channel, taken });
    }

    /// The stream on `channel` ended.
    pub fn close(&self, channel: u32) {
        let _ = self.tx.send(Msg::Close { channel });
    }
}

/// Waits until the window has taken all but [`AHEAD`] of the `sent` bytes.
/// False when the stream was replaced or the window is gone: stop sending.
pub async fn wait_for_window(taken: &mut watch::Receiver<u64>, sent: u64) -> bool {
    loop {
        if taken.has_changed().is_err() {
            return false;
        }
        if sent.saturating_sub(*taken.borrow_and_update()) <= AHEAD {
            return true;
        }
        if taken.changed().await.is_err() {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_stream_waits_for_its_window_and_a_newer_stream_ends_it() {
        tauri::async_runtime::block_on(async {
            let acks = Acks::start();
            let mut taken = acks.open("main", 7);
            assert!(
                wait_for_window(&mut taken, AHEAD).await,
                "up to AHEAD bytes go at once"
            );
            let waiting = tokio::spawn(async move {
                let go = wait_for_window(&mut taken, AHEAD + 10).await;
                (go, taken)
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(!waiting.is_finished(), "10 bytes too many: it waits");
            acks.ack(99, 10);
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(
                !waiting.is_finished(),
                "another channel's acknowledgement does not count"
            );
            acks.ack(7, 10);
            let (go, mut taken) = tokio::time::timeout(Duration::from_secs(5), waiting)
                .await
                .expect("the acknowledgement lets it go")
                .expect("task");
            assert!(go);
            let _newer = acks.open("main", 8);
            assert!(
                !tokio::time::timeout(
                    Duration::from_secs(5),
                    wait_for_window(&mut taken, 10 + AHEAD + 1)
                )
                .await
                .expect("answers once the old stream is dropped"),
                "the window subscribed again: the old stream ends"
            );
        });
    }
}
