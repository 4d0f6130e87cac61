//! File written in a stage → `changeProposed` seen by a client connected to
//! the engine's socket, over 200 writes; against the bare kernel notification
//! (notify/inotify, no engine) measured in the same run.
//!
//! `cargo bench -p airlock-engine --bench change_latency`

#[path = "support/bench.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use airlock_engine::server::{Client, SocketServer};
use airlock_protocol::Event;
use notify::{RecursiveMode, Watcher};

const WRITES: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn raw_inotify(dir: &Path) -> Vec<Duration> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        if let Ok(e) = e {
            let _ = tx.send((Instant::now(), e));
        }
    })
    .expect("watcher");
    watcher.watch(dir, RecursiveMode::Recursive).expect("watch");
    let mut out = Vec::new();
    for i in 0..WRITES {
        let name = format!("raw-{i}.txt");
        let start = Instant::now();
        std::fs::write(dir.join(&name), format!("line {i}\n")).expect("write");
        loop {
            let (at, e) = rx.recv_timeout(Duration::from_secs(5)).expect("event");
            if e.paths.iter().any(|p| p.ends_with(&name)) {
                out.push(at - start);
                break;
            }
        }
        // Let the rest of this write's events pass.
        std::thread::sleep(Duration::from_millis(5));
        while rx.try_recv().is_ok() {}
    }
    out
}

fn main() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = support::git_project(tmp.path());
    let raw_dir = tmp.path().join("raw");
    std::fs::create_dir_all(&raw_dir).expect("mkdir");
    let mut raw = raw_inotify(&raw_dir);
    raw.sort();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut ours = rt.block_on(async {
        let engine = support::open(&project, tmp.path()).await;
        let _socket = SocketServer::start(engine.clone(), None)
            .await
            .expect("socket");
        let session = support::sleeper(&engine).await;
        let mut events = Client::connect(Some(&tmp.path().join("home")), &project)
            .await
            .expect("client")
            .subscribe()
            .await
            .expect("subscribe");
        let stage = Path::new(&session.cwd).to_path_buf();
        let mut out = Vec::new();
        for i in 0..WRITES {
            let name = format!("file-{i}.txt");
            let start = Instant::now();
            std::fs::write(stage.join(&name), format!("line {i}\n")).expect("write");
            loop {
                let e = tokio::time::timeout(Duration::from_secs(5), events.next())
                    .await
                    .expect("no event within 5 s")
                    .expect("stream ended");
                if matches!(&e, Event::ChangeProposed { change } if change.path == name) {
                    out.push(start.elapsed());
                    break;
                }
            }
        }
        engine.shutdown().await;
        out
    });
    ours.sort();
    let (rm, r99) = (percentile(&raw, 0.5), percentile(&raw, 0.99));
    let (om, o99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
    println!("change latency over {WRITES} writes (file written in the stage -> event at a socket client)");
    println!("| path | median | p99 |");
    println!("|---|---|---|");
    println!(
        "| kernel event only (notify, no engine) | {:.3} ms | {:.3} ms |",
        ms(rm),
        ms(r99)
    );
    println!(
        "| Airlock: write -> changeProposed at a client | {:.2} ms | {:.2} ms |",
        ms(om),
        ms(o99)
    );
    println!(
        "| Airlock minus kernel | {:.2} ms | {:.2} ms |",
        ms(om) - ms(rm),
        ms(o99) - ms(r99)
    );
    println!(
        "target: median <= 30 ms -> {}",
        if ms(om) <= 30.0 { "met" } else { "MISSED" }
    );
}
