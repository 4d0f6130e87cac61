//! git: which subcommands reach a remote, rewrite history or discard
//! uncommitted work, which only read, and which `-c` settings leave git
//! unable to run a program.

use super::words::{has_flag, has_opt, positionals, Word};
use super::{Assessment, RiskKind};

/// A `git -c key=value` that cannot make git run anything: colours, quoting,
/// identity, and how logs and diffs are shown.
fn harmless_git_config(setting: &str) -> bool {
    let (key, value) = setting.split_once('=').unwrap_or((setting, ""));
    let key = key.to_ascii_lowercase();
    // Settings that switch a program off, as agents pass them to run git
    // safely (Claude Code: `-c core.hooksPath=/dev/null -c core.fsmonitor=`).
    let off = match key.as_str() {
        "core.fsmonitor" => matches!(value, "" | "false"),
        "core.hookspath" => value == "/dev/null",
        "core.pager" => matches!(value, "" | "cat"),
        "core.askpass" => value.is_empty(),
        "protocol.ext.allow" => value == "never",
        "submodule.recurse" | "maintenance.auto" | "diff.autorefreshindex" => value == "false",
        "gc.auto" => value == "0",
        "safe.barerepository" => value == "explicit",
        // Runs only while serving a pack to a fetch or push from a
        // repository with alternates: never for a read-only subcommand.
        "core.alternaterefscommand" => true,
        _ => key.starts_with("hook.") && key.ends_with(".enabled") && value == "false",
    };
    off || key.starts_with("color.")
        || key.starts_with("format.")
        || key.starts_with("advice.")
        || matches!(
            key.as_str(),
            "core.quotepath"
                | "core.abbrev"
                | "user.name"
                | "user.email"
                | "log.showsignature"
                | "log.decorate"
                | "diff.noprefix"
                | "diff.renames"
                | "diff.mnemonicprefix"
                | "init.defaultbranch"
                | "safe.directory"
                | "column.ui"
        )
}

/// The rules for `git`. Adds risks to `a` and returns whether the command
/// only reads.
pub(super) fn classify(args: &[Word], label: &str, a: &mut Assessment) -> bool {
    let (at, runs) = global_options(args);
    if let Some(setting) = &runs {
        a.risk(
            RiskKind::Exec,
            format!("`{label}` sets `{setting}` for git, which can make it run a program"),
        );
    }
    let Some(sub) = args.get(at).map(|w| w.text) else {
        return true; // `git --version`, `git --help`
    };
    let read_only = subcommand(sub, &args[at + 1..], label, a);
    // A dry-run `git clean` stays read-only even under such a setting (its
    // `Exec` risk still makes the command ask).
    read_only && (runs.is_none() || sub == "clean")
}

/// Global options before the subcommand: where the subcommand starts, and
/// the first setting that can make git run a program.
///
/// A configuration set on the command line can make any subcommand run a
/// program (`-c core.fsmonitor=CMD status`, a pager, an alias, a diff
/// driver), so only settings known to run nothing leave a command read-only.
fn global_options(args: &[Word]) -> (usize, Option<String>) {
    let mut i = 0;
    let mut runs = None;
    while i < args.len() {
        match args[i].text {
            "-c" => {
                let key = args.get(i + 1).map_or("", |w| w.text);
                if !harmless_git_config(key) {
                    runs = Some(key.split('=').next().unwrap_or(key).to_string());
                }
                i += 2;
            }
            "--config-env" | "--exec-path" => {
                runs = Some(args[i].text.to_string());
                i += 2;
            }
            t if t.starts_with("--config-env=") || t.starts_with("--exec-path=") => {
                runs = Some(t.split('=').next().unwrap_or(t).to_string());
                i += 1;
            }
            "-C" | "--git-dir" | "--work-tree" | "--namespace" => i += 2,
            t if t.starts_with('-') => i += 1,
            _ => break,
        }
    }
    (i, runs)
}

/// Subcommands that only read, unless told to write their output to a file.
#[rustfmt::skip]
const READ_ONLY_SUBCOMMANDS: &[&str] = &[
    "status", "log", "diff", "show", "blame", "annotate", "rev-parse", "ls-files", "ls-tree",
    "cat-file", "describe", "shortlog", "grep", "rev-list", "merge-base", "name-rev", "show-ref",
    "for-each-ref", "count-objects", "check-ignore", "check-attr", "var", "version", "help",
    "whatchanged", "cherry", "range-diff", "show-branch", "verify-commit", "verify-tag", "fsck",
];

/// The rules for one subcommand; `rest` is what follows it.
fn subcommand(sub: &str, rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    match sub {
        "push" | "pull" | "fetch" | "clone" | "ls-remote" | "remote" | "submodule" => {
            remote(sub, rest, label, a)
        }
        "reset" | "rebase" | "filter-branch" | "filter-repo" | "replace" | "update-ref"
        | "commit" | "reflog" | "branch" | "tag" => history(sub, rest, label, a),
        "clean" | "checkout" | "restore" | "switch" | "stash" | "rm" => {
            discard(sub, rest, label, a)
        }
        "config" => config(rest, label, a),
        "worktree" => positionals(rest).first().map(|w| w.text) == Some("list"),
        s if READ_ONLY_SUBCOMMANDS.contains(&s) => {
            !rest.iter().any(|w| w.text.starts_with("--output"))
        }
        _ => false,
    }
}

/// Subcommands that talk to a remote.
fn remote(sub: &str, rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let first = positionals(rest).first().map(|w| w.text);
    match sub {
        "push" => push(rest, label, a),
        "pull" | "fetch" | "clone" => {
            a.risk(Network, format!("`{label}` talks to a remote"));
            false
        }
        // Lists a remote's refs and writes nothing.
        "ls-remote" => {
            a.risk(Network, format!("`{label}` talks to a remote"));
            true
        }
        "remote" => {
            if matches!(first, Some("update" | "prune")) {
                a.risk(Network, format!("`{label}` talks to a remote"));
            }
            matches!(first, None | Some("get-url"))
        }
        "submodule" => {
            if matches!(first, Some("update" | "add" | "sync" | "foreach")) {
                a.risk(Network, format!("`{label}` fetches submodules"));
            }
            first == Some("status")
        }
        _ => false,
    }
}

/// `git push`: always the network; force, mirror and delete on top.
fn push(rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let pos = positionals(rest);
    let flag = |f: &[&str]| has_flag(rest, f);
    a.risk(Network, format!("`{label}` sends commits to a remote"));
    let force_refspec = pos.iter().any(|w| w.text.starts_with('+'));
    if has_opt(rest, 'f', "--force")
        || flag(&["--force-with-lease", "--force-if-includes"])
        || rest
            .iter()
            .any(|w| w.text.starts_with("--force-with-lease="))
        || force_refspec
    {
        a.risk(
            ForcePush,
            format!("`{label}` force-pushes, overwriting the remote branch"),
        );
    }
    if flag(&["--mirror"]) {
        a.risk(
            HistoryRewrite,
            format!("`{label}` mirrors every ref, overwriting the remote's history"),
        );
    }
    if has_opt(rest, 'd', "--delete") || pos.iter().any(|w| w.text.starts_with(':')) {
        a.risk(Delete, format!("`{label}` deletes a remote branch or tag"));
    }
    false
}

/// Subcommands that move branches, rewrite commits or drop refs.
fn history(sub: &str, rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let pos = positionals(rest);
    let first = pos.first().map(|w| w.text);
    let flag = |f: &[&str]| has_flag(rest, f);
    match sub {
        "reset" => {
            if flag(&["--hard", "--keep", "--merge"]) {
                a.risk(
                    HistoryRewrite,
                    format!("`{label}` moves the branch and discards uncommitted changes"),
                );
            }
            false
        }
        "rebase" => {
            if !flag(&["--abort", "--show-current-patch"]) {
                a.risk(HistoryRewrite, format!("`{label}` rewrites commits"));
            }
            false
        }
        "filter-branch" | "filter-repo" | "replace" | "update-ref" => {
            a.risk(
                HistoryRewrite,
                format!("`{label}` rewrites history or refs"),
            );
            false
        }
        "commit" => {
            if flag(&["--amend"]) {
                a.risk(
                    HistoryRewrite,
                    format!("`{label}` rewrites the last commit"),
                );
            }
            false
        }
        "reflog" => {
            if matches!(first, Some("expire" | "delete")) {
                a.risk(
                    HistoryRewrite,
                    format!("`{label}` drops reflog entries, the safety net for lost commits"),
                );
                return false;
            }
            true
        }
        "branch" => branch(rest, label, a),
        "tag" => {
            if has_opt(rest, 'd', "--delete") {
                a.risk(Delete, format!("`{label}` deletes a tag"));
                return false;
            }
            if has_opt(rest, 'f', "--force") {
                a.risk(HistoryRewrite, format!("`{label}` moves an existing tag"));
                return false;
            }
            pos.is_empty() || flag(&["-l", "--list"])
        }
        _ => false,
    }
}

/// `git branch`: read-only when it only lists; forcing is a rewrite.
fn branch(rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    let pos = positionals(rest);
    let flag = |f: &[&str]| has_flag(rest, f);
    let force_delete =
        flag(&["-D"]) || (has_opt(rest, 'd', "--delete") && has_opt(rest, 'f', "--force"));
    if force_delete || flag(&["-M", "-C"]) || has_opt(rest, 'f', "--force") {
        a.risk(
            RiskKind::HistoryRewrite,
            format!("`{label}` force-deletes or overwrites a branch"),
        );
        return false;
    }
    let listing = [
        "-a",
        "-r",
        "-v",
        "-vv",
        "-l",
        "--list",
        "--all",
        "--remotes",
        "--verbose",
        "--show-current",
        "--merged",
        "--no-merged",
        "--contains",
        "--no-color",
        "--color",
    ];
    let only_listing = rest.iter().all(|w| {
        listing.contains(&w.text) || w.text.starts_with("--sort") || w.text.starts_with("--format")
    });
    (pos.is_empty() && only_listing) || flag(&["--list", "-l", "--show-current"])
}

/// Subcommands that can throw away uncommitted work or stashes.
fn discard(sub: &str, rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let first = positionals(rest).first().map(|w| w.text);
    let flag = |f: &[&str]| has_flag(rest, f);
    match sub {
        "clean" => {
            if has_opt(rest, 'n', "--dry-run") {
                return true;
            }
            a.risk(Delete, format!("`{label}` deletes untracked files"));
            false
        }
        "checkout" => {
            if has_opt(rest, 'f', "--force")
                || rest.iter().any(|w| w.text == "--")
                || first == Some(".")
            {
                a.risk(Delete, format!("`{label}` discards uncommitted changes"));
            }
            false
        }
        "restore" => {
            // `--staged` alone only unstages.
            if !flag(&["--staged", "-S"]) || flag(&["--worktree", "-W"]) {
                a.risk(Delete, format!("`{label}` discards uncommitted changes"));
            }
            false
        }
        "switch" => {
            if has_opt(rest, 'f', "--force") || flag(&["--discard-changes"]) {
                a.risk(Delete, format!("`{label}` discards uncommitted changes"));
            }
            if flag(&["-C", "--force-create"]) {
                a.risk(
                    HistoryRewrite,
                    format!("`{label}` resets an existing branch"),
                );
            }
            false
        }
        "stash" => match first {
            Some("drop" | "clear") => {
                a.risk(Delete, format!("`{label}` deletes stashed changes"));
                false
            }
            Some("list" | "show") => true,
            _ => false,
        },
        "rm" => {
            if !flag(&["--cached"]) {
                a.risk(Delete, format!("`{label}` deletes files"));
            }
            false
        }
        _ => false,
    }
}

/// `git config`: reading is read-only; writing the user's or the system's
/// configuration reaches outside the project.
fn config(rest: &[Word], label: &str, a: &mut Assessment) -> bool {
    let pos = positionals(rest);
    let flag = |f: &[&str]| has_flag(rest, f);
    let reading = rest
        .iter()
        .any(|w| w.text.starts_with("--get") || matches!(w.text, "--list" | "-l"))
        || (pos.len() <= 1 && !flag(&["--unset", "--unset-all", "--add", "-e", "--edit"]));
    if !reading && flag(&["--global", "--system"]) {
        a.risk(
            RiskKind::OutsideProject,
            format!("`{label}` changes git configuration outside the project"),
        );
    }
    reading
}
