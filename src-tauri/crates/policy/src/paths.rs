//! Lexical path handling: `decide` resolves `..`, `~` and relative paths
//! without touching the file system, so symlinks are not followed (a symlink
//! inside the project that points out of it is the stage's business, not the
//! policy's).

use std::path::{Component, Path, PathBuf};

/// Resolves `.` and `..` without asking the file system. `..` above the root
/// stays at the root, as the kernel does.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Where a path as written (in a tool input or a shell word) points, given the
/// working directory. `~` and `$HOME` expand to `home`; `None` means the
/// location cannot be known statically (`~user`, or `~` with no home).
pub(crate) fn resolve(raw: &str, cwd: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let home_rest = raw
        .strip_prefix("~")
        .or_else(|| raw.strip_prefix("${HOME}"))
        .or_else(|| raw.strip_prefix("$HOME"));
    if let Some(rest) = home_rest {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let home = home?;
        return Some(normalize(&home.join(rest.trim_start_matches('/'))));
    }
    let path = Path::new(raw);
    if path.is_absolute() {
        Some(normalize(path))
    } else {
        Some(normalize(&cwd.join(path)))
    }
}

/// Whether `path` is the project or inside it (both already normalized).
pub(crate) fn is_inside(path: &Path, project: &Path) -> bool {
    path.starts_with(project)
}

/// Devices that every shell script reads from or writes to harmlessly.
pub(crate) fn is_harmless_device(path: &Path) -> bool {
    const DEVICES: [&str; 8] = [
        "/dev/null",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/tty",
        "/dev/zero",
        "/dev/random",
        "/dev/urandom",
    ];
    DEVICES.iter().any(|d| path == Path::new(d)) || path.starts_with("/dev/fd")
}

/// Why a path may hold secrets, or `None`. Decided from the path's own
/// components, so it works for relative paths too.
pub(crate) fn secret_reason(path: &Path) -> Option<&'static str> {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().to_lowercase()),
            _ => None,
        })
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let next = parts.get(i + 1).map(String::as_str);
        match (part.as_str(), next) {
            (".ssh", _) => return Some("SSH keys and configuration"),
            (".gnupg", _) => return Some("GPG keys"),
            (".aws", Some("credentials" | "config")) => return Some("AWS credentials"),
            (".docker", Some("config.json")) => return Some("Docker registry credentials"),
            (".kube", Some("config")) => return Some("Kubernetes credentials"),
            (".config", Some("gh")) => return Some("GitHub CLI tokens"),
            _ => {}
        }
    }
    let name = parts.last()?;
    let name = name.as_str();
    if is_env_file(name) {
        return Some("an environment file, which usually holds secrets");
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .any(|k| name.starts_with(k))
        && !name.ends_with(".pub")
    {
        return Some("a private SSH key");
    }
    if let Some((_, ext)) = name.rsplit_once('.') {
        if ["pem", "key", "p12", "pfx", "jks", "keystore", "ppk"].contains(&ext) {
            return Some("a private key or certificate store");
        }
    }
    match name {
        ".netrc" | "_netrc" | ".git-credentials" | ".pgpass" | ".vault-token" | ".htpasswd" => {
            Some("a credentials file")
        }
        ".npmrc" | ".pypirc" | ".yarnrc.yml" => {
            Some("a package registry config that may hold tokens")
        }
        "credentials.json" | "credentials" | "secrets.json" | "secrets.yaml" | "secrets.yml"
        | "secrets.toml" => Some("a credentials file"),
        _ => None,
    }
}

fn is_env_file(name: &str) -> bool {
    const TEMPLATES: [&str; 5] = ["example", "sample", "template", "dist", "defaults"];
    if name == ".env" || name.ends_with(".env") {
        return true;
    }
    match name.strip_prefix(".env.") {
        Some(suffix) => !TEMPLATES.contains(&suffix),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("/../..")), PathBuf::from("/"));
    }

    #[test]
    fn resolve_handles_home_and_relative() {
        let cwd = Path::new("/p/sub");
        let home = Some(Path::new("/home/u"));
        assert_eq!(resolve("../x", cwd, home), Some(PathBuf::from("/p/x")));
        assert_eq!(resolve("~/x", cwd, home), Some(PathBuf::from("/home/u/x")));
        assert_eq!(resolve("$HOME", cwd, home), Some(PathBuf::from("/home/u")));
        assert_eq!(resolve("~bob/x", cwd, home), None);
        assert_eq!(resolve("~/x", cwd, None), None);
        assert_eq!(
            resolve("/etc/../etc/hosts", cwd, home),
            Some(PathBuf::from("/etc/hosts"))
        );
    }

    #[test]
    fn secrets_are_recognised() {
        for p in [
            ".env",
            "config/.env.local",
            "prod.env",
            "/home/u/.ssh/config",
            "certs/server.pem",
            "tls.key",
            "/home/u/.aws/credentials",
            ".netrc",
            ".npmrc",
            "id_ed25519",
        ] {
            assert!(secret_reason(Path::new(p)).is_some(), "{p}");
        }
        for p in [
            ".env.example",
            "README.md",
            "src/env.rs",
            "id_rsa.pub",
            "keys.rs",
        ] {
            assert!(secret_reason(Path::new(p)).is_none(), "{p}");
        }
    }
}
