//! Wrappers: programs that run another command, looked through so that the
//! command they run is judged — `sudo`, `su -c`, `env`, `nice`, `timeout`,
//! `xargs`, `bwrap`, `command`, … Running as another user is a risk of its
//! own ([`RiskKind::Sudo`]).

use super::interpreters::shell_string;
use super::words::{basename, option_value, skip_options, Word};
use super::{Assessment, ClassifyContext, RiskKind};

/// The options of `sudo` and its relatives that take a value.
const SUDO_OPTIONS: [&str; 11] = [
    "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user",
];

/// The options of `xargs` that take a value.
const XARGS_OPTIONS: [&str; 13] = [
    "-n",
    "-L",
    "-P",
    "-s",
    "-d",
    "-E",
    "-I",
    "-a",
    "--max-args",
    "--max-procs",
    "--delimiter",
    "--arg-file",
    "--max-lines",
];

/// Looks through `sudo`, `env`, `time`, … and returns the command they run.
pub(super) fn unwrap_wrappers<'w>(
    mut words: &'w [Word<'w>],
    label: &str,
    ctx: &ClassifyContext,
    depth: u8,
    a: &mut Assessment,
) -> &'w [Word<'w>] {
    loop {
        let Some(first) = words.first() else {
            return words;
        };
        if first.dynamic {
            return words;
        }
        let name = basename(first.text);
        let rest = &words[1..];
        words = match name {
            "sudo" | "doas" | "pkexec" | "run0" => sudo(name, rest, label, a),
            "su" => {
                su(rest, label, ctx, depth, a);
                return &[];
            }
            "env" => env(rest, label, a),
            "nice" => skip_options(rest, &["-n", "--adjustment"]),
            "ionice" => skip_options(rest, &["-c", "-n", "-p", "--class", "--classdata"]),
            "stdbuf" => skip_options(rest, &["-i", "-o", "-e"]),
            "timeout" => {
                let inner = skip_options(rest, &["-s", "--signal", "-k", "--kill-after"]);
                inner.get(1..).unwrap_or(&[])
            }
            "watch" => skip_options(rest, &["-n", "--interval", "-d"]),
            // bubblewrap only takes rights away (agents probe it, Codex runs
            // its commands in it): what it runs is judged.
            "bwrap" => bwrap_inner(rest),
            "nohup" | "time" | "builtin" | "exec" | "setsid" | "unbuffer" | "chronic" => {
                skip_options(rest, &[])
            }
            "command" => {
                if rest
                    .first()
                    .is_some_and(|w| w.text == "-v" || w.text == "-V")
                {
                    return &[];
                }
                skip_options(rest, &[])
            }
            "xargs" => skip_options(rest, &XARGS_OPTIONS),
            _ => return words,
        };
    }
}

/// `sudo`, `doas`, `pkexec`, `run0`: administrator rights, then the command.
fn sudo<'w>(name: &str, rest: &'w [Word<'w>], label: &str, a: &mut Assessment) -> &'w [Word<'w>] {
    a.risk(
        RiskKind::Sudo,
        format!("`{label}` runs with administrator rights ({name})"),
    );
    let inner = skip_options(rest, &SUDO_OPTIONS);
    if inner.is_empty() {
        a.read_only = false;
    }
    inner
}

/// `su`: another user, and the shell code of `-c` classified in turn.
fn su(rest: &[Word], label: &str, ctx: &ClassifyContext, depth: u8, a: &mut Assessment) {
    a.risk(
        RiskKind::Sudo,
        format!("`{label}` runs as another user (su)"),
    );
    a.read_only = false;
    if let Some(code) = option_value(rest, &["-c", "--command"]) {
        shell_string(code, label, ctx, depth, a);
    }
}

/// `env`: its options and `NAME=value` assignments skipped; alone, it
/// prints the environment.
fn env<'w>(rest: &'w [Word<'w>], label: &str, a: &mut Assessment) -> &'w [Word<'w>] {
    let mut inner = skip_options(rest, &["-u", "--unset", "-C", "--chdir", "-S"]);
    while inner
        .first()
        .is_some_and(|w| w.text.contains('=') && !w.text.starts_with('='))
    {
        inner = &inner[1..];
    }
    if inner.is_empty() {
        a.risk(
            RiskKind::Secrets,
            format!("`{label}` prints the environment, which often holds tokens"),
        );
    }
    inner
}

/// What bubblewrap runs: its options skipped with their one or two values.
fn bwrap_inner<'w>(mut words: &'w [Word<'w>]) -> &'w [Word<'w>] {
    const TWO: [&str; 12] = [
        "--bind",
        "--bind-try",
        "--ro-bind",
        "--ro-bind-try",
        "--dev-bind",
        "--dev-bind-try",
        "--symlink",
        "--setenv",
        "--file",
        "--bind-data",
        "--ro-bind-data",
        "--chmod",
    ];
    const ONE: [&str; 30] = [
        "--proc",
        "--dev",
        "--tmpfs",
        "--mqueue",
        "--dir",
        "--chdir",
        "--unsetenv",
        "--seccomp",
        "--add-seccomp-fd",
        "--args",
        "--uid",
        "--gid",
        "--hostname",
        "--perms",
        "--size",
        "--remount-ro",
        "--lock-file",
        "--sync-fd",
        "--block-fd",
        "--userns-block-fd",
        "--info-fd",
        "--json-status-fd",
        "--cap-add",
        "--cap-drop",
        "--exec-label",
        "--file-label",
        "--argv0",
        "--userns",
        "--userns2",
        "--pidns",
    ];
    while let Some(w) = words.first() {
        if w.text == "--" {
            return &words[1..];
        }
        if !w.text.starts_with("--") {
            break;
        }
        let n = if TWO.contains(&w.text) {
            3
        } else if ONE.contains(&w.text) {
            2
        } else {
            1
        };
        words = &words[n.min(words.len())..];
    }
    words
}
