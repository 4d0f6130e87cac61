//! Diff → apply and three-way merge round trips on any three texts (split
//! from the input at the first two NUL bytes):
//! - composing with every hunk taken gives the proposal, with none the base;
//! - merging when only one side changed gives that side;
//! - a merge that succeeds keeps every line of the user's text that no
//!   agent hunk touches.
#![no_main]

use std::collections::HashSet;

use airlock_engine::diff::{compose, diff_lines, lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let base = parts.next().unwrap_or_default();
    let user = parts.next().unwrap_or_default();
    let agent = parts.next().unwrap_or_default();

    let hunks = diff_lines("fuzz", base, agent);
    let all: HashSet<&str> = hunks.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(compose(base, agent, &hunks, &all), agent, "all hunks give the proposal");
    assert_eq!(compose(base, agent, &hunks, &HashSet::new()), base, "no hunk gives the base");

    if let Ok(merged) = diffy::merge_bytes(base, base, agent) {
        assert_eq!(merged, agent, "only the agent changed");
    }
    if let Ok(merged) = diffy::merge_bytes(base, user, base) {
        assert_eq!(merged, user, "only the user changed");
    }
    if let Ok(merged) = diffy::merge_bytes(base, user, agent) {
        // Every line of the user's text whose base lines no agent hunk
        // touches (changed by the user or not) is still in the merge, in
        // order. An agent insertion counts as touching the line after it.
        let touched = |start: u32, end: u32| {
            hunks.iter().any(|h| {
                h.before.start < end.max(start + 1) && start < h.before.end.max(h.before.start + 1)
            })
        };
        let user_lines = lines(user);
        let mut user_hunks = diff_lines("fuzz-user", base, user);
        user_hunks.sort_by_key(|h| h.after.start);
        let mut kept: Vec<&[u8]> = Vec::new();
        let (mut j, mut i) = (0u32, 0u32); // user line, base line
        for h in &user_hunks {
            while j < h.after.start {
                if !touched(i, i + 1) {
                    kept.push(user_lines[j as usize]);
                }
                (i, j) = (i + 1, j + 1);
            }
            if !touched(h.before.start, h.before.end) {
                kept.extend_from_slice(&user_lines[h.after.start as usize..h.after.end as usize]);
            }
            (i, j) = (h.before.end, h.after.end);
        }
        while (j as usize) < user_lines.len() {
            if !touched(i, i + 1) {
                kept.push(user_lines[j as usize]);
            }
            (i, j) = (i + 1, j + 1);
        }
        let merged_lines = lines(&merged);
        let mut at = 0;
        for line in kept {
            match merged_lines[at..].iter().position(|l| *l == line) {
                Some(i) => at += i + 1,
                None => panic!("the user's line {:?} is lost", String::from_utf8_lossy(line)),
            }
        }
    }
});
