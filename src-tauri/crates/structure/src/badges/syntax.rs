//! Syntax errors the new text has and the old one did not.

use std::collections::HashMap;

use tree_sitter::Node;

use super::{list, place_for, BadgeKind, Findings, HunkLines, Place};
use crate::Outline;

/// How much of an `ERROR` node's first line identifies it.
const ERROR_KEY_CHARS: usize = 80;

/// An `ERROR` or `MISSING` node: a position-free key and the row it starts on.
struct Site {
    key: String,
    row: u32,
}

/// Records new syntax errors, matched against the old ones by key (kind, parent
/// kind and the first line of the error's text, whitespace dropped), so errors
/// that merely moved are not new.
pub(super) fn new_errors(
    old: Option<&Outline>,
    new: &Outline,
    hunks: &[HunkLines],
    found: &mut Findings,
) {
    let mut before: HashMap<String, usize> = HashMap::new();
    for site in old.map(sites).unwrap_or_default() {
        *before.entry(site.key).or_default() += 1;
    }
    let mut rows_by_place: Vec<(Place, Vec<u32>)> = Vec::new();
    for site in sites(new) {
        match before.get_mut(&site.key) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                let place = place_for(hunks, true, site.row, site.row);
                match rows_by_place.iter_mut().find(|(p, _)| *p == place) {
                    Some((_, rows)) => rows.push(site.row),
                    None => rows_by_place.push((place, vec![site.row])),
                }
            }
        }
    }
    for (place, mut rows) in rows_by_place {
        rows.sort_unstable();
        rows.dedup();
        let lines: Vec<String> = rows.iter().map(|r| (r + 1).to_string()).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (verb, object) = match lines.as_slice() {
            [one] => ("leaves a syntax error at line", (*one).to_owned()),
            _ => ("leaves syntax errors at lines", list(&lines)),
        };
        found.add(place, BadgeKind::SyntaxError, verb, object);
    }
}

/// Every `ERROR` and `MISSING` node, outermost errors only, in document order.
fn sites(outline: &Outline) -> Vec<Site> {
    let Some(tree) = outline.tree() else {
        return Vec::new();
    };
    let root = tree.root_node();
    if !root.has_error() {
        return Vec::new();
    }
    let src = outline.text().as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<Node> = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            out.push(site(node, src));
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node
            .children(&mut cursor)
            .filter(|c| c.has_error() || c.is_missing())
            .collect();
        // Reversed so the stack pops them in document order.
        stack.extend(children.into_iter().rev());
    }
    out
}

fn site(node: Node, src: &[u8]) -> Site {
    let parent = node.parent().map_or("", |p| p.kind());
    let key = if node.is_missing() {
        format!("MISSING {} in {parent}", node.kind())
    } else {
        let text = node.utf8_text(src).unwrap_or("");
        let first_line: String = text
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(ERROR_KEY_CHARS)
            .collect();
        format!("ERROR in {parent}: {first_line}")
    };
    Site {
        key,
        row: u32::try_from(node.start_position().row).unwrap_or(u32::MAX),
    }
}
