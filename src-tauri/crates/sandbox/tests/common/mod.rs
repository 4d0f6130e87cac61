//! What the sandbox crate's integration tests share: starting the probe
//! (the crate's `exec_entry` as a binary) with a spec, and showing what a
//! run said.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use airlock_sandbox::Spec;

pub const PROBE: &str = env!("CARGO_BIN_EXE_sandbox-exec-probe");

/// Runs `command` confined by `spec`, in `cwd`, with `env` added, as
/// Airlock starts a session.
pub fn probe(spec: &Spec, command: &[&str], cwd: &Path, env: &[(&str, &OsStr)]) -> Output {
    let json = serde_json::to_string(spec).expect("spec json");
    Command::new(PROBE)
        .arg("--spec")
        .arg(json)
        .arg("--")
        .args(command)
        .current_dir(cwd)
        .env_remove("AIRLOCK_SANDBOX_UNSUPPORTED")
        .env_remove("AIRLOCK_SANDBOX_NO_NAMESPACES")
        .envs(env.iter().copied())
        .output()
        .expect("start the probe")
}

/// A run's exit status and output, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
