//! A command in a pseudo-terminal (portable-pty).
//!
//! Three threads per process, as wezterm's examples advise to avoid deadlocks:
//! a reader that blocks on the master and feeds a bounded channel (so a slow
//! consumer slows the agent instead of growing memory), a writer fed by a
//! channel, and a waiter that reports the exit. The child is a session leader
//! (portable-pty calls `setsid`), so stopping signals its whole process group.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;

use portable_pty::{native_pty_system, ChildKiller, CommandBuilder, MasterPty, PtySize};
use rustix::process::{Pid, Signal};
use tokio::sync::mpsc;

use crate::error::{EngineError, Result};

/// What to start.
#[derive(Debug, Clone)]
pub struct SpawnSpec {
    /// Program and arguments (non-empty).
    pub command: Vec<String>,
    /// Working folder.
    pub cwd: PathBuf,
    /// Extra environment on top of the engine's own.
    pub env: Vec<(String, String)>,
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

/// A running PTY process.
pub struct PtyProcess {
    master: Box<dyn MasterPty + Send>,
    writer: std_mpsc::Sender<Vec<u8>>,
    killer: Box<dyn ChildKiller + Send + Sync>,
    pid: Option<u32>,
}

/// Finds `program` the way a shell would: a path as is, a bare name on `PATH`.
pub fn resolve_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

/// Starts `spec` in a new PTY. Output chunks go to `output` (bounded: a full
/// channel blocks the reader thread, never drops bytes); the exit code (None
/// when killed by a signal) goes to `on_exit` once.
pub fn spawn(
    spec: SpawnSpec,
    output: mpsc::Sender<Vec<u8>>,
    on_exit: impl FnOnce(Option<i32>) + Send + 'static,
) -> Result<PtyProcess> {
    let program = spec
        .command
        .first()
        .ok_or_else(|| EngineError::BadRequest("empty command".into()))?;
    let shown = spec.command.join(" ");
    let spawn_err = |reason: String| EngineError::Spawn {
        command: shown.clone(),
        reason,
    };
    let resolved = resolve_program(program).ok_or_else(|| {
        spawn_err(format!(
            "`{program}` was not found on PATH; install it or give its full path"
        ))
    })?;
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: spec.rows.max(1),
            cols: spec.cols.max(1),
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| spawn_err(format!("no pseudo-terminal: {e}")))?;
    let mut cmd = CommandBuilder::new(&resolved);
    cmd.get_argv_mut()[0] = program.into();
    cmd.args(&spec.command[1..]);
    cmd.cwd(&spec.cwd);
    cmd.env("TERM", "xterm-256color");
    cmd.env("COLORTERM", "truecolor");
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .map_err(|e| spawn_err(e.to_string()))?;
    // The child holds the slave now; keeping ours open would stop the reader
    // from ever seeing end-of-file.
    drop(pair.slave);
    let pid = child.process_id();
    let killer = child.clone_killer();
    let reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| spawn_err(format!("pty reader: {e}")))?;
    let writer = pair
        .master
        .take_writer()
        .map_err(|e| spawn_err(format!("pty writer: {e}")))?;

    read_into(reader, output).map_err(|e| spawn_err(format!("reader thread: {e}")))?;
    let (wtx, wrx) = std_mpsc::channel::<Vec<u8>>();
    write_from(writer, wrx).map_err(|e| spawn_err(format!("writer thread: {e}")))?;

    std::thread::Builder::new()
        .name("pty-wait".into())
        .spawn(move || {
            let code = match child.wait() {
                Ok(status) if status.signal().is_none() => Some(status.exit_code() as i32),
                _ => None,
            };
            on_exit(code);
        })
        .map_err(|e| spawn_err(format!("waiter thread: {e}")))?;

    Ok(PtyProcess {
        master: pair.master,
        writer: wtx,
        killer,
        pid,
    })
}

impl PtyProcess {
    /// Types bytes into the terminal.
    pub fn write(&self, bytes: Vec<u8>) -> Result<()> {
        self.writer
            .send(bytes)
            .map_err(|_| EngineError::BadRequest("the session's terminal is closed".into()))
    }

    /// Resizes the terminal; the process gets SIGWINCH.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.master
            .resize(PtySize {
                rows: rows.max(1),
                cols: cols.max(1),
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| EngineError::Internal(format!("resize failed: {e}")))
    }

    /// Hangs up the whole process group, then kills whatever is left.
    pub fn stop(&mut self) {
        if let Some(pid) = self.pid {
            signal_group(pid, Signal::HUP);
            signal_group(pid, Signal::CONT);
            let pid_copy = pid;
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(500));
                signal_group(pid_copy, Signal::KILL);
            });
        }
        let _ = self.killer.kill();
    }
}

/// Signals the process group `pid` leads; a group that is gone (or the
/// init process's) is left alone.
fn signal_group(pid: u32, signal: Signal) {
    let Some(pgid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    if pgid.as_raw_nonzero().get() <= 1 {
        return;
    }
    // A stale group fails with ESRCH: nothing to do.
    let _ = rustix::process::kill_process_group(pgid, signal);
}

/// Reads the PTY on a thread of its own into `output` until the process is
/// gone (a full channel blocks the thread; no byte is dropped).
fn read_into(
    mut reader: Box<dyn std::io::Read + Send>,
    output: mpsc::Sender<Vec<u8>>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("pty-read".into())
        .spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if output.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // EIO: every slave fd is closed, the process is gone.
                    Err(_) => break,
                }
            }
        })
        .map(|_| ())
}

/// Writes what the user types to the PTY on a thread of its own, in order.
fn write_from(
    mut writer: Box<dyn std::io::Write + Send>,
    wrx: std_mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("pty-write".into())
        .spawn(move || {
            while let Ok(bytes) = wrx.recv() {
                if writer
                    .write_all(&bytes)
                    .and_then(|_| writer.flush())
                    .is_err()
                {
                    break;
                }
            }
        })
        .map(|_| ())
}
