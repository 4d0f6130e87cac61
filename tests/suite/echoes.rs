//! Airlock's own writes are taken in when Airlock makes them, not a second
//! time when the watchers report them back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use airlock_engine::Engine;

use super::support::*;

/// Waits until no file has been read and diffed again for 1.5 s (the
/// watchers' reports arrive well within that).
async fn quiet(engine: &Engine) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = engine.refreshes();
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_millis(1500) {
        assert!(Instant::now() < deadline, "the engine never went quiet");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = engine.refreshes();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_landing_is_not_read_and_diffed_again_when_the_watcher_reports_it() {
    let f = Fixture::git(&[("a.txt", "one\n"), ("b.txt", "two\n")]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = PathBuf::from(&s.cwd);
    std::fs::write(stage.join("a.txt"), "one\nmore\n").expect("write");
    std::fs::create_dir_all(stage.join("new/deep")).expect("mkdir");
    std::fs::write(stage.join("new/deep/c.txt"), "three\n").expect("write");
    std::fs::remove_file(stage.join("b.txt")).expect("rm");
    let queued = wait_for(&engine, "three changes", |c| c.len() == 3).await;
    quiet(&engine).await;

    approve(&engine, queued.iter().map(|c| c.id.clone()).collect()).await;
    let decided = engine.refreshes();
    assert_eq!(read(&f.project.join("new/deep/c.txt")), "three\n");
    assert!(!f.project.join("b.txt").exists());
    assert_eq!(
        quiet(&engine).await,
        decided,
        "the landing's echo from the project watcher was read and diffed again"
    );

    // A reject reverts the stage: its echo from the stage watcher is not news either.
    std::fs::write(stage.join("a.txt"), "agent again\n").expect("write");
    let queued = wait_for_path(&engine, "the agent's new edit", "a.txt").await;
    quiet(&engine).await;
    reject(&engine, queued.iter().map(|c| c.id.clone()).collect(), None).await;
    let decided = engine.refreshes();
    assert_eq!(read(&stage.join("a.txt")), "one\nmore\n", "reverted");
    assert_eq!(
        quiet(&engine).await,
        decided,
        "the reject's revert was read and diffed again when the stage watcher reported it"
    );

    // What the user writes afterwards is no echo: it reaches the stage.
    std::fs::write(f.project.join("a.txt"), "the user's\n").expect("write");
    eventually(10, "the user's edit in the stage", || async {
        (read(&stage.join("a.txt")) == "the user's\n").then_some(())
    })
    .await;
    assert!(changes(&engine, None).await.is_empty(), "nothing pending");
}
