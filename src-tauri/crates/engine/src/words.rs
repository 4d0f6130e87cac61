//! Word-level changes inside a modified line: which runs of characters differ
//! between a removed line and the added line it became.

use airlock_protocol::WordRange;
use imara_diff::{Algorithm, Diff, InternedInput, Interner};

/// Above this share of changed characters the lines are shown as wholly
/// different: marking nearly everything helps nobody.
const MAX_CHANGED: f64 = 0.6;

/// Words (identifier runs), white-space runs and single other characters.
fn tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut kind = 0u8;
    for (i, c) in line.char_indices() {
        let k = if c.is_alphanumeric() || c == '_' {
            1
        } else if c.is_whitespace() {
            2
        } else {
            3
        };
        if i > start && (k != kind || k == 3) {
            out.push(&line[start..i]);
            start = i;
        }
        kind = k;
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// The changed ranges of `old` and of `new` in UTF-16 code units, or `None`
/// when the lines share too little for word marks to help.
pub fn word_ranges(old: &str, new: &str) -> Option<(Vec<WordRange>, Vec<WordRange>)> {
    let a = tokens(old);
    let b = tokens(new);
    let mut input = InternedInput {
        before: Vec::with_capacity(a.len()),
        after: Vec::with_capacity(b.len()),
        interner: Interner::new(a.len() + b.len()),
    };
    input.update_before(a.iter().copied());
    input.update_after(b.iter().copied());
    let diff = Diff::compute(Algorithm::Histogram, &input);
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    let utf16 = |toks: &[&str], upto: u32| -> u32 {
        toks[..upto as usize]
            .iter()
            .map(|t| t.encode_utf16().count() as u32)
            .sum()
    };
    let (mut changed_a, mut changed_b) = (0u32, 0u32);
    for h in diff.hunks() {
        if !h.before.is_empty() {
            let (s, e) = (utf16(&a, h.before.start), utf16(&a, h.before.end));
            changed_a += e - s;
            ra.push(WordRange { start: s, end: e });
        }
        if !h.after.is_empty() {
            let (s, e) = (utf16(&b, h.after.start), utf16(&b, h.after.end));
            changed_b += e - s;
            rb.push(WordRange { start: s, end: e });
        }
    }
    let len_a = old.encode_utf16().count().max(1) as f64;
    let len_b = new.encode_utf16().count().max(1) as f64;
    if changed_a as f64 / len_a > MAX_CHANGED || changed_b as f64 / len_b > MAX_CHANGED {
        return None;
    }
    Some((ra, rb))
}

/// True when two texts differ only in white space.
pub fn same_but_whitespace(a: &[u8], b: &[u8]) -> bool {
    let strip = |x: &[u8]| {
        x.iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<Vec<u8>>()
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_changed_word_in_utf16_units() {
        let (a, b) = word_ranges("let x = compute(1);", "let x = compute(2);").expect("words");
        assert_eq!(a, vec![WordRange { start: 16, end: 17 }]);
        assert_eq!(b, vec![WordRange { start: 16, end: 17 }]);
        let (_, b) = word_ranges("let é = old_name + 1;", "let é = new_name + 1;").expect("words");
        assert_eq!(b, vec![WordRange { start: 8, end: 16 }]);
        assert!(word_ranges("completely", "different text here").is_none());
        assert!(same_but_whitespace(b"a  b\n", b"a b\n"));
    }
}
