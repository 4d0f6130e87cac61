//! Python items: classes and `def`s, public unless their name starts with `_`.

use tree_sitter::Node;

use super::{Extractor, Found, Item, ItemKind, SigPart};

impl<'s> Extractor<'s> {
    pub(super) fn python<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
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
}
