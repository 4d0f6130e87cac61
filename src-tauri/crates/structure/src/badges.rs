//! Risk badges: why a change deserves a closer look, each with a one-line reason.
//!
//! Where each kind is placed is documented on [`FileBadges`].

mod findings;
mod paths;
mod placement;
mod symbols;
mod syntax;
mod text;

pub use paths::grants_power;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::{Language, Outline};
use findings::{count_noun, list, Findings};
use placement::{overlapping, place_for, Place};

/// What a badge warns about. Declared (and ordered) most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BadgeKind {
    /// The file changes what agents or tools may run: Airlock's policy, an
    /// agent's settings or MCP servers, `.envrc`, editor tasks, git hooks, CI
    /// config. "Approve all" leaves it out: it is approved one by one.
    GrantsPower,
    /// The file may hold secrets: `.env*`, `*.pem`, `*.key`, `id_rsa*`, credentials files.
    Secrets,
    /// The new text has a syntax error (tree-sitter `ERROR`/`MISSING`) the old one did not.
    SyntaxError,
    /// A test is removed, disabled or skipped, or assertions are removed.
    WeakensTest,
    /// CI configuration: `.github/workflows/**`, `.gitlab-ci.yml`, `.circleci/**`, `Jenkinsfile`, `.ci/**`…
    CiConfig,
    /// A database migration: a path through `migrations/` or `migrate/`, or `*.sql` under `db/`.
    Migration,
    /// A function, method, type, module or impl block is deleted.
    DeletesSymbol,
    /// A public item's parameters, return type, generics or qualifiers changed, or it stopped being public.
    ChangesSignature,
    /// An item is deleted and one of the same kind appears in its place or with the same body.
    RenamesSymbol,
    /// A dependency lockfile: `Cargo.lock`, `package-lock.json`, `yarn.lock`, `go.sum`…
    Lockfile,
    /// Generated output (`@generated`, `DO NOT EDIT`, `dist/`, `*.min.js`): the UI may collapse it.
    Generated,
}

impl BadgeKind {
    /// How much this kind adds to [`risk_score`]. `Generated` adds nothing: it
    /// marks a file to skim, not one to fear.
    pub fn weight(self) -> u32 {
        match self {
            Self::GrantsPower => 110,
            Self::Secrets => 100,
            Self::SyntaxError => 80,
            Self::WeakensTest => 60,
            Self::CiConfig => 50,
            Self::Migration => 40,
            Self::DeletesSymbol => 30,
            Self::ChangesSignature => 25,
            Self::RenamesSymbol => 15,
            Self::Lockfile => 10,
            Self::Generated => 0,
        }
    }

    /// Whether this kind is about the whole file (path or marker) rather than one hunk.
    pub fn is_file_level(self) -> bool {
        matches!(
            self,
            Self::GrantsPower
                | Self::Secrets
                | Self::Lockfile
                | Self::CiConfig
                | Self::Migration
                | Self::Generated
        )
    }
}

/// One risk finding with a one-line reason (`deletes fn land`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Badge {
    /// What kind of risk.
    pub kind: BadgeKind,
    /// Why, in one short line, lower case, no trailing period.
    pub why: String,
}

/// The badges of one file change: file-level ones, and one list per hunk.
///
/// Placement:
/// - **File-level** ([`FileBadges::file`]): what the path or a header marker says
///   about the whole file — [`BadgeKind::Secrets`], [`BadgeKind::Lockfile`],
///   [`BadgeKind::CiConfig`], [`BadgeKind::Migration`], [`BadgeKind::Generated`].
///   Every hunk of such a file shares the reason, so it is stated once.
/// - **Hunk-level** ([`FileBadges::hunks`], one list per input hunk, in order):
///   what the hunk does to the code — [`BadgeKind::DeletesSymbol`],
///   [`BadgeKind::RenamesSymbol`], [`BadgeKind::ChangesSignature`],
///   [`BadgeKind::WeakensTest`], [`BadgeKind::SyntaxError`]. A finding goes to the
///   hunk that overlaps it most (a deleted item: its old lines; a signature: the new
///   signature lines; a syntax error: its line), else to the nearest hunk; with no
///   hunks at all it is reported file-level.
///
/// Each list holds at most one badge per kind (several findings of a kind share
/// one sentence) and is ordered most serious first ([`BadgeKind`] order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileBadges {
    /// Badges about the whole file.
    pub file: Vec<Badge>,
    /// `hunks[i]` holds the badges of the `i`-th hunk passed in.
    pub hunks: Vec<Vec<Badge>>,
}

impl FileBadges {
    /// Every badge, file-level first.
    pub fn all(&self) -> impl Iterator<Item = &Badge> {
        self.file.iter().chain(self.hunks.iter().flatten())
    }

    /// [`risk_score`] over every badge of the file.
    pub fn risk_score(&self) -> u32 {
        self.all()
            .map(|b| b.kind.weight())
            .fold(0, u32::saturating_add)
    }
}

/// A hunk as line ranges (0-based, end-exclusive) in the old and the new text.
/// A pure insertion has an empty old range at the insertion point; a pure
/// deletion an empty new range.
pub type HunkLines = (Range<u32>, Range<u32>);

/// A sort key for the review queue: the sum of the badges' [`BadgeKind::weight`]s.
pub fn risk_score(badges: &[Badge]) -> u32 {
    badges
        .iter()
        .map(|b| b.kind.weight())
        .fold(0, u32::saturating_add)
}

/// Badges for a change of `path` from `old` to `new` (`None`: the file is
/// created or deleted), with `hunks` as line ranges into those texts.
///
/// Parses both texts; when the caller already holds [`Outline`]s for them (to
/// label hunks), [`badges_for_outlines`] reuses those parses.
///
/// ```
/// use airlock_structure::{badges, BadgeKind};
/// let old = "fn keep() {}\n\nfn land() {}\n";
/// let new = "fn keep() {}\n";
/// let found = badges("src/lib.rs", Some(old), Some(new), &[(1..3, 1..1)]);
/// assert_eq!(found.hunks[0][0].kind, BadgeKind::DeletesSymbol);
/// assert_eq!(found.hunks[0][0].why, "deletes fn land");
/// ```
pub fn badges(path: &str, old: Option<&str>, new: Option<&str>, hunks: &[HunkLines]) -> FileBadges {
    let old = old.map(|t| Outline::new(path, t));
    let new = new.map(|t| Outline::new(path, t));
    badges_for_outlines(path, old.as_ref(), new.as_ref(), hunks)
}

/// [`badges`] over outlines already built for the old and new text of `path`.
pub fn badges_for_outlines(
    path: &str,
    old: Option<&Outline>,
    new: Option<&Outline>,
    hunks: &[HunkLines],
) -> FileBadges {
    let newest_text = new.or(old).map(Outline::text);
    let mut found = Findings::new(hunks.len());
    for badge in paths::file_badges(path, newest_text) {
        found.file_badge(badge);
    }
    let both_parsed = old.is_none_or(Outline::is_parsed) && new.is_none_or(Outline::is_parsed);
    if both_parsed && (old.is_some() || new.is_some()) {
        symbols::diff(old, new, hunks, &mut found);
        if let Some(new) = new {
            syntax::new_errors(old, new, hunks, &mut found);
        }
    }
    if let Some(lang) = Language::from_path(path) {
        text::scan(lang, old, new, hunks, &mut found);
    }
    found.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_score_sums_weights() {
        let b = |kind| Badge {
            kind,
            why: String::new(),
        };
        assert_eq!(risk_score(&[]), 0);
        assert_eq!(risk_score(&[b(BadgeKind::Generated)]), 0);
        assert_eq!(
            risk_score(&[b(BadgeKind::Secrets), b(BadgeKind::DeletesSymbol)]),
            130
        );
        let mut kinds = [
            BadgeKind::Generated,
            BadgeKind::Secrets,
            BadgeKind::Lockfile,
        ];
        kinds.sort();
        assert_eq!(kinds[0], BadgeKind::Secrets);
    }

    /// Badges for an old → new change with hunks from a naive line diff:
    /// one hunk spanning the first through the last differing line.
    fn one_hunk(path: &str, old: &str, new: &str) -> FileBadges {
        let a: Vec<&str> = old.lines().collect();
        let b: Vec<&str> = new.lines().collect();
        let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let tail = a[head..]
            .iter()
            .rev()
            .zip(b[head..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let hunk = (
            head as u32..(a.len() - tail) as u32,
            head as u32..(b.len() - tail) as u32,
        );
        badges(path, Some(old), Some(new), &[hunk])
    }

    fn whys(found: &FileBadges, kind: BadgeKind) -> Vec<String> {
        found
            .all()
            .filter(|b| b.kind == kind)
            .map(|b| b.why.clone())
            .collect()
    }

    #[test]
    fn deletes_symbol_reports_the_outermost_item() {
        let old = "pub struct A;\n\nimpl A {\n    pub fn one(&self) {}\n    pub fn two(&self) {}\n}\n\nfn keep() {}\n";
        let new = "pub struct A;\n\nfn keep() {}\n";
        let found = one_hunk("src/a.rs", old, new);
        assert_eq!(whys(&found, BadgeKind::DeletesSymbol), ["deletes impl A"]);
        assert_eq!(found.hunks[0].len(), 1);
    }

    #[test]
    fn deletes_symbol_lists_several_and_counts_tests_inside() {
        let old = "class Helpers:\n    def test_a(self):\n        pass\n\n    def test_b(self):\n        pass\n\ndef f():\n    pass\n\ndef g():\n    pass\n";
        let new = "";
        let found = badges("t/helpers.py", Some(old), Some(new), &[(0..12, 0..0)]);
        assert_eq!(
            whys(&found, BadgeKind::DeletesSymbol),
            ["deletes class Helpers, def f and def g"]
        );
        assert_eq!(
            whys(&found, BadgeKind::WeakensTest),
            ["removes 2 tests in class Helpers"]
        );
    }

    #[test]
    fn deleted_file_deletes_its_items() {
        let old = "export function a() {}\nexport function b() {}\n";
        let found = badges("src/x.ts", Some(old), None, &[(0..2, 0..0)]);
        assert_eq!(
            whys(&found, BadgeKind::DeletesSymbol),
            ["deletes function a and function b"]
        );
        let created = badges("src/x.ts", None, Some(old), &[(0..0, 0..2)]);
        assert_eq!(created.all().count(), 0);
    }

    #[test]
    fn renames_symbol_even_when_moved() {
        let old = "fn alpha() -> u8 {\n    1 + 2\n}\n\nfn middle() {}\n";
        let new = "fn middle() {}\n\nfn beta() -> u8 {\n    1 + 2\n}\n";
        let found = badges(
            "src/a.rs",
            Some(old),
            Some(new),
            &[(0..4, 0..0), (5..5, 1..5)],
        );
        assert_eq!(
            found.hunks[0],
            [Badge {
                kind: BadgeKind::RenamesSymbol,
                why: "renames fn alpha to fn beta".to_owned(),
            }]
        );
        assert!(found.hunks[1].is_empty());
    }

    #[test]
    fn rename_needs_a_similar_body_of_the_same_kind() {
        let old = "def alpha():\n    return compute_everything(1, 2, 3)\n";
        let new = "class Beta:\n    pass\n\ndef gamma():\n    print('hello there, world')\n";
        let found = one_hunk("a.py", old, new);
        assert!(whys(&found, BadgeKind::RenamesSymbol).is_empty());
        assert_eq!(
            whys(&found, BadgeKind::DeletesSymbol),
            ["deletes def alpha"]
        );
    }

    #[test]
    fn changes_signature_only_for_public_items() {
        let old =
            "pub fn a(x: u8) {}\nfn b(x: u8) {}\npub fn c(\n    x: u8,\n) {}\npub fn d() {}\n";
        let new = "pub fn a(x: u16) {}\nfn b(x: u16) {}\npub fn c(x: u8) {}\nfn d() {}\n";
        let found = one_hunk("src/a.rs", old, new);
        assert_eq!(
            whys(&found, BadgeKind::ChangesSignature),
            ["changes the public signature of fn a; makes fn d non-public"]
        );
    }

    #[test]
    fn changes_signature_per_language() {
        let go = one_hunk(
            "a.go",
            "package a\nfunc Run(n int) {}\nfunc run(n int) {}\n",
            "package a\nfunc Run(n int64) {}\nfunc run(n int64) {}\n",
        );
        assert_eq!(
            whys(&go, BadgeKind::ChangesSignature),
            ["changes the public signature of func Run"]
        );
        let ts = one_hunk(
            "a.ts",
            "export function f(a: string) {}\nfunction g(a: string) {}\n",
            "export function f(a: number) {}\nfunction g(a: number) {}\n",
        );
        assert_eq!(
            whys(&ts, BadgeKind::ChangesSignature),
            ["changes the public signature of function f"]
        );
        let py = one_hunk(
            "a.py",
            "def f(a):\n    pass\ndef _g(a):\n    pass\n",
            "def f(a, b):\n    pass\ndef _g(a, b):\n    pass\n",
        );
        assert_eq!(
            whys(&py, BadgeKind::ChangesSignature),
            ["changes the public signature of def f"]
        );
        let rs = one_hunk("a.rs", "pub async fn f() {}\n", "pub fn f() {}\n");
        assert_eq!(
            whys(&rs, BadgeKind::ChangesSignature),
            ["changes the public signature of fn f"]
        );
    }

    #[test]
    fn weakens_test_removed_disabled_skipped_or_fewer_assertions() {
        let old = "#[test]\nfn a() {\n    assert!(true);\n    assert_eq!(1, 1);\n}\n\n#[test]\nfn b() {}\n\n#[test]\nfn c() {}\n";
        let new = "fn a() {\n    assert!(true);\n    // assert_eq!(1, 1);\n}\n\n#[test]\n#[ignore]\nfn b() {}\n";
        let found = one_hunk("src/lib.rs", old, new);
        assert_eq!(
            whys(&found, BadgeKind::WeakensTest),
            ["removes test fn c and 1 assertion; disables test fn a; adds 1 skip marker"]
        );
    }

    #[test]
    fn weakens_test_in_js_and_go() {
        let js = one_hunk(
            "a.test.js",
            "describe(\"q\", () => {\n  it(\"a\", () => {\n    expect(1).toBe(1);\n  });\n});\n",
            "describe(\"q\", () => {\n});\n",
        );
        assert_eq!(
            whys(&js, BadgeKind::WeakensTest),
            ["removes it \"a\" and 1 assertion"]
        );
        let go = one_hunk(
            "a_test.go",
            "package a\nfunc TestA(t *testing.T) {\n\tt.Fatal(1)\n}\n",
            "package a\n",
        );
        assert_eq!(
            whys(&go, BadgeKind::WeakensTest),
            ["removes test func TestA and 1 assertion"]
        );
        // Outside a _test.go file a TestX function is just a function.
        let plain = one_hunk("a.go", "package a\nfunc TestA() {\n}\n", "package a\n");
        assert_eq!(
            whys(&plain, BadgeKind::DeletesSymbol),
            ["deletes func TestA"]
        );
    }

    #[test]
    fn syntax_error_only_when_new() {
        let ok = "fn a() {\n    let x = 1;\n}\n";
        let broken = "fn a() {\n    let x = ;\n}\n";
        let found = one_hunk("a.rs", ok, broken);
        assert_eq!(
            whys(&found, BadgeKind::SyntaxError),
            ["leaves a syntax error at line 2"]
        );
        // The same error, moved down by an unrelated edit, is not new.
        let moved = "fn z() {}\n\nfn a() {\n    let x = ;\n}\n";
        assert!(whys(&one_hunk("a.rs", broken, moved), BadgeKind::SyntaxError).is_empty());
        // Two new errors in one hunk share a badge.
        let twice = "def f(:\n    pass\n\ndef g(:\n    pass\n";
        let found = badges("a.py", Some(""), Some(twice), &[(0..0, 0..5)]);
        assert_eq!(
            whys(&found, BadgeKind::SyntaxError),
            ["leaves syntax errors at lines 1 and 4"]
        );
    }

    #[test]
    fn syntax_error_goes_to_the_nearest_hunk() {
        let old = "fn a() {\n    x();\n}\n\nfn b() {}\n";
        let new = "fn a() {\n    x(;\n}\n\nfn b() {}\n";
        // A hunk elsewhere (as if the diff were coarser): the error still lands on it.
        let found = badges("a.rs", Some(old), Some(new), &[(4..5, 4..5)]);
        assert_eq!(found.hunks[0].len(), 1);
        assert_eq!(found.hunks[0][0].kind, BadgeKind::SyntaxError);
    }

    #[test]
    fn hunk_findings_without_hunks_are_file_level() {
        let found = badges("a.rs", Some("fn a() {}\n"), Some(""), &[]);
        assert!(found.hunks.is_empty());
        assert_eq!(whys(&found, BadgeKind::DeletesSymbol), ["deletes fn a"]);
        assert_eq!(found.file.len(), 1);
    }

    #[test]
    fn file_level_kinds_go_to_file() {
        for (path, kind) in [
            (".env", BadgeKind::Secrets),
            ("Cargo.lock", BadgeKind::Lockfile),
            (".github/workflows/ci.yml", BadgeKind::CiConfig),
            ("migrations/001.sql", BadgeKind::Migration),
            ("dist/app.js", BadgeKind::Generated),
        ] {
            let found = badges(path, Some("a\n"), Some("b\n"), &[(0..1, 0..1)]);
            assert_eq!(
                found.file.iter().map(|b| b.kind).collect::<Vec<_>>(),
                [kind],
                "{path}"
            );
            assert!(kind.is_file_level());
            assert!(found.hunks[0].is_empty(), "{path}");
        }
    }

    #[test]
    fn badges_are_sorted_most_serious_first() {
        let old = "pub fn a() {}\n#[test]\nfn t() {}\n";
        let new = "pub fn a(x: u8) {\n";
        let found = one_hunk("src/lib.rs", old, new);
        let kinds: Vec<BadgeKind> = found.hunks[0].iter().map(|b| b.kind).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
        assert_eq!(kinds.first(), Some(&BadgeKind::SyntaxError));
    }

    #[test]
    fn kinds_serialize_camel_case() -> Result<(), serde_json::Error> {
        let badge = Badge {
            kind: BadgeKind::ChangesSignature,
            why: "changes the public signature of fn land".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&badge)?,
            r#"{"kind":"changesSignature","why":"changes the public signature of fn land"}"#
        );
        Ok(())
    }
}
