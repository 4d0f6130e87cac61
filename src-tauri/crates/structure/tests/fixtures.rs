//! Snapshot tests over old/new fixture pairs in each language: a git-style
//! diff with each hunk's label and badges, and the label of every line run.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use airlock_structure::{badges_for_outlines, HunkLines, Outline};

/// Reads `tests/fixtures/<dir>/<name>`.
fn fixture(dir: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

/// Line hunks (no context) from a longest-common-subsequence diff; the fixtures
/// are small, and this keeps the test independent of the engine's differ.
fn diff(old: &str, new: &str) -> Vec<HunkLines> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let to = |r: Range<usize>| (r.start as u32)..(r.end as u32);
    let (mut i, mut j) = (0, 0);
    let mut open: Option<(usize, usize)> = None;
    let mut hunks = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            if let Some((si, sj)) = open.take() {
                hunks.push((to(si..i), to(sj..j)));
            }
            i += 1;
            j += 1;
        } else {
            open.get_or_insert((i, j));
            if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                j += 1;
            } else {
                i += 1;
            }
        }
    }
    if let Some((si, sj)) = open {
        hunks.push((to(si..n), to(sj..m)));
    }
    hunks
}

/// A git-style diff: `@@ -a,len +b,len @@ label`, the lines, then `! kind: why`.
fn review(path: &str, old: &str, new: &str) -> String {
    let old_outline = Outline::new(path, old);
    let new_outline = Outline::new(path, new);
    let hunks = diff(old, new);
    let found = badges_for_outlines(path, Some(&old_outline), Some(&new_outline), &hunks);
    assert_eq!(found.hunks.len(), hunks.len());
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut out = format!("{path}  (risk {})\n", found.risk_score());
    for badge in &found.file {
        writeln!(out, "! {:?}: {}", badge.kind, badge.why).ok();
    }
    for ((o, n), badges) in hunks.iter().zip(&found.hunks) {
        let label = if n.is_empty() {
            old_outline.label_range(o.clone())
        } else {
            new_outline.label_range(n.clone())
        };
        writeln!(
            out,
            "\n@@ -{},{} +{},{} @@ {}",
            o.start + 1,
            o.len(),
            n.start + 1,
            n.len(),
            label.unwrap_or_default()
        )
        .ok();
        for row in o.clone() {
            writeln!(out, "-{}", old_lines[row as usize]).ok();
        }
        for row in n.clone() {
            writeln!(out, "+{}", new_lines[row as usize]).ok();
        }
        for badge in badges {
            writeln!(out, "  ! {:?}: {}", badge.kind, badge.why).ok();
        }
    }
    out
}

/// Runs of lines sharing a label: `first-last  label  | first line of the run`.
fn labels(path: &str, text: &str) -> String {
    let outline = Outline::new(path, text);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut run_start = 0;
    for row in 0..=lines.len() {
        let label = |r: usize| outline.label(r as u32);
        if row == lines.len() || (row > run_start && label(row) != label(row - 1)) {
            writeln!(
                out,
                "{:>3}-{:<3} {}  | {}",
                run_start + 1,
                row,
                label(run_start).unwrap_or_else(|| "-".to_owned()),
                lines[run_start].trim()
            )
            .ok();
            run_start = row;
        }
    }
    out
}

fn check(name: &str, dir: &str, path: &str, ext: &str) {
    let old = fixture(dir, &format!("old.{ext}"));
    let new = fixture(dir, &format!("new.{ext}"));
    insta::assert_snapshot!(format!("{name}_review"), review(path, &old, &new));
    insta::assert_snapshot!(format!("{name}_labels"), labels(path, &new));
}

#[test]
fn rust() {
    check("rust", "rust", "src/engine.rs", "rs");
}

#[test]
fn typescript() {
    check("typescript", "typescript", "ui/src/queue.ts", "ts");
}

#[test]
fn javascript() {
    check("javascript", "javascript", "lib/store.js", "js");
}

#[test]
fn python() {
    check("python", "python", "airlock/queue.py", "py");
}

#[test]
fn go() {
    check("go", "go", "store/store_test.go", "go");
}

#[test]
fn other_language_falls_back_to_headers() {
    check("ci_yaml", "other", ".github/workflows/ci.yml", "yaml");
}

#[test]
fn diff_helper_finds_hunks() {
    assert_eq!(
        diff("a\nb\nc\n", "a\nc\nd\n"),
        vec![(1..2, 1..1), (3..3, 2..3)]
    );
}
