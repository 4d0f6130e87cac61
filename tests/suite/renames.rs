//! Renames through the engine: a file moved as it was pairs at once; one
//! moved and edited pairs off the actor, and shows once that is done.

use airlock_protocol::{ChangeKind, Event};

use super::support::*;

fn numbered(n: usize) -> String {
    (0..n).map(|i| format!("line {i}\n")).collect()
}

async fn moved_and_approved(script: &str, edited: bool) {
    let f = Fixture::git(&[("big.txt", numbered(20_000).as_str())]);
    let engine = f.engine().await;
    let mut events = engine.subscribe();
    start(&engine, &["bash", "-c", script]).await;
    wait_event(&mut events, 10, "exit", |e| {
        matches!(e, Event::SessionExited { .. })
    })
    .await;
    // The watcher may report the move before the edit: wait for both.
    let lines = if edited { (1, 1) } else { (0, 0) };
    let queue = wait_for(&engine, "one rename with its edit", |c| {
        c.len() == 1
            && c[0].kind == ChangeKind::Renamed
            && (c[0].additions, c[0].deletions) == lines
    })
    .await;
    let rename = &queue[0];
    assert_eq!(rename.path, "moved.txt");
    assert_eq!(rename.old_path.as_deref(), Some("big.txt"));
    approve_all(&engine).await;
    assert!(!f.project.join("big.txt").exists());
    let landed = read(&f.project.join("moved.txt"));
    assert_eq!(landed.contains("edited 5\n"), edited);
    assert_eq!(landed.lines().count(), 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_moved_as_it_was_is_one_rename() {
    moved_and_approved("mv big.txt moved.txt", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_moved_and_edited_is_one_rename_with_its_edit() {
    moved_and_approved(
        "mv big.txt moved.txt && sed -i 's/^line 5$/edited 5/' moved.txt",
        true,
    )
    .await;
}
