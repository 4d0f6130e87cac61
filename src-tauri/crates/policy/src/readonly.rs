//! The programs the policy lets through as read-only, checked for the
//! options and scripts with which they run other programs or write files:
//! `sed` with its `e` and `w` commands, `xxd -r` (or any `xxd` given an
//! output file), `fd -x`, `rg --pre`, `tree -o`, `ag`/`bat`/`man` with a
//! pager of their choosing, `file -C`, `date -s`, `history -w`, `less` with
//! a `+` command. Each program here has a table test in this file.

use crate::classify::{has_flag, option_value, positionals, Assessment, RiskKind, Word};

/// Whether `name` with `args` only reads, for a program on the read-only
/// list or one of its near relatives; `None` for a program this file does
/// not know. An option that runs a program adds an [`RiskKind::Exec`] risk.
pub(crate) fn check(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> Option<bool> {
    let exec = |a: &mut Assessment, what: &str| {
        a.risk(RiskKind::Exec, format!("`{label}` {what}"));
        false
    };
    Some(match name {
        "sed" => sed(args, label, a),
        // `xxd [opts] [in [out]]` writes `out`; `-r` turns a dump back into bytes.
        "xxd" => positionals(args).len() <= 1,
        "fd" | "fdfind" => {
            if has_flag(args, &["-x", "--exec", "-X", "--exec-batch"]) {
                exec(a, "runs a command for every file it finds")
            } else {
                true
            }
        }
        "rg" => {
            if option_value(args, &["--pre"]).is_some() {
                exec(a, "runs a preprocessor program on every file it searches")
            } else {
                true
            }
        }
        "ag" | "bat" | "batcat" => {
            if option_value(args, &["--pager"]).is_some() {
                exec(a, "runs the pager program it is given")
            } else {
                true
            }
        }
        "man" => {
            if option_value(args, &["-P", "--pager", "-H", "--html"]).is_some() {
                exec(a, "runs the pager or browser program it is given")
            } else {
                true
            }
        }
        "less" | "more" => {
            // `less +!cmd` runs a shell command as its first command.
            if args.iter().any(|w| w.text.starts_with('+')) {
                exec(a, "runs the command given with +")
            } else {
                true
            }
        }
        "tree" => !has_flag(args, &["-o"]) && !args.iter().any(|w| w.text.starts_with("-o")),
        "file" => !has_flag(args, &["-C", "--compile"]),
        "date" => {
            !has_flag(args, &["-s", "--set"]) && !args.iter().any(|w| w.text.starts_with("-s"))
        }
        "hostname" => positionals(args).is_empty() && !has_flag(args, &["-F", "--file", "-b"]),
        "awk" | "gawk" | "mawk" | "nawk" => awk(args, label, a),
        // Hardware probes that agents' system-information libraries run at
        // start (Gemini CLI through `systeminformation`): read-only as queries.
        "clinfo" => true,
        "xrandr" => args.iter().all(|w| {
            matches!(
                w.text,
                "-q" | "--query"
                    | "--verbose"
                    | "--current"
                    | "--listmonitors"
                    | "--listproviders"
                    | "--prop"
            )
        }),
        "nvidia-smi" => args.iter().all(|w| {
            w.text.starts_with("--query")
                || w.text.starts_with("--format")
                || matches!(w.text, "-q" | "-L" | "--list-gpus" | "-x" | "--xml-format")
        }),
        "history" => !args.iter().any(|w| {
            w.text.starts_with('-') && w.text[1..].contains(['c', 'd', 'w', 'a', 'n', 'r', 's'])
        }),
        _ => return None,
    })
}

/// awk runs programs: read-only when its program can neither start a
/// command (`system`, `| getline`, `print | "cmd"`) nor write a file
/// (`print > f`), and comes on the command line, not from a file.
fn awk(args: &[Word], label: &str, a: &mut Assessment) -> bool {
    let program = positionals(args).first().map(|w| w.text).unwrap_or("");
    let risky = [
        "system", "getline", ">", "|", "@load", "@include", "ENVIRON",
    ];
    let what = if has_flag(
        args,
        &[
            "-f",
            "--file",
            "-i",
            "--include",
            "-l",
            "--load",
            "-E",
            "--exec",
        ],
    ) {
        "runs an awk program from a file or loads an extension"
    } else if risky.iter().any(|r| program.contains(r)) {
        "runs an awk program that can start commands or write files"
    } else {
        return true;
    };
    a.risk(RiskKind::Exec, format!("`{label}` {what}"));
    false
}

/// `sed` only reads unless it edits in place (`-i`), reads its script from
/// a file it cannot check (`-f`), or its script writes (`w`, `W`, the `w`
/// flag of `s`) or runs a command (`e`, the `e` flag of `s`).
fn sed(args: &[Word], label: &str, a: &mut Assessment) -> bool {
    if has_flag(args, &["-i", "--in-place"])
        || args
            .iter()
            .any(|w| w.text.starts_with("-i") || w.text.starts_with("--in-place"))
    {
        return false;
    }
    if has_flag(args, &["-f", "--file"]) {
        a.risk(
            RiskKind::Exec,
            format!("`{label}` runs a sed script from a file the classifier cannot check"),
        );
        return false;
    }
    let mut scripts: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text;
        if t == "-e" || t == "--expression" {
            if let Some(s) = args.get(i + 1) {
                scripts.push(s.text);
            }
            i += 2;
            continue;
        }
        if let Some(s) = t.strip_prefix("--expression=") {
            scripts.push(s);
        } else if let Some(s) = t.strip_prefix("-e").filter(|s| !s.is_empty()) {
            scripts.push(s);
        }
        i += 1;
    }
    if scripts.is_empty() {
        if let Some(first) = positionals(args).first() {
            scripts.push(first.text);
        }
    }
    if args.iter().any(|w| w.dynamic) {
        return false;
    }
    match scripts
        .iter()
        .map(|s| sed_script(s))
        .find(|r| *r != SedScript::Reads)
    {
        None => true,
        Some(SedScript::Runs) => {
            a.risk(
                RiskKind::Exec,
                format!("`{label}` runs a command from its sed script (`e`)"),
            );
            false
        }
        Some(_) => false,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum SedScript {
    Reads,
    Writes,
    Runs,
    /// Not understood: treated as writing.
    Unknown,
}

/// What a sed script does, command by command: addresses are skipped, `s`
/// and `y` bodies are skipped by their delimiters, and text arguments
/// (`a`, `i`, `c`, labels, file names of `r`) run to the end of the line.
fn sed_script(script: &str) -> SedScript {
    let mut s = Script {
        b: script.chars().collect(),
        i: 0,
    };
    let mut worst = SedScript::Reads;
    while s.i < s.b.len() {
        let c = s.b[s.i];
        // Separators, spaces, addresses and negation.
        if c.is_whitespace()
            || c == ';'
            || c == '}'
            || c == '!'
            || c == ','
            || c == '$'
            || c == '{'
            || c.is_ascii_digit()
            || c == '~'
            || c == '+'
        {
            s.i += 1;
            continue;
        }
        if c == '/' || c == '\\' {
            if !s.regex_address(c) {
                return SedScript::Unknown;
            }
            continue;
        }
        s.i += 1;
        match s.command(c) {
            SedScript::Reads => {}
            SedScript::Writes => worst = SedScript::Writes,
            runs_or_unknown => return runs_or_unknown,
        }
    }
    worst
}

/// A sed script being read, and where the reading is.
struct Script {
    b: Vec<char>,
    i: usize,
}

impl Script {
    /// Skips a delimited part (`/re/`, a body of `s`), honouring
    /// backslashes; `false` if the closing delimiter never comes.
    fn delimited(&mut self, d: char) -> bool {
        while self.i < self.b.len() {
            match self.b[self.i] {
                '\\' => self.i += 2,
                c if c == d => {
                    self.i += 1;
                    return true;
                }
                _ => self.i += 1,
            }
        }
        false
    }

    fn skip_to_eol(&mut self) {
        while self.i < self.b.len() && self.b[self.i] != '\n' {
            self.i += 1;
        }
    }

    /// Skips a regex address, `/re/` or `\cREc` (`c` is the `/` or `\` it
    /// starts with), and its flags; `false` if it is not closed.
    fn regex_address(&mut self, c: char) -> bool {
        let d = if c == '\\' {
            self.i += 1;
            match self.b.get(self.i) {
                Some(d) => *d,
                None => return false,
            }
        } else {
            '/'
        };
        self.i += 1;
        if !self.delimited(d) {
            return false;
        }
        // Address flags `I` and `M`.
        while self.i < self.b.len() && matches!(self.b[self.i], 'I' | 'M') {
            self.i += 1;
        }
        true
    }

    /// What the command `c` does; reads its arguments, if any.
    fn command(&mut self, c: char) -> SedScript {
        match c {
            's' | 'y' => {
                let Some(&d) = self.b.get(self.i) else {
                    return SedScript::Unknown;
                };
                self.i += 1;
                if !self.delimited(d) || !self.delimited(d) {
                    return SedScript::Unknown;
                }
                if c == 's' {
                    return self.substitute_flags();
                }
            }
            'e' => return SedScript::Runs,
            'w' | 'W' => {
                self.skip_to_eol();
                return SedScript::Writes;
            }
            'a' | 'i' | 'c' | 'r' | 'R' | 'b' | 't' | 'T' | ':' => self.skip_to_eol(),
            'p' | 'P' | 'd' | 'D' | 'n' | 'N' | 'g' | 'G' | 'h' | 'H' | 'x' | 'l' | '=' | 'q'
            | 'Q' | 'z' | 'F' => {}
            _ => return SedScript::Unknown,
        }
        SedScript::Reads
    }

    /// The flags after `s/re/text/`: `e` runs the result, `w FILE` writes.
    fn substitute_flags(&mut self) -> SedScript {
        while self.i < self.b.len() && !matches!(self.b[self.i], ';' | '\n' | '}') {
            match self.b[self.i] {
                'e' => return SedScript::Runs,
                'w' => {
                    self.skip_to_eol();
                    return SedScript::Writes;
                }
                _ => self.i += 1,
            }
        }
        SedScript::Reads
    }
}

#[cfg(test)]
mod tests {
    use crate::shell::split_command;

    /// `(command, read-only?)` for each program this file checks.
    const TABLE: &[(&str, bool)] = &[
        ("sed -n '1,10p' src/main.rs", true),
        ("sed 's/a/b/g' f.txt", true),
        ("sed -e 's|a|b|' -e '/x/d' f.txt", true),
        ("sed '/start/,/end/{s/a/b/;p}' f.txt", true),
        ("sed 'a\\appended' f.txt", true),
        ("sed '1e touch pwned' f.txt", false),
        ("sed 's/x/touch pwned/e' f.txt", false),
        ("sed 'w out.txt' f.txt", false),
        ("sed -n 's/a/b/w out.txt' f.txt", false),
        ("sed -e p -e 'W out' f.txt", false),
        ("sed -i s/a/b/ f.txt", false),
        ("sed --in-place=.bak s/a/b/ f.txt", false),
        ("sed -f script.sed f.txt", false),
        ("sed 'k' f.txt", false),
        ("awk '{print $1}' f.txt", true),
        ("awk '@include \"x.awk\"; {print}' f.txt", false),
        ("awk 'BEGIN {system(\"touch pwned\")}'", false),
        ("xxd f.bin", true),
        ("xxd -r dump.txt", true),
        ("xxd -r dump.txt src/main.rs", false),
        ("xxd f.bin out.hex", false),
        ("fd -e rs", true),
        ("fd -e rs -x rm", false),
        ("fd . --exec-batch touch", false),
        ("rg foo src", true),
        ("rg --pre ./evil foo", false),
        ("rg --pre=./evil foo", false),
        ("ag --pager ./evil foo", false),
        ("bat --pager=./evil f.txt", false),
        ("man -P ./evil ls", false),
        ("man ls", true),
        ("less +!touch\\ pwned f.txt", false),
        ("tree -L 2", true),
        ("tree -o out.txt", false),
        ("file -C -m magic", false),
        ("file f.bin", true),
        ("date -s 2020-01-01", false),
        ("date +%s", true),
        ("hostname", true),
        ("hostname evil", false),
        ("history 10", true),
        ("history -w ~/.bash_history", false),
        ("git status", true),
        ("git -c color.ui=always log", true),
        ("git -c core.fsmonitor='touch pwned' status", false),
        ("git -c core.hooksPath=/dev/null -c core.fsmonitor= -C /s ls-files x", true),
        ("git -c core.fsmonitor=false status", true),
        ("git -c core.hooksPath=./hooks commit -m x", false),
        ("git -c core.pager=cat log", true),
        ("bwrap --unshare-user --unshare-net --ro-bind / / /bin/true", true),
        ("git ls-remote https://github.com/openai/plugins.git HEAD", true),
        ("clinfo --raw", true),
        ("ssh -T -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=yes git@github.com", true),
        ("ssh -T git@github.com rm -rf x", false),
        ("ssh -T -o ProxyCommand=evil git@github.com", false),
        ("ssh host", false),
        ("xdpyinfo", true),
        ("awk '{ print $5 }' f.txt", true),
        ("awk '$2==\"on\"{print $1}'", true),
        ("awk '{ system(\"rm x\") }'", false),
        ("awk '{ print > \"out\" }'", false),
        ("awk -f prog.awk data", false),
        ("gawk -i inplace '{ print }' f", false),
        ("xrandr --verbose", true),
        ("xrandr --output HDMI-1 --off", false),
        ("nvidia-smi --query-gpu=name,memory.total --format=csv,noheader", true),
        ("nvidia-smi -r", false),
        ("bwrap --bind / / --setenv A b --chdir /x -- rm -rf build", false),
        ("git -c core.askPass= -c protocol.ext.allow=never -c hook.pre-commit.enabled=false -c gc.auto=0 -c format.pretty=medium remote get-url origin", true),
        ("git -c hook.pre-commit.enabled=true status", false),
        ("git -c protocol.ext.allow=always status", false),
        ("git -c core.pager=./evil log", false),
        ("git -c alias.st='!touch pwned' st", false),
        ("git --config-env=core.editor=EVIL status", false),
        ("git --exec-path=/tmp/evil status", false),
    ];

    #[test]
    fn each_read_only_program_is_checked_for_what_writes_or_runs() {
        for (cmd, want) in TABLE {
            let parts = split_command(cmd).expect("parses");
            let got = parts.iter().all(crate::classify::is_read_only);
            assert_eq!(got, *want, "{cmd}");
        }
    }
}
