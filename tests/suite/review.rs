//! The review engine's promises, end to end on real files: the user's own
//! edits are merged into the stages and never overwritten, conflicts are
//! held, edits before approval land as edited, undo reverts or refuses, and
//! nothing is written outside the project.

use std::path::Path;

use airlock_engine::Engine;
use airlock_protocol::{BadgeKind, Change, ChangeState, ErrorCode, Event, Request, Response};

use super::support::*;

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// Starts a long-lived session whose stage the test writes into directly, as an agent would.
async fn session(engine: &Engine) -> (String, std::path::PathBuf) {
    let s = start(engine, &["sleep", "600"]).await;
    (s.id, Path::new(&s.cwd).to_path_buf())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_edit_elsewhere_is_merged_into_the_stage() {
    let f = Fixture::git(&[("a.txt", &numbered(20))]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(
        stage.join("a.txt"),
        numbered(20).replace("line 15\n", "agent 15\n"),
    )
    .expect("agent");
    let first = wait_for(&engine, "the agent's hunk", |c| c.len() == 1).await;
    let agent_hunk = first[0].hunks[0].id.clone();
    // The user edits line 2 in their editor while the hunk waits.
    std::fs::write(
        f.project.join("a.txt"),
        numbered(20).replace("line 2\n", "user 2\n"),
    )
    .expect("user");
    eventually(10, "the user's edit in the stage", || async {
        read(&stage.join("a.txt"))
            .contains("user 2\n")
            .then_some(())
    })
    .await;
    let now = wait_for(&engine, "the queue to settle", |c| {
        c.len() == 1 && c[0].hunks.len() == 1 && c[0].state == ChangeState::Pending
    })
    .await;
    assert_eq!(
        now[0].hunks[0].id, agent_hunk,
        "the agent's hunk keeps its id"
    );
    call(
        &engine,
        Request::Approve {
            versions: None,
            ids: vec![agent_hunk],
            always: None,
        },
    )
    .await;
    let landed = read(&f.project.join("a.txt"));
    assert!(
        landed.contains("user 2\n") && landed.contains("agent 15\n"),
        "{landed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_user_edit_is_a_conflict_that_never_overwrites_the_user() {
    let f = Fixture::git(&[("a.txt", &numbered(20))]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(
        stage.join("a.txt"),
        numbered(20)
            .replace("line 5\n", "agent 5\n")
            .replace("line 15\n", "agent 15\n"),
    )
    .expect("agent");
    wait_for(&engine, "two hunks", |c| {
        c.len() == 1 && c[0].hunks.len() == 2
    })
    .await;
    std::fs::write(
        f.project.join("a.txt"),
        numbered(20).replace("line 5\n", "user 5\n"),
    )
    .expect("user");
    let c = wait_for(&engine, "a conflict", |c| {
        c.len() == 1 && c[0].state == ChangeState::Conflict
    })
    .await;
    let conflict = c[0]
        .hunks
        .iter()
        .find(|h| h.conflict)
        .expect("conflict hunk")
        .id
        .clone();
    let clean = c[0]
        .hunks
        .iter()
        .find(|h| !h.conflict)
        .expect("clean hunk")
        .id
        .clone();
    let err = engine
        .call(Request::Approve {
            versions: None,
            ids: vec![conflict.clone()],
            always: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(read(&f.project.join("a.txt")).contains("user 5\n"));
    // Approve all lands what it safely can and leaves the conflict.
    approve_all(&engine).await;
    let text = read(&f.project.join("a.txt"));
    assert!(
        text.contains("user 5\n") && text.contains("agent 15\n") && !text.contains("agent 5\n"),
        "{text}"
    );
    let c = wait_for(&engine, "only the conflict left", |c| {
        c.len() == 1 && c[0].hunks.len() == 1
    })
    .await;
    assert!(c[0].hunks[0].conflict);
    assert!(!c[0].hunks.iter().any(|h| h.id == clean));
    // Rejecting the conflict keeps the user's text and the stage takes it.
    call(
        &engine,
        Request::Reject {
            versions: None,
            ids: vec![c[0].hunks[0].id.clone()],
            reason: None,
        },
    )
    .await;
    wait_for(&engine, "an empty queue", |c| c.is_empty()).await;
    assert_eq!(read(&stage.join("a.txt")), read(&f.project.join("a.txt")));
    assert!(read(&f.project.join("a.txt")).contains("user 5\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_edits_reach_stages_with_nothing_pending() {
    let f = Fixture::git(&[("a.txt", "one\n")]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(f.project.join("a.txt"), "one\ntwo\n").expect("user");
    std::fs::write(f.project.join("b.txt"), "new\n").expect("user");
    eventually(10, "the user's files in the stage", || async {
        (std::fs::read_to_string(stage.join("a.txt")).ok()? == "one\ntwo\n"
            && std::fs::read_to_string(stage.join("b.txt")).ok()? == "new\n")
            .then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        changes(&engine, None).await.is_empty(),
        "the user's edits are never shown as the agent's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_before_approve_and_line_level_approval() {
    let f = Fixture::git(&[("a.txt", "a\nb\nc\n"), ("b.txt", "x\ny\n")]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(stage.join("a.txt"), "a\nB\nc\n").expect("agent");
    std::fs::write(stage.join("b.txt"), "x\nY1\nY2\n").expect("agent");
    let c = wait_for(&engine, "two changes", |c| c.len() == 2).await;
    let a = c.iter().find(|c| c.path == "a.txt").expect("a").hunks[0]
        .id
        .clone();
    let b = c.iter().find(|c| c.path == "b.txt").expect("b").hunks[0]
        .id
        .clone();
    call(
        &engine,
        Request::ApproveEdited {
            hunk: a,
            text: "b, as I want it\n".into(),
        },
    )
    .await;
    assert_eq!(read(&f.project.join("a.txt")), "a\nb, as I want it\nc\n");
    assert_eq!(
        read(&stage.join("a.txt")),
        "a\nb, as I want it\nc\n",
        "the agent sees the edited version"
    );
    // b.txt: remove `y`, add only `Y2`.
    call(
        &engine,
        Request::ApproveLines {
            hunk: b,
            removed: vec![0],
            added: vec![1],
        },
    )
    .await;
    assert_eq!(read(&f.project.join("b.txt")), "x\nY2\n");
    // The lines left out stay pending: the stage still has them.
    assert_eq!(read(&stage.join("b.txt")), "x\nY1\nY2\n");
    wait_for(&engine, "Y1 still pending", |c| {
        c.iter()
            .any(|c| c.path == "b.txt" && c.additions == 1 && c.state == ChangeState::Pending)
    })
    .await;
    let err = engine
        .call(Request::ApproveEdited {
            hunk: "h-0000000000000000".into(),
            text: String::new(),
        })
        .await
        .expect_err("unknown hunk");
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_reverts_merges_or_refuses() {
    let f = Fixture::git(&[("a.txt", &numbered(20)), ("b.txt", "b\n")]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(
        stage.join("a.txt"),
        numbered(20).replace("line 10\n", "agent 10\n"),
    )
    .expect("agent");
    std::fs::write(stage.join("c.txt"), "created\n").expect("agent");
    wait_for(&engine, "two changes", |c| c.len() == 2).await;
    let Response::Decided(d) = approve_all(&engine).await else {
        panic!()
    };
    let landing = d.landing.expect("landing id");
    assert!(f.project.join("c.txt").exists());
    // The user edits elsewhere in a.txt afterwards; undo merges around it.
    std::fs::write(
        f.project.join("a.txt"),
        numbered(20)
            .replace("line 10\n", "agent 10\n")
            .replace("line 1\n", "user 1\n"),
    )
    .expect("user");
    let Response::Decided(u) = call(
        &engine,
        Request::Undo {
            landing: Some(landing),
        },
    )
    .await
    else {
        panic!()
    };
    assert!(u.landing.is_some());
    let text = read(&f.project.join("a.txt"));
    assert!(
        text.contains("user 1\n") && text.contains("line 10\n") && !text.contains("agent 10"),
        "{text}"
    );
    assert!(
        !f.project.join("c.txt").exists(),
        "a created file is removed by undo"
    );
    let err = engine
        .call(Request::Undo {
            landing: Some(landing),
        })
        .await
        .expect_err("twice");
    assert!(err.message.contains("already undone"), "{}", err.message);
    let Response::Landings { landings } = call(&engine, Request::ListLandings).await else {
        panic!()
    };
    assert_eq!(landings[0].undoes, Some(landing));

    // A landing whose lines the user rewrote since cannot be undone silently.
    let f2 = Fixture::git(&[("a.txt", "one\n")]);
    let engine2 = f2.engine().await;
    let (_, stage2) = session(&engine2).await;
    std::fs::write(stage2.join("a.txt"), "agent\n").expect("agent");
    wait_for(&engine2, "a change", |c| c.len() == 1).await;
    call(
        &engine2,
        Request::ApproveAll {
            versions: None,
            session: None,
        },
    )
    .await;
    std::fs::write(f2.project.join("a.txt"), "user rewrote it\n").expect("user");
    let err = engine2
        .call(Request::Undo { landing: None })
        .await
        .expect_err("conflict");
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(read(&f2.project.join("a.txt")), "user rewrote it\n");
}

/// `ln` changes the link count of the file it links, but inotify reports only
/// the new name: the engine looks again at the other names of that file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_linked_after_it_was_proposed_is_held_and_let_go() {
    let f = Fixture::git(&[("README.md", "# x\n")]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(stage.join("linked.txt"), "x\n").expect("write");
    let held = |c: &[Change], path: &str| {
        c.iter()
            .find(|c| c.path == path)
            .map(|c| c.state == ChangeState::Held)
    };
    wait_for(&engine, "linked.txt proposed, not held", |c| {
        held(c, "linked.txt") == Some(false)
    })
    .await;
    std::fs::hard_link(stage.join("linked.txt"), stage.join("linked2.txt")).expect("ln");
    wait_for(&engine, "both names held", |c| {
        held(c, "linked.txt") == Some(true) && held(c, "linked2.txt") == Some(true)
    })
    .await;
    std::fs::remove_file(stage.join("linked2.txt")).expect("rm");
    wait_for(
        &engine,
        "linked.txt let go once its other name is gone",
        |c| held(c, "linked.txt") == Some(false) && held(c, "linked2.txt").is_none(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_escapes_the_project() {
    let f = Fixture::git(&[("README.md", "# x\n")]);
    let outside = f.dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("secret"), "secret\n").expect("secret");
    // The user's project has a symlinked folder that leads outside.
    std::os::unix::fs::symlink(&outside, f.project.join("out")).expect("symlink");
    sh(&f.project, "git add -A && git commit -qm link");
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    let (_, stage) = session(&engine).await;
    // 1. The agent replaces the link with a real folder holding a file: landing
    //    it would write through the project's link, outside the project.
    std::fs::remove_file(stage.join("out")).expect("rm link");
    std::fs::create_dir(stage.join("out")).expect("mkdir");
    std::fs::write(stage.join("out/evil.txt"), "evil\n").expect("evil");
    // 2. A symlink in the stage to a file outside.
    std::os::unix::fs::symlink(outside.join("secret"), stage.join("leak")).expect("leak");
    // 3. A hard link to a file outside.
    std::fs::hard_link(outside.join("secret"), stage.join("hard")).expect("hard");
    // 4. A stage folder replaced by a symlink outside.
    std::fs::create_dir(stage.join("dir")).expect("dir");
    std::fs::write(stage.join("dir/ok.txt"), "ok\n").expect("ok");
    wait_event(&mut events, 10, "a change", |e| {
        matches!(e, Event::ChangeProposed { .. })
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    approve_all(&engine).await;
    assert!(
        !outside.join("evil.txt").exists(),
        "nothing written through the project's link"
    );
    assert!(
        !f.project.join("leak").exists()
            && std::fs::symlink_metadata(f.project.join("leak")).is_err()
    );
    assert!(!f.project.join("hard").exists());
    assert_eq!(read(&outside.join("secret")), "secret\n");
    let left = changes(&engine, None).await;
    for path in ["leak", "hard"] {
        let c = left
            .iter()
            .find(|c| c.path == path)
            .unwrap_or_else(|| panic!("{path} held: {left:?}"));
        assert_eq!(c.state, ChangeState::Held, "{path}");
        let err = engine
            .call(Request::Approve {
                versions: None,
                ids: vec![c.id.clone()],
                always: None,
            })
            .await
            .expect_err("held");
        assert_eq!(err.code, ErrorCode::Conflict);
    }
    assert!(
        f.project.join("dir/ok.txt").exists(),
        "safe changes still land"
    );
    call(
        &engine,
        Request::RejectAll {
            versions: None,
            session: None,
            reason: None,
        },
    )
    .await;
    assert!(std::fs::symlink_metadata(stage.join("leak")).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_file_is_held_whole_with_a_notice() {
    let f = Fixture::git(&[]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    let big = "x".repeat(9 * 1024 * 1024);
    std::fs::write(stage.join("big.txt"), &big).expect("big");
    // The watcher may first see the file half written; wait for all of it.
    let c = wait_for(&engine, "the whole big file, held whole", |c| {
        c.len() == 1 && c[0].new_size == Some(big.len() as u64)
    })
    .await;
    assert_eq!(c[0].hunks.len(), 1);
    assert!(
        c[0].notice.as_deref().unwrap_or("").contains("Larger than"),
        "{:?}",
        c[0].notice
    );
    let d = whole_diff(&engine, &c[0].id).await;
    assert!(d.hunks.is_empty());
    call(
        &engine,
        Request::Approve {
            versions: None,
            ids: vec![c[0].id.clone()],
            always: None,
        },
    )
    .await;
    assert_eq!(
        std::fs::metadata(f.project.join("big.txt"))
            .expect("landed")
            .len(),
        big.len() as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hunks_get_symbol_labels_and_risk_badges() {
    let old = "pub struct Engine;\n\nimpl Engine {\n    pub fn land(&self, x: u32) -> u32 {\n        x + 1\n    }\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn lands() {\n        assert_eq!(super::Engine.land(1), 2);\n    }\n}\n";
    let new = "pub struct Engine;\n\nimpl Engine {\n    pub fn land(&self, x: u32, y: u32) -> u32 {\n        x + y\n    }\n}\n";
    let f = Fixture::git(&[("src/lib.rs", old)]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    std::fs::write(stage.join("src/lib.rs"), new).expect("agent");
    std::fs::write(stage.join(".env"), "TOKEN=1\n").expect("agent");
    let c = wait_for(&engine, "labels and badges", |c| {
        c.len() == 2
            && c.iter()
                .all(|c| c.hunks.iter().any(|h| h.label.is_some()) || !c.badges.is_empty())
    })
    .await;
    let lib = c.iter().find(|c| c.path == "src/lib.rs").expect("lib");
    let labels: Vec<&str> = lib
        .hunks
        .iter()
        .filter_map(|h| h.label.as_deref())
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l.contains("impl Engine") && l.contains("fn land")),
        "{labels:?}"
    );
    let kinds: Vec<BadgeKind> = lib
        .hunks
        .iter()
        .flat_map(|h| h.badges.iter().map(|b| b.kind))
        .collect();
    assert!(kinds.contains(&BadgeKind::ChangesSignature), "{kinds:?}");
    assert!(
        kinds.contains(&BadgeKind::WeakensTest) || kinds.contains(&BadgeKind::DeletesSymbol),
        "{kinds:?}"
    );
    let env = c.iter().find(|c| c.path == ".env").expect(".env");
    assert!(
        env.badges.iter().any(|b| b.kind == BadgeKind::Secrets),
        "{:?}",
        env.badges
    );
    assert!(env.risk > 0 && lib.risk > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reject_can_be_undone_until_the_agent_writes_the_file_again() {
    let f = Fixture::git(&[("a.txt", &numbered(10))]);
    let engine = f.engine().await;
    let (_, stage) = session(&engine).await;
    let agent = numbered(10).replace("line 4\n", "agent 4\n");
    std::fs::write(stage.join("a.txt"), &agent).expect("agent");
    let first = wait_for(&engine, "the agent's hunk", |c| c.len() == 1).await;
    let hunk = first[0].hunks[0].id.clone();
    let reject = |ids: Vec<String>| Request::Reject {
        versions: None,
        ids,
        reason: None,
    };
    let Response::Decided(out) = call(&engine, reject(vec![hunk.clone()])).await else {
        panic!("decided")
    };
    let rejection = out
        .rejection
        .expect("a reject that reverted the stage can be undone");
    assert_eq!(
        read(&stage.join("a.txt")),
        numbered(10),
        "reverted in the stage"
    );
    wait_for(&engine, "nothing pending", |c| c.is_empty()).await;

    let Response::Decided(back) = call(
        &engine,
        Request::UndoReject {
            rejection: rejection.clone(),
        },
    )
    .await
    else {
        panic!("decided")
    };
    assert_eq!(back.paths, vec!["a.txt".to_string()]);
    assert_eq!(
        read(&stage.join("a.txt")),
        agent,
        "the agent's text is back"
    );
    let again = wait_for(&engine, "the hunk pending again", |c| c.len() == 1).await;
    assert_eq!(
        again[0].hunks[0].id, hunk,
        "the same hunk, with the same id"
    );
    assert_eq!(
        read(&f.project.join("a.txt")),
        numbered(10),
        "the project untouched"
    );
    let err = engine
        .call(Request::UndoReject { rejection })
        .await
        .expect_err("an undone reject is not undone twice");
    assert_eq!(err.code, ErrorCode::NotFound);

    // Rejected again, then the agent writes the file anew: undo would overwrite that.
    let Response::Decided(out) = call(&engine, reject(vec![hunk])).await else {
        panic!("decided")
    };
    let newer = numbered(10).replace("line 9\n", "agent 9\n");
    std::fs::write(stage.join("a.txt"), &newer).expect("agent again");
    let err = engine
        .call(Request::UndoReject {
            rejection: out.rejection.expect("rejection"),
        })
        .await
        .expect_err("refused");
    assert!(
        err.message.contains("has written a.txt since"),
        "{}",
        err.message
    );
    assert_eq!(read(&stage.join("a.txt")), newer, "nothing was changed");
}
