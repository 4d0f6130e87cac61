//! Items: the named declarations a label is made of, read from a syntax tree.
//!
//! One pre-order walk of the tree yields every item with its parent, so both
//! labels (innermost item per line, then up the parents) and badges (items
//! keyed by their chain of labels) are answered without walking the tree again.

mod go;
mod js;
mod python;
mod rust;

use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::Language;

/// What an item is; used to pair renames (only like with like) and to tell
/// callables (whose insides are not API) from containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ItemKind {
    Module,
    Impl,
    Trait,
    Function,
    Method,
    Class,
    Struct,
    Enum,
    Interface,
    Namespace,
    TypeAlias,
    Macro,
    /// A JS/TS `describe(…)`/`it(…)`/`test(…)` call with a string name.
    TestCall,
}

impl ItemKind {
    fn is_callable(self) -> bool {
        matches!(self, Self::Function | Self::Method)
    }
}

/// One named declaration.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub kind: ItemKind,
    /// This item's own piece of a label: `fn land`, `impl Engine`, `class Foo`.
    pub label: String,
    pub parent: Option<u32>,
    /// First row including the doc comments, attributes and decorators right above it.
    pub lead: u32,
    /// First row of the declaration itself.
    pub start: u32,
    /// Last row (inclusive).
    pub end: u32,
    /// Last row of the signature (name, parameters, return type).
    pub header_end: u32,
    /// Bytes of the declaration, and of its name inside it (for rename shapes).
    pub bytes: Range<usize>,
    pub name_bytes: Range<usize>,
    /// Part of the file's public API (`pub`, `export`, exported Go name, Python name without `_`).
    pub public: bool,
    /// A test (`#[test]`, `def test_*`, `func TestX`, `it("…")`, a `mod tests`).
    pub test: bool,
    /// Whitespace-free text of the parameters, return type, generics and qualifiers.
    pub signature: Option<String>,
    /// Declared inside a function or method body (not part of the file's API).
    pub in_callable: bool,
}

/// Walks `tree` once and returns its items in pre-order (parents before children).
pub(crate) fn extract(lang: Language, path: &str, src: &str, tree: &Tree) -> Vec<Item> {
    let go_test_file = lang == Language::Go && path.ends_with("_test.go");
    let ex = Extractor {
        lang,
        src: src.as_bytes(),
        go_test_file,
    };
    let mut items: Vec<Item> = Vec::new();
    // Which item each open node started, so leaving the node closes it. An explicit
    // stack rather than recursion: expression trees can be thousands deep and this
    // runs on small blocking-pool stacks.
    let mut open: Vec<(usize, u32)> = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let parent = open.last().map(|&(_, idx)| idx);
        if let Some(item) = ex.classify(node, parent, &items) {
            let idx = u32::try_from(items.len()).unwrap_or(u32::MAX);
            items.push(item);
            open.push((node.id(), idx));
        }
        if ex.may_hold_items(node) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if open.last().is_some_and(|&(id, _)| id == cursor.node().id()) {
                open.pop();
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return items;
            }
        }
    }
}

/// The last row a node occupies; a node that ends at column 0 (a line comment
/// that swallows its newline) ends on the row before.
pub(crate) fn last_row(node: Node) -> u32 {
    let start = node.start_position().row;
    let end = node.end_position();
    let row = if end.column == 0 && end.row > start {
        end.row - 1
    } else {
        end.row
    };
    row_u32(row)
}

pub(crate) fn first_row(node: Node) -> u32 {
    row_u32(node.start_position().row)
}

fn row_u32(row: usize) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// What [`Extractor::classify`] found before the generic bookkeeping.
struct Found<'t> {
    kind: ItemKind,
    label: String,
    /// The node whose preceding siblings are this item's comments and attributes
    /// (the `export` statement, the decorated definition, the `const` declaration).
    anchor: Node<'t>,
    name: Node<'t>,
    public: bool,
    test: bool,
    /// Nodes whose text, concatenated, is the signature.
    signature: Vec<SigPart<'t>>,
}

enum SigPart<'t> {
    Node(Node<'t>),
    Text(&'static str),
}

struct Extractor<'s> {
    lang: Language,
    src: &'s [u8],
    go_test_file: bool,
}

const LABEL_MAX_CHARS: usize = 60;

impl<'s> Extractor<'s> {
    fn text(&self, node: Node) -> &'s str {
        node.utf8_text(self.src).unwrap_or("")
    }

    fn classify<'t>(&self, node: Node<'t>, parent: Option<u32>, items: &[Item]) -> Option<Item> {
        let parent_item = parent.and_then(|p| items.get(p as usize));
        let found = match self.lang {
            Language::Rust => self.rust(node, parent_item),
            Language::Python => self.python(node, parent_item),
            Language::Go => self.go(node),
            Language::TypeScript | Language::Tsx | Language::JavaScript => {
                self.js(node, parent_item)
            }
        }?;
        let (lead, attrs) = self.leading(found.anchor);
        let test =
            found.test || (self.lang == Language::Rust && self.rust_marks_test(found.kind, &attrs));
        let mut signature = None;
        if !found.signature.is_empty() {
            let mut sig = String::new();
            for part in &found.signature {
                match part {
                    SigPart::Node(n) => sig.push_str(self.text(*n)),
                    SigPart::Text(t) => sig.push_str(t),
                }
            }
            signature = Some(normalize_signature(&sig));
        }
        let header_end = found
            .signature
            .iter()
            .filter_map(|p| match p {
                SigPart::Node(n) => Some(last_row(*n)),
                SigPart::Text(_) => None,
            })
            .chain([last_row(found.name)])
            .max()
            .unwrap_or_else(|| first_row(node));
        Some(Item {
            kind: found.kind,
            label: clip(&found.label),
            parent,
            lead: lead.min(first_row(node)),
            start: first_row(node),
            end: last_row(node),
            header_end,
            bytes: node.byte_range(),
            name_bytes: found.name.byte_range(),
            public: found.public,
            test,
            signature,
            in_callable: parent_item.is_some_and(|p| p.kind.is_callable() || p.in_callable),
        })
    }

    /// The first row of `anchor` together with the comments, attributes and
    /// decorators stacked directly above it (no blank line between), and those nodes.
    fn leading<'t>(&self, anchor: Node<'t>) -> (u32, Vec<Node<'t>>) {
        let mut lead = first_row(anchor);
        let mut attrs = Vec::new();
        let mut cur = anchor;
        while let Some(prev) = cur.prev_sibling() {
            if !self.is_leading_kind(prev.kind()) || last_row(prev) + 1 < lead {
                break;
            }
            // A comment after code on the same line belongs to that code.
            if let Some(before) = prev.prev_sibling() {
                if !self.is_leading_kind(before.kind()) && last_row(before) == first_row(prev) {
                    break;
                }
            }
            lead = first_row(prev);
            attrs.push(prev);
            cur = prev;
        }
        (lead, attrs)
    }

    /// Whether items can sit below this node. Skipping expressions, strings and
    /// types keeps the walk to a small part of the tree (on a 10k-line Rust file
    /// it cut the outline build by a sixth; parsing is nearly all of the rest).
    /// Items nested deeper than these (a `fn` inside an `if` block) are not labelled.
    fn may_hold_items(&self, node: Node) -> bool {
        let kind = node.kind();
        match self.lang {
            Language::Rust => matches!(
                kind,
                "source_file"
                    | "mod_item"
                    | "declaration_list"
                    | "impl_item"
                    | "trait_item"
                    | "function_item"
                    | "block"
                    | "foreign_mod_item"
            ),
            Language::Go => matches!(kind, "source_file" | "type_declaration"),
            Language::Python => matches!(
                kind,
                "module"
                    | "class_definition"
                    | "function_definition"
                    | "decorated_definition"
                    | "block"
                    | "if_statement"
                    | "elif_clause"
                    | "else_clause"
                    | "try_statement"
                    | "except_clause"
                    | "finally_clause"
                    | "with_statement"
            ),
            // Items hide in many places in JS (test callbacks, object literals,
            // exports), so rule out the subtrees that cannot hold any instead.
            Language::TypeScript | Language::Tsx | Language::JavaScript => !matches!(
                kind,
                "string"
                    | "template_string"
                    | "comment"
                    | "regex"
                    | "number"
                    | "jsx_element"
                    | "jsx_self_closing_element"
                    | "jsx_opening_element"
                    | "type_annotation"
                    | "type_arguments"
                    | "type_parameters"
                    | "formal_parameters"
                    | "binary_expression"
                    | "member_expression"
                    | "subscript_expression"
                    | "array"
                    | "union_type"
                    | "intersection_type"
                    | "import_statement"
            ),
        }
    }

    fn is_leading_kind(&self, kind: &str) -> bool {
        match self.lang {
            Language::Rust => matches!(kind, "line_comment" | "block_comment" | "attribute_item"),
            Language::TypeScript | Language::Tsx | Language::JavaScript => {
                matches!(kind, "comment" | "decorator")
            }
            Language::Python | Language::Go => kind == "comment",
        }
    }
}

/// Whitespace is dropped (so reformatting is not a change), and so is a trailing
/// comma before a closing bracket (rustfmt and prettier add one when they wrap).
fn normalize_signature(sig: &str) -> String {
    let compact: String = sig.chars().filter(|c| !c.is_whitespace()).collect();
    compact.replace(",)", ")").replace(",>", ">")
}

/// Collapses whitespace and caps the length so a label stays one short line.
pub(crate) fn clip(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(LABEL_MAX_CHARS + 3));
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= LABEL_MAX_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_ignore_layout() {
        assert_eq!(
            normalize_signature("fn(\n    a: u32,\n    b: Vec<u8,>,\n) -> bool"),
            normalize_signature("fn(a: u32, b: Vec<u8>) -> bool")
        );
    }

    #[test]
    fn clip_collapses_and_caps() {
        assert_eq!(clip("impl  Foo<\n  T>"), "impl Foo< T>");
        let long = "x".repeat(100);
        assert_eq!(clip(&long).chars().count(), LABEL_MAX_CHARS + 1);
    }
}
