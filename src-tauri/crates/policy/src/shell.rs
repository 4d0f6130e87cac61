//! Splitting a shell command into the simple commands it would run.
//!
//! tree-sitter-bash gives a concrete syntax tree; the walk below visits every
//! node and emits a [`SimpleCommand`] for each `command` node (and for a bare
//! redirection such as `> file`, which truncates a file on its own), wherever
//! it sits: lists, pipelines, subshells, `{ …; }`, `$(…)`, backticks, `<(…)`,
//! `if`/`for`/`while`/`case` bodies, function bodies, heredoc bodies.
//!
//! How a word's value is read (quotes, escapes, expansions) is in
//! `shell/words.rs`; the tests are in `shell/tests.rs`.

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Parser};

use crate::{Error, Result};

mod words;

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
}

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

#[cfg(test)]
mod tests;
