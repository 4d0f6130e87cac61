//! Which grammar a path is parsed with.

use serde::{Deserialize, Serialize};

/// A language with a tree-sitter grammar built into this crate.
///
/// Everything else is labelled from header lines (see [`crate::Outline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Language {
    /// `.rs`
    Rust,
    /// `.ts`, `.mts`, `.cts`
    TypeScript,
    /// `.tsx` (TypeScript with JSX, a separate grammar)
    Tsx,
    /// `.js`, `.jsx`, `.mjs`, `.cjs` (the grammar includes JSX)
    JavaScript,
    /// `.py`, `.pyi`
    Python,
    /// `.go`
    Go,
}

impl Language {
    /// The language of a file from its extension, or `None` when no grammar is built in.
    ///
    /// ```
    /// use airlock_structure::Language;
    /// assert_eq!(Language::from_path("src/engine.rs"), Some(Language::Rust));
    /// assert_eq!(Language::from_path("ui/App.TSX"), Some(Language::Tsx));
    /// assert_eq!(Language::from_path("README.md"), None);
    /// ```
    pub fn from_path(path: &str) -> Option<Self> {
        let name = file_name(path);
        let (_, ext) = name.rsplit_once('.')?;
        Some(match ext.to_ascii_lowercase().as_str() {
            "rs" => Self::Rust,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Self::JavaScript,
            "py" | "pyi" => Self::Python,
            "go" => Self::Go,
            _ => return None,
        })
    }

    /// A short lowercase name (`rust`, `typescript`, `tsx`, `javascript`, `python`, `go`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::JavaScript => "javascript",
            Self::Python => "python",
            Self::Go => "go",
        }
    }

    pub(crate) fn grammar(self) -> tree_sitter::Language {
        match self {
            Self::Rust => tree_sitter_rust::LANGUAGE.into(),
            Self::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Self::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Self::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Self::Python => tree_sitter_python::LANGUAGE.into(),
            Self::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }
}

/// The last component of a `/`- or `\`-separated path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_every_listed_extension() {
        let cases = [
            ("a.rs", Some(Language::Rust)),
            ("a.ts", Some(Language::TypeScript)),
            ("a.mts", Some(Language::TypeScript)),
            ("a.cts", Some(Language::TypeScript)),
            ("a.d.ts", Some(Language::TypeScript)),
            ("a.tsx", Some(Language::Tsx)),
            ("a.js", Some(Language::JavaScript)),
            ("a.jsx", Some(Language::JavaScript)),
            ("a.mjs", Some(Language::JavaScript)),
            ("a.cjs", Some(Language::JavaScript)),
            ("a.py", Some(Language::Python)),
            ("a.go", Some(Language::Go)),
            ("dir.rs\\notes", None),
            ("Makefile", None),
            (".rs", Some(Language::Rust)),
            ("a.md", None),
        ];
        for (path, want) in cases {
            assert_eq!(Language::from_path(path), want, "{path}");
        }
    }

    #[test]
    fn every_grammar_loads_into_the_runtime() {
        for lang in [
            Language::Rust,
            Language::TypeScript,
            Language::Tsx,
            Language::JavaScript,
            Language::Python,
            Language::Go,
        ] {
            let mut parser = tree_sitter::Parser::new();
            assert!(
                parser.set_language(&lang.grammar()).is_ok(),
                "{}",
                lang.name()
            );
        }
    }
}
