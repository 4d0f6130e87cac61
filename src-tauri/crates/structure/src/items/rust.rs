//! Rust items: modules, impls, traits, functions, types and `macro_rules!`.

use tree_sitter::Node;

use super::{Extractor, Found, Item, ItemKind, SigPart};

impl<'s> Extractor<'s> {
    pub(super) fn rust<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        let named = |kind: ItemKind, keyword: &str| -> Option<Found<'t>> {
            let name = node.child_by_field_name("name")?;
            Some(self.rust_simple(node, kind, keyword, name))
        };
        match node.kind() {
            "function_item" | "function_signature_item" => self.rust_function(node, parent),
            "impl_item" => self.rust_impl(node),
            "mod_item" => {
                let mut found = named(ItemKind::Module, "mod")?;
                found.test = matches!(self.text(found.name), "tests" | "test");
                Some(found)
            }
            "trait_item" => named(ItemKind::Trait, "trait"),
            "struct_item" => named(ItemKind::Struct, "struct"),
            "union_item" => named(ItemKind::Struct, "union"),
            "enum_item" => named(ItemKind::Enum, "enum"),
            "macro_definition" => {
                let mut found = named(ItemKind::Macro, "macro_rules!")?;
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

    /// Whether the attributes above an item make it a test: `#[cfg(test)]` on a
    /// module, a test attribute ([`is_rust_test_attr`]) on anything else.
    pub(super) fn rust_marks_test(&self, kind: ItemKind, attrs: &[Node]) -> bool {
        attrs.iter().any(|a| {
            let text = self.text(*a);
            match kind {
                ItemKind::Module => text.contains("cfg(test)"),
                _ => is_rust_test_attr(text),
            }
        })
    }

    /// An item labelled `keyword name`, public when marked `pub`.
    fn rust_simple<'t>(
        &self,
        node: Node<'t>,
        kind: ItemKind,
        keyword: &str,
        name: Node<'t>,
    ) -> Found<'t> {
        Found {
            kind,
            label: format!("{keyword} {}", self.text(name)),
            anchor: node,
            name,
            public: self.rust_pub(node),
            test: false,
            signature: Vec::new(),
        }
    }

    /// Whether the item carries a plain `pub` (not `pub(crate)` and the like).
    fn rust_pub(&self, node: Node) -> bool {
        let mut cursor = node.walk();
        let found = node
            .named_children(&mut cursor)
            .any(|c| c.kind() == "visibility_modifier" && self.text(c) == "pub");
        found
    }

    /// `fn f`: a method inside an impl or trait, public when `pub` or in a public trait.
    fn rust_function<'t>(&self, node: Node<'t>, parent: Option<&Item>) -> Option<Found<'t>> {
        let name = node.child_by_field_name("name")?;
        let in_type = parent.is_some_and(|p| matches!(p.kind, ItemKind::Impl | ItemKind::Trait));
        let in_pub_trait = parent.is_some_and(|p| p.kind == ItemKind::Trait && p.public);
        Some(Found {
            kind: if in_type {
                ItemKind::Method
            } else {
                ItemKind::Function
            },
            label: format!("fn {}", self.text(name)),
            anchor: node,
            name,
            public: self.rust_pub(node) || in_pub_trait,
            test: false,
            signature: rust_fn_signature(node),
        })
    }

    /// `impl T` or `impl Trait for T`; never public in itself (its items may be).
    fn rust_impl<'t>(&self, node: Node<'t>) -> Option<Found<'t>> {
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
}

/// Qualifiers (`async`, `unsafe`, `extern`…), generics, parameters and return type.
fn rust_fn_signature(node: Node<'_>) -> Vec<SigPart<'_>> {
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
    signature
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
}
