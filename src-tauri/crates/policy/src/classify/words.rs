//! The words of a command as the classifier sees them, and the helpers that
//! read options and arguments out of them.

#[derive(Debug, Clone, Copy)]
pub(crate) struct Word<'w> {
    pub(crate) text: &'w str,
    pub(crate) dynamic: bool,
}

/// The command's text on one line, cut to 60 characters, for the risks'
/// sentences.
pub(super) fn short(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 60 {
        one_line
    } else {
        let cut: String = one_line.chars().take(57).collect();
        format!("{cut}…")
    }
}

/// The program name without its directory (`/usr/bin/rm` is `rm`).
pub(super) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Skips leading options (`-x`, `--flag`, `--key=value`, and the listed
/// options' separate values) and a `--`.
pub(super) fn skip_options<'w>(mut words: &'w [Word<'w>], with_value: &[&str]) -> &'w [Word<'w>] {
    while let Some(w) = words.first() {
        if w.text == "--" {
            return &words[1..];
        }
        if !w.text.starts_with('-') || w.text == "-" {
            break;
        }
        let takes_value = with_value.contains(&w.text);
        words = &words[if takes_value { 2.min(words.len()) } else { 1 }..];
    }
    words
}

/// The value of `-c VALUE` (or `--command=VALUE`) among `words`.
pub(crate) fn option_value<'w>(words: &'w [Word<'w>], names: &[&str]) -> Option<Word<'w>> {
    for (i, w) in words.iter().enumerate() {
        if names.contains(&w.text) {
            return words.get(i + 1).copied();
        }
        for n in names {
            if let Some(v) = w.text.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
                return Some(Word {
                    text: v,
                    dynamic: w.dynamic,
                });
            }
        }
    }
    None
}

pub(crate) fn has_flag(args: &[Word], flags: &[&str]) -> bool {
    args.iter().any(|w| {
        flags.contains(&w.text)
            || flags
                .iter()
                .any(|f| f.starts_with("--") && w.text.starts_with(&format!("{f}=")))
    })
}

/// Whether a short-option cluster (`-rf`) or a long option names `short`/`long`.
pub(super) fn has_opt(args: &[Word], short: char, long: &str) -> bool {
    args.iter().any(|w| {
        let t = w.text;
        t == long
            || (t.starts_with('-')
                && !t.starts_with("--")
                && t.len() > 1
                && t[1..].chars().all(|c| c.is_ascii_alphanumeric())
                && t[1..].contains(short))
    })
}

pub(crate) fn positionals<'w>(args: &'w [Word<'w>]) -> Vec<Word<'w>> {
    let mut out = Vec::new();
    let mut after_dashes = false;
    for w in args {
        if !after_dashes && w.text == "--" {
            after_dashes = true;
            continue;
        }
        if after_dashes || !w.text.starts_with('-') || w.text == "-" {
            out.push(*w);
        }
    }
    out
}
