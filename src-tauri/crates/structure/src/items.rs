//! Items: the named declarations a label is made of, read from a syntax tree.
//!
//! One pre-order walk of the tree yields every item with its parent, so both
//! labels (innermost item per line, then up the parents) and badges (items
//! keyed by their chain of labels) are answered without walking the tree again.

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
        let mut test = found.test;
        if self.lang == Language::Rust {
            test |= attrs.iter().any(|a| {
                let text = self.text(*a);
                match found.kind {
                    ItemKind::Module => text.contains("cfg(test)"),
                    _ => is_rust_test_attr(text),
                }
            });
        }
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

    fn rust<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        let pub_vis = || {
            let mut cursor = node.walk();
            let found = node
                .named_children(&mut cursor)
                .any(|c| c.kind() == "visibility_modifier" && self.text(c) == "pub");
            found
        };
        let simple = |kind: ItemKind, keyword: &str, name: Node<'t>| Found {
            kind,
            label: format!("{keyword} {}", self.text(name)),
            anchor: node,
            name,
            public: pub_vis(),
            test: false,
            signature: Vec::new(),
        };
        match node.kind() {
            "function_item" | "function_signature_item" => {
                let name = node.child_by_field_name("name")?;
                let in_type =
                    parent.is_some_and(|p| matches!(p.kind, ItemKind::Impl | ItemKind::Trait));
                let in_pub_trait = parent.is_some_and(|p| p.kind == ItemKind::Trait && p.public);
                let mut signature = Vec::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "function_modifiers" {
                        signature.push(SigPart::Node(child));
                    }
                }
                signature.push(SigPart::Text("fn"));
                for field in ["type_parameters", "parameters"] {
                    if let Some(n) = node.child_by_field_name(field) {
                        signature.push(SigPart::Node(n));
                    }
                }
                if let Some(ret) = node.child_by_field_name("return_type") {
                    signature.push(SigPart::Text("->"));
                    signature.push(SigPart::Node(ret));
                }
                Some(Found {
                    kind: if in_type {
                        ItemKind::Method
                    } else {
                        ItemKind::Function
                    },
                    label: format!("fn {}", self.text(name)),
                    anchor: node,
                    name,
                    public: pub_vis() || in_pub_trait,
                    test: false,
                    signature,
                })
            }
            "impl_item" => {
                let ty = node.child_by_field_name("type")?;
                let label = match node.child_by_field_name("trait") {
                    Some(tr) => format!("impl {} for {}", self.text(tr), self.text(ty)),
                    None => format!("impl {}", self.text(ty)),
                };
                Some(Found {
                    kind: ItemKind::Impl,
                    label,
                    anchor: node,
                    name: ty,
                    public: false,
                    test: false,
                    signature: Vec::new(),
                })
            }
            "mod_item" => {
                let name = node.child_by_field_name("name")?;
                let mut found = simple(ItemKind::Module, "mod", name);
                found.test = matches!(self.text(name), "tests" | "test");
                Some(found)
            }
            "trait_item" => Some(simple(
                ItemKind::Trait,
                "trait",
                node.child_by_field_name("name")?,
            )),
            "struct_item" => Some(simple(
                ItemKind::Struct,
                "struct",
                node.child_by_field_name("name")?,
            )),
            "union_item" => Some(simple(
                ItemKind::Struct,
                "union",
                node.child_by_field_name("name")?,
            )),
            "enum_item" => Some(simple(
                ItemKind::Enum,
                "enum",
                node.child_by_field_name("name")?,
            )),
            "macro_definition" => {
                let name = node.child_by_field_name("name")?;
                let mut found = simple(ItemKind::Macro, "macro_rules!", name);
                // `#[macro_export]` is how a macro becomes public.
                found.public = self
                    .leading(node)
                    .1
                    .iter()
                    .any(|a| self.text(*a).contains("macro_export"));
                Some(found)
            }
            _ => None,
        }
    }

    fn python<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        let (kind, keyword) = match node.kind() {
            "function_definition" => {
                let in_class = parent.is_some_and(|p| p.kind == ItemKind::Class);
                (
                    if in_class {
                        ItemKind::Method
                    } else {
                        ItemKind::Function
                    },
                    "def",
                )
            }
            "class_definition" => (ItemKind::Class, "class"),
            _ => return None,
        };
        let name = node.child_by_field_name("name")?;
        let name_text = self.text(name);
        let anchor = match node.parent() {
            Some(p) if p.kind() == "decorated_definition" => p,
            _ => node,
        };
        let dunder = name_text.starts_with("__") && name_text.ends_with("__");
        let public_name = !name_text.starts_with('_') || dunder;
        let public = public_name
            && match parent {
                None => true,
                Some(p) => p.kind == ItemKind::Class && p.public,
            };
        let test = match kind {
            ItemKind::Class => name_text.starts_with("Test"),
            _ => name_text.starts_with("test"),
        };
        let mut signature = Vec::new();
        if kind != ItemKind::Class {
            if let Some(params) = node.child_by_field_name("parameters") {
                signature.push(SigPart::Node(params));
            }
            if let Some(ret) = node.child_by_field_name("return_type") {
                signature.push(SigPart::Text("->"));
                signature.push(SigPart::Node(ret));
            }
        }
        Some(Found {
            kind,
            label: format!("{keyword} {name_text}"),
            anchor,
            name,
            public,
            test,
            signature,
        })
    }

    fn go<'t>(&self, node: Node<'t>) -> Option<Found<'t>> {
        let exported = |name: &str| name.chars().next().is_some_and(char::is_uppercase);
        match node.kind() {
            "function_declaration" | "method_declaration" => {
                let name = node.child_by_field_name("name")?;
                let name_text = self.text(name);
                let mut signature = Vec::new();
                for field in ["type_parameters", "parameters", "result"] {
                    if let Some(n) = node.child_by_field_name(field) {
                        signature.push(SigPart::Node(n));
                    }
                }
                let (kind, label) = match node.child_by_field_name("receiver") {
                    Some(receiver) => (
                        ItemKind::Method,
                        format!("func ({}) {name_text}", self.go_receiver_type(receiver)),
                    ),
                    None => (ItemKind::Function, format!("func {name_text}")),
                };
                let test = self.go_test_file
                    && kind == ItemKind::Function
                    && ["Test", "Benchmark", "Fuzz", "Example"]
                        .iter()
                        .any(|p| name_text.starts_with(p));
                Some(Found {
                    kind,
                    label,
                    anchor: node,
                    name,
                    public: exported(name_text),
                    test,
                    signature,
                })
            }
            "type_spec" | "type_alias" => {
                let name = node.child_by_field_name("name")?;
                let kind = match node.child_by_field_name("type").map(|t| t.kind()) {
                    Some("struct_type") => ItemKind::Struct,
                    Some("interface_type") => ItemKind::Interface,
                    _ => ItemKind::TypeAlias,
                };
                // `type X struct {…}` is a declaration holding one spec; its comments
                // sit above the declaration. In a `type ( … )` group they sit above the spec.
                let anchor = match node.parent() {
                    Some(p) if p.kind() == "type_declaration" && p.named_child_count() == 1 => p,
                    _ => node,
                };
                let name_text = self.text(name);
                Some(Found {
                    kind,
                    label: format!("type {name_text}"),
                    anchor,
                    name,
                    public: exported(name_text),
                    test: false,
                    signature: Vec::new(),
                })
            }
            _ => None,
        }
    }

    /// `(r *Engine[T])` → `Engine`.
    fn go_receiver_type(&self, receiver: Node) -> String {
        let mut cursor = receiver.walk();
        let ty = receiver
            .named_children(&mut cursor)
            .find(|c| c.kind() == "parameter_declaration")
            .and_then(|p| p.child_by_field_name("type"))
            .map(|t| self.text(t))
            .unwrap_or("");
        let ty = ty.trim_start_matches(['*', ' ']);
        ty.split('[').next().unwrap_or(ty).trim().to_owned()
    }

    fn js<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        let exported_anchor = |n: Node<'t>| match n.parent() {
            Some(p) if p.kind() == "export_statement" => (p, true),
            _ => (n, false),
        };
        let simple = |kind: ItemKind, keyword: &str| -> Option<Found<'t>> {
            let name = node.child_by_field_name("name")?;
            let (anchor, public) = exported_anchor(node);
            Some(Found {
                kind,
                label: format!("{keyword} {}", self.text(name)),
                anchor,
                name,
                public,
                test: false,
                signature: Vec::new(),
            })
        };
        match node.kind() {
            "function_declaration" | "generator_function_declaration" | "function_signature" => {
                let mut found = simple(ItemKind::Function, "function")?;
                found.signature = js_signature(node);
                Some(found)
            }
            "class_declaration" | "abstract_class_declaration" => simple(ItemKind::Class, "class"),
            "interface_declaration" => simple(ItemKind::Interface, "interface"),
            "internal_module" => simple(ItemKind::Namespace, "namespace"),
            "module" => simple(ItemKind::Namespace, "module"),
            "enum_declaration" => simple(ItemKind::Enum, "enum"),
            "type_alias_declaration" => simple(ItemKind::TypeAlias, "type"),
            "method_definition" | "method_signature" | "abstract_method_signature" => {
                let name = node.child_by_field_name("name")?;
                let mut cursor = node.walk();
                let hidden = node.children(&mut cursor).any(|c| {
                    c.kind() == "accessibility_modifier"
                        && matches!(self.text(c), "private" | "protected")
                });
                let public = !hidden
                    && name.kind() != "private_property_identifier"
                    && parent.is_some_and(|p| {
                        matches!(p.kind, ItemKind::Class | ItemKind::Interface) && p.public
                    });
                Some(Found {
                    kind: ItemKind::Method,
                    label: format!("method {}", self.text(name)),
                    anchor: node,
                    name,
                    public,
                    test: false,
                    signature: js_signature(node),
                })
            }
            "variable_declarator" => {
                let name = node.child_by_field_name("name")?;
                let value = node.child_by_field_name("value")?;
                let kind = match value.kind() {
                    "arrow_function"
                    | "function_expression"
                    | "function"
                    | "generator_function" => ItemKind::Function,
                    "class" => ItemKind::Class,
                    _ => return None,
                };
                if name.kind() != "identifier" {
                    return None;
                }
                let decl = node.parent()?;
                let keyword = match decl.child_by_field_name("kind") {
                    Some(k) => self.text(k),
                    None => "var",
                };
                let (anchor, public) = exported_anchor(decl);
                Some(Found {
                    kind,
                    label: format!("{keyword} {}", self.text(name)),
                    anchor,
                    name,
                    public,
                    test: false,
                    signature: if kind == ItemKind::Function {
                        js_signature(value)
                    } else {
                        Vec::new()
                    },
                })
            }
            "call_expression" => self.js_test_call(node),
            _ => None,
        }
    }

    /// `describe("Engine", () => …)`, `it.only("lands", …)`, `test("x", function () {…})`.
    fn js_test_call<'t>(&self, node: Node<'t>) -> Option<Found<'t>> {
        const TEST_FNS: [&str; 6] = ["describe", "it", "test", "suite", "context", "specify"];
        const MODIFIERS: [&str; 6] = [
            "only",
            "skip",
            "todo",
            "concurrent",
            "failing",
            "sequential",
        ];
        let callee = node.child_by_field_name("function")?;
        let base = match callee.kind() {
            "identifier" => callee,
            "member_expression" => {
                let object = callee.child_by_field_name("object")?;
                let property = callee.child_by_field_name("property")?;
                if object.kind() != "identifier" || !MODIFIERS.contains(&self.text(property)) {
                    return None;
                }
                object
            }
            _ => return None,
        };
        let base_text = self.text(base);
        if !TEST_FNS.contains(&base_text) {
            return None;
        }
        let args = node.child_by_field_name("arguments")?;
        let mut cursor = args.walk();
        let mut named = args
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment");
        let title = named.next()?;
        if !matches!(title.kind(), "string" | "template_string") {
            return None;
        }
        let body = named.next()?;
        if !matches!(
            body.kind(),
            "arrow_function" | "function_expression" | "function"
        ) {
            return None;
        }
        let title_text = self.text(title);
        let inner = title_text
            .get(1..title_text.len().saturating_sub(1))
            .unwrap_or(title_text);
        let anchor = match node.parent() {
            Some(p) if p.kind() == "expression_statement" => p,
            _ => node,
        };
        Some(Found {
            kind: ItemKind::TestCall,
            label: format!("{base_text} \"{inner}\""),
            anchor,
            name: title,
            public: false,
            test: true,
            signature: Vec::new(),
        })
    }
}

fn js_signature(node: Node<'_>) -> Vec<SigPart<'_>> {
    let mut parts = Vec::new();
    for field in ["type_parameters", "parameters", "parameter", "return_type"] {
        if let Some(n) = node.child_by_field_name(field) {
            parts.push(SigPart::Node(n));
        }
    }
    parts
}

/// `#[test]`, `#[tokio::test]`, `#[rstest]`, `#[test_case(…)]`, `#[wasm_bindgen_test]`;
/// not `#[cfg(test)]`.
fn is_rust_test_attr(attr: &str) -> bool {
    let inner = attr
        .trim_start_matches('#')
        .trim_start_matches('!')
        .trim_start_matches('[');
    let path = inner.split(['(', '=', ']']).next().unwrap_or("").trim();
    let last = path.rsplit("::").next().unwrap_or(path);
    last.contains("test")
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
    fn rust_test_attributes() {
        for yes in [
            "#[test]",
            "#[tokio::test]",
            "#[tokio::test(flavor = \"multi_thread\")]",
            "#[rstest]",
            "#[test_case(1)]",
        ] {
            assert!(is_rust_test_attr(yes), "{yes}");
        }
        for no in [
            "#[cfg(test)]",
            "#[derive(Debug)]",
            "#[inline]",
            "#[cfg_attr(test, derive(Debug))]",
        ] {
            assert!(!is_rust_test_attr(no), "{no}");
        }
    }

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
