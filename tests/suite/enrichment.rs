//! Labels and badges reach clients as a patch of hunks already proposed.

use airlock_protocol::Event;

use super::support::*;

/// Labels and badges come as their own event that patches the hunks in
/// place: the change is announced once, not again when they are ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_arrive_as_a_patch_not_as_a_second_proposal() {
    let old = "pub struct Engine;\n\nimpl Engine {\n    pub fn land(&self, x: u32) -> u32 {\n        x + 1\n    }\n}\n";
    let new = "pub struct Engine;\n\nimpl Engine {\n    pub fn land(&self, x: u32, y: u32) -> u32 {\n        x + y\n    }\n}\n";
    let f = Fixture::git(&[("src/lib.rs", old)]);
    let engine = f.engine().await;
    let mut events = engine.subscribe_without_output();
    let s = start(&engine, &["sleep", "600"]).await;
    let stage = std::path::PathBuf::from(&s.cwd);
    std::fs::write(stage.join("src/lib.rs"), new).expect("agent");
    let Event::ChangeProposed { change } = wait_event(&mut events, 10, "the change", |e| {
        matches!(e, Event::ChangeProposed { .. })
    })
    .await
    else {
        unreachable!("matched above")
    };
    let mut proposals = 1;
    let enriched = wait_event(&mut events, 10, "its labels", |e| {
        if matches!(e, Event::ChangeProposed { .. }) {
            proposals += 1;
        }
        matches!(e, Event::ChangeEnriched { .. })
    })
    .await;
    let Event::ChangeEnriched {
        change: id, hunks, ..
    } = enriched
    else {
        unreachable!("matched above")
    };
    assert_eq!(id, change.id);
    assert_eq!(proposals, 1, "announced again before its labels came");
    let ids: Vec<&str> = change.hunks.iter().map(|h| h.id.as_str()).collect();
    assert!(
        hunks.iter().all(|h| ids.contains(&h.id.as_str())),
        "{hunks:?}"
    );
    assert!(
        hunks
            .iter()
            .any(|h| h.label.as_deref().is_some_and(|l| l.contains("fn land"))),
        "{hunks:?}"
    );
    // The queue holds the labelled change too (a window that connects now sees them).
    let now = changes(&engine, None).await;
    assert!(now[0].hunks.iter().any(|h| h.label.is_some()), "{now:?}");
}
