//! The pure decision: `(Action, Policy) -> Verdict`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::classify::{assess_all, Assessment, ClassifyContext, Risk, RiskKind};
use crate::paths::{is_inside, normalize, resolve, secret_reason};
use crate::rule::{family, normalize_command, Family, MatchKind};
use crate::shell::{split_command, SimpleCommand};
use crate::{Decision, Policy, Rule};

/// What an agent wants to do, in Claude Code's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// The tool: `Bash`, `Edit`, `MultiEdit`, `Write`, `NotebookEdit`,
    /// `Read`, `Glob`, `Grep`, `LS`, `WebFetch`, `WebSearch`,
    /// `mcp__server__tool`, or anything else.
    pub tool: String,
    /// The tool's input as the agent sent it: `command` for Bash,
    /// `file_path` for the edit and read tools, `notebook_path`, `path` and
    /// `pattern` for Glob/Grep/LS, `url` for WebFetch, `query` for WebSearch.
    #[serde(default)]
    pub input: Value,
    /// The agent's working directory (relative paths resolve against it).
    pub cwd: PathBuf,
    /// The project root.
    pub project: PathBuf,
}

/// A rule that matched, and the list it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedRule {
    /// `Allow`, `Ask` or `Deny`: the list the rule is in.
    pub list: Decision,
    /// The rule as written.
    pub rule: String,
}

/// The answer for one action, with the reasons behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// What happens to the action.
    pub decision: Decision,
    /// Why the action is risky (also when a rule allowed it anyway).
    pub risks: Vec<Risk>,
    /// Every rule that matched, in any list.
    pub matched: Vec<MatchedRule>,
    /// The simple commands of a Bash action, or the path / URL / tool the
    /// action is about.
    pub parts: Vec<String>,
    /// The rules "Always allow" would add so that the same action is allowed
    /// next time: an exact `Bash(…)` rule per part that asked, an `Edit(…)` or
    /// `Read(…)` rule for the path, a `WebFetch(domain:…)` rule, or the tool
    /// name. Empty when the action is denied, already allowed, or cannot be
    /// allowed by a rule (a command that did not parse).
    pub suggested_rules: Vec<String>,
}

/// Tools that only keep Airlock's or the agent's own books.
const BOOKKEEPING: [&str; 9] = [
    "TodoWrite",
    "TodoRead",
    "Task",
    "Agent",
    "ExitPlanMode",
    "BashOutput",
    "KillShell",
    "KillBash",
    "ListMcpResourcesTool",
];

/// Decides one action. Pure: no I/O, no clock, no environment (the home
/// directory comes from `policy.home`). See the crate docs for the rules.
pub fn decide(action: &Action, policy: &Policy) -> Verdict {
    let project = normalize(&action.project);
    let cwd = if action.cwd.as_os_str().is_empty() {
        project.clone()
    } else {
        normalize(&project.join(&action.cwd))
    };
    let mut d = Decider {
        policy,
        project: &project,
        cwd: &cwd,
        home: policy.home.as_deref(),
        risks: Vec::new(),
        matched: Vec::new(),
        suggested: Vec::new(),
    };
    let tool = action.tool.as_str();
    let input = &action.input;
    let (decision, parts) = match family(tool) {
        Family::Bash => d.bash(input),
        Family::Edit => d.file(tool, input, Family::Edit),
        Family::Read => d.file(tool, input, Family::Read),
        Family::WebFetch => d.web_fetch(input),
        Family::Other => d.other(tool, input),
    };
    if decision != Decision::Ask {
        d.suggested.clear();
    }
    Verdict {
        decision,
        risks: d.risks,
        matched: d.matched,
        parts,
        suggested_rules: d.suggested,
    }
}

struct Decider<'a> {
    policy: &'a Policy,
    project: &'a Path,
    cwd: &'a Path,
    home: Option<&'a Path>,
    risks: Vec<Risk>,
    matched: Vec<MatchedRule>,
    suggested: Vec<String>,
}

/// What a file tool's call is, for judging each path it names.
#[derive(Clone, Copy)]
struct FileCall<'t> {
    tool: &'t str,
    fam: Family,
    /// A search root (Glob, Grep, LS) rather than one file.
    directory: bool,
    /// "reads" or "writes", for the risks' sentences.
    verb: &'static str,
}

impl Decider<'_> {
    fn record(&mut self, list: Decision, rule: &Rule) {
        let m = MatchedRule {
            list,
            rule: rule.as_str().to_string(),
        };
        if !self.matched.contains(&m) {
            self.matched.push(m);
        }
    }

    fn risk(&mut self, kind: RiskKind, why: String) {
        let r = Risk { kind, why };
        if !self.risks.contains(&r) {
            self.risks.push(r);
        }
    }

    fn suggest(&mut self, rule: String) {
        if !self.suggested.contains(&rule) {
            self.suggested.push(rule);
        }
    }

    /// Runs `hit` over every rule, records the matches and returns the
    /// strictest list that matched.
    fn by_rules(&mut self, mut hit: impl FnMut(Decision, &Rule) -> bool) -> Option<Decision> {
        let mut best = None;
        let policy = self.policy;
        for (list, rule) in policy.rules() {
            if hit(list, rule) {
                self.record(list, rule);
                best = best.max(Some(list));
            }
        }
        best
    }

    fn bash(&mut self, input: &Value) -> (Decision, Vec<String>) {
        let Some(command) = input.get("command").and_then(Value::as_str) else {
            self.risk(
                RiskKind::Unparsed,
                "the Bash call has no `command` to check".to_string(),
            );
            return (Decision::Ask, Vec::new());
        };
        let parts =
            split_command(command).unwrap_or_else(|_| vec![SimpleCommand::unparsed(command)]);
        let texts: Vec<String> = parts.iter().map(|p| p.text.clone()).collect();
        if parts.is_empty() {
            // Only comments or assignments: nothing runs.
            return (Decision::Allow, texts);
        }
        let ctx = ClassifyContext {
            cwd: self.cwd,
            project: self.project,
            home: self.home,
        };
        let assessments = assess_all(&parts, &ctx, 0);
        // An exact rule for the whole line (an earlier "Always allow" of a
        // compound command) allows each of its parts as an exact rule would.
        let whole = normalize_command(command);
        let policy = self.policy;
        let whole_exact = policy
            .allow
            .iter()
            .find(|r| parts.len() > 1 && r.matches_command(&whole) == Some(MatchKind::Exact));
        if let Some(rule) = whole_exact {
            self.record(Decision::Allow, rule);
        }
        let mut decision = Decision::Allow;
        for (part, a) in parts.iter().zip(&assessments) {
            decision = decision.max(self.bash_part(part, a, whole_exact.is_some()));
        }
        if parts.iter().any(|p| p.unparsed) {
            self.suggested.clear();
        }
        (decision, texts)
    }

    /// One part of a Bash command: a matching `ask` or `deny` rule (on its
    /// text or its paths) decides; else a matching `allow` rule, unless the
    /// part did not parse or a loose rule meets a risky redirect; else its
    /// risks. `whole_exact`: an exact allow rule matched the whole line.
    fn bash_part(&mut self, part: &SimpleCommand, a: &Assessment, whole_exact: bool) -> Decision {
        let (project, home) = (self.project, self.home);
        let mut allow: Option<MatchKind> = whole_exact.then_some(MatchKind::Exact);
        let restricted = self.by_rules(|list, rule| {
            if let Some(kind) = rule.matches_command(&part.text) {
                if list == Decision::Allow {
                    allow = match (allow, kind) {
                        (Some(MatchKind::Exact), _) | (_, MatchKind::Exact) => {
                            Some(MatchKind::Exact)
                        }
                        _ => Some(MatchKind::Loose),
                    };
                }
                return true;
            }
            list != Decision::Allow
                && a.paths
                    .iter()
                    .any(|p| rule.restricts_shell_path(!a.read_only, p, project, home))
        });
        let part_decision = match (restricted.filter(|d| *d > Decision::Allow), allow) {
            (Some(strict), _) => strict,
            (None, Some(_)) if part.unparsed => Decision::Ask,
            (None, Some(MatchKind::Loose)) if a.risky_write_redirect => Decision::Ask,
            (None, Some(_)) => Decision::Allow,
            (None, None) if part.unparsed || !a.risks.is_empty() || !a.read_only => Decision::Ask,
            (None, None) => Decision::Allow,
        };
        for r in &a.risks {
            self.risk(r.kind, r.why.clone());
        }
        if part_decision == Decision::Ask && !part.unparsed {
            self.suggest(format!("Bash({})", normalize_command(&part.text)));
        }
        part_decision
    }

    fn file(&mut self, tool: &str, input: &Value, fam: Family) -> (Decision, Vec<String>) {
        let directory = matches!(tool, "Glob" | "Grep" | "LS");
        let Some(targets) = self.file_targets(tool, input, directory) else {
            return (Decision::Ask, Vec::new());
        };
        let verb = if fam == Family::Edit {
            "writes"
        } else {
            "reads"
        };
        let call = FileCall {
            tool,
            fam,
            directory,
            verb,
        };
        let mut decision = Decision::Allow;
        let mut parts = Vec::new();
        for (raw, path) in targets {
            let Some(path) = path else {
                self.risk(
                    RiskKind::OutsideProject,
                    format!("{tool} {verb} {raw}, which is outside the project"),
                );
                decision = decision.max(Decision::Ask);
                parts.push(raw);
                continue;
            };
            decision = decision.max(self.file_path(&call, &raw, &path));
            parts.push(path.display().to_string());
        }
        (decision, parts)
    }

    /// The paths a file tool's call names, as written and resolved: its path
    /// (`.` for a search tool given none) and, for `Glob`, a pattern that
    /// reaches outside it. `None`, with a risk, when the call names no path.
    fn file_targets(
        &mut self,
        tool: &str,
        input: &Value,
        directory: bool,
    ) -> Option<Vec<(String, Option<PathBuf>)>> {
        let key = match tool {
            "NotebookEdit" | "NotebookRead" => "notebook_path",
            "Glob" | "Grep" | "LS" => "path",
            _ => "file_path",
        };
        let raw = input.get(key).and_then(Value::as_str);
        let raw = match raw {
            Some(r) if !r.is_empty() => r,
            _ if directory => ".",
            _ => {
                self.risk(
                    RiskKind::Unparsed,
                    format!("the {tool} call has no `{key}` to check"),
                );
                return None;
            }
        };
        let mut targets = vec![(raw.to_string(), resolve(raw, self.cwd, self.home))];
        // `Glob(pattern: "../../**")` searches outside whatever `path` says.
        if tool == "Glob" {
            if let Some(pattern) = input.get("pattern").and_then(Value::as_str) {
                let escapes = pattern.starts_with('/')
                    || pattern.starts_with('~')
                    || pattern.split('/').any(|c| c == "..");
                if escapes {
                    let base = static_prefix(pattern);
                    let root = targets[0]
                        .1
                        .clone()
                        .unwrap_or_else(|| self.cwd.to_path_buf());
                    targets.push((pattern.to_string(), resolve(&base, &root, self.home)));
                }
            }
        }
        Some(targets)
    }

    /// One resolved path of a file tool's call (`raw` as written): a
    /// matching rule decides; without one, a path outside the project or a
    /// secret asks.
    fn file_path(&mut self, call: &FileCall, raw: &str, path: &Path) -> Decision {
        let FileCall {
            tool,
            fam,
            directory,
            verb,
        } = *call;
        let (project, home) = (self.project, self.home);
        let hit = self.by_rules(|list, rule| {
            rule.matches_tool(tool)
                || rule.matches_path(fam, list != Decision::Allow, path, directory, project, home)
        });
        let inside = is_inside(path, project);
        let secret = secret_reason(path.strip_prefix(project).unwrap_or(path));
        if !inside {
            self.risk(
                RiskKind::OutsideProject,
                format!("{tool} {verb} {}, outside the project", path.display()),
            );
        }
        if let Some(why) = secret {
            self.risk(RiskKind::Secrets, format!("{tool} {verb} {raw}: {why}"));
        }
        let risky = !inside || secret.is_some();
        let one = match hit {
            Some(d) => d,
            None if risky => Decision::Ask,
            None => Decision::Allow,
        };
        if one == Decision::Ask {
            let rule_tool = if fam == Family::Edit { "Edit" } else { "Read" };
            let pattern = path_rule_pattern(path, project, home);
            let pattern = if directory {
                format!("{pattern}/**")
            } else {
                pattern
            };
            self.suggest(format!("{rule_tool}({pattern})"));
        }
        one
    }

    fn web_fetch(&mut self, input: &Value) -> (Decision, Vec<String>) {
        let Some(url) = input.get("url").and_then(Value::as_str) else {
            self.risk(
                RiskKind::Unparsed,
                "the WebFetch call has no `url` to check".to_string(),
            );
            return (Decision::Ask, Vec::new());
        };
        let host = host_of(url);
        let hit = self.by_rules(|_, rule| {
            rule.matches_tool("WebFetch") || host.as_deref().is_some_and(|h| rule.matches_domain(h))
        });
        self.risk(RiskKind::Network, format!("WebFetch downloads {url}"));
        if let Some(host) = &host {
            self.suggest(format!("WebFetch(domain:{host})"));
        }
        (hit.unwrap_or(Decision::Ask), vec![url.to_string()])
    }

    fn other(&mut self, tool: &str, input: &Value) -> (Decision, Vec<String>) {
        let hit = self.by_rules(|_, rule| rule.matches_tool(tool));
        let default = if BOOKKEEPING.contains(&tool) {
            Decision::Allow
        } else {
            Decision::Ask
        };
        if tool == "WebSearch" {
            let query = input
                .get("query")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.risk(
                RiskKind::Network,
                format!("WebSearch sends “{query}” to a search engine"),
            );
        }
        self.suggest(tool.to_string());
        (hit.unwrap_or(default), vec![tool.to_string()])
    }
}

/// The part of a glob before its first wildcard, cut at a `/`.
fn static_prefix(pattern: &str) -> String {
    let cut = pattern
        .find(['*', '?', '[', '{'])
        .map_or(pattern, |i| &pattern[..i]);
    match cut.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => cut[..i].to_string(),
        None if cut.len() == pattern.len() => cut.to_string(),
        None => ".".to_string(),
    }
}

/// The narrowest path rule pattern for `path`: project-relative `./…`,
/// home-relative `~/…`, or absolute `//…`.
fn path_rule_pattern(path: &Path, project: &Path, home: Option<&Path>) -> String {
    let text = |p: &Path| globset::escape(&p.to_string_lossy().replace('\\', "/"));
    if let Ok(rel) = path.strip_prefix(project) {
        return format!("./{}", text(rel));
    }
    if let Some(rel) = home.and_then(|h| path.strip_prefix(h).ok()) {
        return format!("~/{}", text(rel));
    }
    format!("/{}", text(path))
}

/// The lower-cased host of an `http(s)` URL, without user info or port.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]"))?
    } else {
        host.split(':').next()?.to_string()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_extracted() {
        assert_eq!(host_of("https://Docs.rs/x?y").as_deref(), Some("docs.rs"));
        assert_eq!(host_of("http://u:p@h.io:8080/").as_deref(), Some("h.io"));
        assert_eq!(host_of("example.com/a").as_deref(), Some("example.com"));
    }

    #[test]
    fn glob_prefixes_are_static() {
        assert_eq!(static_prefix("../../**/*.rs"), "../..");
        assert_eq!(static_prefix("/etc/*.conf"), "/etc");
        assert_eq!(static_prefix("*.rs"), ".");
        assert_eq!(static_prefix("/*"), "/");
    }
}
