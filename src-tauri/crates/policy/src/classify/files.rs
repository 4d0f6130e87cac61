//! Programs that delete, overwrite or re-permission files, or write an
//! output file of their own: `rm` and its relatives, `truncate`, `dd`, the
//! disk tools, `find -delete`/`-exec`, `chmod`/`chown`, `sort -o`, `uniq`,
//! `yq -i`.

use super::words::{has_flag, has_opt, positionals, Word};
use super::{analyze, Assessment, ClassifyContext, Cwds, RiskKind, MAX_DEPTH};

/// The rules for a file tool (but `find`, which needs the context: see
/// [`find`]); `None` for any other program. Adds risks to `a` and returns
/// whether the command only reads.
pub(super) fn classify(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> Option<bool> {
    use RiskKind::*;
    Some(match name {
        "rm" | "rmdir" | "unlink" | "shred" | "srm" | "wipe" => {
            let recursive = has_opt(args, 'r', "--recursive") || has_opt(args, 'R', "--recursive");
            let how = if name == "rm" && recursive {
                "deletes files recursively"
            } else {
                "deletes files"
            };
            a.risk(Delete, format!("`{label}` {how}"));
            false
        }
        "truncate" => {
            a.risk(Delete, format!("`{label}` truncates files"));
            false
        }
        "dd" => {
            if args.iter().any(|w| w.text.starts_with("of=")) {
                a.risk(Delete, format!("`{label}` overwrites its output file"));
            }
            false
        }
        n if n.starts_with("mkfs") || matches!(n, "wipefs" | "fdisk" | "parted" | "sfdisk") => {
            a.risk(Delete, format!("`{label}` rewrites a disk or partition"));
            false
        }
        "chmod" | "chown" | "chgrp" => permissions(name, args, label, a),
        "sort" => sort(args, label, a),
        // `uniq in out` writes `out`.
        "uniq" => positionals(args).len() <= 1,
        "yq" => !has_flag(args, &["-i", "--inplace"]),
        _ => return None,
    })
}

/// `chmod`, `chown`, `chgrp`: recursive changes, and modes that open files
/// to everyone or set the setuid/setgid bits.
fn permissions(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let recursive = has_opt(args, 'R', "--recursive");
    let wide = name == "chmod"
        && positionals(args).first().is_some_and(|m| {
            let m = m.text;
            m.ends_with("777")
                || m.ends_with("666")
                || m.contains("+s")
                || m.starts_with("a+w")
                || m.starts_with("o+w")
                || (m.len() == 4 && m.starts_with(['4', '2', '6']))
        });
    if recursive {
        a.risk(
            Permissions,
            format!("`{label}` changes ownership or permissions recursively"),
        );
    }
    if wide {
        a.risk(
            Permissions,
            format!("`{label}` makes files writable by everyone or setuid"),
        );
    }
    false
}

/// `sort -o FILE` (also `-oFILE`, `--output=FILE`) writes a file;
/// `--compress-program=PROG` runs one.
fn sort(args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    if args
        .iter()
        .any(|w| w.text.starts_with("--compress-program"))
    {
        a.risk(
            Exec,
            format!("`{label}` runs the program named by --compress-program"),
        );
        return false;
    }
    !has_flag(args, &["-o", "--output"])
        && !args.iter().any(|w| {
            w.text.starts_with("--output=")
                || (w.text.starts_with("-o") && w.text.len() > 2)
                || (w.text.starts_with('-')
                    && !w.text.starts_with("--")
                    && w.text[1..].contains('o'))
        })
}

/// `find`: `-delete` deletes, `-fprint` and its relatives write a file,
/// and the command of `-exec` or `-ok` is classified in turn.
pub(super) fn find(
    args: &[Word],
    label: &str,
    ctx: &ClassifyContext,
    cwds: &Cwds,
    depth: u8,
    a: &mut Assessment,
) -> bool {
    let mut read_only = true;
    if args.iter().any(|w| w.text == "-delete") {
        a.risk(
            RiskKind::Delete,
            format!("`{label}` deletes the files it finds"),
        );
        read_only = false;
    }
    if args
        .iter()
        .any(|w| matches!(w.text, "-fprint" | "-fprint0" | "-fprintf" | "-fls"))
    {
        read_only = false;
    }
    let mut i = 0;
    while i < args.len() {
        if matches!(args[i].text, "-exec" | "-execdir" | "-ok" | "-okdir") {
            let end = args[i + 1..]
                .iter()
                .position(|w| w.text == ";" || w.text == "+")
                .map_or(args.len(), |p| i + 1 + p);
            let inner = &args[i + 1..end];
            if depth < MAX_DEPTH {
                let mut sub = Assessment {
                    read_only: true,
                    ..Assessment::default()
                };
                analyze(inner, label, ctx, cwds, depth + 1, &mut sub);
                read_only &= sub.read_only;
                a.absorb(sub);
            } else {
                read_only = false;
            }
            i = end;
        }
        i += 1;
    }
    read_only
}
