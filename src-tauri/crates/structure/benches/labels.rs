//! Micro benchmark: build an [`Outline`] for a 10,000-line Rust file and label
//! a screenful (200 lines) from it; also badges for a change to that file.
//!
//! `cargo bench -p airlock-structure --bench labels` prints the median of 50 runs
//! (`-- --quick`: one run, as CI runs it through `scripts/bench-quick.sh`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use airlock_structure::{badges_for_outlines, HunkLines, Outline};

const RUNS: usize = 50;
const TARGET_LINES: usize = 10_000;

/// A plausible Rust file: modules of structs, impl blocks, documented methods and tests.
fn source() -> String {
    let mut src =
        String::from("//! Generated for the benchmark.\n\nuse std::collections::HashMap;\n\n");
    let mut n = 0;
    while src.lines().count() < TARGET_LINES {
        src.push_str(&format!(
            "pub mod m{n} {{\n    use super::*;\n\n    /// A thing.\n    #[derive(Debug, Default)]\n    pub struct Thing{n} {{\n        map: HashMap<u32, String>,\n        count: usize,\n    }}\n\n    impl Thing{n} {{\n"
        ));
        for f in 0..8 {
            src.push_str(&format!(
                "        /// Does step {f}.\n        pub fn step{f}(&mut self, key: u32, value: &str) -> Option<String> {{\n            self.count += {f};\n            if self.count > 100 {{\n                self.map.clear();\n            }}\n            self.map.insert(key, value.to_owned())\n        }}\n\n"
            ));
        }
        src.push_str(&format!(
            "    }}\n\n    #[cfg(test)]\n    mod tests {{\n        use super::*;\n\n        #[test]\n        fn works() {{\n            let mut t = Thing{n}::default();\n            assert_eq!(t.step0(1, \"a\"), None);\n        }}\n    }}\n}}\n\n"
        ));
        n += 1;
    }
    src
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// `-- --quick` (CI): each measurement once, to show the benchmark runs.
fn runs() -> usize {
    if std::env::args().any(|a| a == "--quick") {
        1
    } else {
        RUNS
    }
}

fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let samples = (0..runs())
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let src = source();
    let lines = src.lines().count();
    let path = "src/big.rs";

    let build = time(|| Outline::new(path, black_box(&src)));
    let parse_only = time(|| {
        let mut parser = tree_sitter::Parser::new();
        let lang: tree_sitter::Language = tree_sitter_rust::LANGUAGE.into();
        parser.set_language(&lang).ok();
        parser.parse(black_box(&src), None)
    });

    let outline = Outline::new(path, &src);
    let first = (lines / 2) as u32;
    let label = time(|| {
        (first..first + 200)
            .filter_map(|line| outline.label(black_box(line)))
            .count()
    });
    let sample = outline.label(first + 20).unwrap_or_default();

    // A change: one method's body edited, one method deleted, one signature changed.
    let mut new_src = src.replacen("self.count += 3;", "self.count += 30;", 1);
    new_src = new_src.replacen(
        "pub fn step5(&mut self, key: u32, value: &str)",
        "pub fn step5(&mut self, key: u64, value: &str)",
        1,
    );
    let new_outline = Outline::new(path, &new_src);
    let hunks: Vec<HunkLines> = (0..10)
        .map(|i| {
            let row = (i * lines / 10) as u32;
            (row..row + 3, row..row + 3)
        })
        .collect();
    let badge = time(|| badges_for_outlines(path, Some(&outline), Some(&new_outline), &hunks));

    println!("file: {lines} lines, {} bytes", src.len());
    println!("(a) build outline (parse + index):      {build:?}  (median of {RUNS})");
    println!("    of which tree-sitter parse alone:     {parse_only:?}");
    println!(
        "(b) label 200 lines from built outline: {label:?}  (median of {RUNS}; e.g. `{sample}`)"
    );
    println!("(c) badges for 10 hunks, outlines built: {badge:?}  (median of {RUNS})");
}
