//! How the walk reads a word: quotes removed, backslashes resolved (as
//! outside quotes, inside double quotes, or in `$'…'`), and whether the
//! word depends on an expansion and so is only known at run time.

use tree_sitter::Node;

use super::{SimpleCommand, Walker};

impl<'s> Walker<'s> {
    pub(super) fn push_word(&self, command: &mut SimpleCommand, node: Node) {
        let (word, dynamic) = self.word(node);
        command.argv.push(word);
        command.dynamic.push(dynamic);
    }

    /// The value of a word as the shell would see it, and whether it depends
    /// on an expansion (then the value keeps the expansion's source text).
    pub(super) fn word(&self, node: Node) -> (String, bool) {
        let text = self.text(node);
        match node.kind() {
            "word" | "number" => (unescape_bare(text), false),
            "raw_string" => (strip_pair(text, '\'').to_string(), false),
            "ansi_c_string" => (
                unescape_ansi_c(text.strip_prefix('$').map_or(text, |t| strip_pair(t, '\''))),
                false,
            ),
            "string" | "translated_string" => {
                let inner_start = node.start_byte() + text.find('"').map_or(0, |i| i + 1);
                let inner_end = node.end_byte().saturating_sub(1).max(inner_start);
                self.pieces(node, inner_start, inner_end, true)
            }
            "concatenation" => self.pieces(node, node.start_byte(), node.end_byte(), false),
            "variable_assignment" => {
                let name = node
                    .child_by_field_name("name")
                    .map_or("", |n| self.text(n));
                match node.child_by_field_name("value") {
                    Some(value) => {
                        let (v, dynamic) = self.word(value);
                        (format!("{name}={v}"), dynamic)
                    }
                    None => (text.to_string(), false),
                }
            }
            "brace_expression" | "extglob_pattern" | "regex" | "test_operator" => {
                (text.to_string(), false)
            }
            _ => (text.to_string(), true),
        }
    }

    /// Joins the pieces of a string or concatenation: named children by their
    /// value, the text between them as written (unescaped as in double quotes
    /// when `quoted`).
    fn pieces(&self, node: Node, start: usize, end: usize, quoted: bool) -> (String, bool) {
        let mut out = String::new();
        let mut dynamic = false;
        let mut pos = start;
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            let (cs, ce) = (child.start_byte(), child.end_byte());
            if cs < pos || ce > end {
                continue;
            }
            let gap = self.src.get(pos..cs).unwrap_or_default();
            out.push_str(&if quoted {
                unescape_double(gap)
            } else {
                unescape_bare(gap)
            });
            if child.kind() == "string_content" {
                out.push_str(&unescape_double(self.text(child)));
            } else {
                let (v, d) = self.word(child);
                out.push_str(&v);
                dynamic |= d;
            }
            pos = ce;
        }
        let tail = self.src.get(pos..end).unwrap_or_default();
        out.push_str(&if quoted {
            unescape_double(tail)
        } else {
            unescape_bare(tail)
        });
        (out, dynamic)
    }
}

fn strip_pair(text: &str, quote: char) -> &str {
    text.strip_prefix(quote)
        .and_then(|t| t.strip_suffix(quote))
        .unwrap_or(text)
}

/// Backslashes outside quotes: `\x` is `x`, backslash-newline vanishes.
fn unescape_bare(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') | None => {}
                Some(n) => out.push(n),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Backslashes inside double quotes escape only `$`, `` ` ``, `"`, `\` and
/// newline.
fn unescape_double(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$' | '`' | '"' | '\\') => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The common escapes of `$'…'`.
fn unescape_ansi_c(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('e' | 'E') => out.push('\u{1b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
