//! Syntax highlighting with syntect, as per-line HTML with `sy-` classes.
//!
//! Each line's HTML is balanced on its own (scopes still open from earlier
//! lines are reopened), so the UI can show any subset of lines. Colours come
//! from a stylesheet ([`theme_css`]) rather than inline styles, so the page can
//! follow the OS light/dark setting without asking the engine again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet,
};

const CLASS_PREFIX: &str = "sy-";
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed {
    prefix: CLASS_PREFIX,
};
/// Above this many bytes a side is shown as plain escaped text: a diff must open
/// at once even for a huge file.
const MAX_HIGHLIGHT_BYTES: usize = 2 * 1024 * 1024;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    // two-face carries bat's syntax set, which has TypeScript, TOML and more.
    SET.get_or_init(two_face::syntax::extra_newlines)
}

fn syntax_for<'a>(set: &'a SyntaxSet, path: &str, first_line: &str) -> &'a SyntaxReference {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path);
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    set.find_syntax_by_extension(name)
        .or_else(|| set.find_syntax_by_extension(ext))
        .or_else(|| set.find_syntax_by_first_line(first_line))
        .unwrap_or_else(|| set.find_syntax_plain_text())
}

/// Highlighter threads: a diff's two sides are highlighted side by side.
pub const LANES: usize = 2;

/// How many texts keep their highlighting between requests.
const CACHED_TEXTS: usize = 16;

/// One text highlighted as far as anyone asked: the text, where its lines
/// start, the lines done so far, and the parser's state to go on from.
struct Progress {
    key: Key,
    text: String,
    /// Byte offset of each line's start, then the text's length.
    starts: Vec<usize>,
    html: Vec<String>,
    state: ParseState,
    stack: ScopeStack,
    failed: bool,
}

/// SHA-256 of a path and a text: which text a [`Progress`] belongs to. A
/// cryptographic hash, so an agent cannot make one file show as another.
type Key = [u8; 32];

struct Job {
    key: Key,
    path: String,
    /// The text, sent only when the thread does not know `key` yet: a window
    /// of a known text costs no copy of it.
    text: Option<String>,
    wanted: Vec<u32>,
    /// `None`: `key` is unknown and no text was sent; ask again with it.
    reply: std::sync::mpsc::Sender<Option<HashMap<u32, String>>>,
}

/// What one highlighter thread keeps: every text's progress, and the class
/// attribute of each scope seen (building a scope's name takes a global lock).
#[derive(Default)]
struct Lane {
    cache: Vec<Progress>,
    classes: HashMap<Scope, String>,
}

/// The highlighter threads ([`LANES`] of them), owned: syntect's parser
/// state cannot move between threads, so each thread owns the progress of
/// the texts it was given and answers requests for them. Cloning shares the
/// threads; they end when the last clone is dropped (an engine's, with it).
/// The syntax definitions and the theme's stylesheets, which never change,
/// are loaded once per process and shared.
#[derive(Clone)]
pub struct Highlighter {
    /// `None` for a lane whose thread could not start: its requests are
    /// answered as plain text.
    lanes: [Option<std::sync::mpsc::Sender<Job>>; LANES],
}

impl Highlighter {
    /// Starts the threads and has them load the syntax definitions and the
    /// theme ahead of the first diff, which would otherwise pay for them.
    pub fn start() -> Highlighter {
        let hl = Highlighter {
            lanes: std::array::from_fn(|_| {
                let (tx, rx) = std::sync::mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name("highlight".into())
                    .spawn(move || {
                        let mut lane = Lane::default();
                        while let Ok(job) = rx.recv() {
                            let out = lane.serve(job.key, &job.path, job.text, &job.wanted);
                            let _ = job.reply.send(out);
                        }
                    })
                    .ok()
                    .map(|_| tx)
            }),
        };
        for lane in 0..LANES {
            let warm = hl.clone();
            std::thread::spawn(move || {
                let _ = warm.lines_on(lane, "warm.rs", "fn main() {}\n", &[0]);
                if lane == 0 {
                    let _ = theme_css();
                }
            });
        }
        hl
    }

    /// The HTML of the lines at `wanted` (0-based) of `text`, the file at `path`.
    ///
    /// Highlighting must run from the top of a file, but only as far as the
    /// lowest line asked for, and what was done is kept (for the last few
    /// texts), so the first window of a 100,000-line change costs its first
    /// few thousand lines and the next window only the lines between.
    pub fn lines(&self, path: &str, text: &str, wanted: &[u32]) -> HashMap<u32, String> {
        self.lines_on(0, path, text, wanted)
    }

    /// [`Self::lines`] on a given thread (`lane`), so two texts can be
    /// highlighted at once.
    pub fn lines_on(
        &self,
        lane: usize,
        path: &str,
        text: &str,
        wanted: &[u32],
    ) -> HashMap<u32, String> {
        if wanted.is_empty() {
            return HashMap::new();
        }
        let plain_all = || {
            let all: Vec<&str> = text.split_inclusive('\n').collect();
            wanted
                .iter()
                .filter_map(|&i| all.get(i as usize).map(|l| (i, plain(l))))
                .collect()
        };
        let Some(tx) = self.lanes[lane % LANES].as_ref() else {
            return plain_all();
        };
        if text.len() > MAX_HIGHLIGHT_BYTES {
            return plain_all();
        }
        let key: Key = Sha256::new()
            .chain_update(path.as_bytes())
            .chain_update([0])
            .chain_update(text.as_bytes())
            .finalize()
            .into();
        // First by key alone; the text goes along only if the thread asks for it.
        for with_text in [false, true] {
            let (reply, answer) = std::sync::mpsc::channel();
            let job = Job {
                key,
                path: path.to_string(),
                text: with_text.then(|| text.to_string()),
                wanted: wanted.to_vec(),
                reply,
            };
            if tx.send(job).is_err() {
                return plain_all();
            }
            match answer.recv() {
                Ok(Some(out)) => return out,
                Ok(None) => continue,
                Err(_) => return plain_all(),
            }
        }
        plain_all()
    }

    /// Highlights `text` (the file at `path`) and returns one HTML string
    /// per line, in the same line split as [`crate::diff::lines`] (lines
    /// keep their `\n`).
    pub fn highlight_lines(&self, path: &str, text: &str) -> Vec<String> {
        let count = text.split_inclusive('\n').count() as u32;
        let wanted: Vec<u32> = (0..count).collect();
        let mut html = self.lines(path, text, &wanted);
        (0..count)
            .map(|i| html.remove(&i).unwrap_or_default())
            .collect()
    }
}

impl Lane {
    fn serve(
        &mut self,
        key: Key,
        path: &str,
        text: Option<String>,
        wanted: &[u32],
    ) -> Option<HashMap<u32, String>> {
        let set = syntaxes();
        let idx = match (self.cache.iter().position(|p| p.key == key), text) {
            (Some(i), _) => i,
            (None, None) => return None,
            (None, Some(text)) => {
                let mut starts: Vec<usize> = std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .filter(|&i| i < text.len())
                    .collect();
                starts.push(text.len());
                let first = &text[..starts.get(1).copied().unwrap_or(text.len())];
                let syntax = syntax_for(set, path, first);
                if self.cache.len() >= CACHED_TEXTS {
                    self.cache.remove(0);
                }
                self.cache.push(Progress {
                    key,
                    html: Vec::with_capacity(starts.len() - 1),
                    text,
                    starts,
                    state: ParseState::new(syntax),
                    stack: ScopeStack::new(),
                    failed: false,
                });
                self.cache.len() - 1
            }
        };
        let p = &mut self.cache[idx];
        let count = p.starts.len() - 1;
        let max = wanted.iter().copied().max().unwrap_or(0) as usize;
        let upto = (max + 1).min(count);
        while p.html.len() < upto {
            let n = p.html.len();
            let line = &p.text[p.starts[n]..p.starts[n + 1]];
            let out = if p.failed {
                None
            } else {
                highlight_line(set, &mut p.state, &mut p.stack, &mut self.classes, line)
            };
            match out {
                Some(h) => p.html.push(h),
                None => {
                    // A grammar that trips on this text: the rest stays plain.
                    p.failed = true;
                    p.html.push(plain(line));
                }
            }
        }
        Some(
            wanted
                .iter()
                .filter_map(|&i| p.html.get(i as usize).map(|h| (i, h.clone())))
                .collect(),
        )
    }
}

/// Escapes text for HTML.
pub fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' => {}
            c => out.push(c),
        }
    }
}

fn open_span(out: &mut String, classes: &mut HashMap<Scope, String>, scope: Scope) {
    let class = classes.entry(scope).or_insert_with(|| {
        let mut class = String::new();
        for (i, atom) in scope.build_string().split('.').enumerate() {
            if i > 0 {
                class.push(' ');
            }
            class.push_str(CLASS_PREFIX);
            escape(&mut class, atom);
        }
        class
    });
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
}

fn highlight_line(
    set: &SyntaxSet,
    state: &mut ParseState,
    stack: &mut ScopeStack,
    classes: &mut HashMap<Scope, String>,
    line: &str,
) -> Option<String> {
    let ops = state.parse_line(line, set).ok()?;
    let mut html = String::with_capacity(line.len() * 2);
    for scope in stack.as_slice() {
        open_span(&mut html, classes, *scope);
    }
    let mut depth = stack.len();
    let mut pos = 0;
    for (at, op) in &ops {
        let at = (*at).min(line.len());
        if at > pos {
            escape(&mut html, line.get(pos..at)?);
            pos = at;
        }
        stack
            .apply_with_hook(op, |basic, _| match basic {
                BasicScopeStackOp::Push(scope) => {
                    open_span(&mut html, classes, scope);
                    depth += 1;
                }
                BasicScopeStackOp::Pop => {
                    if depth > 0 {
                        html.push_str("</span>");
                        depth -= 1;
                    }
                }
            })
            .ok()?;
    }
    if pos < line.len() {
        escape(&mut html, line.get(pos..)?);
    }
    for _ in 0..depth {
        html.push_str("</span>");
    }
    Some(html)
}

/// A line as escaped HTML with no highlighting.
pub fn plain(line: &str) -> String {
    let mut html = String::with_capacity(line.len());
    escape(&mut html, line);
    html
}

/// The stylesheets for the `sy-` classes: light, dark, and light with dark under
/// a `prefers-color-scheme: dark` media query. Built once: loading the themes
/// takes milliseconds, and every page asks at start.
pub fn theme_css() -> (String, String, String) {
    static CSS: OnceLock<(String, String, String)> = OnceLock::new();
    CSS.get_or_init(|| {
        let themes = ThemeSet::load_defaults();
        let css = |name: &str| {
            themes
                .themes
                .get(name)
                .and_then(|t| css_for_theme_with_class_style(t, STYLE).ok())
                .unwrap_or_default()
        };
        let light = css("InspiredGitHub");
        let dark = css("base16-ocean.dark");
        // Each theme under its own media query: a specific light rule must never
        // win over a general dark one.
        let auto = format!(
            "@media (prefers-color-scheme: light), (prefers-color-scheme: no-preference) {{\n{light}\n}}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
        );
        (light, dark, auto)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_rust_and_typescript_with_balanced_spans() {
        for (path, text) in [
            (
                "a.rs",
                "fn main() {\n    let s = \"x<y\";\n}\n/* multi\nline */\n",
            ),
            ("a.ts", "const x: number = 1;\n/* c\n d */ export {}\n"),
        ] {
            let lines = Highlighter::start().highlight_lines(path, text);
            assert_eq!(lines.len(), crate::diff::lines(text.as_bytes()).len());
            for l in &lines {
                assert_eq!(
                    l.matches("<span").count(),
                    l.matches("</span>").count(),
                    "{l}"
                );
                assert!(!l.contains('\n'));
            }
            assert!(lines
                .iter()
                .any(|l| l.contains("sy-keyword") || l.contains("sy-storage")));
        }
        let lines = Highlighter::start().highlight_lines("a.rs", "let s = \"x<y\";\n");
        assert!(lines[0].contains("x&lt;y"));
    }

    #[test]
    fn css_has_both_themes() {
        let (light, dark, auto) = theme_css();
        assert!(light.contains(".sy-"));
        assert!(dark.contains(".sy-"));
        assert!(auto.contains("prefers-color-scheme: dark"));
    }
}
