//! Where a command runs and which files it names: the working directories
//! it may run in (followed through `cd`), its path arguments and its
//! redirect targets, each checked against the project and the list of
//! secrets, and collected for the path rules.

use std::path::{Path, PathBuf};

use super::words::{has_flag, Word};
use super::{Assessment, ClassifyContext, RiskKind};
use crate::paths::{is_harmless_device, is_inside, resolve, secret_reason};
use crate::shell::SimpleCommand;

/// The working directories a command may run in: where the line started and
/// where its `cd`s lead (both are checked, since a `cd` inside a subshell does
/// not last).
pub(super) struct Cwds {
    list: Vec<PathBuf>,
    unknown: bool,
}

impl Cwds {
    pub(super) fn start(ctx: &ClassifyContext) -> Cwds {
        Cwds {
            list: vec![ctx.cwd.to_path_buf()],
            unknown: false,
        }
    }

    pub(super) fn follow(&mut self, cmd: &SimpleCommand, ctx: &ClassifyContext) {
        let Some(name) = cmd.argv.first() else {
            return;
        };
        if !matches!(name.as_str(), "cd" | "pushd" | "popd") {
            return;
        }
        let args: Vec<(usize, &String)> = cmd
            .argv
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, a)| !a.starts_with('-') || a.as_str() == "-")
            .collect();
        let target = match (name.as_str(), args.first()) {
            ("popd", _) => None,
            (_, Some((_, dash))) if dash.as_str() == "-" => None,
            (_, None) => ctx.home.map(Path::to_path_buf),
            (_, Some((i, arg))) => {
                if cmd.dynamic.get(*i).copied().unwrap_or(true) && !arg.starts_with("$HOME") {
                    None
                } else {
                    let base = self.list.last().map_or(ctx.cwd, PathBuf::as_path);
                    resolve(arg, base, ctx.home)
                }
            }
        };
        match target {
            Some(dir) => {
                if !self.list.contains(&dir) {
                    self.list.push(dir);
                }
            }
            None => self.unknown = true,
        }
    }
}

/// Commands whose first positional argument is a pattern or script, not a path.
#[rustfmt::skip]
const PATTERN_FIRST: &[&str] = &[
    "grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk", "mawk", "jq", "yq",
    "zgrep",
];

/// Commands whose arguments are text, never paths.
#[rustfmt::skip]
const TEXT_ARGS: &[&str] = &[
    "echo", "printf", "true", "false", ":", "export", "declare", "local", "readonly", "typeset",
    "unset", "cd", "pushd", "popd", "test", "[", "man", "help", "info", "tldr", "which", "type",
    "whereis", "command",
];

/// A risk for each working directory outside the project.
pub(super) fn check_cwds(label: &str, ctx: &ClassifyContext, cwds: &Cwds, a: &mut Assessment) {
    for dir in &cwds.list {
        if !is_inside(dir, ctx.project) {
            a.risk(
                RiskKind::OutsideProject,
                format!("`{label}` runs in {}, outside the project", dir.display()),
            );
        }
    }
}

/// The files the command's redirections open: outside the project or a
/// secret is a risk (and makes a write risky), and any file written makes
/// the command not read-only.
pub(super) fn check_redirects(
    cmd: &SimpleCommand,
    label: &str,
    ctx: &ClassifyContext,
    cwds: &Cwds,
    a: &mut Assessment,
) {
    for r in &cmd.redirects {
        if r.is_fd_dup() || r.op.starts_with("<<") {
            continue;
        }
        let writes = r.writes_file();
        if (r.target.contains('$') && !r.target.starts_with("$HOME")) || r.target.contains('`') {
            a.read_only &= !writes;
            continue;
        }
        let verb = if writes { "writes to" } else { "reads" };
        for resolved in resolve_in(&r.target, cwds, ctx) {
            match resolved {
                Some(path) if is_harmless_device(&path) => {}
                Some(path) => {
                    a.read_only &= !writes;
                    if !is_inside(&path, ctx.project) {
                        a.risky_write_redirect |= writes;
                        a.risk(
                            RiskKind::OutsideProject,
                            format!("`{label}` {verb} {}, outside the project", r.target),
                        );
                    }
                    if let Some(why) = secret_reason(relative(&path, ctx.project)) {
                        a.risky_write_redirect |= writes;
                        a.risk(
                            RiskKind::Secrets,
                            format!("`{label}` {verb} {}: {why}", r.target),
                        );
                    }
                    a.paths.push(path);
                }
                None => {
                    a.read_only &= !writes;
                    a.risky_write_redirect |= writes;
                    a.risk(
                        RiskKind::OutsideProject,
                        format!("`{label}` {verb} {}, outside the project", r.target),
                    );
                }
            }
        }
    }
}

/// The command's path arguments: those outside the project and secrets are
/// risks, and every static path is kept for the path rules.
pub(super) fn check_path_args(
    name: &str,
    args: &[Word],
    label: &str,
    ctx: &ClassifyContext,
    cwds: &Cwds,
    a: &mut Assessment,
) {
    if TEXT_ARGS.contains(&name) {
        return;
    }
    for (value, dynamic) in path_values(name, args) {
        check_path_arg(value, dynamic, label, ctx, cwds, a);
    }
}

/// The arguments that may be paths, with whether each is only known at run
/// time: option values (`--file=x`) and positionals, but not a leading
/// pattern (`grep PATTERN`) or the text of `-m`, `-e`, `-c`, … (curl's
/// `@file` is the file).
fn path_values<'w>(name: &str, args: &[Word<'w>]) -> Vec<(&'w str, bool)> {
    let mut skip_pattern = PATTERN_FIRST.contains(&name)
        && !has_flag(
            args,
            &[
                "-e",
                "-f",
                "--regexp",
                "--expression",
                "--file",
                "--from-file",
            ],
        );
    const TEXT_VALUE_FLAGS: [&str; 8] = [
        "-m",
        "--message",
        "-e",
        "--regexp",
        "--expression",
        "--body",
        "--title",
        "-c",
    ];
    let mut after_dashes = false;
    let mut skip_next = false;
    let mut out = Vec::new();
    for w in args {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if !after_dashes && w.text == "--" {
            after_dashes = true;
            continue;
        }
        if !after_dashes && TEXT_VALUE_FLAGS.contains(&w.text) {
            skip_next = true;
            continue;
        }
        let value = if after_dashes {
            w.text
        } else if let Some(v) = w.text.strip_prefix("--").and_then(|o| o.split_once('=')) {
            v.1
        } else if w.text.starts_with('-') {
            continue;
        } else if skip_pattern {
            skip_pattern = false;
            continue;
        } else {
            w.text
        };
        let value = if name == "curl" {
            value.trim_start_matches('@')
        } else {
            value
        };
        out.push((value, w.dynamic));
    }
    out
}

/// One path argument: skipped if it is a URL, a `host:path` or only known
/// at run time; otherwise checked in every working directory.
fn check_path_arg(
    value: &str,
    dynamic: bool,
    label: &str,
    ctx: &ClassifyContext,
    cwds: &Cwds,
    a: &mut Assessment,
) {
    if value.is_empty() || value.contains("://") {
        return;
    }
    if dynamic && !(value.starts_with("$HOME") || value.starts_with("${HOME}")) {
        return;
    }
    // `host:path` (scp, rsync, git remotes) is not a local path.
    if let Some(colon) = value.find(':') {
        if value.find('/').is_none_or(|slash| colon < slash) && !value.starts_with('/') {
            return;
        }
    }
    let path_like = value.starts_with('/')
        || value.starts_with('~')
        || value.starts_with("$HOME")
        || value.starts_with("${HOME}")
        || value.split('/').any(|c| c == "..");
    if let Some(why) = secret_reason(Path::new(value)) {
        a.risk(
            RiskKind::Secrets,
            format!("`{label}` touches {value}: {why}"),
        );
    }
    for resolved in resolve_in(value, cwds, ctx) {
        match resolved {
            Some(path) => {
                if is_harmless_device(&path) {
                    continue;
                }
                if path_like && !is_inside(&path, ctx.project) {
                    a.risk(
                        RiskKind::OutsideProject,
                        format!("`{label}` uses {value}, outside the project"),
                    );
                }
                a.paths.push(path);
            }
            None if path_like => a.risk(
                RiskKind::OutsideProject,
                format!("`{label}` uses {value}, outside the project"),
            ),
            None => a.risk(
                RiskKind::OutsideProject,
                format!("`{label}` uses {value} relative to a directory only known at run time"),
            ),
        }
    }
}

fn relative<'p>(path: &'p Path, project: &Path) -> &'p Path {
    path.strip_prefix(project).unwrap_or(path)
}

/// `raw` resolved in each possible working directory; `None` entries are
/// locations that cannot be known statically.
fn resolve_in(raw: &str, cwds: &Cwds, ctx: &ClassifyContext) -> Vec<Option<PathBuf>> {
    let absolute = raw.starts_with('/')
        || raw.starts_with('~')
        || raw.starts_with("$HOME")
        || raw.starts_with("${HOME}");
    if absolute {
        return vec![resolve(raw, ctx.cwd, ctx.home)];
    }
    let mut out: Vec<Option<PathBuf>> = cwds
        .list
        .iter()
        .map(|dir| resolve(raw, dir, ctx.home))
        .collect();
    if cwds.unknown {
        out.push(None);
    }
    out
}
