//! The rule parser's and matchers' tests: the Claude Code forms, errors
//! with reasons, command and path patterns, tool families, domains.

use super::*;

fn rule(text: &str) -> Rule {
    Rule::parse(text).expect("valid rule")
}

#[test]
fn parses_the_claude_code_forms() {
    let r = rule("Bash(npm run test:*)");
    assert_eq!(r.tool(), "Bash");
    assert_eq!(r.specifier(), Some("npm run test:*"));
    assert_eq!(r.to_string(), "Bash(npm run test:*)");
    for ok in [
        "Bash",
        "Edit(src/**)",
        "Read(./.env)",
        "Write(//tmp/**)",
        "Read(~/.aws/**)",
        "WebFetch(domain:docs.rs)",
        "mcp__github",
        "mcp__github__create_issue",
        "Glob(/src/**)",
        "TodoWrite",
    ] {
        assert_eq!(rule(ok).as_str(), ok);
    }
}

#[test]
fn rejects_malformed_rules_with_a_reason() {
    for (bad, why) in [
        ("", "empty"),
        ("Bash(ls", "closed"),
        ("Bash()", "empty parentheses"),
        ("ls)", "without a `(`"),
        ("(ls)", "tool name"),
        ("Bash ls", "tool name"),
        ("WebFetch(docs.rs)", "domain:"),
        ("Edit(src/[)", "bad glob"),
        ("TodoWrite(x)", "only Bash"),
    ] {
        match Rule::parse(bad) {
            Err(Error::InvalidRule { reason, .. }) => {
                assert!(reason.contains(why), "{bad}: {reason}")
            }
            other => panic!("{bad}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn command_patterns_match_prefix_exact_and_wildcard() {
    let p = rule("Bash(npm run test:*)");
    assert_eq!(p.matches_command("npm run test"), Some(MatchKind::Loose));
    assert_eq!(
        p.matches_command("npm run test:unit"),
        Some(MatchKind::Loose)
    );
    assert_eq!(
        p.matches_command("npm  run test -- -w"),
        Some(MatchKind::Loose)
    );
    assert_eq!(p.matches_command("npm run testing"), None);
    assert_eq!(p.matches_command("npm run build"), None);
    let e = rule("Bash(git status)");
    assert_eq!(e.matches_command("git status"), Some(MatchKind::Exact));
    assert_eq!(e.matches_command("git status -s"), None);
    let w = rule("Bash(git * main)");
    assert!(w.matches_command("git push origin main").is_some());
    assert!(w.matches_command("git push origin dev").is_none());
    let t = rule("Bash(ls *)");
    assert!(t.matches_command("ls -la").is_some());
    assert!(t.matches_command("ls").is_some());
    assert!(t.matches_command("lsof").is_none());
    assert!(rule("Bash").matches_command("anything").is_some());
    assert!(rule("Read").matches_command("ls").is_none());
}

#[test]
fn path_patterns_follow_gitignore_anchoring() {
    let project = Path::new("/p");
    let home = Some(Path::new("/home/u"));
    let m = |r: &str, p: &str| {
        rule(r).matches_path(Family::Read, false, Path::new(p), false, project, home)
            || rule(r).matches_path(Family::Edit, false, Path::new(p), false, project, home)
    };
    assert!(m("Edit(src/**)", "/p/src/a/b.rs"));
    assert!(!m("Edit(src/**)", "/p/lib/src/b.rs"));
    // gitignore: `src/*` matches the directory `src/a`, so all inside it.
    assert!(m("Edit(src/*)", "/p/src/a/b.rs"));
    assert!(!m("Edit(src/*.rs)", "/p/src/a/b.rs"));
    assert!(m("Read(.env)", "/p/.env"));
    assert!(m("Read(.env)", "/p/config/.env"));
    assert!(m("Read(./.env)", "/p/.env"));
    assert!(!m("Read(./.env)", "/p/config/.env"));
    assert!(m("Read(*.pem)", "/p/certs/a.pem"));
    assert!(m("Write(//tmp/**)", "/tmp/x/y"));
    assert!(!m("Write(//tmp/**)", "/p/tmp/x"));
    assert!(m("Read(~/.aws/**)", "/home/u/.aws/credentials"));
    assert!(m("Read(secrets)", "/p/secrets/a.txt"));
    assert!(m("Edit(/docs/)", "/p/docs/x.md"));
    assert!(!m("Edit(src/**)", "/elsewhere/src/a"));
    // Edit rules apply to every edit tool; read restrictions to edits too.
    let edit = rule("Edit(src/**)");
    assert!(edit.matches_path(
        Family::Edit,
        false,
        Path::new("/p/src/a"),
        false,
        project,
        home
    ));
    assert!(!edit.matches_path(
        Family::Read,
        false,
        Path::new("/p/src/a"),
        false,
        project,
        home
    ));
    let read = rule("Read(.env)");
    assert!(read.matches_path(
        Family::Edit,
        true,
        Path::new("/p/.env"),
        false,
        project,
        home
    ));
    assert!(!read.matches_path(
        Family::Edit,
        false,
        Path::new("/p/.env"),
        false,
        project,
        home
    ));
    // A search root matches when the rule covers something inside it.
    assert!(rule("Read(secrets/**)").matches_path(
        Family::Read,
        true,
        Path::new("/p/secrets"),
        true,
        project,
        home
    ));
}

#[test]
fn bare_tools_cover_their_family_and_mcp_servers() {
    assert!(rule("Edit").matches_tool("MultiEdit"));
    assert!(rule("Edit").matches_tool("Write"));
    assert!(!rule("Write").matches_tool("Edit"));
    assert!(rule("Read").matches_tool("Grep"));
    assert!(rule("mcp__github").matches_tool("mcp__github__create_issue"));
    assert!(rule("mcp__github__*").matches_tool("mcp__github__create_issue"));
    assert!(!rule("mcp__github").matches_tool("mcp__githubx__y"));
    assert!(rule("mcp__github__get").matches_tool("mcp__github__get"));
    assert!(!rule("mcp__github__get").matches_tool("mcp__github__get_more"));
    assert!(!rule("Bash(ls)").matches_tool("Bash"));
}

#[test]
fn domains_match_exactly_or_by_wildcard() {
    assert!(rule("WebFetch(domain:docs.rs)").matches_domain("docs.rs"));
    assert!(!rule("WebFetch(domain:docs.rs)").matches_domain("evil-docs.rs"));
    let w = rule("WebFetch(domain:*.github.com)");
    assert!(w.matches_domain("api.github.com"));
    assert!(!w.matches_domain("github.com"));
    assert!(!w.matches_domain("evilgithub.com"));
}
