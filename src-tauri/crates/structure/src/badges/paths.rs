//! File-level badges: what the path (or a generated-file marker) says about a file.

use crate::badges::{Badge, BadgeKind};
use crate::language::file_name;

/// Lockfiles by exact file name.
const LOCKFILES: &[&str] = &[
    "cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
    "poetry.lock",
    "pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "go.sum",
    "gemfile.lock",
    "composer.lock",
    "flake.lock",
    "mix.lock",
    "pubspec.lock",
    "package.resolved",
    "podfile.lock",
    "gradle.lockfile",
    "packages.lock.json",
];

/// CI configuration by exact file name.
const CI_FILES: &[&str] = &[
    ".gitlab-ci.yml",
    ".gitlab-ci.yaml",
    "jenkinsfile",
    ".travis.yml",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    "appveyor.yml",
    ".appveyor.yml",
    ".woodpecker.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
];

/// CI configuration by directory (everything below it).
const CI_DIRS: &[&str] = &[
    ".github/workflows/",
    ".github/actions/",
    ".circleci/",
    ".ci/",
    ".buildkite/",
    ".woodpecker/",
    ".gitlab/ci/",
];

/// Private keys and certificates by extension.
const KEY_EXTENSIONS: &[&str] = &["pem", "key", "p12", "pfx", "jks", "keystore", "ppk"];

/// SSH private keys by name prefix (`id_rsa`, `id_ed25519.pub` is harmless but rare to edit).
const SSH_KEY_PREFIXES: &[&str] = &["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];

/// Files that hold credentials by exact name.
const CREDENTIAL_FILES: &[&str] = &[
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".htpasswd",
];

/// Files that say what agents and tools may run, by path from the project root.
const POWER_FILES: &[&str] = &[
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".mcp.json",
    ".envrc",
    ".vscode/tasks.json",
    ".vscode/launch.json",
    ".pre-commit-config.yaml",
    ".gemini/settings.json",
    "lefthook.yml",
];

/// Folders whose every file says what agents and tools may run.
const POWER_DIRS: &[&str] = &[
    ".airlock/",
    ".git/hooks/",
    ".githooks/",
    ".husky/",
    ".codex/",
    ".claude/hooks/",
];

/// Why a file grants power, if it does: it changes what agents or tools may
/// run (Airlock's own policy, an agent's settings, hooks, tasks, CI). Such a
/// change is badged and left out of "Approve all".
pub fn grants_power(path: &str) -> Option<String> {
    let normalized = path.replace('\\', "/");
    let path = normalized.trim_start_matches("./");
    let lower = path.to_ascii_lowercase();
    let name = file_name(&lower);
    let slashed = format!("/{lower}");
    let ci = CI_FILES.contains(&name) || CI_DIRS.iter().any(|d| slashed.contains(&format!("/{d}")));
    let power = POWER_FILES.contains(&lower.as_str())
        || POWER_DIRS.iter().any(|d| lower.starts_with(d))
        || ci;
    power.then(|| format!("changes what agents or tools may run ({path}); approve it on its own"))
}

/// How many bytes from the top a `@generated` / `DO NOT EDIT` marker is looked for in.
const GENERATED_MARKER_WINDOW: usize = 2048;

/// Badges that belong to the file as a whole: secrets, lockfile, CI config,
/// migration, generated. `text` is the newest text the file has (for markers).
pub(crate) fn file_badges(path: &str, text: Option<&str>) -> Vec<Badge> {
    let normalized = path.replace('\\', "/");
    let path = normalized.trim_start_matches("./");
    let lower = path.to_ascii_lowercase();
    let name = file_name(&lower);
    let shown_name = file_name(path);
    let dirs: Vec<&str> = lower.split('/').collect();
    let dirs = dirs.split_last().map_or(&[][..], |(_, d)| d);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let mut out = Vec::new();
    let mut push = |kind, why: String| out.push(Badge { kind, why });

    if name.starts_with(".env") {
        push(
            BadgeKind::Secrets,
            format!("touches {shown_name}, an environment file that may hold secrets"),
        );
    } else if KEY_EXTENSIONS.contains(&ext) || SSH_KEY_PREFIXES.iter().any(|p| name.starts_with(p))
    {
        push(
            BadgeKind::Secrets,
            format!("touches {shown_name}, a private key or certificate"),
        );
    } else if name.contains("credentials")
        || CREDENTIAL_FILES.contains(&name)
        || name.starts_with("secrets.")
        || name.starts_with("secret.")
    {
        push(
            BadgeKind::Secrets,
            format!("touches {shown_name}, which may hold credentials"),
        );
    }

    if LOCKFILES.contains(&name) {
        push(
            BadgeKind::Lockfile,
            format!("changes the lockfile {shown_name}"),
        );
    }

    let slashed = format!("/{lower}");
    let ci = CI_FILES.contains(&name) || CI_DIRS.iter().any(|d| slashed.contains(&format!("/{d}")));
    // CI config grants power too; its own badge says so.
    if let Some(why) = grants_power(path).filter(|_| !ci) {
        push(BadgeKind::GrantsPower, why);
    }
    if ci {
        push(BadgeKind::CiConfig, format!("changes CI config {path}"));
    }

    let in_migrations = dirs.iter().any(|d| matches!(*d, "migrations" | "migrate"))
        || lower.contains("alembic/versions/");
    let sql_under_db = ext == "sql" && dirs.contains(&"db");
    if in_migrations || sql_under_db {
        push(
            BadgeKind::Migration,
            format!("changes a database migration ({path})"),
        );
    }

    if dirs.contains(&"dist") {
        push(
            BadgeKind::Generated,
            "generated: build output under dist/".to_owned(),
        );
    } else if [".min.js", ".min.mjs", ".min.cjs", ".min.css"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        push(
            BadgeKind::Generated,
            "generated: a minified file".to_owned(),
        );
    } else if let Some(marker) = text.and_then(generated_marker) {
        push(BadgeKind::Generated, format!("generated: marked {marker}"));
    }
    out
}

/// `@generated` or `DO NOT EDIT` near the top of the file (Go's `// Code
/// generated … DO NOT EDIT.`, Cargo.lock's `@generated`, ts-rs, protoc…).
fn generated_marker(text: &str) -> Option<&'static str> {
    let mut end = text.len().min(GENERATED_MARKER_WINDOW);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = text.get(..end)?;
    if head.contains("@generated") {
        Some("@generated")
    } else if head.contains("DO NOT EDIT") {
        Some("DO NOT EDIT")
    } else {
        None
    }
}

#[cfg(test)]
mod power_tests {
    use super::grants_power;

    #[test]
    fn files_that_change_what_may_run_grant_power() {
        for p in [
            ".airlock/policy.toml",
            ".claude/settings.json",
            ".claude/settings.local.json",
            ".mcp.json",
            ".envrc",
            ".vscode/tasks.json",
            ".husky/pre-commit",
            ".github/workflows/ci.yml",
            ".gitlab-ci.yml",
            "lefthook.yml",
        ] {
            assert!(grants_power(p).is_some(), "{p}");
        }
        for p in [
            "src/main.rs",
            "README.md",
            ".vscode/extensions.json",
            "docs/.envrc.md",
        ] {
            assert!(grants_power(p).is_none(), "{p}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(path: &str, text: Option<&str>) -> Vec<BadgeKind> {
        file_badges(path, text)
            .into_iter()
            .map(|b| b.kind)
            .collect()
    }

    #[test]
    fn secrets() {
        for path in [
            ".env",
            "app/.env.local",
            ".env.production",
            "certs/server.pem",
            "tls/site.key",
            "home/.ssh/id_rsa",
            "id_ed25519.pub",
            ".aws/credentials",
            "config/credentials.json",
            ".npmrc",
            "deploy/secrets.yaml",
            "C:\\proj\\.env",
        ] {
            assert_eq!(kinds(path, None), [BadgeKind::Secrets], "{path}");
        }
        for path in [
            "src/env.rs",
            "src/keyboard.rs",
            "docs/environment.md",
            "src/monkey.ts",
        ] {
            assert!(kinds(path, None).is_empty(), "{path}");
        }
        let why = &file_badges(".env", None)[0].why;
        assert_eq!(
            why,
            "touches .env, an environment file that may hold secrets"
        );
    }

    #[test]
    fn lockfiles() {
        for path in [
            "Cargo.lock",
            "ui/package-lock.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "poetry.lock",
            "go.sum",
            "Gemfile.lock",
        ] {
            assert_eq!(kinds(path, None), [BadgeKind::Lockfile], "{path}");
        }
        assert!(kinds("go.mod", None).is_empty());
        assert!(kinds("src/lock.rs", None).is_empty());
        assert_eq!(
            file_badges("Cargo.lock", None)[0].why,
            "changes the lockfile Cargo.lock"
        );
    }

    #[test]
    fn ci_config() {
        for path in [
            ".github/workflows/ci.yml",
            "./.github/workflows/release.yaml",
            ".gitlab-ci.yml",
            ".circleci/config.yml",
            "Jenkinsfile",
            ".ci/build.sh",
            "services/api/.github/workflows/x.yml",
        ] {
            assert_eq!(kinds(path, None), [BadgeKind::CiConfig], "{path}");
        }
        for path in [".github/CODEOWNERS", "src/ci.rs", "docs/workflows/intro.md"] {
            assert!(kinds(path, None).is_empty(), "{path}");
        }
    }

    #[test]
    fn migrations() {
        for path in [
            "migrations/0001_init.sql",
            "db/migrate/20240101_add_users.rb",
            "crates/store/migrations/002.rs",
            "db/schema.sql",
            "alembic/versions/abc_add.py",
        ] {
            assert_eq!(kinds(path, None), [BadgeKind::Migration], "{path}");
        }
        for path in ["src/migrate.rs", "queries/report.sql", "db/seed.rb"] {
            assert!(kinds(path, None).is_empty(), "{path}");
        }
    }

    #[test]
    fn generated() {
        assert_eq!(kinds("dist/app.js", None), [BadgeKind::Generated]);
        assert_eq!(kinds("vendor/jquery.min.js", None), [BadgeKind::Generated]);
        assert_eq!(
            kinds(
                "api/x.pb.go",
                Some("// Code generated by protoc-gen-go. DO NOT EDIT.\n")
            ),
            [BadgeKind::Generated]
        );
        assert_eq!(
            kinds(
                "ui/src/ipc/bindings.ts",
                Some("// @generated by ts-rs\nexport type A = 1;\n")
            ),
            [BadgeKind::Generated]
        );
        let late = format!("{}// DO NOT EDIT\n", "x\n".repeat(GENERATED_MARKER_WINDOW));
        assert!(kinds("src/a.ts", Some(&late)).is_empty());
        assert!(kinds("src/distance.rs", None).is_empty());
        // Cargo.lock says `@generated` too: a lockfile and collapsible.
        assert_eq!(
            kinds(
                "Cargo.lock",
                Some("# This file is automatically @generated by Cargo.\n")
            ),
            [BadgeKind::Lockfile, BadgeKind::Generated]
        );
    }

    #[test]
    fn marker_window_respects_char_boundaries() {
        let text = "é".repeat(GENERATED_MARKER_WINDOW);
        assert_eq!(generated_marker(&text), None);
    }
}
