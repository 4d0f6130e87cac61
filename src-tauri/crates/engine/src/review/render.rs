//! A proposal as the review pane shows it: hunks with their lines,
//! highlighted and word-marked, and the context between them.

use super::*;

impl Proposal {
    /// Line hunks `from..from+count` (all when `count` is `None`) with their
    /// lines, highlighted and word-marked; white-space-only hunks left out on request.
    pub fn render(
        &self,
        hl: &Highlighter,
        from: u32,
        count: Option<u32>,
        ignore_whitespace: bool,
    ) -> ChangeDiff {
        let base = text_of(&self.base).unwrap_or(b"");
        let proposed = text_of(&self.proposed).unwrap_or(b"");
        let base_lines = diff::lines(base);
        let new_lines = diff::lines(proposed);
        let (base_count, new_count) = (base_lines.len() as u32, new_lines.len() as u32);
        let shown: Vec<(usize, &LineHunk)> = self
            .hunks
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                !ignore_whitespace
                    || !crate::words::same_but_whitespace(
                        &base_lines[h.before.start as usize..h.before.end as usize].concat(),
                        &new_lines[h.after.start as usize..h.after.end as usize].concat(),
                    )
            })
            .collect();
        let total = shown.len() as u32;
        let window: Vec<(usize, &LineHunk)> = shown
            .into_iter()
            .skip(from as usize)
            .take(count.map_or(usize::MAX, |c| c as usize))
            .collect();
        let spans = self.context_spans(&window, base_count);
        let (base_html, new_html) =
            highlight_window(hl, &self.change.path, (base, proposed), &window, &spans);
        let mut out = Vec::with_capacity(window.len());
        for ((_, h), (above, below)) in window.iter().zip(spans) {
            // Context lines, numbered on both sides (`shift`: new minus old).
            let context = |rows: Range<u32>, shift: i64| {
                rows.map(|b| context_line(&base_lines, &base_html, b, (b as i64 + shift) as u32))
                    .collect::<Vec<_>>()
            };
            let mut lines = context(above, h.after.start as i64 - h.before.start as i64);
            let sides = Sides {
                base: &base_lines,
                new: &new_lines,
                base_html: &base_html,
                new_html: &new_html,
            };
            lines.extend(changed_lines(h, &sides));
            lines.extend(context(below, h.after.end as i64 - h.before.end as i64));
            let header = self
                .change
                .hunks
                .iter()
                .find(|x| x.id == h.id)
                .cloned()
                .unwrap_or_else(|| header(h));
            out.push(HunkDiff { header, lines });
        }
        ChangeDiff {
            change: self.change.clone(),
            first: from,
            total,
            hunks: out,
            old_line_count: base_count,
            new_line_count: new_count,
        }
    }

    /// Each shown hunk's context: up to [`CONTEXT`] lines either side
    /// (above, below, in base lines), never shown twice.
    fn context_spans(
        &self,
        window: &[(usize, &LineHunk)],
        base_count: u32,
    ) -> Vec<(Range<u32>, Range<u32>)> {
        window
            .iter()
            .map(|(i, h)| {
                let prev_end = i
                    .checked_sub(1)
                    .map(|p| self.hunks[p].before.end + CONTEXT)
                    .unwrap_or(0);
                let before_from = h
                    .before
                    .start
                    .saturating_sub(CONTEXT)
                    .max(prev_end.min(h.before.start));
                let next = self
                    .hunks
                    .get(i + 1)
                    .map(|n| n.before.start)
                    .unwrap_or(base_count);
                let after_to = (h.before.end + CONTEXT).min(next).min(base_count);
                (before_from..h.before.start, h.before.end..after_to)
            })
            .collect()
    }

    /// Project lines `from..from+count` (1-based) as context, numbered on both sides.
    pub fn context_lines(&self, hl: &Highlighter, from: u32, count: u32) -> Vec<DiffLine> {
        let base = text_of(&self.base).unwrap_or(b"");
        let base_lines = diff::lines(base);
        let start = from.saturating_sub(1).min(base_lines.len() as u32);
        let end = start.saturating_add(count).min(base_lines.len() as u32);
        if start >= end {
            return Vec::new();
        }
        let wanted: Vec<u32> = (start..end).collect();
        let html = highlight_map(hl, &self.change.path, base, &wanted);
        (start..end)
            .map(|b| {
                let shift: i64 = self
                    .hunks
                    .iter()
                    .filter(|h| h.before.end <= b)
                    .map(|h| h.after.len() as i64 - h.before.len() as i64)
                    .sum();
                context_line(&base_lines, &html, b, (b as i64 + shift) as u32)
            })
            .collect()
    }
}

/// How far past the last paired added line a removed line looks for its pair.
const PAIR_LOOKAHEAD: usize = 8;

/// Word marks for a hunk's removed lines (`old`) and added lines (`new`),
/// whatever their counts. In order, each removed line is paired with the
/// added line, among the next few not yet passed ([`PAIR_LOOKAHEAD`]), that
/// it shares most with, if it shares enough; pairs never cross. So a 2 → 3-line
/// edit, or one with a line inserted between the edited ones, still gets its
/// words marked. Returns (removed index, added index, removed ranges, added ranges).
fn word_pairs(
    old: &[String],
    new: &[String],
) -> Vec<(usize, usize, Vec<WordRange>, Vec<WordRange>)> {
    // The share of a line its marks cover: 0 is the same line, 2 all changed on both sides.
    let share = |ranges: &[WordRange], line: &str| {
        let marked: u32 = ranges.iter().map(|r| r.end - r.start).sum();
        f64::from(marked) / line.encode_utf16().count().max(1) as f64
    };
    let mut out = Vec::new();
    let mut next = 0;
    for (k, o) in old.iter().enumerate() {
        let end = new.len().min(next + PAIR_LOOKAHEAD);
        let mut best: Option<(f64, usize, Vec<WordRange>, Vec<WordRange>)> = None;
        for (j, n) in new.iter().enumerate().take(end).skip(next) {
            if let Some((a, b)) = crate::words::word_ranges(o, n) {
                let score = share(&a, o) + share(&b, n);
                if best.as_ref().is_none_or(|(s, ..)| score < *s) {
                    best = Some((score, j, a, b));
                }
            }
        }
        if let Some((_, j, a, b)) = best {
            out.push((k, j, a, b));
            next = j + 1;
            if next >= new.len() {
                break;
            }
        }
    }
    out
}

type HtmlLines = std::collections::HashMap<u32, String>;

fn lossy_line(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_end_matches(['\n', '\r'])
        .to_string()
}

fn highlight_map(hl: &Highlighter, path: &str, text: &[u8], wanted: &[u32]) -> HtmlLines {
    hl.lines(path, &String::from_utf8_lossy(text), wanted)
}

fn pick(html: &HtmlLines, i: u32, raw: &[u8]) -> String {
    html.get(&i)
        .cloned()
        .unwrap_or_else(|| highlight::plain(&String::from_utf8_lossy(raw)))
}

fn numbered(
    kind: LineKind,
    old_no: Option<u32>,
    new_no: Option<u32>,
    raw: &[u8],
    html: String,
) -> DiffLine {
    DiffLine {
        kind,
        old_no: old_no.map(|n| n + 1),
        new_no: new_no.map(|n| n + 1),
        html,
        text: lossy_line(raw),
        words: Vec::new(),
    }
}

fn context_line(lines: &[&[u8]], html: &HtmlLines, b: u32, new_no: u32) -> DiffLine {
    let raw = lines[b as usize];
    numbered(
        LineKind::Context,
        Some(b),
        Some(new_no),
        raw,
        pick(html, b, raw),
    )
}

/// Both sides' lines of a change and their highlighting.
struct Sides<'a> {
    base: &'a [&'a [u8]],
    new: &'a [&'a [u8]],
    base_html: &'a HtmlLines,
    new_html: &'a HtmlLines,
}

/// A hunk's removed lines, then its added lines, with the words that
/// changed between paired lines marked.
fn changed_lines(h: &LineHunk, sides: &Sides) -> Vec<DiffLine> {
    let mut out = Vec::with_capacity(h.before.len() + h.after.len());
    let removed: Vec<u32> = h.before.clone().collect();
    let added: Vec<u32> = h.after.clone().collect();
    let mut removed_words = vec![Vec::new(); removed.len()];
    let mut added_words = vec![Vec::new(); added.len()];
    if !removed.is_empty() && !added.is_empty() {
        let old: Vec<String> = removed
            .iter()
            .map(|&b| lossy_line(sides.base[b as usize]))
            .collect();
        let new: Vec<String> = added
            .iter()
            .map(|&a| lossy_line(sides.new[a as usize]))
            .collect();
        for (k, j, a, b) in word_pairs(&old, &new) {
            removed_words[k] = a;
            added_words[j] = b;
        }
    }
    for (k, b) in removed.iter().enumerate() {
        let raw = sides.base[*b as usize];
        let mut l = numbered(
            LineKind::Removed,
            Some(*b),
            None,
            raw,
            pick(sides.base_html, *b, raw),
        );
        l.words = std::mem::take(&mut removed_words[k]);
        out.push(l);
    }
    for (k, a) in added.iter().enumerate() {
        let raw = sides.new[*a as usize];
        let mut l = numbered(
            LineKind::Added,
            None,
            Some(*a),
            raw,
            pick(sides.new_html, *a, raw),
        );
        l.words = std::mem::take(&mut added_words[k]);
        out.push(l);
    }
    out
}

/// The two sides' highlighting, of the lines this window shows only (and,
/// for the highlighter's state, what is above them): both sides at once,
/// on the two highlighter threads.
fn highlight_window(
    hl: &Highlighter,
    path: &str,
    (base, proposed): (&[u8], &[u8]),
    window: &[(usize, &LineHunk)],
    spans: &[(Range<u32>, Range<u32>)],
) -> (HtmlLines, HtmlLines) {
    // Highlight only what this window shows (and, for its state, what is above it).
    let mut want_base: Vec<u32> = Vec::new();
    let mut want_new: Vec<u32> = Vec::new();
    for ((_, h), (above, below)) in window.iter().zip(spans) {
        want_base.extend(above.clone());
        want_base.extend(h.before.clone());
        want_base.extend(below.clone());
        want_new.extend(h.after.clone());
    }
    std::thread::scope(|scope| {
        let other =
            scope.spawn(|| hl.lines_on(1, path, &String::from_utf8_lossy(proposed), &want_new));
        let base_html = highlight_map(hl, path, base, &want_base);
        (base_html, other.join().unwrap_or_default())
    })
}
