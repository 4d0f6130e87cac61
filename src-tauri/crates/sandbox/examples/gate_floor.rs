//! The floor under the exec gate's cost: what a seccomp user notification
//! costs on this machine when its listener answers "continue" at once,
//! judging nothing. `scripts/bench-sandbox.py` runs it beside real sessions
//! so the gate's added cost per exec is shown against this limit.
//!
//!   gate_floor [--notify] -- CMD ARGS…
//!
//! Runs the command (and whatever it starts); with `--notify`, every
//! `execve`/`execveat` of it first stops at the same filter the exec gate
//! installs and waits for this process's listener thread, which wakes the
//! way the engine's does (poll, then receive, then answer).

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use std::os::fd::AsFd;
    use std::process::{Command, ExitCode};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let notify = args.first().is_some_and(|a| a == "--notify");
    let Some(dash) = args.iter().position(|a| a == "--") else {
        eprintln!("usage: gate_floor [--notify] -- CMD ARGS...");
        return ExitCode::from(2);
    };
    let command = &args[dash + 1..];
    if command.is_empty() {
        eprintln!("usage: gate_floor [--notify] -- CMD ARGS...");
        return ExitCode::from(2);
    }
    if notify {
        // The listener thread starts before the filter, so it is not under it.
        let (tx, rx) = std::sync::mpsc::channel::<std::os::fd::OwnedFd>();
        let (_stop_keep, stop) = std::os::unix::net::UnixStream::pair().expect("socket pair");
        std::thread::spawn(move || {
            let listener = rx.recv().expect("listener");
            let _ = airlock_sandbox::sys::notif_sync_wake(listener.as_fd());
            loop {
                match airlock_sandbox::sys::poll2(listener.as_fd(), stop.as_fd(), -1) {
                    Ok((ready, _)) if ready.hangup && !ready.readable => return,
                    Ok(_) => {}
                    Err(_) => continue,
                }
                if let Ok(n) = airlock_sandbox::sys::notif_recv(listener.as_fd()) {
                    let _ = airlock_sandbox::sys::notif_send(listener.as_fd(), n.id, None);
                }
            }
        });
        match airlock_sandbox::sys::install_exec_filter() {
            Ok(listener) => tx.send(listener).expect("listener thread"),
            Err(e) => {
                eprintln!("gate_floor: cannot install the filter: {e}");
                return ExitCode::from(1);
            }
        }
    }
    match Command::new(&command[0]).args(&command[1..]).status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1) as u8),
        Err(e) => {
            eprintln!("gate_floor: {}: {e}", command[0]);
            ExitCode::from(127)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("gate_floor: the exec gate exists only on Linux");
}
