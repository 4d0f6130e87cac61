//! Shells and language interpreters, and the builtins that run code or show
//! what the shell holds: `sh -c`, `bash -s`, `python -c`, `node -e`,
//! `eval`, `source`, `set`, `printenv`. Shell code given as a string is
//! split and classified in turn ([`shell_string`]); a shell or interpreter
//! that reads its program from stdin is marked for the pipeline check in
//! [`super::assess_all`].

use super::words::{has_opt, option_value, positionals, Word};
use super::{assess_all, Assessment, ClassifyContext, RiskKind, MAX_DEPTH};
use crate::shell::{split_command, SimpleCommand};

const SHELLS: [&str; 9] = [
    "sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "ash",
];
const INTERPRETERS: [&str; 11] = [
    "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "deno", "bun", "lua",
];

/// The rules for a shell, an interpreter or a builtin that runs code or
/// shows variables; `None` for any other program. Adds risks to `a` and
/// returns whether the command only reads.
pub(super) fn classify(
    name: &str,
    args: &[Word],
    label: &str,
    ctx: &ClassifyContext,
    depth: u8,
    a: &mut Assessment,
) -> Option<bool> {
    use RiskKind::*;
    Some(match name {
        "printenv" => {
            a.risk(
                Secrets,
                format!("`{label}` prints the environment, which often holds tokens"),
            );
            true
        }
        "set" => {
            if args.is_empty() {
                a.risk(
                    Secrets,
                    format!("`{label}` prints every shell variable, which may hold tokens"),
                );
            }
            true
        }
        "eval" => eval(args, label, ctx, depth, a),
        "source" | "." => {
            a.exec_sink = true;
            false
        }
        n if SHELLS.contains(&n) => shell(args, label, ctx, depth, a),
        n if INTERPRETERS.contains(&n) || n.starts_with("python3.") => {
            interpreter(n, args, label, a)
        }
        _ => return None,
    })
}

/// `eval`: its words joined are shell code.
fn eval(args: &[Word], label: &str, ctx: &ClassifyContext, depth: u8, a: &mut Assessment) -> bool {
    a.exec_sink = true;
    let code: Vec<&str> = args.iter().map(|w| w.text).collect();
    let joined = code.join(" ");
    let dynamic = args.iter().any(|w| w.dynamic);
    shell_string(
        Word {
            text: &joined,
            dynamic,
        },
        label,
        ctx,
        depth,
        a,
    );
    false
}

/// A shell: the code of `-c` is classified; with no script, or with `-s`,
/// it reads its program from stdin.
fn shell(args: &[Word], label: &str, ctx: &ClassifyContext, depth: u8, a: &mut Assessment) -> bool {
    a.exec_sink = true;
    if let Some(code) = option_value(args, &["-c"]).or_else(|| {
        // `bash -lc '…'`, `sh -ec '…'`: a cluster ending in c.
        args.iter()
            .position(|w| {
                w.text.starts_with('-') && !w.text.starts_with("--") && w.text.ends_with('c')
            })
            .and_then(|i| args.get(i + 1).copied())
    }) {
        shell_string(code, label, ctx, depth, a);
        return a.read_only;
    }
    let script = positionals(args).into_iter().next();
    if has_opt(args, 's', "-s") || script.is_none_or(|s| s.text == "-" || s.text == "/dev/stdin") {
        a.stdin_exec = true;
    }
    false
}

/// A language interpreter: inline code cannot be checked; `-m pip install`
/// installs; with no script it reads its program from stdin.
fn interpreter(n: &str, args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    a.exec_sink = true;
    let inline: &[&str] = match n {
        "perl" => &["-e", "-E"],
        "ruby" | "lua" => &["-e"],
        "node" | "nodejs" | "bun" => &["-e", "-p", "--eval", "--print"],
        "php" => &["-r"],
        "deno" => &["eval"],
        _ => &["-c"],
    };
    // Only options before the script or module count.
    let before_program = args
        .iter()
        .take_while(|w| (w.text.starts_with('-') && w.text != "-m") || w.text == "eval");
    if before_program.into_iter().any(|w| inline.contains(&w.text)) {
        a.risk(
            Exec,
            format!("`{label}` runs inline {n} code the classifier cannot check"),
        );
        return false;
    }
    if let Some(module) = option_value(args, &["-m"]) {
        if module.text == "pip" {
            let rest: Vec<&str> = args.iter().map(|w| w.text).collect();
            if rest.contains(&"install") {
                a.risk(PackageInstall, format!("`{label}` installs packages"));
            }
        }
        return false;
    }
    let script = positionals(args).into_iter().next();
    if script.is_none_or(|s| s.text == "-") {
        a.stdin_exec = true;
    }
    false
}

/// Runs the code in `code` (from `sh -c`, `eval`, `su -c`) through the
/// splitter and classifier.
pub(super) fn shell_string(
    code: Word,
    label: &str,
    ctx: &ClassifyContext,
    depth: u8,
    a: &mut Assessment,
) {
    if code.dynamic || depth >= MAX_DEPTH {
        a.read_only = false;
        a.risk(
            RiskKind::Exec,
            format!("`{label}` runs shell code that is only known at run time"),
        );
        return;
    }
    let cmds = match split_command(code.text) {
        Ok(cmds) => cmds,
        Err(_) => vec![SimpleCommand::unparsed(code.text)],
    };
    for inner in assess_all(&cmds, ctx, depth + 1) {
        a.absorb(inner);
    }
}
