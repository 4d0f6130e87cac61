//! The review model's rules, through its public functions.

use std::collections::HashSet;

use airlock_protocol::{ChangeKind, ChangeState};

use super::proposal::human_size;
use super::*;

fn file(s: &str) -> FileState {
    FileState::File {
        bytes: s.as_bytes().to_vec().into(),
        mode: 0o644,
    }
}

fn prop(base: FileState, new: FileState) -> Proposal {
    proposal_from("s", "f.txt", base, new, Context::default()).expect("change")
}

/// Lines that repeat let a fresh diff realign once part of a change has
/// landed: here it would split the second hunk in two. The hunks still
/// waiting keep their ids and lines after each approval or rejection.
#[test]
fn decisions_leave_the_other_hunks_as_they_were() {
    let text = |ns: &[u8]| -> String { ns.iter().map(|n| format!("line {n}\n")).collect() };
    let base = text(&[
        0, 0, 2, 2, 0, 0, 0, 10, 7, 1, 2, 0, 8, 0, 5, 11, 8, 3, 5, 8, 7, 1, 3, 6, 5, 11, 6, 0, 0,
        4, 3, 0, 0, 6, 0, 11,
    ]);
    let new = text(&[
        100, 0, 0, 2, 2, 0, 0, 0, 7, 2, 0, 8, 0, 5, 11, 8, 3, 5, 8, 7, 1, 3, 6, 5, 11, 6, 0, 0, 3,
        0, 0, 6, 0,
    ]);
    // The proposals share one queue's memo, as the engine's do.
    let memo = crate::diff::Memo::default();
    let prop = |base, new| {
        let ctx = Context {
            memo: memo.clone(),
            ..Default::default()
        };
        proposal_from("s", "f.txt", base, new, ctx).expect("change")
    };
    let p = prop(file(&base), file(&new));
    let ids_of = |p: &Proposal| -> Vec<String> { p.hunks.iter().map(|h| h.id.clone()).collect() };
    let ids = ids_of(&p);
    assert_eq!(ids.len(), 4);
    // Approve the first: the project gets it, three wait as they were.
    let first: HashSet<&str> = [ids[0].as_str()].into();
    let writes = p.plan_approve(&first);
    let project = writes[0].after.clone();
    let p = prop(project.clone(), file(&new));
    assert_eq!(ids_of(&p), ids[1..]);
    assert_eq!(p.hunks[0].before.len(), 13);
    // Reject the last: the stage loses it, two wait as they were.
    let last: HashSet<&str> = [ids[3].as_str()].into();
    let stage = p.plan_reject(&last)[0].after.clone();
    let p = prop(project, stage);
    assert_eq!(ids_of(&p), ids[1..3]);
}

#[test]
fn kinds_and_whole_changes() {
    let p = prop(FileState::Missing, file("x\n"));
    assert_eq!(p.change.kind, ChangeKind::Created);
    assert_eq!(p.change.hunks.len(), 1);
    assert!(p.whole_hunk.is_none());
    assert_eq!(
        prop(file("x\n"), FileState::Missing).change.kind,
        ChangeKind::Deleted
    );
    assert!(prop(FileState::Missing, file("")).whole_hunk.is_some());
    let bin = FileState::File {
        bytes: vec![0, 1, 2].into(),
        mode: 0o644,
    };
    let p = prop(file("x"), bin);
    assert!(p.whole_hunk.is_some() && p.change.binary);
    assert!(proposal_from("s", "a", file("same"), file("same"), Context::default()).is_none());
}

#[test]
fn mode_is_its_own_hunk() {
    let exec = FileState::File {
        bytes: b"a\nB\n".to_vec().into(),
        mode: 0o755,
    };
    let p = prop(file("a\nb\n"), exec);
    assert_eq!(p.change.hunks.len(), 2);
    let mode = p.mode_hunk.clone().expect("mode hunk");
    let lines = p.hunks[0].id.clone();
    let only_mode: HashSet<&str> = [mode.as_str()].into();
    assert_eq!(
        p.plan_approve(&only_mode)[0].after,
        FileState::File {
            bytes: b"a\nb\n".to_vec().into(),
            mode: 0o755
        }
    );
    let only_lines: HashSet<&str> = [lines.as_str()].into();
    assert_eq!(
        p.plan_approve(&only_lines)[0].after,
        FileState::File {
            bytes: b"a\nB\n".to_vec().into(),
            mode: 0o644
        }
    );
    // Rejecting the mode keeps the agent's lines in the stage with the old mode.
    assert_eq!(
        p.plan_reject(&only_mode)[0].after,
        FileState::File {
            bytes: b"a\nB\n".to_vec().into(),
            mode: 0o644
        }
    );
}

#[test]
fn invalid_utf8_is_text_and_survives() {
    let base = FileState::File {
        bytes: b"caf\xe9\nline\n".to_vec().into(),
        mode: 0o644,
    };
    let new = FileState::File {
        bytes: b"caf\xe9\nLINE\n".to_vec().into(),
        mode: 0o644,
    };
    let p = prop(base.clone(), new.clone());
    assert!(!p.change.binary);
    assert_eq!(p.hunks.len(), 1);
    let all = p.all_ids();
    let take: HashSet<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(p.plan_approve(&take)[0].after, new);
    assert_eq!(
        p.render(&Highlighter::start(), 0, None, false).hunks[0].lines[0].text,
        "caf\u{fffd}"
    );
}

#[test]
fn edit_and_lines_approval() {
    let p = prop(file("a\nb\nc\n"), file("a\nB1\nB2\nc\n"));
    let id = p.hunks[0].id.clone();
    let text = p.lines_text(&id, &[0], &[1]).expect("lines");
    assert_eq!(text, b"B2\n");
    let (project, stage) = p.plan_edit(&id, b"mine\n").expect("edit");
    assert_eq!(project[0].after, file("a\nmine\nc\n"));
    assert_eq!(stage[0].after, file("a\nmine\nc\n"));
    assert!(p.lines_text(&id, &[5], &[]).is_err());
    // Typed with \n into a CRLF file without a final newline: the file's endings win.
    let p = prop(file("a\r\nb\r\nc"), file("a\r\nb\r\nC"));
    let id = p.hunks[0].id.clone();
    let (project, _) = p.plan_edit(&id, b"mine\nmore\n").expect("edit");
    assert_eq!(project[0].after, file("a\r\nb\r\nmine\r\nmore"));
}

#[test]
fn conflicts_mark_overlapping_hunks() {
    let ctx = Context {
        user_changed: Some(std::iter::once(1..2).collect()),
        ..Default::default()
    };
    let base: String = (0..20).map(|i| format!("{i}\n")).collect();
    let new = base.replace("1\n", "one\n").replace("15\n", "fifteen\n");
    let p = proposal_from("s", "f", file(&base), file(&new), ctx).expect("change");
    assert_eq!(p.change.state, ChangeState::Conflict);
    assert_eq!(p.conflicts().len(), 1);
    assert!(p.change.hunks[0].conflict && !p.change.hunks[1].conflict);
}

#[test]
fn renames_pair_by_content() {
    let a = file("one\ntwo\nthree\nfour\n");
    let b = file("one\ntwo\nthree\nFOUR\n");
    let c = file("something else entirely\n");
    let pairs = pair_renames(&[("old.txt", &a)], &[("x.txt", &c), ("new.txt", &b)]);
    assert_eq!(pairs, vec![("old.txt".to_string(), "new.txt".to_string())]);
    let ctx = Context {
        old_path: Some("old.txt".into()),
        ..Default::default()
    };
    let p = proposal_from("s", "new.txt", a.clone(), b, ctx).expect("rename");
    assert_eq!(p.change.kind, ChangeKind::Renamed);
    let all = p.all_ids();
    let take: HashSet<&str> = all.iter().map(String::as_str).collect();
    let w = p.plan_approve(&take);
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].after, FileState::Missing);
    let r = p.plan_reject(&take);
    assert_eq!(r[1].after, a);
}

fn edit(base: &[String], edits: &[(usize, u8, u8)], tag: u8) -> Vec<String> {
    let mut out = base.to_vec();
    for (at, op, v) in edits {
        let at = (*at).min(out.len());
        match op {
            0 => out.insert(at, format!("{tag}-{v}\n")),
            1 if at < out.len() => {
                out.remove(at);
            }
            _ if at < out.len() => out[at] = format!("{tag}-{v}\n"),
            _ => {}
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// For any base, user edit and agent edit: approving everything that
    /// can be approved never touches a line the user changed. Either the
    /// three-way merge forwards the user's edit into the stage, or the
    /// overlapping hunks are conflicts and stay out.
    #[test]
    fn user_lines_survive_or_conflict(
        base in proptest::collection::vec(0u8..10, 0..30),
        user_edits in proptest::collection::vec((0usize..30, 0u8..3, 0u8..50), 1..5),
        agent_edits in proptest::collection::vec((0usize..30, 0u8..3, 0u8..50), 1..5),
    ) {
        let base: Vec<String> = base.iter().map(|n| format!("line {n}\n")).collect();
        let user = edit(&base, &user_edits, 1).concat().into_bytes();
        let agent = edit(&base, &agent_edits, 2).concat().into_bytes();
        let base = base.concat().into_bytes();
        let user_ranges = diff::changed_ranges(&base, &user);
        let stage = match diffy::merge_bytes(&base, &user, &agent) {
            Ok(merged) => merged,
            Err(_) => agent.clone(),
        };
        let ctx = Context { user_changed: Some(user_ranges.clone()), ..Default::default() };
        let Some(p) = proposal_from("s", "f", file_bytes(&user), file_bytes(&stage), ctx) else {
            return Ok(());
        };
        let take: HashSet<&str> = p.change.hunks.iter().filter(|h| !h.conflict).map(|h| h.id.as_str()).collect();
        let landed = match p.plan_approve(&take).first() {
            Some(w) => w.after.bytes().unwrap_or_default().to_vec(),
            None => user.clone(),
        };
        // What landing changed, in the user's line numbers, must not touch the user's lines.
        let input = imara_diff::InternedInput::new(user.as_slice(), landed.as_slice());
        let mut d = imara_diff::Diff::compute(imara_diff::Algorithm::Histogram, &input);
        d.postprocess_lines(&input);
        for h in d.hunks() {
            for u in &user_ranges {
                proptest::prop_assert!(
                    !(h.before.start < u.end && u.start < h.before.end),
                    "landing rewrote user lines {:?} (changed {:?})", u, h.before
                );
            }
        }
    }
}

fn file_bytes(b: &[u8]) -> FileState {
    FileState::File {
        bytes: b.to_vec().into(),
        mode: 0o644,
    }
}

#[test]
fn render_numbers_lines_and_limits_context() {
    let base: String = (1..=20).map(|i| format!("l{i}\n")).collect();
    let new = base.replace("l5\n", "L5\n").replace("l8\n", "L8\n");
    let d = prop(file(&base), file(&new)).render(&Highlighter::start(), 0, None, false);
    assert_eq!(d.total, 2);
    assert_eq!(
        prop(file(&base), file(&new))
            .render(&Highlighter::start(), 1, Some(1), false)
            .hunks[0]
            .header
            .new_start,
        8
    );
    let ctx = prop(file(&base), file(&new)).context_lines(&Highlighter::start(), 10, 2);
    assert_eq!(
        (ctx[0].old_no, ctx[0].new_no, ctx[0].text.as_str()),
        (Some(10), Some(10), "l10")
    );
    assert_eq!(d.hunks.len(), 2);
    let first = &d.hunks[0].lines;
    assert_eq!(first[0].text, "l2");
    assert_eq!(first[0].old_no, Some(2));
    assert!(first
        .iter()
        .any(|l| l.kind == LineKind::Added && l.text == "L5" && l.new_no == Some(5)));
    let shown: Vec<&str> = d
        .hunks
        .iter()
        .flat_map(|h| h.lines.iter())
        .filter(|l| l.kind == LineKind::Context)
        .map(|l| l.text.as_str())
        .collect();
    let unique: HashSet<&&str> = shown.iter().collect();
    assert_eq!(unique.len(), shown.len());
}

/// The word marks of each removed and added line of a one-hunk change, as text.
fn marks(base: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let d = prop(file(base), file(new)).render(&Highlighter::start(), 0, None, false);
    assert_eq!(d.hunks.len(), 1, "one hunk");
    let show = |kind: LineKind| -> Vec<String> {
        d.hunks[0]
            .lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| {
                let units: Vec<u16> = l.text.encode_utf16().collect();
                l.words
                    .iter()
                    .map(|w| String::from_utf16_lossy(&units[w.start as usize..w.end as usize]))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    (show(LineKind::Removed), show(LineKind::Added))
}

#[test]
fn word_marks_pair_lines_when_counts_differ() {
    let ctx = "a\nb\nc\n";
    let both =
        |base: &str, new: &str| marks(&format!("{ctx}{base}{ctx}"), &format!("{ctx}{new}{ctx}"));
    // Two lines become three; the second pairs with the line it is most like,
    // not with the inserted one.
    let (removed, added) = both(
        "let total = count + 1;\nreturn total;\n",
        "let total = count + 2;\nlog(total);\nreturn total * 2;\n",
    );
    assert_eq!(removed, ["1", ""]);
    assert_eq!(added, ["2", "", " * 2"]);
    // One becomes two, a comment inserted above it.
    let (removed, added) = both("a = compute(1);\n", "// note\na = compute(2);\n");
    assert_eq!(removed, ["1"]);
    assert_eq!(added, ["", "2"]);
    // Three become two: the removed line left over has no marks.
    let (removed, added) = both(
        "fn one(x: u32) {\n    unrelated();\n    gone();\n",
        "fn one(x: u64) {\n    related();\n",
    );
    assert_eq!(removed, ["u32", "unrelated", ""]);
    assert_eq!(added, ["u64", "related"]);
    // Equal counts still pair line by line.
    let (removed, added) = both("x = 1\ny = 2\n", "x = 10\ny = 20\n");
    assert_eq!(
        (removed, added),
        (
            vec!["1".to_string(), "2".into()],
            vec!["10".to_string(), "20".into()]
        )
    );
}

#[test]
fn binary_notice_gives_both_sizes() {
    let bin = |n: usize| FileState::File {
        bytes: (0..n).map(|i| if i % 2 == 0 { 0 } else { 7 }).collect(),
        mode: 0o644,
    };
    let p = prop(bin(1229), bin(3482));
    assert!(p.change.binary);
    assert_eq!(
        p.change.notice.as_deref(),
        Some("Binary file: 1.2 KiB → 3.4 KiB, approve or reject it whole.")
    );
    let p = prop(FileState::Missing, bin(100));
    assert_eq!(
        p.change.notice.as_deref(),
        Some("Binary file: nothing → 100 B, approve or reject it whole.")
    );
    assert_eq!(human_size(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
}
