//! Words for git: a commit message drafted from the sessions and files, a
//! branch name made from a session's name, a pull request's title and body,
//! and commands quoted for a shell.

use airlock_protocol::{CommitSession, FileStatus};

use crate::journal::RecordedCommit;

/// A subject line's most characters.
const SUBJECT: usize = 72;

/// The message offered for committing `sessions`' landings and `files`.
pub fn message(sessions: &[CommitSession], files: &[(String, FileStatus)]) -> String {
    let subject = match sessions {
        [one] => one
            .prompts
            .first()
            .and_then(|p| p.lines().map(str::trim).find(|l| !l.is_empty()))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}: {}", one.name, files_phrase(files))),
        [] => files_phrase(files),
        many => format!(
            "{}: {}",
            many.iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            files_phrase(files)
        ),
    };
    let mut out = shorten(&subject, SUBJECT);
    out.push_str("\n\n");
    for s in sessions {
        out.push_str(&format!("Session {} ({})", s.name, s.id));
        for p in &s.prompts {
            out.push_str("\n  prompt: ");
            out.push_str(&p.trim().replace('\n', "\n    "));
        }
        out.push('\n');
    }
    if !sessions.is_empty() {
        out.push('\n');
    }
    out.push_str("Files:\n");
    for (path, status) in files {
        out.push_str(&format!("  {} {path}\n", status_letter(*status)));
    }
    out.push_str("\nLanded through Airlock.\n");
    out
}

fn status_letter(s: FileStatus) -> char {
    match s {
        FileStatus::Added => 'A',
        FileStatus::Modified => 'M',
        FileStatus::Deleted => 'D',
    }
}

/// "update a.rs", "update a.rs and b.rs", "update 5 files".
fn files_phrase(files: &[(String, FileStatus)]) -> String {
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    match files {
        [] => "no files".into(),
        [(a, _)] => format!("update {}", name(a)),
        [(a, _), (b, _)] => format!("update {} and {}", name(a), name(b)),
        more => format!("update {} files", more.len()),
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// `airlock/<name>`, the session's name made a valid branch name: letters,
/// digits, `.`, `_` and `-` kept, runs of anything else one `-`, no `..`, no
/// leading or trailing `-` or `.`, no `.lock` ending.
pub fn branch_name(session_name: &str) -> String {
    let mut slug = String::new();
    for c in session_name.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let c = if keep { c.to_ascii_lowercase() } else { '-' };
        let last = slug.chars().last();
        if (c == '-' && last == Some('-')) || (c == '.' && last == Some('.')) {
            continue;
        }
        slug.push(c);
    }
    let mut slug = slug.trim_matches(['-', '.']).to_string();
    while let Some(rest) = slug.strip_suffix(".lock") {
        slug = rest.trim_end_matches(['-', '.']).to_string();
    }
    let slug: String = slug.chars().take(60).collect();
    let slug = slug.trim_end_matches(['-', '.']);
    if slug.is_empty() {
        "airlock/session".into()
    } else {
        format!("airlock/{slug}")
    }
}

/// A pull request's title and body for `commits` (newest first): the newest
/// one's subject, then each message's body, the sessions and their prompts.
/// `fallback` (HEAD's subject and body) when Airlock made none of them.
pub fn pull_request(commits: &[RecordedCommit], fallback: (String, String)) -> (String, String) {
    let Some(newest) = commits.first() else {
        return fallback;
    };
    let (title, _) = split_message(&newest.message);
    let mut body = String::new();
    for c in commits.iter().rev() {
        let (subject, rest) = split_message(&c.message);
        if commits.len() > 1 {
            body.push_str(&format!("### {subject}\n\n"));
        }
        let rest = rest.trim();
        if !rest.is_empty() {
            body.push_str(rest);
            body.push_str("\n\n");
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let sessions: Vec<&CommitSession> = commits
        .iter()
        .rev()
        .flat_map(|c| c.sessions.iter())
        .filter(|s| seen.insert(s.id.clone()))
        .collect();
    if !sessions.is_empty() {
        body.push_str("## Sessions\n\n");
        for s in sessions {
            body.push_str(&format!("- **{}** (`{}`)\n", s.name, s.id));
            for p in &s.prompts {
                body.push_str(&format!("  - prompt: {}\n", p.trim().replace('\n', " ")));
            }
        }
    }
    (title, body.trim_end().to_string())
}

/// A message's subject and the rest.
fn split_message(message: &str) -> (String, String) {
    let mut parts = message.splitn(2, '\n');
    let subject = parts.next().unwrap_or_default().trim().to_string();
    (subject, parts.next().unwrap_or_default().to_string())
}

/// `args` as one line a POSIX shell reads back as the same words.
pub fn shell_line(args: &[String]) -> String {
    args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: &str, prompts: &[&str]) -> CommitSession {
        CommitSession {
            id: format!("s-{name}"),
            name: name.into(),
            prompts: prompts.iter().map(|p| p.to_string()).collect(),
            landings: vec![1],
            paths: vec!["a.txt".into()],
        }
    }

    #[test]
    fn branch_names_are_valid_refs() {
        assert_eq!(branch_name("Fix login bug"), "airlock/fix-login-bug");
        assert_eq!(branch_name("claude"), "airlock/claude");
        assert_eq!(branch_name("  ~weird:^name?*[..]  "), "airlock/weird-name");
        assert_eq!(branch_name("a..b//c"), "airlock/a.b-c");
        assert_eq!(branch_name("x.lock"), "airlock/x");
        assert_eq!(branch_name("..."), "airlock/session");
        assert_eq!(branch_name("日本"), "airlock/session");
        assert!(branch_name(&"n".repeat(200)).len() <= 68);
    }

    #[test]
    fn a_chat_s_message_starts_with_its_prompt() {
        let files = vec![("src/a.rs".to_string(), FileStatus::Modified)];
        let m = message(
            &[session("chat", &["\n  Fix the login bug\nplease"])],
            &files,
        );
        assert!(m.starts_with("Fix the login bug\n\n"), "{m}");
        assert!(m.contains("Session chat (s-chat)\n  prompt: Fix the login bug\n    please\n"));
        assert!(m.contains("Files:\n  M src/a.rs\n"));
        let m = message(&[session("bash", &[])], &files);
        assert!(m.starts_with("bash: update a.rs\n"), "{m}");
        let two = vec![
            ("a".to_string(), FileStatus::Added),
            ("b".to_string(), FileStatus::Deleted),
        ];
        let m = message(&[session("x", &[]), session("y", &[])], &two);
        assert!(m.starts_with("x, y: update a and b\n"), "{m}");
        let long = "word ".repeat(40);
        let m = message(&[session("c", &[&long])], &files);
        assert_eq!(m.lines().next().map(|l| l.chars().count()), Some(72));
    }

    #[test]
    fn shell_lines_read_back_as_the_same_words() {
        let args: Vec<String> = [
            "gh",
            "pr",
            "create",
            "--title",
            "it's done",
            "--body",
            "a\nb",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            shell_line(&args),
            r"gh pr create --title 'it'\''s done' --body 'a
b'"
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s|' {}", shell_line(&args)))
            .output()
            .expect("sh");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "gh|pr|create|--title|it's done|--body|a\nb|"
        );
    }

    #[test]
    fn a_pull_request_carries_messages_sessions_and_prompts() {
        let commits = vec![
            RecordedCommit {
                sha: "2".into(),
                message: "Second\n\nmore words\n".into(),
                sessions: vec![session("b", &[])],
            },
            RecordedCommit {
                sha: "1".into(),
                message: "First\n\nwhy\n".into(),
                sessions: vec![session("a", &["do it"])],
            },
        ];
        let (title, body) = pull_request(&commits, Default::default());
        assert_eq!(title, "Second");
        assert_eq!(
            body,
            "### First\n\nwhy\n\n### Second\n\nmore words\n\n## Sessions\n\n- **a** (`s-a`)\n  - prompt: do it\n- **b** (`s-b`)"
        );
        let fallback = ("t".to_string(), "b".to_string());
        assert_eq!(pull_request(&[], fallback.clone()), fallback);
    }
}
