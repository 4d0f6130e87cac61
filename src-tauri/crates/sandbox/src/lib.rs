//! # airlock-sandbox
//!
//! Confines one agent session (Claude Code, Codex, a shell…) so that it can
//! write only to its own folders, cannot read credentials nor Airlock's own
//! data folder, and reaches the network only as the session allows.
//!
//! portable-pty has no `pre_exec` hook, so confinement is not applied by the
//! engine to a child it spawns. Instead the engine spawns
//! `airlock sandbox-exec --spec JSON -- CMD ARGS…` in the PTY; that entry point
//! ([`exec_entry`]) confines itself with [`confine_self`] and then `exec`s the
//! command, so exactly that process tree is confined (openai/codex's
//! linux-sandbox works the same way). Landlock domains are inherited by every
//! child and cannot be lifted, so nothing the agent starts later escapes.
//!
//! ## The main types
//!
//! - [`Spec`]: what a session may do — the folders it may write ([`Spec::write`]),
//!   the ones it may not even read ([`Spec::hidden`]) and its [`Network`] mode.
//!   It is serde (camelCase) so the engine passes it as one JSON argument.
//! - [`support`]: whether this kernel can confine at all, and what it lacks
//!   ([`Support`]). The engine asks before starting a session; the environment
//!   variable `AIRLOCK_SANDBOX_UNSUPPORTED=1` simulates a kernel without Landlock.
//! - [`confine_self`]: applies a [`Spec`] to the calling process and returns what
//!   was [`Enforced`], or an [`Error`] — it never half-applies a spec.
//! - [`exec_entry`]: the whole `sandbox-exec` helper: parse, confine, exec.
//! - [`default_hidden`] and [`default_state_folders`]: the credential paths to
//!   hide and the agents' own state folders to leave writable, under a home.
//! - [`Isolate`], [`can_isolate`] and [`default_masked`]: the session's own
//!   view of the file system (Linux user and mount namespaces): other
//!   programs' Unix sockets hidden, agents' state folders overlaid.
//! - [`seatbelt_profile`]: the same [`Spec`] as a macOS `sandbox-exec` profile.
//!
//! ## How "read everything except hidden" is built (Linux)
//!
//! Landlock is an allow-list: a rule grants rights on a whole hierarchy and no
//! later rule can take them back. So read access is granted by walking down from
//! `/`: a directory with nothing hidden below it gets one read rule for all of
//! it; a directory that *contains* a hidden path is listed, and each entry that
//! is neither hidden nor an ancestor of a hidden path gets its own rule, while
//! the ancestors are walked the same way. Then every [`Spec::write`] path gets
//! all rights, which is how a stage folder inside Airlock's hidden data folder
//! stays writable. Consequences worth knowing:
//!
//! - An ancestor of a hidden path cannot be *listed* (`ls ~` fails with
//!   "Permission denied") although every visible file in it can be read by name.
//! - Entries created in such an ancestor after confinement are unreadable: no
//!   rule covers them. Entries of fully granted directories are readable whenever
//!   they appear, because the rule is on the directory.
//! - Paths are resolved before matching (a symlinked home is still matched), a
//!   symlink beside a hidden path that points into it is skipped, and a hidden
//!   path that does not exist yet stays hidden when it appears.
//! - `/dev` is not granted wholesale (as root that would let the agent read raw
//!   disks): it can be listed, and only the terminal and pseudo devices shells
//!   need (`/dev/null`, `/dev/tty`, `/dev/ptmx`, `/dev/pts`, `/dev/shm`, …) are
//!   readable and writable.
//! - Landlock follows the path a file was reached by: a bind mount or a hard
//!   link to a hidden file elsewhere would expose it. Landlock does not govern
//!   `chmod`, `chown`, `utime` or extended attributes either: the session can
//!   change the mode and times of a file it cannot write.
//! - Pathname Unix sockets stay reachable to Landlock, even inside a hidden
//!   folder: up to ABI 8 `connect()` on them is not a filesystem access.
//!   [`Spec::isolate`] closes that where user namespaces are allowed: the
//!   session's own mount namespace hides other programs' sockets and keeps
//!   only the ones it names (Airlock's, for the hook); see `ns.rs`. Abstract
//!   Unix sockets outside the session are scoped away (ABI 6).
//! - Network rules (ABI 4) filter TCP by port only: `Proxy { port }` allows a
//!   TCP connect to that port on any address, and UDP is never filtered.
//! - With signal scoping (ABI 6) the session cannot signal processes outside
//!   it (the engine, the user's other programs). Landlock's ptrace rule also
//!   keeps it out of `/proc/<pid>/mem`, `cwd`, `root` and the `fd/` links of those
//!   processes — but not `environ`, `maps`, `cmdline` or `status`, which stay
//!   readable (observed on Linux 6.18): no secret may sit in the engine's
//!   environment.
//! - Moving a file out of a read-only place fails: `rename` with "Permission
//!   denied" (the source cannot be removed) and `link` with "Invalid
//!   cross-device link" (EXDEV; the source lacks Landlock's `Refer` right).
//!   Renames and links between two write paths work.
//! - Reopening an inherited descriptor through `/dev/stdout` or
//!   `/proc/self/fd/N` is a new open: it works for the PTY and for pipes, and
//!   fails for a regular file outside the write paths.

#![deny(missing_docs)]

use std::ffi::OsString;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod defaults;
mod exec;
#[cfg(target_os = "linux")]
mod gate;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod ns;
mod seatbelt;
mod spec;
#[cfg(target_os = "linux")]
pub mod sys;
#[cfg(target_os = "linux")]
mod walk;

pub use defaults::{default_hidden, default_masked, default_state_folders};
#[cfg(target_os = "linux")]
pub use gate::{accept_hand_over, answer_hand_over, ExecCall, ExecListener, FileId, Next};
pub use seatbelt::seatbelt_profile;
pub use spec::{ExecGate, FileCopy, Isolate, Layer, Network, Spec};

/// The environment variable that makes [`support`] report [`Support::None`] and
/// [`confine_self`] refuse, so callers can test their "no sandbox" path.
pub const UNSUPPORTED_ENV: &str = "AIRLOCK_SANDBOX_UNSUPPORTED";

/// Whether this system can confine a session, as reported by [`support`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "camelCase")]
pub enum Support {
    /// Every restriction this crate knows is enforced.
    Full {
        /// The Landlock ABI this crate confines with (the kernel's, capped at
        /// the newest ABI this crate was tested on).
        abi: u32,
    },
    /// Files are confined, but some restrictions are missing.
    Partial {
        /// The Landlock ABI this crate confines with (0 on macOS, where
        /// Seatbelt confines).
        abi: u32,
        /// What cannot be enforced, in words for the user.
        missing: String,
    },
    /// Nothing can be confined here.
    None {
        /// Why, in words for the user.
        why: String,
    },
}

/// What [`confine_self`] enforced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enforced {
    /// The Landlock ABI the ruleset was built for.
    pub abi: u32,
    /// The network mode in force.
    pub network: Network,
    /// Whether signals and abstract Unix sockets are scoped to the session
    /// (Landlock ABI 6); without it the session can signal any process of
    /// the same user.
    pub scoped: bool,
    /// The write paths that exist, resolved, and were granted.
    pub write: Vec<PathBuf>,
    /// The write paths that did not exist and were skipped.
    pub skipped: Vec<PathBuf>,
    /// How many hierarchies were granted read access.
    pub read_rules: usize,
    /// Whether the session has its own view of the file system
    /// ([`Spec::isolate`]), and how many folders and sockets it hides.
    pub isolated: Option<(usize, usize)>,
}

/// Why a session could not be confined or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// This system cannot confine at all.
    #[error("this system cannot sandbox the session: {why}. Run it unsandboxed only if you accept that, or use Linux 6.2 or newer with Landlock enabled")]
    Unsupported {
        /// The reason, for the user.
        why: String,
    },
    /// The kernel cannot enforce the requested network mode.
    #[error("network mode \"{mode}\" needs Landlock ABI 4 (Linux 6.7) but this kernel has ABI {abi}; choose network \"on\" or upgrade the kernel")]
    NetworkUnsupported {
        /// The mode asked for.
        mode: &'static str,
        /// The kernel's Landlock ABI.
        abi: u32,
    },
    /// A spec path is relative.
    #[error("sandbox path {path:?} is relative; give absolute paths")]
    RelativePath {
        /// The offending path.
        path: PathBuf,
    },
    /// A spec path could not be resolved.
    #[error("cannot resolve sandbox path {path:?}: {source}")]
    Path {
        /// The path being resolved.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A hidden path lies inside a write path.
    #[error("hidden path {hidden:?} lies inside write path {write:?}, and Landlock cannot hide part of a writable folder; narrow the write path or drop the hidden one")]
    HiddenInsideWrite {
        /// The write path.
        write: PathBuf,
        /// The hidden path inside it.
        hidden: PathBuf,
    },
    /// The kernel refused to build or apply the ruleset.
    #[cfg(target_os = "linux")]
    #[error("Landlock refused the sandbox: {0}")]
    Landlock(#[from] landlock::RulesetError),
    /// A write path could not be opened to attach its rule.
    #[cfg(target_os = "linux")]
    #[error("cannot open a sandbox write path: {0}")]
    OpenRule(#[from] landlock::PathFdError),
    /// The kernel applied less than asked.
    #[error("Landlock enforced the sandbox only partly ({status}); refusing to run the command half-confined")]
    NotEnforced {
        /// What the kernel reported.
        status: String,
    },
    /// The session's own view of the file system could not be made.
    #[error("cannot give the session its own view of the file system ({step}): {source}; unprivileged user namespaces may be off (sysctl kernel.unprivileged_userns_clone, or AppArmor's restriction on Ubuntu)")]
    Namespace {
        /// What was being done.
        step: &'static str,
        /// What the system said.
        source: std::io::Error,
    },
    /// The helper's command line is malformed.
    #[error("{0}; usage: airlock sandbox-exec --spec JSON -- COMMAND [ARGS...]")]
    Usage(String),
    /// The exec gate could not be set up (the session does not start).
    #[error("{0}")]
    ExecGate(String),
    /// The `--spec` value is not a valid [`Spec`].
    #[error("the --spec JSON is malformed: {0}")]
    Spec(#[from] serde_json::Error),
    /// The command could not be executed after confinement.
    #[error("cannot run {command:?} in the sandbox: {source}; check that it is installed, on PATH and readable")]
    Exec {
        /// The command as given.
        command: OsString,
        /// What `execvp` said.
        source: std::io::Error,
    },
}

/// Whether this kernel can confine. `AIRLOCK_SANDBOX_UNSUPPORTED=1` in the
/// environment makes it report [`Support::None`] ("simulated by
/// AIRLOCK_SANDBOX_UNSUPPORTED").
pub fn support() -> Support {
    support_with(std::env::var_os(UNSUPPORTED_ENV))
}

/// [`support`] with the override's value passed in, so it can be tested
/// without touching the process environment.
fn support_with(simulated: Option<OsString>) -> Support {
    if simulated.is_some_and(|v| v == "1") {
        return Support::None {
            why: format!("simulated by {UNSUPPORTED_ENV}"),
        };
    }
    platform_support()
}

#[cfg(target_os = "linux")]
fn platform_support() -> Support {
    linux::support()
}

/// On macOS the `sandbox-exec` entry runs the command under Apple's
/// `sandbox-exec` with [`seatbelt_profile`]: files and network are confined,
/// but no program is judged before it starts (there is no exec gate).
#[cfg(target_os = "macos")]
fn platform_support() -> Support {
    if std::path::Path::new(SEATBELT).exists() {
        Support::Partial {
            abi: 0,
            missing: "macOS Seatbelt: commands are not gated on macOS".into(),
        }
    } else {
        Support::None {
            why: format!("{SEATBELT} is missing"),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn platform_support() -> Support {
    Support::None {
        why: "this OS has no sandbox Airlock can apply (Landlock on Linux, Seatbelt on macOS)"
            .into(),
    }
}

/// Apple's Seatbelt launcher, which the macOS entry execs.
#[cfg(target_os = "macos")]
pub(crate) const SEATBELT: &str = "/usr/bin/sandbox-exec";

/// Whether this OS can hold a session's programs at the exec gate
/// (seccomp user notification: Linux only).
pub const EXEC_GATE_SUPPORTED: bool = cfg!(target_os = "linux");

/// Confines the calling process (and everything it starts later) as `spec`
/// says, and returns what was enforced. Fails — never silently half-applies —
/// when the kernel cannot enforce the spec.
///
/// Call it right before `exec`: the restriction is on the calling thread and
/// inherited across `exec` and `fork`; other threads of the process stay free.
pub fn confine_self(spec: &Spec) -> Result<Enforced, Error> {
    if let Support::None { why } = support() {
        return Err(Error::Unsupported { why });
    }
    platform_confine(spec)
}

#[cfg(target_os = "linux")]
fn platform_confine(spec: &Spec) -> Result<Enforced, Error> {
    linux::confine(spec)
}

#[cfg(not(target_os = "linux"))]
fn platform_confine(_spec: &Spec) -> Result<Enforced, Error> {
    Err(Error::Unsupported {
        why: "a process confines itself only on Linux (Landlock); on macOS the entry execs the command under sandbox-exec".into(),
    })
}

/// The helper entry: parses `--spec JSON -- CMD ARGS...`, confines itself,
/// then execs `CMD` (searching `PATH`). Returns only on failure, with an
/// [`Error`] that says what to do. The CLI calls this from
/// `airlock sandbox-exec`.
pub fn exec_entry(args: Vec<OsString>) -> Error {
    exec::entry(args)
}

/// The environment variable that makes [`can_isolate`] say no, so callers
/// can test the path of a system without unprivileged user namespaces.
pub const NO_NAMESPACES_ENV: &str = "AIRLOCK_SANDBOX_NO_NAMESPACES";

/// Whether sessions can have their own view of the file system
/// ([`Spec::isolate`]): Linux with unprivileged user namespaces. Asked once
/// per process (a child process tries); `AIRLOCK_SANDBOX_NO_NAMESPACES=1`
/// says no.
pub fn can_isolate() -> bool {
    if std::env::var_os(NO_NAMESPACES_ENV).is_some_and(|v| v == "1") {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        static CAN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *CAN.get_or_init(sys::can_unshare)
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_unsupported_says_why() {
        let got = support_with(Some("1".into()));
        assert_eq!(
            got,
            Support::None {
                why: "simulated by AIRLOCK_SANDBOX_UNSUPPORTED".into()
            }
        );
        assert_ne!(support_with(Some("0".into())), got);
    }
}
