//! The review queue's rules, through its pure interface.

use super::*;
use crate::review::Context;
use airlock_protocol::ChangeKind;

fn file(text: &str) -> FileState {
    FileState::File {
        bytes: text.as_bytes().to_vec().into(),
        mode: 0o644,
    }
}

fn queue(changes: &[(&str, FileState, FileState)]) -> ReviewQueue {
    let mut q = ReviewQueue::default();
    for (rel, base, proposed) in changes {
        let p = review::proposal_from(
            "s-1",
            rel,
            base.clone(),
            proposed.clone(),
            Context::default(),
        )
        .expect("a change");
        q.set_raw(rel, p);
    }
    q
}

const BODY: &str = "fn main() {\n    println!(\"hello\");\n}\n";

#[test]
fn a_deleted_and_a_created_file_with_one_text_show_as_one_rename() {
    let mut q = queue(&[
        ("old.rs", file(BODY), FileState::Missing),
        ("new.rs", FileState::Missing, file(BODY)),
    ]);
    q.rebuild_view("s-1", None);
    assert_eq!(q.view.len(), 1, "{:?}", q.view.keys().collect::<Vec<_>>());
    let p = &q.view["new.rs"];
    assert_eq!(p.change.kind, ChangeKind::Renamed);
    assert_eq!(p.change.old_path.as_deref(), Some("old.rs"));
}

#[test]
fn unrelated_files_stay_two_changes() {
    let mut q = queue(&[
        ("a.rs", file(BODY), FileState::Missing),
        ("b.txt", FileState::Missing, file("nothing alike\n")),
    ]);
    q.rebuild_view("s-1", None);
    assert_eq!(q.view.len(), 2);
}

#[test]
fn the_hunks_shown_are_counted_as_the_view_changes() {
    let walked = |q: &ReviewQueue| -> usize { q.view.values().map(|p| p.change.hunks.len()).sum() };
    let mut q = queue(&[
        (
            "a.txt",
            file("1\n2\n3\n4\n5\n6\n7\n8\n"),
            file("x\n2\n3\n4\n5\n6\n7\ny\n"),
        ),
        ("old.rs", file(BODY), FileState::Missing),
        ("new.rs", FileState::Missing, file(BODY)),
    ]);
    q.rebuild_view("s-1", None);
    assert_eq!(q.hunks_shown(), walked(&q));
    assert_eq!(
        q.hunks_shown(),
        3,
        "two in a.txt, the rename's whole-file one"
    );
    q.remove_raw("old.rs");
    q.rebuild_view("s-1", None);
    assert_eq!(q.hunks_shown(), walked(&q));
    let one = review::proposal_from(
        "s-1",
        "a.txt",
        file("1\n2\n"),
        file("1\n3\n"),
        Context::default(),
    )
    .expect("a change");
    q.set_raw("a.txt", one);
    q.remove_raw("new.rs");
    q.rebuild_view("s-1", None);
    assert_eq!((q.hunks_shown(), walked(&q)), (1, 1));
}

#[test]
fn a_new_view_announces_only_what_changed() {
    let mut q = queue(&[("a.txt", file("1\n"), file("2\n"))]);
    let delta = q.rebuild_view("s-1", None);
    let first = view_events("s-1", &delta, &q.view);
    assert!(matches!(first.as_slice(), [Event::ChangeProposed { .. }]));
    // Nothing set since: nothing looked at, nothing to say.
    let delta = q.rebuild_view("s-1", None);
    assert!(delta.is_empty() && view_events("s-1", &delta, &q.view).is_empty());
    // The same proposal set again: looked at, nothing to say.
    let same = q.raw["a.txt"].clone();
    q.set_raw("a.txt", same);
    let delta = q.rebuild_view("s-1", None);
    assert_eq!(delta.len(), 1);
    assert!(view_events("s-1", &delta, &q.view).is_empty());
    // The file went back to the project's text: its change is removed.
    q.remove_raw("a.txt");
    let delta = q.rebuild_view("s-1", None);
    let events = view_events("s-1", &delta, &q.view);
    assert!(
        matches!(events.as_slice(), [Event::ChangeRemoved { path, .. }] if path == "a.txt"),
        "{events:?}"
    );
}

#[test]
fn only_the_paths_set_since_are_looked_at_and_a_rename_comes_apart_when_one_side_goes() {
    let mut q = queue(&[
        ("old.rs", file(BODY), FileState::Missing),
        ("new.rs", FileState::Missing, file(BODY)),
        ("other.txt", file("1\n"), file("2\n")),
    ]);
    q.rebuild_view("s-1", None);
    assert_eq!(q.view.len(), 2, "the rename and other.txt");
    // The agent puts old.rs back: new.rs is a plain new file again.
    q.remove_raw("old.rs");
    let delta = q.rebuild_view("s-1", None);
    let looked: Vec<&str> = delta.iter().map(|(rel, _)| rel.as_str()).collect();
    assert_eq!(looked, ["new.rs", "old.rs"], "other.txt is not looked at");
    assert_eq!(q.view["new.rs"].change.kind, ChangeKind::Created);
    assert!(!q.view.contains_key("old.rs"));
    assert!(q.view.contains_key("other.txt"));
    let events = view_events("s-1", &delta, &q.view);
    assert!(
        matches!(events.as_slice(), [Event::ChangeProposed { change }] if change.kind == ChangeKind::Created),
        "the rename became a new file (same id, new text): {events:?}"
    );
}

#[test]
fn labels_are_kept_for_hunks_that_did_not_change_and_asked_for_once() {
    let mut q = queue(&[("a.txt", file("1\n"), file("2\n"))]);
    let delta = q.rebuild_view("s-1", None);
    let wanted = q.take_unenriched(&delta);
    assert_eq!(wanted.len(), 1);
    assert!(q.take_unenriched(&delta).is_empty(), "asked for twice");
    let mut enriched = wanted[0].clone();
    enriched.enriched = true;
    q.view.insert("a.txt".into(), enriched);
    // The agent writes the same text again: the labels stay.
    let same = q.raw["a.txt"].clone();
    q.set_raw("a.txt", same);
    q.rebuild_view("s-1", None);
    assert!(q.view["a.txt"].enriched, "labels lost on a rebuild");
}

#[test]
fn a_user_edit_merges_into_the_agents_text() {
    let base = file("one\ntwo\nthree\n");
    let now = file("ONE\ntwo\nthree\n");
    let staged = file("one\ntwo\nTHREE\n");
    assert_eq!(
        merged(&base, &now, &staged),
        Some(file("ONE\ntwo\nTHREE\n"))
    );
}

#[test]
fn a_conflicting_or_binary_edit_does_not_merge() {
    let base = file("one\n");
    assert_eq!(merged(&base, &file("two\n"), &file("three\n")), None);
    let binary = FileState::File {
        bytes: vec![0u8, 159, 146, 150].into(),
        mode: 0o644,
    };
    assert_eq!(merged(&base, &binary, &file("three\n")), None);
}

#[test]
fn a_file_both_sides_deleted_stays_deleted() {
    let base = file("one\n");
    assert_eq!(
        merged(&base, &FileState::Missing, &FileState::Missing),
        Some(FileState::Missing)
    );
}
