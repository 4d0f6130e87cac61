//! Package managers: what installs, upgrades or removes packages, what
//! publishes to a registry, and which queries only read. npm and its
//! relatives, the runners that fetch a package to run it (`npx`), Python's
//! installers, cargo, the system package managers, gem, bundle, composer,
//! go and dotnet.

use super::words::{has_flag, positionals, Word};
use super::{Assessment, RiskKind};

/// The rules for a package manager; `None` for any other program. Adds
/// risks to `a` and returns whether the command only reads.
pub(super) fn classify(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> Option<bool> {
    let sub = positionals(args).first().map(|w| w.text);
    Some(match name {
        "npm" | "pnpm" | "yarn" | "bun" => js_package_manager(name, args, label, a),
        "npx" | "bunx" | "pnpx" => {
            a.risk(
                RiskKind::PackageInstall,
                format!("`{label}` may download and run a package ({name})"),
            );
            false
        }
        "pip" | "pip3" | "pipx" | "uv" | "poetry" | "pdm" | "conda" | "mamba" | "micromamba" => {
            python(name, sub, args, label, a)
        }
        "cargo" => cargo(sub, label, a),
        "apt" | "apt-get" | "aptitude" | "dnf" | "yum" | "zypper" | "apk" | "brew" | "port"
        | "snap" | "flatpak" | "choco" | "winget" | "nix-env" | "pkg" => {
            system(sub, args, label, a)
        }
        "pacman" => pacman(args, label, a),
        "gem" | "bundle" | "composer" => gem_bundle_composer(name, sub, label, a),
        "go" => go(sub, label, a),
        "dotnet" => dotnet(args, label, a),
        _ => return None,
    })
}

/// npm, pnpm, yarn and bun, which share their subcommands (and npm's
/// misspellings of `install`).
fn js_package_manager(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let pos = positionals(args);
    let sub = pos.first().map(|w| w.text);
    match sub {
        None if name == "yarn" => {
            a.risk(PackageInstall, format!("`{label}` installs packages"));
            false
        }
        Some(
            "install" | "i" | "in" | "ins" | "inst" | "insta" | "instal" | "isnt" | "isnta"
            | "isntal" | "isntall" | "add" | "ci" | "update" | "up" | "upgrade" | "udpate",
        ) => {
            a.risk(PackageInstall, format!("`{label}` installs packages"));
            false
        }
        Some(
            "publish" | "unpublish" | "deprecate" | "login" | "adduser" | "owner" | "dist-tag",
        ) => {
            a.risk(
                Network,
                format!("`{label}` publishes to the package registry"),
            );
            false
        }
        Some("dlx" | "exec" | "x") => {
            a.risk(
                PackageInstall,
                format!("`{label}` may download and run a package"),
            );
            false
        }
        Some(
            "ls" | "list" | "view" | "info" | "outdated" | "why" | "explain" | "help" | "root"
            | "prefix",
        ) => true,
        Some("config") => matches!(pos.get(1).map(|w| w.text), Some("get" | "list")),
        _ => false,
    }
}

/// pip, uv, poetry, conda and their relatives.
fn python(name: &str, sub: Option<&str>, args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let installs = match (name, sub) {
        ("uv", Some("pip")) => positionals(args)
            .get(1)
            .is_some_and(|w| matches!(w.text, "install" | "sync")),
        ("uv", Some("tool")) => true,
        ("poetry" | "pdm", Some(s)) => matches!(s, "add" | "install" | "update"),
        (_, Some(s)) => matches!(s, "install" | "add" | "sync" | "upgrade"),
        _ => false,
    };
    if installs {
        a.risk(PackageInstall, format!("`{label}` installs packages"));
    }
    matches!(sub, Some("list" | "show" | "freeze"))
}

fn cargo(sub: Option<&str>, label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    match sub {
        Some("install" | "add" | "binstall") => {
            a.risk(PackageInstall, format!("`{label}` installs crates"));
        }
        Some("publish" | "yank" | "login" | "owner") => {
            a.risk(Network, format!("`{label}` publishes to crates.io"));
        }
        _ => {}
    }
    matches!(
        sub,
        Some("metadata" | "tree" | "search" | "locate-project" | "pkgid")
    )
}

/// The system package managers but pacman (`apt`, `dnf`, `brew`, …): they
/// share their subcommands' names.
fn system(sub: Option<&str>, args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let installs = matches!(
        sub,
        Some(
            "install"
                | "add"
                | "reinstall"
                | "upgrade"
                | "update"
                | "remove"
                | "purge"
                | "autoremove"
                | "uninstall"
                | "erase"
                | "dist-upgrade"
                | "full-upgrade"
        )
    ) || has_flag(args, &["-i", "--install"]);
    if installs {
        a.risk(
            PackageInstall,
            format!("`{label}` changes installed system packages"),
        );
    }
    matches!(sub, Some("list" | "search" | "show" | "info" | "policy"))
}

/// pacman names its operations with options (`-S`, `-R`, `-U`).
fn pacman(args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    if args
        .iter()
        .any(|w| w.text.starts_with("-S") || w.text.starts_with("-R") || w.text == "-U")
    {
        a.risk(
            PackageInstall,
            format!("`{label}` changes installed system packages"),
        );
    }
    false
}

fn gem_bundle_composer(name: &str, sub: Option<&str>, label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    if matches!(sub, Some("install" | "add" | "require" | "update")) {
        a.risk(PackageInstall, format!("`{label}` installs packages"));
    }
    if name == "gem" && sub == Some("push") {
        a.risk(Network, format!("`{label}` publishes a gem"));
    }
    false
}

fn go(sub: Option<&str>, label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    if matches!(sub, Some("install" | "get")) {
        a.risk(PackageInstall, format!("`{label}` installs Go modules"));
    }
    matches!(sub, Some("version" | "env" | "list" | "doc" | "vet"))
}

fn dotnet(args: &[Word], label: &str, a: &mut Assessment) -> bool {
    use RiskKind::*;
    let words: Vec<&str> = positionals(args).iter().map(|w| w.text).collect();
    if words.starts_with(&["add", "package"])
        || words.starts_with(&["tool", "install"])
        || words.first() == Some(&"add") && words.get(2) == Some(&"package")
    {
        a.risk(PackageInstall, format!("`{label}` installs packages"));
    }
    false
}
