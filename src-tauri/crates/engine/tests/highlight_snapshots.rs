//! Snapshots of the highlighter's HTML for a small file in each language the
//! review pane labels: one line per source line, as the pane receives it.
//! A grammar, theme-class or escaping change shows up as a snapshot diff.

use airlock_engine::highlight;

/// Each fixture carries a construct that spans lines (a block comment, a
/// docstring, a template), so a line's spans depend on the lines above.
const FIXTURES: &[(&str, &str, &str)] = &[
    (
        "rust",
        "src/lib.rs",
        r#"/// Adds one.
pub fn add_one(x: u32) -> u32 {
    /* a comment
       over two lines */
    let s = "a<b & c";
    x + 1
}
"#,
    ),
    (
        "typescript",
        "src/app.ts",
        r#"interface Point { x: number; y: number }
/* spans
   lines */
export const origin: Point = { x: 0, y: 0 };
const msg = `at ${origin.x}
and ${origin.y}`;
"#,
    ),
    (
        "javascript",
        "src/app.js",
        r#"// A counter.
export class Counter {
  #n = 0;
  inc() { return ++this.#n; }
}
const re = /a+b/g;
"#,
    ),
    (
        "python",
        "app/main.py",
        r#"def greet(name: str) -> str:
    """Says hello,
    over two lines."""
    return f"hello {name}"

@dataclass
class Point:
    x: int = 0
"#,
    ),
    (
        "go",
        "cmd/main.go",
        r#"package main

import "fmt"

/* Main
   prints. */
func main() {
	fmt.Println("hi", 1<<3)
}
"#,
    ),
];

fn numbered(path: &str, text: &str) -> String {
    highlight::Highlighter::start()
        .highlight_lines(path, text)
        .iter()
        .enumerate()
        .map(|(i, html)| format!("{:>2} {html}\n", i + 1))
        .collect()
}

#[test]
fn highlighted_spans_per_language() {
    for (name, path, text) in FIXTURES {
        let html = numbered(path, text);
        // Every language here is highlighted, not shown plain.
        assert!(
            html.contains("<span class=\"sy-"),
            "{name}: no spans\n{html}"
        );
        insta::assert_snapshot!(*name, html);
    }
}

#[test]
fn a_window_of_lines_matches_the_whole_file() {
    // Asking for lines further down (the pane's windows) gives what the whole
    // file gives for them: the parser's state carries over between requests.
    let hl = highlight::Highlighter::start();
    for (name, path, text) in FIXTURES {
        let whole = hl.highlight_lines(path, text);
        let variant = format!("{text}\n");
        let last = whole.len() as u32 - 1;
        let first = hl.lines(path, &variant, &[0]);
        let later = hl.lines(path, &variant, &[last]);
        assert_eq!(first.get(&0), whole.first(), "{name}: line 1");
        assert_eq!(later.get(&last), whole.last(), "{name}: last line");
    }
}
