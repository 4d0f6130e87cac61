//! From landed hunks to a commit, and attempts side by side (issue 17):
//! - committing 1,000 landed files (`commit`, the user's git doing the
//!   work), against `git add` + `git commit` of the same files by hand in
//!   a copy of the same project, same run;
//! - `compare` of 3 attempts × 200 changed files (what the compare view
//!   asks for when it opens), against `git diff` of the three stages.
//!
//! `cargo bench -p airlock-engine --bench vcs_speed` (`-- --quick`: 100
//! files and 3 × 20, as CI runs it).

#[path = "support/bench.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use airlock_engine::Engine;
use airlock_protocol::{CommitParams, Request, Response, StartAttemptsParams};

fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

fn git(dir: &Path, script: &str) {
    let ok = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .status()
        .expect("bash")
        .success();
    assert!(ok, "{script}");
}

fn write_files(dir: &Path, n: usize, tag: &str) {
    for i in 0..n {
        let sub = dir.join(format!("gen/d{}", i / 100));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let body: String = (0..20)
            .map(|l| format!("{tag} file {i} line {l}\n"))
            .collect();
        std::fs::write(sub.join(format!("f{i}.txt")), body).expect("write");
    }
}

async fn status(engine: &Engine) -> airlock_protocol::StatusInfo {
    match engine.call(Request::Status).await.expect("status") {
        Response::Status(s) => s,
        other => panic!("{other:?}"),
    }
}

/// Waits until `done` holds of the status (ten minutes at most).
async fn until(engine: &Engine, what: &str, done: impl Fn(&airlock_protocol::StatusInfo) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !done(&status(engine).await) {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Airlock's commit of `n` landed files, and the same by hand.
async fn commit(tmp: &Path, n: usize) -> (Duration, Duration) {
    let project = support::git_project(&tmp.join("a"));
    let hand = support::git_project(&tmp.join("b"));
    let engine = support::open(&project, &tmp.join("a")).await;
    let session = support::sleeper(&engine).await;
    write_files(Path::new(&session.cwd), n, "agent");
    until(&engine, "all held", |s| s.pending_changes as usize >= n).await;
    engine
        .call(Request::ApproveAll {
            session: None,
            versions: None,
        })
        .await
        .expect("approve all");
    let t = Instant::now();
    let done = engine
        .call(Request::Commit(CommitParams {
            message: Some("generated files".into()),
            ..Default::default()
        }))
        .await
        .expect("commit");
    let ours = t.elapsed();
    assert!(matches!(done, Response::Committed(c) if c.paths.len() == n));
    engine.shutdown().await;
    write_files(&hand, n, "agent");
    let t = Instant::now();
    git(&hand, "git add gen && git commit -qm 'generated files'");
    (ours, t.elapsed())
}

/// `compare` of 3 attempts × `n` changed files (median of 11), and `git
/// diff` of the three stages (median of 11).
async fn compare(tmp: &Path, n: usize) -> (Duration, Duration) {
    let project = support::git_project(&tmp.join("c"));
    write_files(&project, n, "project");
    support::commit_all(&project);
    let engine = support::open(&project, &tmp.join("c")).await;
    let script = format!(
        "for i in $(seq 0 {last}); do f=gen/d$((i / 100))/f$i.txt; sed -i \"s/line 3$/line 3 by $AIRLOCK_ATTEMPT/; s/line 15$/line 15 by $AIRLOCK_ATTEMPT/\" $f; done",
        last = n - 1
    );
    let task = match engine
        .call(Request::StartAttempts(StartAttemptsParams {
            task: script,
            count: 3,
            ..Default::default()
        }))
        .await
        .expect("attempts")
    {
        Response::Task(t) => t,
        other => panic!("{other:?}"),
    };
    until(&engine, "3 × all held", |s| {
        s.sessions
            .iter()
            .filter(|x| x.pending_changes as usize == n)
            .count()
            == 3
    })
    .await;
    let mut ours = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let r = engine
            .call(Request::Compare {
                task: task.id.clone(),
            })
            .await
            .expect("compare");
        ours.push(t.elapsed());
        assert!(matches!(r, Response::Comparison(c) if c.files.len() == n));
    }
    let stages: Vec<String> = status(&engine)
        .await
        .sessions
        .into_iter()
        .map(|s| s.cwd)
        .collect();
    let mut theirs = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        for stage in &stages {
            let out = Command::new("git")
                .args(["diff", "--no-color"])
                .current_dir(stage)
                .output()
                .expect("git diff");
            assert!(out.status.success() && !out.stdout.is_empty());
        }
        theirs.push(t.elapsed());
    }
    engine.shutdown().await;
    ours.sort();
    theirs.sort();
    (ours[5], theirs[5])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let (files, per_attempt) = if quick() { (100, 20) } else { (1_000, 200) };
    let tmp = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (ours, hand) = rt.block_on(commit(tmp.path(), files));
    let (cmp, diff) = rt.block_on(compare(tmp.path(), per_attempt));
    println!("| what | Airlock | by hand, same run | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| commit {files} landed files | {:.0} ms | {:.0} ms (`git add` + `git commit`) | {:.1}× |",
        ms(ours),
        ms(hand),
        ms(ours) / ms(hand)
    );
    println!(
        "| `compare` of 3 attempts × {per_attempt} files (median of 11) | {:.1} ms | {:.1} ms (`git diff` in the 3 stages) | {:.3}× |",
        ms(cmp),
        ms(diff),
        ms(cmp) / ms(diff)
    );
}
