//! TypeScript, TSX and JavaScript items: declarations, methods, functions and
//! classes assigned to variables, and `describe`/`it`/`test` calls.

use tree_sitter::Node;

use super::{Extractor, Found, Item, ItemKind, SigPart};

impl<'s> Extractor<'s> {
    pub(super) fn js<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        match node.kind() {
            "function_declaration" | "generator_function_declaration" | "function_signature" => {
                let mut found = self.js_declaration(node, ItemKind::Function, "function")?;
                found.signature = js_signature(node);
                Some(found)
            }
            "class_declaration" | "abstract_class_declaration" => {
                self.js_declaration(node, ItemKind::Class, "class")
            }
            "interface_declaration" => self.js_declaration(node, ItemKind::Interface, "interface"),
            "internal_module" => self.js_declaration(node, ItemKind::Namespace, "namespace"),
            "module" => self.js_declaration(node, ItemKind::Namespace, "module"),
            "enum_declaration" => self.js_declaration(node, ItemKind::Enum, "enum"),
            "type_alias_declaration" => self.js_declaration(node, ItemKind::TypeAlias, "type"),
            "method_definition" | "method_signature" | "abstract_method_signature" => {
                self.js_method(node, parent)
            }
            "variable_declarator" => self.js_variable(node),
            "call_expression" => self.js_test_call(node),
            _ => None,
        }
    }

    /// A named declaration labelled `keyword name`, public when exported.
    fn js_declaration<'t>(
        &self,
        node: Node<'t>,
        kind: ItemKind,
        keyword: &str,
    ) -> Option<Found<'t>> {
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
    }

    /// `method m`: public when its class or interface is and it is not
    /// `private`, `protected` or `#private`.
    fn js_method<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        let name = node.child_by_field_name("name")?;
        let mut cursor = node.walk();
        let hidden = node.children(&mut cursor).any(|c| {
            c.kind() == "accessibility_modifier" && matches!(self.text(c), "private" | "protected")
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

    /// `const f = () => …`, `let C = class {…}`: a function or class assigned to
    /// a plain identifier, labelled with the declaration's keyword.
    fn js_variable<'t>(&self, node: Node<'t>) -> Option<Found<'t>> {
        let name = node.child_by_field_name("name")?;
        let value = node.child_by_field_name("value")?;
        let kind = match value.kind() {
            "arrow_function" | "function_expression" | "function" | "generator_function" => {
                ItemKind::Function
            }
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

/// The node that carries the item's comments — the `export` statement around
/// it, if any — and whether it is exported.
fn exported_anchor(node: Node<'_>) -> (Node<'_>, bool) {
    match node.parent() {
        Some(p) if p.kind() == "export_statement" => (p, true),
        _ => (node, false),
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
