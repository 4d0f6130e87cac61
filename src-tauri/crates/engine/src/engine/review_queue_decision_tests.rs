//! A decision's rules, through `plan_decisions`.
use super::*;
use crate::review::{proposal_from, Context};

fn file(text: &str) -> FileState {
    FileState::File {
        bytes: text.as_bytes().to_vec().into(),
        mode: 0o644,
    }
}

/// A queued change of `rel` from "a\nb\nc\n" to "A\nb\nC\n": two hunks.
fn queued(rel: &str, ctx: Context) -> (Key, Proposal) {
    let p = proposal_from("s-1", rel, file("a\nb\nc\n"), file("A\nb\nC\n"), ctx).expect("a change");
    (("s-1".to_string(), rel.to_string()), p)
}

fn whole(key: &Key) -> Groups {
    BTreeMap::from([(key.clone(), None)])
}

fn plan(
    groups: Groups,
    reviewed: &HashMap<Key, String>,
    fresh: &[(Key, Proposal)],
    approve: bool,
    bulk: bool,
) -> Result<Vec<(String, Proposal, HashSet<String>)>> {
    let fresh: HashMap<Key, Proposal> = fresh.iter().cloned().collect();
    plan_decisions(groups, reviewed, &fresh, approve, bulk)
}

#[test]
fn a_whole_change_is_decided_at_the_version_reviewed_only() {
    let (key, p) = queued("a.txt", Context::default());
    let seen = HashMap::from([(key.clone(), p.change.version.clone())]);
    let plans = plan(whole(&key), &seen, &[(key.clone(), p.clone())], true, false)
        .expect("the version reviewed");
    assert_eq!(plans[0].2, p.all_ids());
    let stale = HashMap::from([(key.clone(), "an older version".to_string())]);
    let err = plan(whole(&key), &stale, &[(key.clone(), p)], true, false)
        .expect_err("a version that moved on");
    assert!(matches!(&err, EngineError::Changed(paths) if paths == &["a.txt".to_string()]));
}

#[test]
fn a_hunk_that_is_gone_changes_nothing() {
    let (key, p) = queued("a.txt", Context::default());
    let mut chosen: HashSet<String> = p.all_ids().into_iter().take(1).collect();
    chosen.insert("h-gone".into());
    let groups = BTreeMap::from([(key.clone(), Some(chosen))]);
    let err = plan(groups, &HashMap::new(), &[(key, p)], false, false).expect_err("gone");
    assert!(matches!(err, EngineError::Changed(_)));
}

#[test]
fn a_file_gone_from_the_queue_is_changed_since() {
    let (key, _) = queued("a.txt", Context::default());
    let err = plan(whole(&key), &HashMap::new(), &[], true, false).expect_err("gone");
    assert!(matches!(err, EngineError::Changed(_)));
}

#[test]
fn a_held_change_is_refused_alone_skipped_in_bulk_and_may_be_rejected() {
    let held = Context {
        held: Some("hard-linked".into()),
        ..Default::default()
    };
    let (key, p) = queued("a.txt", held);
    let fresh = [(key.clone(), p)];
    let err = plan(whole(&key), &HashMap::new(), &fresh, true, false).expect_err("held");
    assert!(matches!(err, EngineError::Held(_)));
    let bulk = plan(whole(&key), &HashMap::new(), &fresh, true, true).expect("skipped");
    assert!(bulk.is_empty());
    let rejected = plan(whole(&key), &HashMap::new(), &fresh, false, false).expect("reject");
    assert_eq!(rejected.len(), 1);
}

#[test]
fn a_hunk_over_the_users_lines_is_refused_alone_and_left_out_in_bulk() {
    let mine = Context {
        user_changed: Some(std::iter::once(0..1).collect()),
        ..Default::default()
    };
    let (key, p) = queued("a.txt", mine);
    let conflicts: Vec<String> = p.conflicts().iter().map(|c| c.to_string()).collect();
    assert_eq!(conflicts.len(), 1, "the first hunk touches line 1");
    let fresh = [(key.clone(), p.clone())];
    let err = plan(whole(&key), &HashMap::new(), &fresh, true, false).expect_err("conflict");
    assert!(matches!(err, EngineError::Held(_)));
    let bulk = plan(whole(&key), &HashMap::new(), &fresh, true, true).expect("bulk");
    assert_eq!(bulk[0].2.len(), p.all_ids().len() - 1);
    assert!(!bulk[0].2.contains(&conflicts[0]));
}

#[test]
fn a_file_that_changes_what_may_run_is_never_approved_in_bulk() {
    let (key, p) = queued(".github/workflows/ci.yml", Context::default());
    let fresh = [(key.clone(), p)];
    assert!(plan(whole(&key), &HashMap::new(), &fresh, true, true)
        .expect("bulk")
        .is_empty());
    assert_eq!(
        plan(whole(&key), &HashMap::new(), &fresh, true, false)
            .expect("alone")
            .len(),
        1
    );
}
