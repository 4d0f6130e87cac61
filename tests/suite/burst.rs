//! A burst of 5,000 files written by a session: the actor keeps answering
//! a window's `status` while it takes them in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_protocol::{Event, Request};

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_5000_files_leaves_the_actor_answering_status() {
    let f = Fixture::git(&[("a.txt", "one\n")]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let done = Arc::new(AtomicBool::new(false));
    let took = Arc::new(Mutex::new(Vec::new()));
    let probe = {
        let (engine, done, took) = (engine.clone(), done.clone(), took.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                engine.call(Request::Status).await.expect("status");
                took.lock().expect("lock").push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let script = "for d in $(seq 0 49); do mkdir -p gen/$d; for i in $(seq 0 99); do echo \"file $d $i\" > gen/$d/f$i.txt; done; done";
    start(&engine, &["bash", "-c", script]).await;
    wait_event(&mut events, 30, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    eventually(120, "all 5,000 held", || async {
        let n = changes(&engine, None).await.len();
        (n == 5_000).then_some(())
    })
    .await;
    done.store(true, Ordering::Relaxed);
    probe.await.expect("probe");
    let mut took = took.lock().expect("lock").clone();
    took.sort();
    let p99 = took[(took.len() - 1) * 99 / 100];
    eprintln!(
        "status while 5,000 files were taken in: {} calls, p50 {:?}, p99 {p99:?}, max {:?}",
        took.len(),
        took[took.len() / 2],
        took[took.len() - 1]
    );
    assert!(took.len() >= 20, "the probe ran only {} times", took.len());
    assert!(
        p99 <= Duration::from_millis(50),
        "status p99 {p99:?} while taking in a burst (over 50 ms)"
    );
}
