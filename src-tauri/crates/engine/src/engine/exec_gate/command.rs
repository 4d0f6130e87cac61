//! The command a program's exec stands for, as the policy reads it: a
//! shell's `-c` script whole, any other program's words quoted back into
//! one command line.

use std::path::Path;

use super::SHELLS;

/// The script of `sh [options] -c SCRIPT [name args…]`, if that is the shape.
pub(super) fn shell_script(args: &[String]) -> Option<&str> {
    let mut has_c = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" || a == "-" {
            i += 1;
            break;
        }
        if a.starts_with("--") {
            i += 1;
            continue;
        }
        if a.len() > 1 && (a.starts_with('-') || a.starts_with('+')) {
            let flags = &a[1..];
            if a.starts_with('-') && flags.contains('c') {
                has_c = true;
            }
            // `-o option` and `-O shopt` take the next word.
            if flags.contains('o') || flags.contains('O') {
                i += 1;
            }
            i += 1;
            continue;
        }
        break;
    }
    if has_c {
        args.get(i).map(String::as_str)
    } else {
        None
    }
}

pub(super) fn join(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word as a shell would read it back.
pub(super) fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

pub(super) fn short(command: &str) -> String {
    let mut s: String = command.chars().take(120).collect();
    if s.len() < command.len() {
        s.push('…');
    }
    s
}

/// Whether `program` is a shell (or `env`, which launchers use to find one).
pub(super) fn is_shell(program: &Path) -> bool {
    program
        .file_name()
        .is_some_and(|n| SHELLS.iter().any(|s| n == *s) || n == "env")
}

/// Whether `program` is a `#!` script run by a shell (`#!/usr/bin/env
/// bash`, `#!/bin/sh`): a launcher such as a pyenv shim.
pub(in crate::engine) fn shell_script_file(program: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 128];
    let Ok(n) = std::fs::File::open(program).and_then(|mut f| f.read(&mut head)) else {
        return false;
    };
    let Some(line) = head[..n].strip_prefix(b"#!") else {
        return false;
    };
    let line = String::from_utf8_lossy(line);
    let mut words = line.lines().next().unwrap_or("").split_whitespace();
    let mut interpreter = words.next().unwrap_or("");
    if interpreter.ends_with("/env") {
        interpreter = words.find(|w| !w.starts_with('-')).unwrap_or("");
    }
    is_shell(Path::new(interpreter)) && !interpreter.ends_with("env")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn shell_scripts_are_found_behind_any_option_cluster() {
        assert_eq!(shell_script(&v(&["-c", "ls"])), Some("ls"));
        assert_eq!(shell_script(&v(&["-lc", "npm test"])), Some("npm test"));
        assert_eq!(shell_script(&v(&["-c", "-l", "rm x"])), Some("rm x"));
        assert_eq!(
            shell_script(&v(&["-o", "pipefail", "-c", "a | b"])),
            Some("a | b")
        );
        assert_eq!(
            shell_script(&v(&["--login", "-c", "x", "name", "arg"])),
            Some("x")
        );
        assert_eq!(shell_script(&v(&["script.sh"])), None);
        assert_eq!(shell_script(&v(&[])), None);
        assert_eq!(shell_script(&v(&["+c", "x"])), None);
    }

    #[test]
    fn words_are_quoted_so_the_classifier_reads_them_back() {
        assert_eq!(join("rm", &v(&["-rf", "build"])), "rm -rf build");
        assert_eq!(
            join("echo", &v(&["a b", "it's", ""])),
            r"echo 'a b' 'it'\''s' ''"
        );
        let parts =
            airlock_policy::split_command(&join("echo", &v(&["a; rm -rf /"]))).expect("parse");
        assert_eq!(parts.len(), 1, "a quoted word stays one word");
    }
}
