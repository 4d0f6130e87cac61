//! Go items: functions, methods (labelled with their receiver type) and types.

use tree_sitter::Node;

use super::{Extractor, Found, ItemKind, SigPart};

impl<'s> Extractor<'s> {
    pub(super) fn go<'t>(&self, node: Node<'t>) -> Option<Found<'t>> {
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
}
