//! How fast a change is ready for review, against imara-diff alone and
//! `git diff --no-index --histogram` on the same files, in the same run.
//!
//! `cargo bench -p airlock-engine --bench review_speed` (`-- --quick`: each
//! measurement once, as CI runs it through `scripts/bench-quick.sh`)

use std::process::Command;
use std::time::{Duration, Instant};

use airlock_engine::fsx::FileState;
use airlock_engine::review::{proposal_from, Context};
use imara_diff::{Algorithm, Diff, InternedInput};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `-- --quick` (CI): each measurement once, to show the benchmark runs.
fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let runs = if quick() { 1 } else { runs };
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f());
        out.push(t.elapsed());
    }
    median(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Code-like lines as real sources have them: mostly distinct, a closing
/// brace or blank line every few lines.
fn source(lines: usize) -> Vec<String> {
    (0..lines)
        .map(|i| match i % 10 {
            0 => format!("fn function_{i}(arg: u32) -> u32 {{\n"),
            1 => format!("    let value_{i} = arg.wrapping_mul({});\n", i % 97),
            2 => format!("    if value_{} > LIMIT_{} {{\n", i - 1, i % 17),
            3 => format!("        return compute(value_{}, {});\n", i - 2, i % 13),
            4 => "    }\n".to_string(),
            5 => format!("    let total_{i} = value_{} + {};\n", i - 4, i % 31),
            6 => format!("    log::debug!(\"step {{}}\", total_{});\n", i - 1),
            7 => format!("    total_{}\n", i - 2),
            8 => "}\n".to_string(),
            _ => "\n".to_string(),
        })
        .collect()
}

/// A pathological source: three of every seven lines are the same few lines.
fn repetitive(lines: usize) -> Vec<String> {
    (0..lines)
        .map(|i| match i % 7 {
            0 => format!("fn function_{i}(arg: u32) -> u32 {{\n"),
            1 => format!("    let value_{i} = arg.wrapping_mul({});\n", i % 97),
            2 => "    if value > limit {\n".to_string(),
            3 => format!("        return compute(value_{}, {});\n", i - 2, i % 13),
            4 => "    }\n".to_string(),
            5 => format!("    value_{} + {}\n", i - 4, i % 31),
            _ => "}\n".to_string(),
        })
        .collect()
}

fn file(lines: &[String]) -> FileState {
    FileState::File {
        bytes: lines.concat().into_bytes().into(),
        mode: 0o644,
    }
}

/// 100k lines; 1 % of lines edited, scattered; a 5k-line block moved.
fn big_change(make: fn(usize) -> Vec<String>) -> (Vec<String>, Vec<String>) {
    let base = make(100_000);
    let mut new = base.clone();
    for i in (50..new.len()).step_by(100) {
        new[i] = format!("    let edited_{i} = {};\n", i * 3);
    }
    let block: Vec<String> = new.drain(20_000..25_000).collect();
    let at = 70_000;
    for (k, l) in block.into_iter().enumerate() {
        new.insert(at + k, l);
    }
    (base, new)
}

struct Big {
    hunks: usize,
    imara: Duration,
    ours: Duration,
    git: Duration,
}

fn measure_big(make: fn(usize) -> Vec<String>) -> Big {
    let (base, new) = big_change(make);
    let (b, n) = (base.concat().into_bytes(), new.concat().into_bytes());
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("a.rs"), &b).expect("write");
    std::fs::write(dir.path().join("b.rs"), &n).expect("write");

    let imara = time(21, || {
        let input = InternedInput::new(b.as_slice(), n.as_slice());
        let mut d = Diff::compute(Algorithm::Histogram, &input);
        d.postprocess_lines(&input);
        d.hunks().count()
    });
    let ours = time(21, || {
        proposal_from("s", "a.rs", file(&base), file(&new), Context::default())
            .map(|p| p.change.hunks.len())
    });
    let hunks = proposal_from("s", "a.rs", file(&base), file(&new), Context::default())
        .map(|p| p.change.hunks.len())
        .unwrap_or(0);
    let git = time(7, || {
        Command::new("git")
            .args([
                "diff",
                "--no-index",
                "--histogram",
                "--no-color",
                "a.rs",
                "b.rs",
            ])
            .current_dir(dir.path())
            .output()
            .expect("git")
            .stdout
            .len()
    });
    Big {
        hunks,
        imara,
        ours,
        git,
    }
}

/// Three-way rebase of a 10k-line file: the user edits 50 lines, the agent 50 others.
fn measure_rebase() -> Duration {
    let base10 = source(10_000);
    let mut user = base10.clone();
    let mut agent = base10.clone();
    for i in (10..10_000).step_by(200) {
        user[i] = format!("// user {i}\n");
        agent[i + 100] = format!("// agent {i}\n");
    }
    let (b10, u10, a10) = (base10.concat(), user.concat(), agent.concat());
    let rebase = time(51, || {
        diffy::merge_bytes(b10.as_bytes(), u10.as_bytes(), a10.as_bytes()).is_ok()
    });
    assert!(diffy::merge_bytes(b10.as_bytes(), u10.as_bytes(), a10.as_bytes()).is_ok());
    rebase
}

fn main() {
    let typical = measure_big(source);
    let repeats = measure_big(repetitive);

    // A 200-line edit in a 2,000-line file.
    let small = source(2_000);
    let mut small_new = small.clone();
    for l in small_new.iter_mut().skip(900).take(200) {
        *l = format!("{} // reviewed\n", l.trim_end());
    }
    let small_edit = time(201, || {
        proposal_from(
            "s",
            "b.rs",
            file(&small),
            file(&small_new),
            Context::default(),
        )
        .map(|p| p.change.hunks.len())
    });

    let rebase = measure_rebase();

    // Highlight + labels for 200 visible lines of a 10k-line file, cold each time
    // (a new text, so nothing is cached), against the labels' built outline.
    let visible: Vec<u32> = (4_000..4_200).collect();
    let hl = airlock_engine::highlight::Highlighter::start();
    let mut cold = Vec::new();
    let mut next = Vec::new();
    for n in 0..21 {
        let text = format!("// variant {n}\n{}", source(4_200).concat());
        let t = Instant::now();
        std::hint::black_box(hl.lines("v.rs", &text, &[3_999]));
        cold.push(t.elapsed());
        // Scrolling on: the next 200 lines, the parser's state kept from above.
        let t = Instant::now();
        std::hint::black_box(hl.lines("v.rs", &text, &visible));
        next.push(t.elapsed());
    }
    let (highlight_cold, highlight_200) = (median(cold), median(next));
    let outline = airlock_structure::Outline::new("v.rs", &source(10_000).concat());
    let labels_200 = time(201, || {
        visible.iter().filter_map(|l| outline.label(*l)).count()
    });

    println!("review speed (median; same machine, same run)");
    println!("| what | Airlock | reference | ratio | target |");
    println!("|---|---|---|---|---|");
    for (name, big) in [
        ("typical code", &typical),
        ("pathological: 3 of 7 lines identical", &repeats),
    ] {
        println!(
            "| 100k lines ({name}), 1 % edits + moved 5k block → {} hunks ready | {:.1} ms | imara-diff histogram alone {:.1} ms | {:.2}× | ≤ 20 ms |",
            big.hunks, ms(big.ours), ms(big.imara), ms(big.ours) / ms(big.imara)
        );
        println!(
            "| same files | {:.1} ms | `git diff --no-index --histogram` {:.1} ms | {:.2}× (lower is better) | — |",
            ms(big.ours), ms(big.git), ms(big.ours) / ms(big.git)
        );
    }
    println!(
        "| 200-line edit in a 2,000-line file | {:.3} ms | — | — | ≤ 1 ms |",
        ms(small_edit)
    );
    println!(
        "| three-way rebase, 10k lines, 50 + 50 edits | {:.2} ms | — | — | ≤ 10 ms |",
        ms(rebase)
    );
    println!(
        "| highlight the first 4,000 lines of a new text (cold, from the top) | {:.2} ms | — | — | — |",
        ms(highlight_cold)
    );
    println!(
        "| highlight the next 200 visible lines (state kept) | {:.2} ms | — | — | with labels ≤ 5 ms |",
        ms(highlight_200)
    );
    println!(
        "| labels for 200 visible lines (outline built) | {:.3} ms | — | — | — |",
        ms(labels_200)
    );
}
