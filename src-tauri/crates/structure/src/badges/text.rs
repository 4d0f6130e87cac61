//! Assertions removed and skip markers added, counted line by line in each hunk.
//!
//! Counting is textual and per language; whole-line comments are ignored, so
//! commenting an assertion out counts as removing it.

use super::{count_noun, BadgeKind, Findings, HunkLines, Place};
use crate::{Language, Outline};

/// JS/TS test functions whose `.skip`/`.todo` disables a test.
const JS_TEST_FNS: &[&str] = &["describe", "it", "test", "suite", "context", "specify"];

/// Records, per hunk, assertions removed and skip markers added.
pub(super) fn scan(
    lang: Language,
    old: Option<&Outline>,
    new: Option<&Outline>,
    hunks: &[HunkLines],
    found: &mut Findings,
) {
    for (i, (old_rows, new_rows)) in hunks.iter().enumerate() {
        let count = |outline: Option<&Outline>, rows: &std::ops::Range<u32>| {
            let mut total = Counts::default();
            if let Some(outline) = outline {
                for row in rows.clone() {
                    let c = count_line(lang, outline.line(row));
                    total.assertions += c.assertions;
                    total.skips += c.skips;
                }
            }
            total
        };
        let before = count(old, old_rows);
        let after = count(new, new_rows);
        if before.assertions > after.assertions {
            found.add(
                Place::Hunk(i),
                BadgeKind::WeakensTest,
                "removes",
                count_noun(before.assertions - after.assertions, "assertion"),
            );
        }
        if after.skips > before.skips {
            found.add(
                Place::Hunk(i),
                BadgeKind::WeakensTest,
                "adds",
                count_noun(after.skips - before.skips, "skip marker"),
            );
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    assertions: usize,
    skips: usize,
}

/// An identifier-like token and its byte span in the line.
struct Tok<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn tokens(line: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in line.bytes().enumerate().chain([(line.len(), b' ')]) {
        let word = b.is_ascii_alphanumeric() || b == b'_';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Tok {
                    text: line.get(s..i).unwrap_or(""),
                    start: s,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// A line of code and its tokens, with the lookups every language's counter uses.
struct Line<'a> {
    text: &'a str,
    toks: Vec<Tok<'a>>,
}

impl<'a> Line<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            toks: tokens(text),
        }
    }

    /// The byte at `i`, if the line is that long.
    fn at(&self, i: usize) -> Option<u8> {
        self.text.as_bytes().get(i).copied()
    }

    /// For token `k` written `prev.tok` with nothing between them, `prev`.
    fn member_of(&self, k: usize) -> Option<&'a str> {
        let tok = self.toks.get(k)?;
        let prev = self.toks.get(k.checked_sub(1)?)?;
        (tok.start > 0 && self.at(tok.start - 1) == Some(b'.') && prev.end + 1 == tok.start)
            .then_some(prev.text)
    }
}

fn count_line(lang: Language, line: &str) -> Counts {
    let trimmed = line.trim_start();
    let comment = match lang {
        Language::Python => trimmed.starts_with('#'),
        _ => ["//", "/*", "*"].iter().any(|c| trimmed.starts_with(c)),
    };
    if comment || trimmed.is_empty() {
        return Counts::default();
    }
    let line = Line::new(line);
    match lang {
        Language::Rust => rust_counts(&line),
        Language::Python => python_counts(&line),
        Language::Go => go_counts(&line),
        Language::TypeScript | Language::Tsx | Language::JavaScript => js_counts(&line),
    }
}

/// `assert!`, `assert_eq!`, `debug_assert_ne!`, `prop_assert!`…; `#[ignore]`.
fn rust_counts(line: &Line) -> Counts {
    Counts {
        assertions: line
            .toks
            .iter()
            .filter(|t| t.text.contains("assert") && line.at(t.end) == Some(b'!'))
            .count(),
        skips: line.text.matches("#[ignore").count(),
    }
}

/// `assert x`, `self.assertEqual(…)`, `mock.assert_called(…)`, `pytest.raises(…)`;
/// pytest and unittest skip and xfail markers.
fn python_counts(line: &Line) -> Counts {
    let mut c = Counts::default();
    for (k, t) in line.toks.iter().enumerate() {
        let call = line.at(t.end) == Some(b'(');
        if (t.text == "assert" && k == 0) || (t.text.starts_with("assert") && call) {
            c.assertions += 1;
        }
        if t.text == "raises" && call && line.member_of(k) == Some("pytest") {
            c.assertions += 1;
        }
    }
    c.skips = [
        "pytest.mark.skip",
        "pytest.mark.xfail",
        "unittest.skip",
        "pytest.skip(",
        ".skipTest(",
    ]
    .iter()
    .map(|m| line.text.matches(m).count())
    .sum();
    c
}

/// `t.Error`/`t.Fatal` and friends, testify's `assert.X`/`require.X`; `t.Skip`.
fn go_counts(line: &Line) -> Counts {
    let mut c = Counts::default();
    for (k, t) in line.toks.iter().enumerate() {
        let on_t = matches!(line.member_of(k), Some("t" | "b" | "tb" | "f"));
        if on_t
            && matches!(
                t.text,
                "Error" | "Errorf" | "Fatal" | "Fatalf" | "Fail" | "FailNow"
            )
        {
            c.assertions += 1;
        }
        if on_t && matches!(t.text, "Skip" | "Skipf" | "SkipNow") {
            c.skips += 1;
        }
        // testify: assert.Equal(…), require.NoError(…)
        if matches!(t.text, "assert" | "require")
            && line.at(t.end) == Some(b'.')
            && line.toks.get(k + 1).is_some_and(|n| {
                n.start == t.end + 1 && n.text.starts_with(|ch: char| ch.is_ascii_uppercase())
            })
        {
            c.assertions += 1;
        }
    }
    c
}

/// `expect(…)` with its matchers, `assert(…)`/`assert.x(…)`; `it.skip`,
/// `describe.todo`, `xit`…
fn js_counts(line: &Line) -> Counts {
    let mut c = Counts::default();
    let mut expects = 0;
    let mut matchers = 0;
    for (k, t) in line.toks.iter().enumerate() {
        let next = line.at(t.end);
        if t.text == "expect" && next == Some(b'(') {
            expects += 1;
        }
        // `.toBe(`, `.toEqual(`, `.toHaveBeenCalled(`: one per expectation.
        let is_matcher = t.text.len() > 2
            && t.text.starts_with("to")
            && t.text.as_bytes().get(2).is_some_and(u8::is_ascii_uppercase);
        if is_matcher && t.start > 0 && line.at(t.start - 1) == Some(b'.') {
            matchers += 1;
        }
        if t.text == "assert" && matches!(next, Some(b'(' | b'.')) && line.member_of(k).is_none() {
            c.assertions += 1;
        }
        if matches!(t.text, "skip" | "todo")
            && line.member_of(k).is_some_and(|p| JS_TEST_FNS.contains(&p))
        {
            c.skips += 1;
        }
        if matches!(
            t.text,
            "xit" | "xdescribe" | "xtest" | "xspecify" | "xcontext"
        ) && next == Some(b'(')
        {
            c.skips += 1;
        }
    }
    // `expect(a).toBe(1)` is one assertion; a bare matcher line (chained on
    // the previous line) still counts.
    c.assertions += expects.max(matchers);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asserts(lang: Language, line: &str) -> usize {
        count_line(lang, line).assertions
    }

    fn skips(lang: Language, line: &str) -> usize {
        count_line(lang, line).skips
    }

    #[test]
    fn rust_assertions_are_assert_macros() {
        let r = Language::Rust;
        assert_eq!(asserts(r, "    assert_eq!(a, b); assert!(c);"), 2);
        assert_eq!(asserts(r, "debug_assert_ne!(x, y)"), 1);
        assert_eq!(asserts(r, "prop_assert!(ok)"), 1);
        assert_eq!(asserts(r, "let v = thing.expect(\"invariant\");"), 0);
        assert_eq!(asserts(r, "fn assert_ok(x: u8) {}"), 0);
        assert_eq!(asserts(r, "    // assert_eq!(a, b);"), 0);
        assert_eq!(skips(r, "    #[ignore = \"flaky\"]"), 1);
    }

    #[test]
    fn python_assertions() {
        let p = Language::Python;
        assert_eq!(asserts(p, "    assert x == 1"), 1);
        assert_eq!(asserts(p, "    self.assertEqual(a, b)"), 1);
        assert_eq!(asserts(p, "    mock.assert_called_once_with(1)"), 1);
        assert_eq!(asserts(p, "    with pytest.raises(ValueError):"), 1);
        assert_eq!(asserts(p, "    # assert x == 1"), 0);
        assert_eq!(asserts(p, "    asserted = True"), 0);
        assert_eq!(skips(p, "@pytest.mark.skip(reason=\"slow\")"), 1);
        assert_eq!(skips(p, "@unittest.skipIf(True, \"x\")"), 1);
    }

    #[test]
    fn go_assertions() {
        let g = Language::Go;
        assert_eq!(asserts(g, "\t\tt.Errorf(\"got %d\", n)"), 1);
        assert_eq!(asserts(g, "\tt.Fatal(err)"), 1);
        assert_eq!(asserts(g, "\treturn err.Error()"), 0);
        assert_eq!(asserts(g, "\tassert.Equal(t, 1, n)"), 1);
        assert_eq!(asserts(g, "\trequire.NoError(t, err)"), 1);
        assert_eq!(skips(g, "\tt.Skip(\"later\")"), 1);
    }

    #[test]
    fn js_assertions() {
        let j = Language::TypeScript;
        assert_eq!(asserts(j, "  expect(a).toBe(1);"), 1);
        assert_eq!(asserts(j, "  expect(a).toBe(1); expect(b).toEqual([]);"), 2);
        assert_eq!(asserts(j, "    .toHaveBeenCalledWith(3);"), 1);
        assert_eq!(asserts(j, "  assert.strictEqual(a, 1);"), 1);
        assert_eq!(asserts(j, "  assert(ok);"), 1);
        assert_eq!(asserts(j, "  const total = toTotal(rows);"), 0);
        assert_eq!(asserts(j, "  // expect(a).toBe(1);"), 0);
        assert_eq!(skips(j, "  it.skip(\"lands\", () => {"), 1);
        assert_eq!(skips(j, "  xit(\"lands\", () => {"), 1);
        assert_eq!(skips(j, "  items.skip(2)"), 0);
    }
}
