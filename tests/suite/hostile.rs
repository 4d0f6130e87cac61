//! An agent that misbehaves: it rewrites a file after the user reviewed it,
//! swaps FIFOs in and out under the engine's reads, replaces a folder by a
//! file, and makes a landing fail half-way. Each test tries to get past the
//! review queue and checks that it cannot.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use airlock_engine::Engine;
use airlock_protocol::{Change, ChangeKind, ChangeState, ErrorCode, Request, Response};

use super::support::*;

fn seen(c: &Change) -> Option<BTreeMap<String, String>> {
    Some(BTreeMap::from([(c.id.clone(), c.version.clone())]))
}

async fn landings(engine: &Engine) -> usize {
    match call(engine, Request::ListLandings).await {
        Response::Landings { landings } => landings.len(),
        other => panic!("expected landings, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_after_review_is_not_landed() {
    let f = Fixture::git(&[("a.txt", "original\n")]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = Path::new(&s.cwd).to_path_buf();
    std::fs::write(stage.join("a.txt"), "reviewed\n").expect("agent");
    let shown = wait_for(&engine, "the reviewed text", |c| {
        c.len() == 1 && c[0].additions == 1
    })
    .await
    .remove(0);
    // The agent writes again right as the user clicks Approve on what they saw.
    std::fs::write(stage.join("a.txt"), "sneaked in\n").expect("agent again");
    let err = engine
        .call(Request::Approve {
            ids: vec![shown.id.clone()],
            always: None,
            versions: seen(&shown),
        })
        .await
        .expect_err("a decision on a version that moved on");
    assert_eq!(err.code, ErrorCode::Changed, "{err:?}");
    assert!(err.message.contains("changed since you looked"), "{err:?}");
    assert_eq!(
        read(&f.project.join("a.txt")),
        "original\n",
        "nothing landed"
    );
    assert_eq!(landings(&engine).await, 0);
    // Approve all, with what was on screen, refuses too.
    let err = engine
        .call(Request::ApproveAll {
            session: None,
            versions: seen(&shown),
        })
        .await
        .expect_err("approve all of what moved on");
    assert_eq!(err.code, ErrorCode::Changed);
    assert_eq!(read(&f.project.join("a.txt")), "original\n");
    // The queue shows the new text with a new version; approving that lands it.
    let now = wait_for(&engine, "the new version", |c| {
        c.len() == 1 && c[0].version != shown.version
    })
    .await
    .remove(0);
    assert_eq!(now.id, shown.id, "the same change, a new version");
    call(
        &engine,
        Request::Approve {
            ids: vec![now.id.clone()],
            always: None,
            versions: seen(&now),
        },
    )
    .await;
    assert_eq!(read(&f.project.join("a.txt")), "sneaked in\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_all_takes_only_what_was_on_screen() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = Path::new(&s.cwd).to_path_buf();
    std::fs::write(stage.join("one.txt"), "1\n").expect("agent");
    let shown = wait_for(&engine, "one change", |c| c.len() == 1)
        .await
        .remove(0);
    std::fs::write(stage.join("two.txt"), "2\n").expect("agent");
    wait_for(&engine, "two changes", |c| c.len() == 2).await;
    call(
        &engine,
        Request::ApproveAll {
            session: None,
            versions: seen(&shown),
        },
    )
    .await;
    assert_eq!(read(&f.project.join("one.txt")), "1\n");
    assert!(
        !f.project.join("two.txt").exists(),
        "two.txt was never shown"
    );
    let left = changes(&engine, None).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].path, "two.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifos_swapped_under_the_reads_never_hang_the_engine() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    // A file and a FIFO take turns at one path, hundreds of times, so that
    // some read sees a file at stat and a FIFO at open.
    let s = start(
        &engine,
        &[
            "bash",
            "-c",
            "for i in $(seq 400); do echo x > f; rm f; mkfifo f; rm f; done; \
             mkfifo final.fifo; sleep 600",
        ],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let held = loop {
        let t = Instant::now();
        let c = changes(&engine, None).await;
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "the engine took {:?} to answer",
            t.elapsed()
        );
        if let Some(c) = c.into_iter().find(|c| c.path == "final.fifo") {
            break c;
        }
        assert!(Instant::now() < deadline, "final.fifo never showed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(held.state, ChangeState::Held);
    assert!(
        held.held.as_deref().unwrap_or("").contains("special file"),
        "{held:?}"
    );
    let err = engine
        .call(Request::Approve {
            ids: vec![held.id.clone()],
            always: None,
            versions: None,
        })
        .await
        .expect_err("a special file is never approved");
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(!f.project.join("final.fifo").exists());
    // Rejecting takes it out of the stage.
    call(
        &engine,
        Request::Reject {
            ids: vec![held.id.clone()],
            reason: None,
            versions: None,
        },
    )
    .await;
    wait_for(&engine, "the FIFO gone from the queue", |c| {
        c.iter().all(|c| c.path != "final.fifo")
    })
    .await;
    let fifo = Path::new(&s.cwd).join("final.fifo");
    assert!(
        std::fs::symlink_metadata(&fifo).is_err(),
        "the reject took it out of the stage"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_replaced_by_a_file_is_a_reviewable_change() {
    let f = Fixture::git(&[("dir/a.txt", "a\n"), ("dir/b.txt", "b\n")]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = Path::new(&s.cwd).to_path_buf();
    sh(&stage, "rm -rf dir && echo 'now a file' > dir");
    let c = wait_for(&engine, "the file and the two deletions", |c| c.len() == 3).await;
    let kinds: BTreeMap<&str, ChangeKind> = c.iter().map(|c| (c.path.as_str(), c.kind)).collect();
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("dir", ChangeKind::Created),
            ("dir/a.txt", ChangeKind::Deleted),
            ("dir/b.txt", ChangeKind::Deleted),
        ])
    );
    // The agent's file stays in its stage while it waits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(read(&stage.join("dir")), "now a file\n");
    approve_all(&engine).await;
    assert_eq!(read(&f.project.join("dir")), "now a file\n");
    wait_for(&engine, "an empty queue", |c| c.is_empty()).await;
    // And back: undo puts the folder and its files back.
    call(&engine, Request::Undo { landing: None }).await;
    assert_eq!(read(&f.project.join("dir/a.txt")), "a\n");
    assert_eq!(read(&f.project.join("dir/b.txt")), "b\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_landing_whose_write_fails_is_put_back_and_not_recorded() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = Path::new(&s.cwd).to_path_buf();
    sh(
        &stage,
        "echo changed > a.txt && mkdir sub && echo new > sub/new.txt",
    );
    let c = wait_for(&engine, "two changes", |c| c.len() == 2).await;
    // The user makes a file where the agent's folder goes: that write fails.
    std::fs::write(f.project.join("sub"), "the user's file\n").expect("user");
    let ids: Vec<String> = c.iter().map(|c| c.id.clone()).collect();
    let versions: BTreeMap<String, String> = c
        .iter()
        .map(|c| (c.id.clone(), c.version.clone()))
        .collect();
    let err = engine
        .call(Request::Approve {
            ids,
            always: None,
            versions: Some(versions),
        })
        .await
        .expect_err("the landing cannot write sub/new.txt");
    assert_eq!(err.code, ErrorCode::Io, "{err:?}");
    assert_eq!(read(&f.project.join("a.txt")), "a\n", "a.txt put back");
    assert_eq!(read(&f.project.join("sub")), "the user's file\n");
    assert_eq!(landings(&engine).await, 0, "a failed landing is no landing");
    // Nothing is rolled forward at the next start either.
    engine.shutdown().await;
    drop(engine);
    let engine = f.engine().await;
    assert_eq!(read(&f.project.join("a.txt")), "a\n");
    assert_eq!(landings(&engine).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_all_leaves_out_files_that_grant_power() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = Path::new(&s.cwd).to_path_buf();
    sh(
        &stage,
        "mkdir -p .airlock .claude && echo '[allow]' > .airlock/policy.toml && \
         echo '{}' > .claude/settings.json && echo 'use nix' > .envrc && echo ok > notes.txt",
    );
    wait_for(&engine, "four changes", |c| c.len() == 4).await;
    approve_all(&engine).await;
    assert_eq!(read(&f.project.join("notes.txt")), "ok\n");
    for p in [".airlock/policy.toml", ".claude/settings.json", ".envrc"] {
        assert!(!f.project.join(p).exists(), "{p} landed in bulk");
    }
    wait_for(&engine, "three left", |c| c.len() == 3).await;
    // They carry the badge once enriched, and land when approved one by one.
    let policy = eventually(10, "the grants-power badge", || async {
        changes(&engine, None)
            .await
            .into_iter()
            .find(|c| c.path == ".airlock/policy.toml" && !c.badges.is_empty())
    })
    .await;
    assert!(
        policy
            .badges
            .iter()
            .any(|b| b.kind == airlock_protocol::BadgeKind::GrantsPower),
        "{:?}",
        policy.badges
    );
    call(
        &engine,
        Request::Approve {
            ids: vec![policy.id.clone()],
            always: None,
            versions: seen(&policy),
        },
    )
    .await;
    assert_eq!(read(&f.project.join(".airlock/policy.toml")), "[allow]\n");
}
