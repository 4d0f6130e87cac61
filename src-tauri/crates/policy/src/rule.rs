//! Permission rules in Claude Code's syntax, parsed once and matched many
//! times.

use std::path::Path;
use std::str::FromStr;

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// One permission rule, such as `Bash(npm run test:*)`, `Edit(src/**)`,
/// `Read(./.env)`, `WebFetch(domain:docs.rs)` or `mcp__github`.
///
/// Parsed once (globs are compiled here); displays and serializes as the
/// text it was written as.
#[derive(Debug, Clone)]
pub struct Rule {
    source: String,
    tool: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// A bare tool name: every use.
    Any,
    Command(CommandPattern),
    Path(PathPattern),
    Domain(String),
}

#[derive(Debug, Clone)]
enum CommandPattern {
    Exact(String),
    /// `prefix:*`.
    Prefix(String),
    /// Text with `*` wildcards, split at them.
    Wildcard(Vec<String>),
}

#[derive(Debug, Clone)]
struct PathPattern {
    anchor: Anchor,
    glob: GlobMatcher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Project,
    Absolute,
    Home,
}

/// How tightly a rule matched a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MatchKind {
    /// The rule spells out the whole command.
    Exact,
    /// A prefix, wildcard or bare `Bash` rule.
    Loose,
}

/// The tool families that share path rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Edit,
    Read,
    Bash,
    WebFetch,
    Other,
}

pub(crate) fn family(tool: &str) -> Family {
    match tool {
        "Edit" | "MultiEdit" | "Write" | "NotebookEdit" => Family::Edit,
        "Read" | "Glob" | "Grep" | "LS" | "NotebookRead" => Family::Read,
        "Bash" => Family::Bash,
        "WebFetch" => Family::WebFetch,
        _ => Family::Other,
    }
}

impl Rule {
    /// Parses a rule. Errors say what is wrong: unbalanced parentheses, an
    /// empty pattern, a bad glob, a `WebFetch` rule without `domain:`, or a
    /// pattern on a tool that takes none.
    pub fn parse(text: &str) -> Result<Rule> {
        let source = text.trim().to_string();
        let invalid = |reason: &str| Error::InvalidRule {
            rule: source.clone(),
            reason: reason.to_string(),
        };
        if source.is_empty() {
            return Err(invalid("the rule is empty"));
        }
        let (tool, spec) = match source.find('(') {
            None => {
                if source.contains(')') {
                    return Err(invalid("a `)` without a `(`"));
                }
                (source.as_str(), None)
            }
            Some(open) => {
                let Some(inner) = source[open + 1..].strip_suffix(')') else {
                    return Err(invalid(
                        "the pattern must be closed by a `)` at the end, as in `Bash(ls:*)`",
                    ));
                };
                (&source[..open], Some(inner.trim()))
            }
        };
        let tool = tool.trim();
        if tool.is_empty()
            || !tool
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '*')
        {
            return Err(invalid(
                "a rule starts with a tool name such as Bash, Edit, Read or mcp__server",
            ));
        }
        let matcher = match spec {
            None => Matcher::Any,
            Some("") => {
                return Err(invalid(
                    "empty parentheses; write the bare tool name to match every use",
                ))
            }
            Some(spec) => match family(tool) {
                Family::Bash => Matcher::Command(CommandPattern::parse(spec)),
                Family::Edit | Family::Read => {
                    Matcher::Path(PathPattern::parse(spec).map_err(|e| invalid(&e))?)
                }
                Family::WebFetch => {
                    let Some(domain) = spec.strip_prefix("domain:") else {
                        return Err(invalid(
                            "WebFetch rules name a host, as in `WebFetch(domain:docs.rs)`",
                        ));
                    };
                    let domain = domain.trim().to_ascii_lowercase();
                    if domain.is_empty() || domain.contains('/') {
                        return Err(invalid("the domain must be a host name such as docs.rs"));
                    }
                    Matcher::Domain(domain)
                }
                Family::Other => {
                    return Err(invalid(
                        "only Bash, the file tools and WebFetch take a pattern in parentheses",
                    ))
                }
            },
        };
        Ok(Rule {
            tool: tool.to_string(),
            source,
            matcher,
        })
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The tool name the rule starts with.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// The text in parentheses, if any.
    pub fn specifier(&self) -> Option<&str> {
        let open = self.source.find('(')?;
        self.source[open + 1..].strip_suffix(')').map(str::trim)
    }

    /// Whether a bare rule (no parentheses) covers every use of `tool`.
    pub(crate) fn matches_tool(&self, tool: &str) -> bool {
        if !matches!(self.matcher, Matcher::Any) {
            return false;
        }
        if self.tool == tool {
            return true;
        }
        let own = family(&self.tool);
        if matches!(own, Family::Edit | Family::Read)
            && own == family(tool)
            && self.tool == first_of(own)
        {
            return true;
        }
        // `mcp__server` covers its tools; `mcp__server__*` too.
        if let Some(server) = self.tool.strip_prefix("mcp__") {
            let server = server.strip_suffix("__*").unwrap_or(server);
            if !server.contains("__") {
                return tool
                    .strip_prefix("mcp__")
                    .and_then(|t| t.strip_prefix(server))
                    .is_some_and(|t| t.starts_with("__"));
            }
        }
        false
    }

    /// Whether this `Bash` rule matches one simple command's text.
    pub(crate) fn matches_command(&self, text: &str) -> Option<MatchKind> {
        if self.tool != "Bash" {
            return None;
        }
        match &self.matcher {
            Matcher::Any => Some(MatchKind::Loose),
            Matcher::Command(p) => p.matches(&normalize_command(text)),
            _ => None,
        }
    }

    /// Whether this path rule applies to an action of family `target`
    /// (`for_restriction`: the rule is in `ask` or `deny`) and matches `path`
    /// (absolute, normalized). `directory` also matches when the rule
    /// matches something inside `path` (a search root).
    pub(crate) fn matches_path(
        &self,
        target: Family,
        for_restriction: bool,
        path: &Path,
        directory: bool,
        project: &Path,
        home: Option<&Path>,
    ) -> bool {
        let Matcher::Path(pattern) = &self.matcher else {
            return false;
        };
        let own = family(&self.tool);
        let applies =
            own == target || (for_restriction && own == Family::Read && target == Family::Edit);
        applies && pattern.matches(path, directory, project, home)
    }

    /// The path rules that restrict shell commands: read rules always, edit
    /// rules only for commands that may write.
    pub(crate) fn restricts_shell_path(
        &self,
        may_write: bool,
        path: &Path,
        project: &Path,
        home: Option<&Path>,
    ) -> bool {
        let Matcher::Path(pattern) = &self.matcher else {
            return false;
        };
        let applies = match family(&self.tool) {
            Family::Read => true,
            Family::Edit => may_write,
            _ => false,
        };
        applies && pattern.matches(path, false, project, home)
    }

    /// Whether this `WebFetch` rule matches `host`.
    pub(crate) fn matches_domain(&self, host: &str) -> bool {
        let Matcher::Domain(domain) = &self.matcher else {
            return false;
        };
        match domain.strip_prefix("*.") {
            Some(parent) => host
                .strip_suffix(parent)
                .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
            None => host == domain,
        }
    }
}

fn first_of(f: Family) -> &'static str {
    match f {
        Family::Edit => "Edit",
        Family::Read => "Read",
        _ => "",
    }
}

/// Whitespace runs count as one space; a backslash-newline continuation is
/// whitespace.
pub(crate) fn normalize_command(text: &str) -> String {
    text.replace("\\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl CommandPattern {
    fn parse(spec: &str) -> CommandPattern {
        let spec = normalize_command(spec);
        if let Some(prefix) = spec.strip_suffix(":*") {
            return CommandPattern::Prefix(prefix.trim_end().to_string());
        }
        if spec.contains('*') {
            return CommandPattern::Wildcard(spec.split('*').map(str::to_string).collect());
        }
        CommandPattern::Exact(spec)
    }

    fn matches(&self, text: &str) -> Option<MatchKind> {
        let hit = match self {
            CommandPattern::Exact(exact) => return (text == exact).then_some(MatchKind::Exact),
            CommandPattern::Prefix(prefix) => {
                text == prefix
                    || text.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                        prefix.ends_with(|c: char| !c.is_alphanumeric())
                            || rest.starts_with([' ', ':', '=', '<', '>'])
                    })
            }
            CommandPattern::Wildcard(pieces) => {
                // A trailing ` *` also matches the bare command (`ls *`, `ls`).
                let bare = pieces.len() == 2
                    && pieces[1].is_empty()
                    && pieces[0].ends_with(' ')
                    && text == pieces[0].trim_end();
                bare || wildcard(pieces, text)
            }
        };
        hit.then_some(MatchKind::Loose)
    }
}

/// `pieces` are the literal parts between `*`s; `*` matches any text.
fn wildcard(pieces: &[String], text: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return text.is_empty();
    };
    let Some(mut remaining) = text.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for piece in middle {
        match remaining.find(piece.as_str()) {
            Some(at) => remaining = &remaining[at + piece.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last.as_str())
}

impl PathPattern {
    fn parse(spec: &str) -> std::result::Result<PathPattern, String> {
        let (anchor, pattern) = if let Some(rest) = spec.strip_prefix("//") {
            (Anchor::Absolute, format!("/{rest}"))
        } else if spec == "~" {
            (Anchor::Home, "**".to_string())
        } else if let Some(rest) = spec.strip_prefix("~/") {
            (Anchor::Home, rest.to_string())
        } else if let Some(rest) = spec.strip_prefix("./") {
            (Anchor::Project, rest.to_string())
        } else if let Some(rest) = spec.strip_prefix('/') {
            (Anchor::Project, rest.to_string())
        } else if !spec.trim_end_matches('/').contains('/') {
            // gitignore: a name without a slash matches at any depth.
            (Anchor::Project, format!("**/{spec}"))
        } else {
            (Anchor::Project, spec.to_string())
        };
        let pattern = if pattern.ends_with('/') {
            format!("{pattern}**")
        } else if pattern.is_empty() {
            "**".to_string()
        } else {
            pattern
        };
        let glob = GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("bad glob: {}", e.kind()))?
            .compile_matcher();
        Ok(PathPattern { anchor, glob })
    }

    fn matches(&self, path: &Path, directory: bool, project: &Path, home: Option<&Path>) -> bool {
        let candidate = match self.anchor {
            Anchor::Absolute => Some(path),
            Anchor::Project => path.strip_prefix(project).ok(),
            Anchor::Home => home.and_then(|h| path.strip_prefix(h).ok()),
        };
        let Some(candidate) = candidate else {
            return false;
        };
        let text = candidate.to_string_lossy().replace('\\', "/");
        if text.is_empty() {
            // The anchor itself (the project root) is matched only as a
            // directory that contains matches.
            return directory && self.glob.is_match("\u{1}");
        }
        if self.glob.is_match(text.as_str()) {
            return true;
        }
        // A pattern that matches a directory covers everything inside it.
        let ancestors = text
            .char_indices()
            .filter(|(i, c)| *c == '/' && *i > 0)
            .any(|(i, _)| self.glob.is_match(&text[..i]));
        ancestors || (directory && self.glob.is_match(format!("{text}/\u{1}").as_str()))
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Rule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Rule> {
        Rule::parse(s)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.source == other.source
    }
}

impl Eq for Rule {}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Rule, D::Error> {
        let text = String::deserialize(d)?;
        Rule::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
