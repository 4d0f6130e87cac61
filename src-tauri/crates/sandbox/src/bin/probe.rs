//! `sandbox-exec-probe --spec JSON -- CMD ARGS…`: the crate's `exec_entry`
//! as a standalone binary, so the integration tests confine real processes
//! the way `airlock sandbox-exec` does, without building the CLI.

use std::process::ExitCode;

fn main() -> ExitCode {
    let error = airlock_sandbox::exec_entry(std::env::args_os().skip(1).collect());
    eprintln!("sandbox-exec-probe: {error}");
    // 126 is what shells report for "found but could not be run".
    ExitCode::from(126)
}
