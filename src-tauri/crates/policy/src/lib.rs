//! # airlock-policy
//!
//! The one place where Airlock decides whether an agent's action may run on its
//! own, needs the user's click, or is refused. Everything here is pure: the
//! decision reads no file, no clock and no environment, so the same action and
//! the same rules always give the same answer, and the table tests in
//! `tests/table.rs` pin that answer down.
//!
//! ## The main types
//!
//! - [`Action`]: what an agent wants to do, in Claude Code's terms — a tool name
//!   (`Bash`, `Edit`, `Write`, `Read`, `WebFetch`, `mcp__server__tool`, …), its
//!   JSON input, the working directory and the project root.
//! - [`Rule`]: one permission rule in Claude Code's own syntax: `Bash`,
//!   `Bash(npm run test:*)`, `Edit(src/**)`, `Read(./.env)`, `Write(//tmp/**)`,
//!   `Read(~/.aws/**)`, `WebFetch(domain:docs.rs)`, `mcp__github`.
//! - [`Policy`]: the `allow`, `ask` and `deny` lists, loaded from the project's
//!   `.airlock/policy.toml` and the user's global file ([`Policy::load`]);
//!   [`Policy::add_allow_rule`] appends a rule for "Always allow".
//! - [`split_command`]: a shell command parsed with tree-sitter-bash into every
//!   [`SimpleCommand`] it would run, through `&&`, `||`, `;`, `|`, subshells,
//!   `$(…)`, backticks, process substitution, `if`/`for`/`while`/`case` and
//!   function bodies.
//! - [`classify`] / [`classify_all`]: the built-in classifier, which says why a
//!   command is risky as a list of [`Risk`]s ([`RiskKind::Delete`],
//!   [`RiskKind::ForcePush`], [`RiskKind::PipeToShell`], …).
//! - [`decide`]: `(Action, Policy) -> Verdict`, with the [`Decision`], the
//!   risks, the rules that matched, the parts of a compound command, and the
//!   exact rules "Always allow" would add ([`Verdict::suggested_rules`]).
//!
//! ## The policy file
//!
//! ```toml
//! [permissions]
//! allow = ["Bash(npm run test:*)", "Edit(src/**)"]
//! ask   = ["Bash(git push:*)"]
//! deny  = ["Read(./.env)", "Bash(rm -rf /)"]
//! ```
//!
//! Other top-level tables are ignored (room for later settings); an unknown key
//! inside `[permissions]` is an error, so a typo such as `alow` is not silently
//! dropped. Errors name the file, line and column.
//!
//! ## Rules
//!
//! - A bare tool name matches every use of the tool. `Edit` covers every edit
//!   tool (`Edit`, `MultiEdit`, `Write`, `NotebookEdit`) and `Read` covers the
//!   read tools (`Read`, `Glob`, `Grep`, `LS`, `NotebookRead`), as in Claude
//!   Code. `mcp__server` matches every tool of that server.
//! - `Bash(cmd)` matches one simple command exactly (whitespace runs count as
//!   one space). `Bash(prefix:*)` matches the prefix followed by nothing or by a
//!   non-word character, so `Bash(npm run test:*)` matches `npm run test` and
//!   `npm run test:unit` but not `npm run testing`. Any other `*` is a wildcard
//!   over any text, and a trailing ` *` also matches the bare command.
//! - Path rules (`Edit(…)`, `Write(…)`, `Read(…)`, …) are gitignore-style
//!   globs: `//abs/**` is absolute, `~/x` is under the home directory, `/x` and
//!   `./x` are anchored at the project root, `a/b` (a slash inside) is anchored
//!   at the project root too, and a bare name such as `.env` or `*.pem` matches
//!   at any depth of the project. A pattern that matches a directory matches
//!   everything inside it. Rules given for any edit tool apply to all edit
//!   tools; read rules in `ask` and `deny` also apply to edit tools (no writing
//!   what may not be read).
//! - `WebFetch(domain:example.com)` matches that host; `domain:*.example.com`
//!   matches its subdomains.
//!
//! ## How a decision is made
//!
//! [`Decision`] is ordered `Allow < Ask < Deny`, and the strictest answer wins.
//!
//! For `Bash`, the command is split into its simple commands ("parts"), and
//! each part gets its own decision:
//!
//! 1. a matching `deny` rule gives `Deny`; otherwise a matching `ask` rule
//!    gives `Ask`. Besides `Bash(…)` rules, the `ask`/`deny` path rules are
//!    checked against the part's path arguments and redirect targets (read
//!    rules always; edit rules unless the command only reads), so
//!    `deny = ["Read(./.env)"]` also refuses `cat .env`;
//! 2. otherwise a matching `allow` rule gives `Allow` — even for a risky
//!    command, since the user said so — except that a part that could not be
//!    parsed stays `Ask`, and a prefix or wildcard rule does not cover an output
//!    redirect outside the project or into a secret (an exact rule does);
//! 3. with no rule, a part with any [`Risk`] is `Ask`, a known read-only
//!    command (`ls`, `cat README.md`, `git status`, `grep`, …) is `Allow`, and
//!    anything else is `Ask`.
//!
//! The action's decision is the strictest over its parts, so an allow rule for
//! one part never lets another through: `Bash(npm run test:*)` allows
//! `npm run test:unit` but not `npm run test:unit && rm -rf /`. A command that
//! tree-sitter cannot parse is never allowed: it at least asks. Rules match
//! the part's own text, so `FOO=1 npm test` needs a rule that says `FOO=1`
//! (an assignment such as `LD_PRELOAD=…` changes what runs). An exact rule for
//! a whole compound line (an earlier "Always allow" of it) counts as an exact
//! rule for each of its parts. `cd` is followed from part to part, and a
//! relative path is checked against both the starting and the new directory.
//!
//! For the file tools, the path is resolved against the working directory
//! (lexically: `decide` touches no file) and matched against the path rules in
//! the same order (`deny`, then `ask`, then `allow`). With no rule, a path
//! outside the project or a secret (`.env`, keys, credentials) asks and the
//! rest is allowed: an edit inside the project still goes through Airlock's
//! review queue as a diff. `WebFetch`, `WebSearch`, MCP tools and unknown
//! tools ask unless a rule says otherwise; Airlock's harmless bookkeeping tools
//! (`TodoWrite`, `Task`, `ExitPlanMode`, `BashOutput`, …) are allowed.
#![deny(missing_docs)]

mod classify;
mod decide;
mod paths;
mod policy;
mod readonly;
mod rule;
mod shell;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use classify::{classify, classify_all, is_read_only, ClassifyContext, Risk, RiskKind};
pub use decide::{decide, Action, MatchedRule, Verdict};
pub use paths::normalize;
pub use policy::{Policy, PROJECT_POLICY_FILE};
pub use rule::Rule;
pub use shell::{split_command, PipePos, Redirect, SimpleCommand};

/// What happens to an action. Ordered from the most to the least permissive,
/// so the strictest of several decisions is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    /// Runs without asking.
    Allow,
    /// Waits for the user's click.
    Ask,
    /// Refused without asking.
    Deny,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        })
    }
}

/// Everything that can go wrong while loading rules or parsing a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A policy file exists but could not be read.
    #[error("cannot read the policy file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A policy file could not be written (by [`Policy::add_allow_rule`]).
    #[error("cannot write the policy file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A policy file is not valid TOML or does not have the expected shape.
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A rule does not follow the permission syntax.
    #[error("invalid rule `{rule}`: {reason}")]
    InvalidRule {
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The bash grammar could not be loaded into the tree-sitter runtime (a
    /// build problem: the grammar's ABI does not match the runtime).
    #[error("cannot load the bash grammar: {0}")]
    Grammar(#[from] tree_sitter::LanguageError),
    /// tree-sitter returned no tree at all.
    #[error("the shell parser returned no tree for the command")]
    NoTree,
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
