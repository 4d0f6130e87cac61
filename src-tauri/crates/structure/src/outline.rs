//! [`Outline`]: one file version, parsed once, answering "what encloses line N?".

use std::fmt;

use tree_sitter::{Parser, Tree};

use crate::items::{self, clip, Item};
use crate::Language;

/// Separator between the pieces of a label (`impl Engine › fn land`).
pub const LABEL_SEPARATOR: &str = " › ";

/// Files larger than this are not parsed (minified bundles, data dumps): they get
/// header-line labels and no syntax-based badges, so one huge file cannot stall review.
pub const MAX_PARSE_BYTES: usize = 2 * 1024 * 1024;

/// Marks a line that no item (or header) encloses.
const NONE: u32 = u32::MAX;

/// One version of one file, parsed once, for labelling many hunks.
///
/// For a language with a grammar ([`Language`]) it holds the syntax tree and
/// the file's items (functions, types, modules, test blocks…) with a table from
/// each line to the innermost item around it, so [`Outline::label`] costs a table
/// lookup plus a walk up the parents. Otherwise it holds the nearest header line
/// for each line, the way `git diff` picks a hunk header: the closest line at or
/// above that starts at column 0 with a letter, `_` or `$` (indented lines,
/// blank lines and comment lines starting with `#`, `/`, `*`, `;`, `-` never do).
///
/// A grammar that fails to load or a file over [`MAX_PARSE_BYTES`] falls back
/// to header lines: labels are a reading aid and must never block review.
pub struct Outline {
    path: String,
    language: Option<Language>,
    text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    tree: Option<Tree>,
    items: Vec<Item>,
    /// With a tree: innermost item per line. Without: index into `headers`.
    per_line: Vec<u32>,
    headers: Vec<String>,
}

impl fmt::Debug for Outline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outline")
            .field("path", &self.path)
            .field("language", &self.language)
            .field("lines", &self.line_starts.len())
            .field("parsed", &self.tree.is_some())
            .field("items", &self.items.len())
            .field("headers", &self.headers.len())
            .finish()
    }
}

impl Outline {
    /// Parses `text` (the contents of `path`) and indexes its items or header lines.
    pub fn new(path: &str, text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut outline = Self {
            path: path.to_owned(),
            language: Language::from_path(path),
            text: text.to_owned(),
            line_starts,
            tree: None,
            items: Vec::new(),
            per_line: Vec::new(),
            headers: Vec::new(),
        };
        let parsed = outline.language.and_then(|lang| {
            if text.len() > MAX_PARSE_BYTES {
                return None;
            }
            let mut parser = Parser::new();
            parser.set_language(&lang.grammar()).ok()?;
            parser.parse(text, None).map(|tree| (lang, tree))
        });
        match parsed {
            Some((lang, tree)) => {
                outline.items = items::extract(lang, path, text, &tree);
                outline.tree = Some(tree);
                outline.index_items();
            }
            None => outline.index_headers(),
        }
        outline
    }

    /// The language the file was parsed as, if it has a grammar here.
    pub fn language(&self) -> Option<Language> {
        self.language
    }

    /// Whether labels come from a syntax tree (`true`) or from header lines.
    pub fn is_parsed(&self) -> bool {
        self.tree.is_some()
    }

    /// Number of lines (a trailing newline starts one last, empty line).
    pub fn line_count(&self) -> u32 {
        u32::try_from(self.line_starts.len()).unwrap_or(u32::MAX)
    }

    /// The label for a 0-based line of this text: the enclosing items from the
    /// outermost in, joined with [`LABEL_SEPARATOR`] (`impl Engine › fn land`,
    /// `class Foo › method bar`, `describe "queue" › it "drops stale"`), or the
    /// nearest header line for languages without a grammar.
    ///
    /// Doc comments, attributes and decorators directly above an item count as
    /// part of it. `None` for a line outside every item (imports, top-level
    /// statements), before the first header, or past the end.
    ///
    /// ```
    /// use airlock_structure::Outline;
    /// let src = "struct Engine;\n\nimpl Engine {\n    /// Lands hunks.\n    pub fn land(&self) {\n        todo!()\n    }\n}\n";
    /// let outline = Outline::new("src/engine.rs", src);
    /// assert_eq!(outline.label(5).as_deref(), Some("impl Engine › fn land"));
    /// assert_eq!(outline.label(3).as_deref(), Some("impl Engine › fn land"));
    /// assert_eq!(outline.label(1), None);
    /// ```
    pub fn label(&self, line: u32) -> Option<String> {
        let idx = *self.per_line.get(line as usize)?;
        if idx == NONE {
            return None;
        }
        if self.tree.is_none() {
            return self.headers.get(idx as usize).cloned();
        }
        let mut chain: Vec<&str> = Vec::new();
        let mut next = Some(idx);
        while let Some(i) = next {
            let item = self.items.get(i as usize)?;
            chain.push(&item.label);
            next = item.parent;
        }
        chain.reverse();
        Some(chain.join(LABEL_SEPARATOR))
    }

    /// The label for a hunk covering `lines` (0-based, end-exclusive) of this
    /// text: [`Outline::label`] of its first non-blank line, or, when that line is
    /// outside every item, of the first line in the range that has a label. A
    /// hunk that deletes `\nfn old() {…}` is thus labelled `fn old`, not nothing.
    /// An empty range is labelled by the line it sits at.
    ///
    /// ```
    /// use airlock_structure::Outline;
    /// let outline = Outline::new("a.py", "import os\n\ndef run():\n    pass\n");
    /// assert_eq!(outline.label_range(1..4).as_deref(), Some("def run"));
    /// assert_eq!(outline.label(1), None);
    /// ```
    pub fn label_range(&self, lines: std::ops::Range<u32>) -> Option<String> {
        if lines.is_empty() {
            return self.label(lines.start);
        }
        let end = lines.end.min(self.line_count());
        let first = (lines.start..end)
            .find(|&row| !self.line(row).trim().is_empty())
            .unwrap_or(lines.start);
        self.label(first)
            .or_else(|| (first..end).find_map(|row| self.label(row)))
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    pub(crate) fn items(&self) -> &[Item] {
        &self.items
    }

    /// The full label chain of an item: its identity when comparing versions.
    pub(crate) fn item_key(&self, idx: usize) -> String {
        let mut chain: Vec<&str> = Vec::new();
        let mut next = Some(idx);
        while let Some(i) = next {
            let Some(item) = self.items.get(i) else { break };
            chain.push(&item.label);
            next = item.parent.map(|p| p as usize);
        }
        chain.reverse();
        chain.join(LABEL_SEPARATOR)
    }

    /// The text of a 0-based line, without its line ending; `""` past the end.
    pub(crate) fn line(&self, row: u32) -> &str {
        let row = row as usize;
        let Some(&start) = self.line_starts.get(row) else {
            return "";
        };
        let end = self
            .line_starts
            .get(row + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line = self.text.get(start..end).unwrap_or("");
        line.strip_suffix('\r').unwrap_or(line)
    }

    fn index_items(&mut self) {
        self.per_line = vec![NONE; self.line_starts.len()];
        // Pre-order: a child overwrites its parent's rows, leaving the innermost.
        for (idx, item) in self.items.iter().enumerate() {
            let idx = u32::try_from(idx).unwrap_or(NONE);
            let end = (item.end as usize + 1).min(self.per_line.len());
            let start = (item.lead as usize).min(end);
            if let Some(rows) = self.per_line.get_mut(start..end) {
                rows.fill(idx);
            }
        }
    }

    /// Header lines as git finds them by default (a line that starts with a
    /// letter, `_` or `$`), or, in Markdown, where every paragraph starts so,
    /// the headings (`#` to `######` and a space).
    fn index_headers(&mut self) {
        let markdown = is_markdown(&self.path);
        let mut current = NONE;
        let mut per_line = Vec::with_capacity(self.line_starts.len());
        for row in 0..self.line_count() {
            let line = self.line(row);
            let header = if markdown {
                let hashes = line.chars().take_while(|&c| c == '#').count();
                (1..=6).contains(&hashes) && line[hashes..].starts_with([' ', '\t'])
            } else {
                line.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            };
            if header {
                current = u32::try_from(self.headers.len()).unwrap_or(NONE);
                self.headers.push(clip(line));
            }
            per_line.push(current);
        }
        self.per_line = per_line;
    }
}

/// Whether `path` names a Markdown file.
fn is_markdown(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("md" | "markdown" | "mdx"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_hunks_are_labelled_by_their_heading() {
        let src = "# Demo\n\nIntro text.\n\n## Usage\nRun it.\n#hashtag, not a heading\n";
        let outline = Outline::new("docs/README.md", src);
        assert!(!outline.is_parsed());
        assert_eq!(outline.label(0).as_deref(), Some("# Demo"));
        assert_eq!(outline.label(2).as_deref(), Some("# Demo"));
        assert_eq!(outline.label(5).as_deref(), Some("## Usage"));
        assert_eq!(outline.label(6).as_deref(), Some("## Usage"));
        let before = Outline::new("notes.MD", "Some text first.\n# Title\n");
        assert_eq!(before.label(0), None, "before the first heading");
    }

    #[test]
    fn fallback_header_is_nearest_column_zero_word_line() {
        let src = "\
# comment at top
intro:
  indented
section_one:
  key: 1

  # a comment
  other: 2
$var = 3
; ini comment
  tail
";
        let outline = Outline::new("config.yaml", src);
        assert!(!outline.is_parsed());
        assert_eq!(outline.label(0), None);
        assert_eq!(outline.label(1).as_deref(), Some("intro:"));
        assert_eq!(outline.label(2).as_deref(), Some("intro:"));
        assert_eq!(outline.label(3).as_deref(), Some("section_one:"));
        assert_eq!(outline.label(7).as_deref(), Some("section_one:"));
        assert_eq!(outline.label(9).as_deref(), Some("$var = 3"));
        assert_eq!(outline.label(10).as_deref(), Some("$var = 3"));
        assert_eq!(outline.label(99), None);
    }

    #[test]
    fn fallback_header_is_clipped_and_crlf_free() {
        let long = format!("{}\r\n  body\r\n", "word ".repeat(40));
        let outline = Outline::new("notes.txt", &long);
        let label = outline.label(1).unwrap_or_default();
        assert!(label.ends_with('…'), "{label}");
        assert!(!label.contains('\r'));
        assert!(label.chars().count() <= 61);
    }

    #[test]
    fn oversized_files_use_headers() {
        let mut src = String::from("fn big() {\n");
        while src.len() <= MAX_PARSE_BYTES {
            src.push_str("    let x = 1;\n");
        }
        src.push_str("}\n");
        let outline = Outline::new("big.rs", &src);
        assert!(!outline.is_parsed());
        assert_eq!(outline.label(5).as_deref(), Some("fn big() {"));
    }

    /// The label of the first line containing `needle`.
    fn label_at(outline: &Outline, text: &str, needle: &str) -> Option<String> {
        let row = text.lines().position(|l| l.contains(needle))?;
        outline.label(row as u32)
    }

    fn assert_labels(path: &str, text: &str, cases: &[(&str, Option<&str>)]) {
        let outline = Outline::new(path, text);
        assert!(outline.is_parsed(), "{path}");
        for (needle, want) in cases {
            assert_eq!(
                label_at(&outline, text, needle).as_deref(),
                *want,
                "{path}: {needle}"
            );
        }
    }

    #[test]
    fn rust_labels() {
        let src = r#"use std::fmt;

// A detached comment.

/// Docs for Engine.
#[derive(Debug)]
pub struct Engine<T> {
    inner: T,
}

impl<T: fmt::Debug> fmt::Display for Engine<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn nested() {}
        write!(f, "{:?}", self.inner) // trailing note
    }
}

pub mod queue {
    pub trait Sink {
        fn push(&mut self, x: u8);
    }
}
"#;
        assert_labels(
            "src/engine.rs",
            src,
            &[
                ("use std", None),
                ("detached", None),
                ("Docs for Engine", Some("struct Engine")),
                ("derive", Some("struct Engine")),
                ("inner: T", Some("struct Engine")),
                ("fn fmt", Some("impl fmt::Display for Engine<T> › fn fmt")),
                (
                    "fn nested",
                    Some("impl fmt::Display for Engine<T> › fn fmt › fn nested"),
                ),
                (
                    "trailing note",
                    Some("impl fmt::Display for Engine<T> › fn fmt"),
                ),
                ("fn push", Some("mod queue › trait Sink › fn push")),
            ],
        );
    }

    #[test]
    fn typescript_and_tsx_labels() {
        let src = r#"export abstract class Base {
  abstract run(): void;
  get size(): number {
    return 1;
  }
}

export interface Store {
  get(id: string): string;
}

export default function main() {
  const onClick = async () => {
    log("x");
  };
}

enum Mode {
  A,
}

declare module "pkg" {
  export function f(): void;
}
"#;
        assert_labels(
            "src/base.ts",
            src,
            &[
                ("abstract run", Some("class Base › method run")),
                ("return 1", Some("class Base › method size")),
                ("get(id", Some("interface Store › method get")),
                ("log(", Some("function main › const onClick")),
                ("  A,", Some("enum Mode")),
                ("function f", Some("module \"pkg\" › function f")),
            ],
        );
        let tsx = r#"export const App = ({ name }: Props) => {
  return <div className="app">{name}</div>;
};

export function Row(props: RowProps) {
  return <li>{props.label}</li>;
}
"#;
        assert_labels(
            "ui/App.tsx",
            tsx,
            &[("<div", Some("const App")), ("<li>", Some("function Row"))],
        );
    }

    #[test]
    fn javascript_labels() {
        let src = r#"let handler = function () {
  return 1;
};

var Klass = class {
  method() {}
};

const obj = {
  shorthand() {
    return 2;
  },
};

describe("outer", function () {
  test.each([1, 2])("skipped %i", (n) => {});
  it.only("inner", () => {
    expect(1).toBe(1);
  });
});
"#;
        assert_labels(
            "lib/a.mjs",
            src,
            &[
                ("return 1", Some("let handler")),
                ("method()", Some("var Klass › method method")),
                ("return 2", Some("method shorthand")),
                ("test.each", Some("describe \"outer\"")),
                ("expect(1)", Some("describe \"outer\" › it \"inner\"")),
            ],
        );
    }

    #[test]
    fn python_labels() {
        let src = r#"import os

@dataclass
class Config:
    name: str

    @staticmethod
    def load(path):
        def parse(line):
            return line
        return parse(path)


async def main():
    pass
"#;
        assert_labels(
            "app/config.py",
            src,
            &[
                ("import os", None),
                ("@dataclass", Some("class Config")),
                ("name: str", Some("class Config")),
                ("@staticmethod", Some("class Config › def load")),
                ("return line", Some("class Config › def load › def parse")),
                ("pass", Some("def main")),
            ],
        );
    }

    #[test]
    fn go_labels() {
        let src = r#"package q

// Queue holds items.
type Queue[T any] struct {
	items []T
}

func (q *Queue[T]) Push(x T) {
	q.items = append(q.items, x)
}

func (q Queue[T]) Len() int { return len(q.items) }

func New[T any]() *Queue[T] {
	return &Queue[T]{}
}
"#;
        assert_labels(
            "q/queue.go",
            src,
            &[
                ("package q", None),
                ("Queue holds", Some("type Queue")),
                ("items []T", Some("type Queue")),
                ("append", Some("func (Queue) Push")),
                ("Len()", Some("func (Queue) Len")),
                ("return &Queue", Some("func New")),
            ],
        );
    }

    #[test]
    fn outlines_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Outline>();
    }

    #[test]
    fn lines_are_indexed() {
        let outline = Outline::new("a.txt", "one\r\ntwo\n\nfour");
        assert_eq!(outline.line_count(), 4);
        assert_eq!(outline.line(0), "one");
        assert_eq!(outline.line(1), "two");
        assert_eq!(outline.line(2), "");
        assert_eq!(outline.line(3), "four");
        assert_eq!(outline.line(4), "");
    }
}
