//! Splitting a shell command into the simple commands it would run.
//!
//! tree-sitter-bash gives a concrete syntax tree; the walk below visits every
//! node and emits a [`SimpleCommand`] for each `command` node (and for a bare
//! redirection such as `> file`, which truncates a file on its own), wherever
//! it sits: lists, pipelines, subshells, `{ …; }`, `$(…)`, backticks, `<(…)`,
//! `if`/`for`/`while`/`case` bodies, function bodies, heredoc bodies.

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Parser};

use crate::{Error, Result};

/// One command the shell would run, with its words resolved where they are
/// static.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleCommand {
    /// The words, program first, with quotes and backslashes resolved. A word
    /// that depends on an expansion (`$X`, `$(…)`, `${…}`) keeps its source
    /// text and is marked in [`SimpleCommand::dynamic`]. Empty for a bare
    /// redirection (`> file`).
    pub argv: Vec<String>,
    /// Parallel to `argv`: `true` where the word is only known at run time.
    pub dynamic: Vec<bool>,
    /// Leading `NAME=value` assignments, as written.
    pub assignments: Vec<String>,
    /// The source span of the command, including its own redirections.
    pub text: String,
    /// Redirections that apply to this command, its own and those of an
    /// enclosing statement (`(a; b) > out` applies `> out` to both).
    pub redirects: Vec<Redirect>,
    /// The pipelines this command is a stage of, outermost first.
    pub pipeline: Vec<PipePos>,
    /// Index (in the list returned by [`split_command`]) of the command whose
    /// `$(…)`, backticks or `<(…)` hold this one.
    pub parent: Option<usize>,
    /// The command did not parse cleanly; it is never allowed by default.
    pub unparsed: bool,
    /// The command nests too deeply to be walked: it stands whole, unparsed.
    #[serde(default)]
    pub too_complex: bool,
}

/// A redirection such as `> out`, `2>> log`, `< in`, `<<EOF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redirect {
    /// The operator with its file descriptor: `>`, `>>`, `2>`, `&>`, `<`,
    /// `>&`, `<<`, `<<<`.
    pub op: String,
    /// The file (or descriptor, or heredoc delimiter), resolved like a word.
    pub target: String,
}

impl Redirect {
    /// Whether the redirection duplicates or closes a descriptor (`2>&1`,
    /// `>&-`) rather than opening a file.
    pub fn is_fd_dup(&self) -> bool {
        self.op.ends_with('&')
            && (self.target == "-" || self.target.chars().all(|c| c.is_ascii_digit()))
    }

    /// Whether the redirection opens a file for writing.
    pub fn writes_file(&self) -> bool {
        self.op.contains('>') && !self.is_fd_dup()
    }

    /// Whether the redirection opens a file for reading (heredocs and
    /// here-strings read no file).
    pub fn reads_file(&self) -> bool {
        self.op.contains('<') && !self.op.starts_with("<<") && !self.is_fd_dup()
    }
}

/// A command's place in a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipePos {
    /// Which pipeline (numbered in order of appearance).
    pub pipeline: usize,
    /// The stage, 0 for the leftmost.
    pub stage: usize,
}

impl SimpleCommand {
    /// The whole input as one command that could not be parsed: words split
    /// on whitespace with quotes stripped, good enough for the classifier to
    /// name what it sees.
    pub fn unparsed(text: &str) -> SimpleCommand {
        let argv: Vec<String> = text
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
            .collect();
        SimpleCommand {
            dynamic: vec![false; argv.len()],
            argv,
            assignments: Vec::new(),
            text: text.trim().to_string(),
            redirects: Vec::new(),
            pipeline: Vec::new(),
            parent: None,
            unparsed: true,
            too_complex: false,
        }
    }
}

/// Splits a shell command into every simple command it would run, in source
/// order (a command before the commands inside its substitutions).
///
/// Input that tree-sitter cannot parse cleanly still yields the commands it
/// recognised, each marked [`SimpleCommand::unparsed`]; if it recognised none,
/// the whole input comes back as one unparsed command. An empty command or a
/// comment yields no commands. Errors only when the grammar cannot be loaded.
pub fn split_command(cmd: &str) -> Result<Vec<SimpleCommand>> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_bash::LANGUAGE.into())?;
    let tree = parser.parse(cmd, None).ok_or(Error::NoTree)?;
    let root = tree.root_node();
    let mut walker = Walker {
        src: cmd,
        out: Vec::new(),
        pipelines: 0,
        depth: 0,
        too_deep: false,
    };
    walker.walk(root, &Scope::default());
    if walker.too_deep {
        // Judged as a whole, never piecemeal: what was not walked could be anything.
        let mut whole = SimpleCommand::unparsed(cmd);
        whole.too_complex = true;
        return Ok(vec![whole]);
    }
    if root.has_error() {
        if walker.out.is_empty() {
            return Ok(vec![SimpleCommand::unparsed(cmd)]);
        }
        for command in &mut walker.out {
            command.unparsed = true;
        }
    }
    Ok(walker.out)
}

#[derive(Default, Clone)]
struct Scope {
    redirects: Vec<Redirect>,
    pipeline: Vec<PipePos>,
    parent: Option<usize>,
}

struct Walker<'s> {
    src: &'s str,
    out: Vec<SimpleCommand>,
    pipelines: usize,
    /// How deep the walk is in the syntax tree: every recursion passes
    /// through [`Walker::walk`], which stops at [`MAX_DEPTH`].
    depth: usize,
    /// The tree was deeper than [`MAX_DEPTH`]: the result is not the whole command.
    too_deep: bool,
}

/// How deep a command's syntax tree may nest before it is judged "too
/// complex" as a whole. `a && b && …` nests one level per command; no
/// command a person or an agent writes comes near, while an input made to
/// overflow the walk's stack (80 KB of `true && true …`) would go far past.
const MAX_DEPTH: usize = 400;

impl<'s> Walker<'s> {
    fn text(&self, node: Node) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or_default()
    }

    fn walk(&mut self, node: Node, scope: &Scope) {
        if self.too_deep {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        self.depth += 1;
        self.walk_node(node, scope);
        self.depth -= 1;
    }

    fn walk_node(&mut self, node: Node, scope: &Scope) {
        match node.kind() {
            "comment" => {}
            "command" => self.command(node, node, scope),
            "redirected_statement" => self.redirected(node, scope),
            "pipeline" => {
                let id = self.pipelines;
                self.pipelines += 1;
                let mut cursor = node.walk();
                let stages: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter(|n| n.kind() != "comment")
                    .collect();
                for (stage, child) in stages.into_iter().enumerate() {
                    let mut inner = scope.clone();
                    inner.pipeline.push(PipePos {
                        pipeline: id,
                        stage,
                    });
                    self.walk(child, &inner);
                }
            }
            "command_substitution" | "process_substitution" => {
                // What runs inside a substitution is not a stage of the
                // pipeline around it, nor subject to its redirections.
                let inner = Scope {
                    redirects: Vec::new(),
                    pipeline: Vec::new(),
                    parent: scope.parent,
                };
                self.children(node, &inner);
            }
            "declaration_command" | "unset_command" => self.declaration(node, scope),
            _ => self.children(node, scope),
        }
    }

    fn children(&mut self, node: Node, scope: &Scope) {
        let mut cursor = node.walk();
        let kids: Vec<Node> = node.named_children(&mut cursor).collect();
        for child in kids {
            self.walk(child, scope);
        }
    }

    fn redirected(&mut self, node: Node, scope: &Scope) {
        let mut inner = scope.clone();
        let mut cursor = node.walk();
        let kids: Vec<Node> = node.named_children(&mut cursor).collect();
        let body = node.child_by_field_name("body");
        let mut nested = Vec::new();
        for child in &kids {
            if Some(*child) == body {
                continue;
            }
            self.redirect(*child, &mut inner.redirects, &mut nested);
        }
        match body {
            Some(body) if body.kind() == "command" => self.command(body, node, &inner),
            Some(body) => self.walk(body, &inner),
            None => {
                // `> file` alone truncates the file: a command with no words.
                self.out.push(SimpleCommand {
                    argv: Vec::new(),
                    dynamic: Vec::new(),
                    assignments: Vec::new(),
                    text: self.text(node).trim().to_string(),
                    redirects: inner.redirects.clone(),
                    pipeline: inner.pipeline.clone(),
                    parent: inner.parent,
                    unparsed: false,
                    too_complex: false,
                });
            }
        }
        for n in nested {
            self.walk(n, scope);
        }
    }

    /// Reads a redirection node into `into`; nodes that may hold commands
    /// (heredoc bodies with `$(…)`, substitutions in targets) go to `nested`.
    fn redirect(&self, node: Node<'s>, into: &mut Vec<Redirect>, nested: &mut Vec<Node<'s>>) {
        match node.kind() {
            "file_redirect" => {
                if let Some(dest) = node.child_by_field_name("destination") {
                    let op = self
                        .src
                        .get(node.start_byte()..dest.start_byte())
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    into.push(Redirect {
                        op,
                        target: self.word(dest).0,
                    });
                    nested.push(dest);
                }
            }
            "heredoc_redirect" => {
                let mut cursor = node.walk();
                let kids: Vec<Node> = node.children(&mut cursor).collect();
                let op = kids
                    .iter()
                    .find(|k| !k.is_named())
                    .map_or("<<", |k| self.text(*k))
                    .to_string();
                let target = kids
                    .iter()
                    .find(|k| k.kind() == "heredoc_start")
                    .map(|k| self.text(*k).to_string())
                    .unwrap_or_default();
                into.push(Redirect { op, target });
                for kid in kids {
                    match kid.kind() {
                        "file_redirect" | "herestring_redirect" => self.redirect(kid, into, nested),
                        "heredoc_body" => nested.push(kid),
                        k if kid.is_named() && k != "heredoc_start" && k != "heredoc_end" => {
                            nested.push(kid)
                        }
                        _ => {}
                    }
                }
            }
            "herestring_redirect" => {
                let mut cursor = node.walk();
                let value = node.named_children(&mut cursor).last();
                into.push(Redirect {
                    op: "<<<".to_string(),
                    target: value.map(|v| self.word(v).0).unwrap_or_default(),
                });
                if let Some(v) = value {
                    nested.push(v);
                }
            }
            _ => nested.push(node),
        }
    }

    /// Emits the command `node`; `span` is the node whose text stands for it
    /// (the enclosing `redirected_statement` when the redirections are its).
    fn command(&mut self, node: Node, span: Node, scope: &Scope) {
        let index = self.out.len();
        let mut command = SimpleCommand {
            argv: Vec::new(),
            dynamic: Vec::new(),
            assignments: Vec::new(),
            text: self.text(span).trim().to_string(),
            redirects: scope.redirects.clone(),
            pipeline: scope.pipeline.clone(),
            parent: scope.parent,
            unparsed: false,
            too_complex: false,
        };
        let mut nested = Vec::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "comment" => {}
                "variable_assignment" => {
                    command.assignments.push(self.text(child).to_string());
                    nested.push(child);
                }
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    self.redirect(child, &mut command.redirects, &mut nested);
                }
                "command_name" => {
                    for word in named(child) {
                        self.push_word(&mut command, word);
                        nested.push(word);
                    }
                }
                _ => {
                    self.push_word(&mut command, child);
                    nested.push(child);
                }
            }
        }
        self.out.push(command);
        let inner = Scope {
            redirects: Vec::new(),
            pipeline: Vec::new(),
            parent: Some(index),
        };
        for n in nested {
            self.walk(n, &inner);
        }
    }

    /// `export A=1`, `local x`, `unset y`: a command whose words are the
    /// keyword and its assignments.
    fn declaration(&mut self, node: Node, scope: &Scope) {
        let index = self.out.len();
        let mut command = SimpleCommand {
            argv: Vec::new(),
            dynamic: Vec::new(),
            assignments: Vec::new(),
            text: self.text(node).trim().to_string(),
            redirects: scope.redirects.clone(),
            pipeline: scope.pipeline.clone(),
            parent: scope.parent,
            unparsed: false,
            too_complex: false,
        };
        let mut cursor = node.walk();
        let kids: Vec<Node> = node.children(&mut cursor).collect();
        if let Some(keyword) = kids.first() {
            command.argv.push(self.text(*keyword).to_string());
            command.dynamic.push(false);
        }
        let mut nested = Vec::new();
        for child in kids.iter().skip(1).filter(|k| k.is_named()) {
            self.push_word(&mut command, *child);
            nested.push(*child);
        }
        self.out.push(command);
        let inner = Scope {
            redirects: Vec::new(),
            pipeline: Vec::new(),
            parent: Some(index),
        };
        for n in nested {
            self.walk(n, &inner);
        }
    }

    fn push_word(&self, command: &mut SimpleCommand, node: Node) {
        let (word, dynamic) = self.word(node);
        command.argv.push(word);
        command.dynamic.push(dynamic);
    }

    /// The value of a word as the shell would see it, and whether it depends
    /// on an expansion (then the value keeps the expansion's source text).
    fn word(&self, node: Node) -> (String, bool) {
        let text = self.text(node);
        match node.kind() {
            "word" | "number" => (unescape_bare(text), false),
            "raw_string" => (strip_pair(text, '\'').to_string(), false),
            "ansi_c_string" => (
                unescape_ansi_c(text.strip_prefix('$').map_or(text, |t| strip_pair(t, '\''))),
                false,
            ),
            "string" | "translated_string" => {
                let inner_start = node.start_byte() + text.find('"').map_or(0, |i| i + 1);
                let inner_end = node.end_byte().saturating_sub(1).max(inner_start);
                self.pieces(node, inner_start, inner_end, true)
            }
            "concatenation" => self.pieces(node, node.start_byte(), node.end_byte(), false),
            "variable_assignment" => {
                let name = node
                    .child_by_field_name("name")
                    .map_or("", |n| self.text(n));
                match node.child_by_field_name("value") {
                    Some(value) => {
                        let (v, dynamic) = self.word(value);
                        (format!("{name}={v}"), dynamic)
                    }
                    None => (text.to_string(), false),
                }
            }
            "brace_expression" | "extglob_pattern" | "regex" | "test_operator" => {
                (text.to_string(), false)
            }
            _ => (text.to_string(), true),
        }
    }

    /// Joins the pieces of a string or concatenation: named children by their
    /// value, the text between them as written (unescaped as in double quotes
    /// when `quoted`).
    fn pieces(&self, node: Node, start: usize, end: usize, quoted: bool) -> (String, bool) {
        let mut out = String::new();
        let mut dynamic = false;
        let mut pos = start;
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            let (cs, ce) = (child.start_byte(), child.end_byte());
            if cs < pos || ce > end {
                continue;
            }
            let gap = self.src.get(pos..cs).unwrap_or_default();
            out.push_str(&if quoted {
                unescape_double(gap)
            } else {
                unescape_bare(gap)
            });
            if child.kind() == "string_content" {
                out.push_str(&unescape_double(self.text(child)));
            } else {
                let (v, d) = self.word(child);
                out.push_str(&v);
                dynamic |= d;
            }
            pos = ce;
        }
        let tail = self.src.get(pos..end).unwrap_or_default();
        out.push_str(&if quoted {
            unescape_double(tail)
        } else {
            unescape_bare(tail)
        });
        (out, dynamic)
    }
}

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

fn strip_pair(text: &str, quote: char) -> &str {
    text.strip_prefix(quote)
        .and_then(|t| t.strip_suffix(quote))
        .unwrap_or(text)
}

/// Backslashes outside quotes: `\x` is `x`, backslash-newline vanishes.
fn unescape_bare(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') | None => {}
                Some(n) => out.push(n),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Backslashes inside double quotes escape only `$`, `` ` ``, `"`, `\` and
/// newline.
fn unescape_double(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$' | '`' | '"' | '\\') => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The common escapes of `$'…'`.
fn unescape_ansi_c(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('e' | 'E') => out.push('\u{1b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argvs(cmd: &str) -> Vec<Vec<String>> {
        split_command(cmd)
            .expect("grammar loads")
            .into_iter()
            .map(|c| c.argv)
            .collect()
    }

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn lists_pipelines_and_subshells_split() {
        assert_eq!(
            argvs("a 1 && b 2 || c; d | e"),
            vec![
                v(&["a", "1"]),
                v(&["b", "2"]),
                v(&["c"]),
                v(&["d"]),
                v(&["e"])
            ]
        );
        assert_eq!(
            argvs("(cd x; ls) | grep y"),
            vec![v(&["cd", "x"]), v(&["ls"]), v(&["grep", "y"])]
        );
        assert_eq!(argvs("{ a; b; }"), vec![v(&["a"]), v(&["b"])]);
    }

    #[test]
    fn substitutions_are_commands_with_a_parent() {
        let parts = split_command("echo $(rm -rf x) `whoami`").expect("parses");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].argv[0], "echo");
        assert_eq!(parts[0].dynamic, vec![false, true, true]);
        assert_eq!(parts[1].argv, v(&["rm", "-rf", "x"]));
        assert_eq!(parts[1].parent, Some(0));
        assert_eq!(parts[2].argv, v(&["whoami"]));
        let parts = split_command("bash <(curl -s u)").expect("parses");
        assert_eq!(parts[1].argv, v(&["curl", "-s", "u"]));
        assert_eq!(parts[1].parent, Some(0));
        let parts = split_command("x=$(date); export Y=$(id -u)").expect("parses");
        let names: Vec<&str> = parts.iter().map(|p| p.argv[0].as_str()).collect();
        assert_eq!(names, vec!["date", "export", "id"]);
    }

    #[test]
    fn quotes_and_escapes_resolve() {
        assert_eq!(
            argvs(r#"echo "a b" 'c d' e\ f "g\"h" x"y"'z' $'t\n'"#),
            vec![v(&["echo", "a b", "c d", "e f", "g\"h", "xyz", "t\n"])]
        );
        let parts = split_command(r#"rm -rf "$DIR/build""#).expect("parses");
        assert_eq!(parts[0].argv[2], "$DIR/build");
        assert!(parts[0].dynamic[2]);
    }

    #[test]
    fn redirects_are_collected() {
        let parts = split_command("echo hi > /etc/x 2>&1").expect("parses");
        assert_eq!(parts[0].text, "echo hi > /etc/x 2>&1");
        let r = &parts[0].redirects;
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].op.as_str(), r[0].target.as_str()), (">", "/etc/x"));
        assert!(r[0].writes_file());
        assert_eq!((r[1].op.as_str(), r[1].target.as_str()), ("2>&", "1"));
        assert!(r[1].is_fd_dup());
        let parts = split_command("(a; b) >> ../log").expect("parses");
        assert!(parts.iter().all(|p| p.redirects[0].target == "../log"));
        let parts = split_command("cat <<EOF > out\n$(id)\nEOF").expect("parses");
        assert_eq!(parts[0].argv, v(&["cat"]));
        assert!(parts[0]
            .redirects
            .iter()
            .any(|r| r.target == "out" && r.writes_file()));
        assert!(parts.iter().any(|p| p.argv == v(&["id"])));
        let parts = split_command("> truncated").expect("parses");
        assert!(parts[0].argv.is_empty());
        assert_eq!(parts[0].redirects[0].target, "truncated");
    }

    #[test]
    fn control_flow_bodies_are_walked() {
        assert_eq!(
            argvs("if test -f a; then rm a; elif b; then c; else d; fi"),
            vec![
                v(&["test", "-f", "a"]),
                v(&["rm", "a"]),
                v(&["b"]),
                v(&["c"]),
                v(&["d"])
            ]
        );
        assert_eq!(
            argvs("for f in *.o; do rm $f; done; while true; do sleep 1; done"),
            vec![v(&["rm", "$f"]), v(&["true"]), v(&["sleep", "1"])]
        );
        assert_eq!(argvs("f() { rm x; }; f"), vec![v(&["rm", "x"]), v(&["f"])]);
        assert_eq!(
            argvs("case $x in a) rm y;; *) ls;; esac"),
            vec![v(&["rm", "y"]), v(&["ls"])]
        );
    }

    #[test]
    fn pipelines_are_numbered() {
        let parts = split_command("curl u | sh; a | (b | c)").expect("parses");
        let pos: Vec<Vec<(usize, usize)>> = parts
            .iter()
            .map(|p| p.pipeline.iter().map(|x| (x.pipeline, x.stage)).collect())
            .collect();
        assert_eq!(
            pos,
            vec![
                vec![(0, 0)],
                vec![(0, 1)],
                vec![(1, 0)],
                vec![(1, 1), (2, 0)],
                vec![(1, 1), (2, 1)]
            ]
        );
    }

    #[test]
    fn a_command_nested_past_the_limit_is_too_complex_not_a_crash() {
        // 100 KB of `true && true …`: deep enough to overflow an unbounded
        // walk's stack in a debug build many times over.
        let cmd = vec!["true"; 12_500].join(" && ");
        let out = split_command(&cmd).expect("grammar loads");
        assert_eq!(out.len(), 1);
        assert!(out[0].unparsed && out[0].too_complex);
        assert_eq!(out[0].text, cmd);
        let deep_subst = format!("{}x{}", "$(echo ".repeat(2_000), ")".repeat(2_000));
        let out = split_command(&deep_subst).expect("grammar loads");
        assert!(out.iter().all(|c| c.unparsed), "{:?}", out.len());
        // A long but ordinary chain is still split.
        let ok = vec!["true"; 100].join(" && ");
        assert_eq!(split_command(&ok).expect("parses").len(), 100);
    }

    #[test]
    fn broken_input_is_marked_unparsed() {
        let parts = split_command("rm -rf / ((").expect("parses");
        assert!(!parts.is_empty());
        assert!(parts.iter().all(|p| p.unparsed));
        assert!(split_command("").expect("parses").is_empty());
        assert!(split_command("# just a comment")
            .expect("parses")
            .is_empty());
    }
}
