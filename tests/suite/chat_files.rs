//! A staged chat agent's files: its writes wait in its stage for review, and
//! what it reads, lists or links is answered from the session's folder only.

use std::path::Path;

use airlock_engine::Engine;
use airlock_protocol::{PermissionOutcome, Request, Response, StopReason, ToolKind, ToolStatus};

use super::chat::{agent_text, engine, ready_chat, tool, turn};
use super::support::*;

#[tokio::test]
async fn a_staged_agents_write_is_held_in_its_stage_until_approved() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = engine(&f).await;
    let s = ready_chat(&engine).await;
    let (stop, entries) = turn(&engine, &s.id, "write notes.txt hi there").await;
    assert_eq!(stop, StopReason::EndTurn);
    let call_ = tool(&entries);
    assert_eq!(call_.kind, ToolKind::Edit);
    assert_eq!(call_.status, ToolStatus::Completed);
    assert_eq!(
        call_.locations[0].path, "notes.txt",
        "locations are shown relative to the stage"
    );
    let perm = call_.permission.expect("permission");
    assert_eq!(perm.outcome, Some(PermissionOutcome::Allowed));
    assert_eq!(
        perm.action, None,
        "a staged edit needs no card: the stage holds it"
    );
    assert!(agent_text(&entries).contains("wrote notes.txt"));
    assert!(
        !f.project.join("notes.txt").exists(),
        "nothing reaches the project unreviewed"
    );
    let changes = wait_for_path(&engine, "the held write", "notes.txt").await;
    assert_eq!(changes.len(), 1);
    approve_all(&engine).await;
    assert_eq!(read(&f.project.join("notes.txt")), "hi there\n");

    // `@` completion lists the session's folder: its files, not what is ignored.
    std::fs::write(f.project.join(".gitignore"), "build/\n").expect("gitignore");
    let (paths, truncated) = list_files(&engine, &s.id).await;
    assert!(!truncated);
    assert!(
        paths.contains(&"a.txt".to_string()) && paths.contains(&"notes.txt".to_string()),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| !p.starts_with(".git/")), "{paths:?}");

    // Reads are answered from the session's folder, and only from there.
    let (_, entries) = turn(&engine, &s.id, "read a.txt").await;
    assert_eq!(agent_text(&entries), "content: a\n");
    let outside = Path::new("/tmp/airlock-acp-outside.txt");
    let _ = std::fs::remove_file(outside);
    let (_, entries) = turn(&engine, &s.id, "outside").await;
    assert!(
        agent_text(&entries).contains("outside this session's folder"),
        "{entries:?}"
    );
    assert!(!outside.exists(), "a write outside the folder was refused");

    links_and_fifos_are_not_read_through(&engine, &f, &s.id).await;
    engine.shutdown().await;
}

/// What `@` completion offers: the session's files, and whether it stopped short.
async fn list_files(engine: &Engine, id: &str) -> (Vec<String>, bool) {
    let Response::Files { paths, truncated } = call(
        engine,
        Request::ListFiles {
            session: id.to_string(),
        },
    )
    .await
    else {
        panic!("files")
    };
    (paths, truncated)
}

/// A link the agent makes in its folder is not read through (the engine
/// is not confined: the link could name its token or `~/.ssh`), and a
/// FIFO does not hang the engine.
async fn links_and_fifos_are_not_read_through(engine: &Engine, f: &Fixture, id: &str) {
    let secret = f.home.join("secret.txt");
    std::fs::write(&secret, "the engine's token\n").expect("secret");
    let (_, entries) = turn(engine, id, &format!("link peek {}", secret.display())).await;
    assert_eq!(agent_text(&entries), "linked");
    let (_, entries) = turn(engine, id, "read peek").await;
    let said = agent_text(&entries);
    assert!(
        said.contains("read failed: Airlock refused: peek is a symbolic link"),
        "{said}"
    );
    assert!(
        !said.contains("token"),
        "nothing read through the link: {said}"
    );
    let (_, entries) = turn(engine, id, "fifo pipe").await;
    assert_eq!(agent_text(&entries), "made");
    let (_, entries) = turn(engine, id, "read pipe").await;
    assert!(
        agent_text(&entries).contains("read failed: Airlock refused: pipe is a FIFO"),
        "{entries:?}"
    );
}
