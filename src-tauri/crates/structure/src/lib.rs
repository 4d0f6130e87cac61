//! Structure for review: what a hunk is inside of, and why it may be risky.
//!
//! Airlock shows an agent's edits as hunks to approve one by one. This crate
//! gives each hunk two things, from pure functions over file text (no I/O):
//!
//! - **A label** — the chain of items enclosing the hunk, from tree-sitter for
//!   Rust, TypeScript/TSX, JavaScript, Python and Go (`impl Engine › fn land`,
//!   `class Queue › method push`, `func (Store) Put`), and the nearest header
//!   line, the way `git diff` picks one, for everything else. Build an
//!   [`Outline`] once per file version ([`Outline::new`] parses) and call
//!   [`Outline::label`] for as many lines as are in view. The engine passes a
//!   hunk's first new line, or its first old line (on the old text's outline)
//!   for a pure deletion.
//! - **Badges** — [`badges`] (or [`badges_for_outlines`], to reuse the parses)
//!   compares the old and new text of a file and returns [`FileBadges`]: the
//!   file-level badges (secrets, lockfile, CI config, migration, generated) and
//!   one list per hunk (deletes/renames a symbol, changes a public signature,
//!   weakens a test, leaves a syntax error), each a [`Badge`] with a one-line
//!   `why`. [`risk_score`] turns badges into a number to sort the queue by.
//!
//! Labels name items with the language's own keywords:
//!
//! | language | items |
//! |---|---|
//! | Rust | `mod m`, `impl T`, `impl Trait for T`, `trait T`, `fn f`, `struct S`, `enum E`, `union U`, `macro_rules! m` |
//! | TS / JS | `namespace N`, `module M`, `class C`, `interface I`, `enum E`, `type T`, `function f`, `method m`, `const f` (arrow/function/class assigned to a variable), `describe "…"`, `it "…"`, `test "…"` |
//! | Python | `class C`, `def f` |
//! | Go | `func f`, `func (T) m` (receiver without `*` or type parameters), `type T` |
//!
//! Labels and badges are advice for a human reader. Nothing here fails: a file
//! without a grammar, too large to parse ([`MAX_PARSE_BYTES`]) or with syntax
//! errors still gets header labels and whatever badges can be computed.
//!
//! The data types ([`Badge`], [`BadgeKind`], [`FileBadges`], [`Language`]) are
//! `serde`-serializable (camelCase) for the wire; an [`Outline`] holds a syntax
//! tree and stays in the engine (it is `Send + Sync`, so it can be cached).
#![deny(missing_docs)]

mod badges;
mod items;
mod language;
mod outline;

pub use badges::{
    badges, badges_for_outlines, grants_power, risk_score, Badge, BadgeKind, FileBadges, HunkLines,
};
pub use language::Language;
pub use outline::{Outline, LABEL_SEPARATOR, MAX_PARSE_BYTES};
