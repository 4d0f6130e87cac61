//! The engine's own worker threads, each running its jobs one after
//! another, in order, and owned by the actor (a thread ends when the engine
//! does): the background thread, at a low CPU priority, so work nobody
//! waits for (labels and badges of a new change) never slows what somebody
//! does (a diff being opened, a terminal streaming) on a machine with few
//! cores; and the intake thread, which reads and diffs what the watchers
//! report, off the actor.

use std::sync::mpsc;

type Job = Box<dyn FnOnce() + Send>;

/// A handle to the background thread.
pub(super) struct Background {
    /// `None` when the thread could not be started: jobs then run on
    /// tokio's blocking pool instead.
    jobs: Option<mpsc::Sender<Job>>,
}

impl Background {
    /// Starts the background thread (nice 10).
    pub(super) fn start() -> Background {
        Self::named("background", Some(10))
    }

    /// Starts a thread called `name`, at `nice` if given.
    pub(super) fn named(name: &str, nice: Option<i32>) -> Background {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // For this thread only (`who` 0 on Linux is the calling
                // thread); a refusal leaves it at the usual priority.
                if let Some(nice) = nice {
                    let _ = rustix::process::setpriority_process(None, nice);
                }
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        Background {
            jobs: spawned.ok().map(|_| tx),
        }
    }

    /// Runs `job` on the background thread.
    pub(super) fn run(&self, job: impl FnOnce() + Send + 'static) {
        let job: Job = Box::new(job);
        let unsent = match &self.jobs {
            Some(tx) => tx.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = unsent {
            tokio::task::spawn_blocking(job);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_order_and_the_thread_ends_with_its_owner() {
        let background = Background::start();
        let (tx, rx) = mpsc::channel();
        for i in 0..5 {
            let tx = tx.clone();
            background.run(move || {
                let _ = tx.send((i, std::thread::current().name().map(str::to_string)));
            });
        }
        let got: Vec<_> = (0..5).map(|_| rx.recv().expect("ran")).collect();
        assert_eq!(
            got.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        assert!(got.iter().all(|(_, n)| n.as_deref() == Some("background")));
        // Dropping the owner closes the queue: the thread's loop ends.
        let (done_tx, done_rx) = mpsc::channel::<()>();
        background.run(move || drop(done_tx));
        drop(background);
        assert!(
            done_rx.recv().is_err(),
            "the last job ran and nothing holds the queue"
        );
    }
}
