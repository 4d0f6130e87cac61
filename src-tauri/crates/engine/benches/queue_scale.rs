//! How the review queue scales with the number of files an agent writes:
//! N new files written into a stage until all N are held for review, then
//! "Approve all" until all N have landed, and the actor's `status` round trip
//! while it takes them in. Beside each, the physical cost of the same file
//! work in the same run: writing the N files (what the agent did) and
//! copying them into the project (what a landing must do at least).
//!
//! `cargo bench -p airlock-engine --bench queue_scale` (10,000 files;
//! `AIRLOCK_BENCH_FILES=N` for another count, `-- --quick` for 200, as CI runs it).

#[path = "support/bench.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_engine::Engine;
use airlock_protocol::{Request, Response};

fn files() -> usize {
    if std::env::args().any(|a| a == "--quick") {
        return 200;
    }
    std::env::var("AIRLOCK_BENCH_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// Writes `n` small files below `dir` the way an agent's generator would
/// (a hundred per folder).
fn write_files(dir: &Path, n: usize) {
    for i in 0..n {
        let sub = dir.join(format!("gen/d{}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&sub).expect("mkdir");
        }
        std::fs::write(sub.join(format!("f{i}.txt")), format!("generated {i}\n")).expect("write");
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

async fn pending(engine: &Engine) -> usize {
    match engine.call(Request::Status).await.expect("status") {
        Response::Status(s) => s.pending_changes as usize,
        other => panic!("{other:?}"),
    }
}

fn main() {
    let n = files();
    let tmp = tempfile::tempdir().expect("tmp");
    let project = support::git_project(tmp.path());

    let (write_floor, copy_floor) = floors(tmp.path(), n);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (held, approved, latencies) = rt.block_on(async {
        let engine = support::open(&project, tmp.path()).await;
        let session = support::sleeper(&engine).await;
        let stage = PathBuf::from(&session.cwd);
        // A user's window asking for the state all along.
        let done = Arc::new(AtomicBool::new(false));
        let lat = Arc::new(Mutex::new(Vec::new()));
        let probe = {
            let (engine, done, lat) = (engine.clone(), done.clone(), lat.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let _ = engine.call(Request::Status).await;
                    if let Ok(mut l) = lat.lock() {
                        l.push(t.elapsed());
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let t = Instant::now();
        let writer = tokio::task::spawn_blocking(move || write_files(&stage, n));
        writer.await.expect("writer");
        let deadline = Instant::now() + Duration::from_secs(1800);
        while pending(&engine).await < n {
            assert!(Instant::now() < deadline, "never held all {n} files");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let held = t.elapsed();
        done.store(true, Ordering::Relaxed);
        let _ = probe.await;
        let t = Instant::now();
        engine
            .call(Request::ApproveAll {
                session: None,
                versions: None,
            })
            .await
            .expect("approve all");
        let approved = t.elapsed();
        assert!(project.join("gen/d0/f0.txt").exists(), "landed");
        engine.shutdown().await;
        let mut l = lat.lock().map(|l| l.clone()).unwrap_or_default();
        l.sort();
        (held, approved, l)
    });
    report(n, (held, write_floor), (approved, copy_floor), &latencies);
}

/// The physical floor, same files, same disk, same run: writing them, and
/// `cp -r` of them.
fn floors(tmp: &std::path::Path, n: usize) -> (Duration, Duration) {
    let floor_dir = tmp.join("floor");
    let t = Instant::now();
    write_files(&floor_dir, n);
    let write_floor = t.elapsed();
    let copy_dst = tmp.join("copy");
    let t = Instant::now();
    let ok = Command::new("cp")
        .arg("-r")
        .arg(floor_dir.join("gen"))
        .arg(&copy_dst)
        .status()
        .expect("cp")
        .success();
    assert!(ok);
    let copy_floor = t.elapsed();

    (write_floor, copy_floor)
}

/// The table BENCHMARKS.md shows.
fn report(
    n: usize,
    (held, write_floor): (Duration, Duration),
    (approved, copy_floor): (Duration, Duration),
    latencies: &[Duration],
) {
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!("review queue at scale: {n} new files written into a stage");
    println!("| step | Airlock | physical floor (same run) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| written → all held for review | {:.2} s | {:.2} s (writing them) | {:.1}× |",
        secs(held),
        secs(write_floor),
        secs(held) / secs(write_floor)
    );
    println!(
        "| Approve all → all landed | {:.2} s | {:.2} s (`cp -r` of them) | {:.1}× |",
        secs(approved),
        secs(copy_floor),
        secs(approved) / secs(copy_floor)
    );
    println!(
        "| `status` round trip while taking them in | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} calls) | | |",
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        p(1.0).as_secs_f64() * 1e3,
        latencies.len()
    );
}
