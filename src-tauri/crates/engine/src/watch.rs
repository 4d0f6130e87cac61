//! Watches a folder tree (notify/inotify) and hands over batches of changed
//! paths.
//!
//! A batch closes after a short quiet spell ([`QUIET`]) or at the latest
//! [`MAX_WAIT`] after its first event, so one `write` is seen within a few
//! milliseconds while a burst of thousands of writes is still one batch. When
//! the kernel's queue overflowed the batch holds the root itself: rescan all.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{EngineError, Result};

/// Quiet time that closes a batch.
pub const QUIET: Duration = Duration::from_millis(4);
/// Longest a batch stays open.
pub const MAX_WAIT: Duration = Duration::from_millis(40);

/// A live watch; dropping it stops watching.
pub struct TreeWatcher {
    _watcher: RecommendedWatcher,
    task: JoinHandle<()>,
}

impl Drop for TreeWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Watches `root` recursively; each batch of absolute paths goes to `to`
/// as `make(batch)`. Paths for which `skip` says true (such as anything in
/// `.git`) never reach a batch. While `to` is full the batch waiting for
/// room takes in what the watcher sees meanwhile: one set, however often
/// its paths change.
pub fn watch_tree<T: Send + 'static>(
    root: &Path,
    skip: impl Fn(&Path) -> bool + Send + 'static,
    to: mpsc::Sender<T>,
    make: impl Fn(BTreeSet<PathBuf>) -> T + Send + 'static,
) -> Result<TreeWatcher> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let root_buf = root.to_path_buf();
    let root_for_cb = root_buf.clone();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<Event>| match res {
        Ok(event) => {
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            if event.need_rescan() {
                let _ = tx.send(root_for_cb.clone());
                return;
            }
            for p in event.paths {
                if !skip(&p) {
                    let _ = tx.send(p);
                }
            }
        }
        Err(_) => {
            let _ = tx.send(root_for_cb.clone());
        }
    })
    .map_err(|e| {
        EngineError::io(
            format!("watch {}", root.display()),
            std::io::Error::other(e),
        )
    })?;
    watcher.watch(root, RecursiveMode::Recursive).map_err(|e| {
        EngineError::io(
            format!("watch {}", root.display()),
            std::io::Error::other(e),
        )
    })?;
    let task = tokio::spawn(async move {
        let mut batch = BTreeSet::new();
        while gather(&mut rx, &mut batch).await {
            // Wait for room, folding in what arrives meanwhile.
            let permit = loop {
                tokio::select! {
                    biased;
                    permit = to.reserve() => match permit {
                        Ok(permit) => break permit,
                        Err(_) => return,
                    },
                    next = rx.recv() => match next {
                        Some(p) => { batch.insert(p); }
                        None => return,
                    },
                }
            };
            permit.send(make(std::mem::take(&mut batch)));
        }
    });
    Ok(TreeWatcher {
        _watcher: watcher,
        task,
    })
}

/// Adds to `batch` until a quiet spell or [`MAX_WAIT`] after it started (or
/// after the first path, for an empty one); false once the watcher is gone.
async fn gather(rx: &mut mpsc::UnboundedReceiver<PathBuf>, batch: &mut BTreeSet<PathBuf>) -> bool {
    if batch.is_empty() {
        match rx.recv().await {
            Some(first) => batch.insert(first),
            None => return false,
        };
    }
    let hard_deadline = tokio::time::Instant::now() + MAX_WAIT;
    loop {
        let quiet_deadline = (tokio::time::Instant::now() + QUIET).min(hard_deadline);
        tokio::select! {
            next = rx.recv() => match next {
                Some(p) => { batch.insert(p); }
                None => return !batch.is_empty(),
            },
            _ = tokio::time::sleep_until(quiet_deadline) => return true,
        }
        if tokio::time::Instant::now() >= hard_deadline {
            return true;
        }
    }
}
