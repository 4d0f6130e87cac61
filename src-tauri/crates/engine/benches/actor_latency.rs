//! The actor's answer time while a 100,000-line change is taken in again
//! and again: a window asks `status` every 2 ms while an agent rewrites one
//! 100,000-line file (a thousand hunks) in its stage, each rewrite read,
//! diffed and announced anew. Beside it, in the same run, the same `status`
//! round trip on the same engine at rest: the floor a busy actor is held to.
//!
//! `cargo bench -p airlock-engine --bench actor_latency` (100,000 lines, 20
//! rewrites; `-- --quick` for 10,000 lines and 3, as CI runs it).

#[path = "support/bench.rs"]
mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_engine::Engine;
use airlock_protocol::{Event, Request};

fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// The text of the file at `round`: every hundredth line differs from the
/// project's, by round.
fn text(lines: usize, round: usize) -> String {
    let mut out = String::with_capacity(lines * 24);
    for i in 0..lines {
        if round > 0 && i % 100 == 7 {
            out.push_str(&format!("    let edited_{i} = {round};\n"));
        } else {
            out.push_str(&format!("    let value_{i} = {i};\n"));
        }
    }
    out
}

/// `status` round trips, one every 2 ms, until `done`.
async fn probe(engine: Engine, done: Arc<AtomicBool>, out: Arc<Mutex<Vec<Duration>>>) {
    while !done.load(Ordering::Relaxed) {
        let t = Instant::now();
        engine.call(Request::Status).await.expect("status");
        if let Ok(mut l) = out.lock() {
            l.push(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn at_rest(engine: &Engine, calls: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        engine.call(Request::Status).await.expect("status");
        out.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    out
}

/// Rewrites the file `rounds` times, each time waiting until the change
/// announced carries that round's text; how long each took.
async fn rewrite(engine: &Engine, stage: &Path, lines: usize, rounds: usize) -> Vec<Duration> {
    let mut events = engine.subscribe_without_output();
    let mut took = Vec::new();
    for round in 1..=rounds {
        let body = text(lines, round);
        let t = Instant::now();
        std::fs::write(stage.join("big.rs"), &body).expect("write");
        let want = format!("edited_7 = {round};");
        loop {
            let event = tokio::time::timeout(Duration::from_secs(60), events.next())
                .await
                .expect("announced within a minute")
                .expect("events");
            let Event::ChangeProposed { change } = event else {
                continue;
            };
            if change.path != "big.rs" {
                continue;
            }
            let diff = engine
                .call(Request::GetDiff {
                    change: change.id.clone(),
                    from: Some(0),
                    count: Some(1),
                    ignore_whitespace: None,
                })
                .await
                .expect("diff");
            if format!("{diff:?}").contains(&want) {
                break;
            }
        }
        took.push(t.elapsed());
    }
    took
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn pct(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn main() {
    let (lines, rounds) = if quick() { (10_000, 3) } else { (100_000, 20) };
    let tmp = tempfile::tempdir().expect("tmp");
    let project = support::git_project(tmp.path());
    std::fs::write(project.join("big.rs"), text(lines, 0)).expect("big.rs");
    support::commit_all(&project);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (rest, busy, took) = rt.block_on(async {
        let engine = support::open(&project, tmp.path()).await;
        let session = support::sleeper(&engine).await;
        let stage = std::path::PathBuf::from(&session.cwd);
        let mut rest = at_rest(&engine, 500).await;
        let done = Arc::new(AtomicBool::new(false));
        let busy = Arc::new(Mutex::new(Vec::new()));
        let probing = tokio::spawn(probe(engine.clone(), done.clone(), busy.clone()));
        let took = rewrite(&engine, &stage, lines, rounds).await;
        done.store(true, Ordering::Relaxed);
        probing.await.expect("probe");
        engine.shutdown().await;
        let mut busy = busy.lock().map(|b| b.clone()).unwrap_or_default();
        busy.sort();
        rest.sort();
        (rest, busy, took)
    });
    report(lines, rounds, &rest, &busy, &took);
}

fn report(lines: usize, rounds: usize, rest: &[Duration], busy: &[Duration], took: &[Duration]) {
    let row = |what: &str, l: &[Duration]| {
        println!(
            "| {what} | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
            ms(pct(l, 0.5)),
            ms(pct(l, 0.99)),
            ms(pct(l, 1.0)),
            l.len()
        );
    };
    println!(
        "actor latency: `status` every 2 ms while a {lines}-line file is rewritten {rounds} times"
    );
    println!("| `status` round trip | p50 | p99 | max | calls |");
    println!("|---|---|---|---|---|");
    row("engine at rest (floor, same run)", rest);
    row("while the change is taken in again", busy);
    let mut took = took.to_vec();
    took.sort();
    println!(
        "rewrite → its diff announced and served: p50 {:.0} ms, max {:.0} ms; busy p99 / rest p99 = {:.1}×",
        ms(pct(&took, 0.5)),
        ms(pct(&took, 1.0)),
        ms(pct(busy, 0.99)) / ms(pct(rest, 0.99)).max(1e-3)
    );
}
