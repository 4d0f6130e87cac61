//! The actor's mailboxes, both bounded: calls (requests, gates, shutdown),
//! which the actor takes first, and the backlog (watcher batches, output
//! notices, results from its threads, agents' messages).
//!
//! A full mailbox makes its senders wait, never grow: tasks `await` a slot,
//! the engine's own threads block on one, a watcher folds what it sees
//! meanwhile into the batch it is waiting to hand over (so its memory is
//! bounded by the paths it names, not by how often they change), and the
//! ticker skips a tick. The actor never sends to itself through the channel,
//! which could wait on itself: what it puts off for later (the rest of a
//! large batch, a chat flush) goes to [`Later`], kept behind every message
//! the backlog held when it was put off, as a send to the back of the
//! mailbox would be.

use std::collections::VecDeque;

use tokio::sync::mpsc;

use super::Msg;

/// Requests, gates and shutdown waiting for the actor.
pub(super) const CALLS: usize = 256;
/// Everything else waiting for the actor.
pub(super) const BACKLOG: usize = 1024;

/// What the actor put off, each with the backlog count it waits behind.
#[derive(Default)]
pub(super) struct Later {
    queue: VecDeque<(Msg, u64)>,
    /// Backlog messages the actor has taken since it started.
    taken: u64,
}

impl Later {
    /// Puts `msg` behind the `waiting` messages the backlog holds now.
    pub(super) fn push(&mut self, msg: Msg, waiting: usize) {
        self.queue.push_back((msg, self.taken + waiting as u64));
    }

    /// The next message for the actor: a call first, then what was put off
    /// once the backlog ahead of it is taken, else the backlog; `None` once
    /// every sender is gone and nothing is left.
    pub(super) async fn next(
        &mut self,
        calls: &mut mpsc::Receiver<Msg>,
        backlog: &mut mpsc::Receiver<Msg>,
    ) -> Option<Msg> {
        if let Ok(m) = calls.try_recv() {
            return Some(m);
        }
        if let Some((_, ready)) = self.queue.front() {
            if self.taken >= *ready || backlog.is_empty() {
                return self.queue.pop_front().map(|(m, _)| m);
            }
        }
        let msg = tokio::select! {
            biased;
            Some(m) = calls.recv() => return Some(m),
            Some(m) = backlog.recv() => m,
            else => return self.queue.pop_front().map(|(m, _)| m),
        };
        self.taken += 1;
        Some(msg)
    }
}

/// Messages in `tx`'s channel now (with slots reserved for senders).
pub(super) fn waiting(tx: &mpsc::Sender<Msg>) -> usize {
    tx.max_capacity() - tx.capacity()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(session: &str) -> Msg {
        Msg::Output(session.to_string())
    }

    fn name(msg: Option<Msg>) -> String {
        match msg {
            Some(Msg::Output(s)) => s,
            Some(Msg::Tick) => "tick".into(),
            Some(_) => "other".into(),
            None => "none".into(),
        }
    }

    #[tokio::test]
    async fn put_off_goes_behind_the_backlog_and_calls_go_first() {
        let (calls_tx, mut calls) = mpsc::channel(4);
        let (tx, mut backlog) = mpsc::channel(4);
        let mut later = Later::default();
        tx.send(out("b1")).await.expect("room");
        tx.send(out("b2")).await.expect("room");
        later.push(out("later"), waiting(&tx));
        tx.send(out("b3")).await.expect("room");
        calls_tx.send(Msg::Tick).await.expect("room");
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(name(later.next(&mut calls, &mut backlog).await));
        }
        assert_eq!(got, ["tick", "b1", "b2", "later", "b3"]);
        drop((calls_tx, tx));
        assert_eq!(name(later.next(&mut calls, &mut backlog).await), "none");
    }

    #[tokio::test]
    async fn put_off_runs_at_once_when_the_backlog_is_empty() {
        let (_calls_tx, mut calls) = mpsc::channel(4);
        let (_tx, mut backlog) = mpsc::channel(4);
        let mut later = Later::default();
        later.push(out("a"), 3);
        later.push(out("b"), 3);
        assert_eq!(name(later.next(&mut calls, &mut backlog).await), "a");
        assert_eq!(name(later.next(&mut calls, &mut backlog).await), "b");
    }

    #[tokio::test]
    async fn a_full_backlog_makes_its_sender_wait_until_the_actor_takes() {
        let (_calls_tx, mut calls) = mpsc::channel(1);
        let (tx, mut backlog) = mpsc::channel(2);
        tx.send(out("1")).await.expect("room");
        tx.send(out("2")).await.expect("room");
        assert!(tx.try_send(out("3")).is_err(), "full");
        let sender = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(out("3")).await.is_ok() }
        });
        tokio::task::yield_now().await;
        assert!(!sender.is_finished(), "waits while full");
        let mut later = Later::default();
        assert_eq!(name(later.next(&mut calls, &mut backlog).await), "1");
        assert!(sender.await.expect("the sender ran"));
        assert_eq!(waiting(&tx), 2);
    }
}
