//! A session's sandbox part: what confines its processes, decided once when
//! it starts and kept for a restart.
//!
//! Confinement itself is the `airlock-sandbox` crate's (Landlock on Linux):
//! the engine runs the session's command as `airlock sandbox-exec --spec JSON
//! -- CMD…`, so the `airlock` binary confines itself and then becomes the
//! command, and everything that command starts stays confined. A session may
//! write only to its root (its stage, or the project for a gated session),
//! its own temp folder and the agents' state folders; credentials and
//! Airlock's data folder (the engine's token, the journal, other sessions'
//! stages and scrollback) are unreadable. Its hook reaches the agents'
//! socket with its own session token, which can only ask about its own actions.
//!
//! Where the system allows unprivileged user namespaces (see
//! `airlock_sandbox::can_isolate`), the session also gets its own view of
//! the file system: other programs' Unix sockets (the D-Bus session bus,
//! ssh-agent, tmux, docker…) and all of Airlock's data folder but its own
//! paths are hidden, and the agents' state folders are overlays whose
//! writes stay in the session's state folder — a hook an agent writes into
//! `~/.claude/settings.json` never runs in the user's own Claude Code.

use std::path::{Path, PathBuf};

use airlock_protocol::{NetworkMode, SandboxChoice, SandboxInfo, SandboxState};
use airlock_sandbox::{ExecGate, FileCopy, Isolate, Layer, Network, Spec, Support};

use crate::error::{EngineError, Result};

/// How a session's command is confined, if it is.
#[derive(Debug, Clone)]
pub(super) struct Sandbox {
    /// What the UI and `status` show.
    pub(super) info: SandboxInfo,
    /// The helper and the spec it applies, when confined.
    confine: Option<(PathBuf, Spec)>,
}

/// Where a session lives, for working out its sandbox.
pub(super) struct Room<'a> {
    /// The `airlock` binary that applies the sandbox; `None` where there is none.
    pub(super) helper: Option<&'a Path>,
    /// The session's root: its stage, or the project for a gated session.
    pub(super) root: &'a Path,
    /// Its private temp folder (`$TMPDIR`).
    pub(super) tmp: &'a Path,
    /// Airlock's data folder: hidden from every session.
    pub(super) airlock_home: &'a Path,
    /// The agents' socket (`hook.sock`), which the session's hook reaches.
    pub(super) socket: &'a Path,
    /// The session's own state folder: where its writes to the agents'
    /// state folders are kept when it is isolated.
    pub(super) state: &'a Path,
    /// Files in the data folder the session must read (its hook settings).
    pub(super) reads: Vec<PathBuf>,
    /// Staged or gated, for the summary.
    pub(super) staged: bool,
    /// Whether every program the session starts is judged at the exec gate.
    pub(super) exec_gate: bool,
}

impl Sandbox {
    /// Works out a session's sandbox: confined where this system can, opted
    /// out when the user asked, refused when the user required a sandbox
    /// that cannot be had.
    pub(super) fn plan(choice: SandboxChoice, network: NetworkMode, room: Room) -> Result<Sandbox> {
        let unavailable = |why: String| -> Result<Sandbox> {
            if choice == SandboxChoice::Require {
                return Err(EngineError::BadRequest(format!(
                    "this session must be sandboxed, but {why}; start it without --require-sandbox to run it unconfined"
                )));
            }
            Ok(Sandbox::unconfined(
                SandboxState::Unavailable,
                format!("not sandboxed: {why}"),
            ))
        };
        if choice == SandboxChoice::Off {
            return Ok(Sandbox::unconfined(
                SandboxState::OptedOut,
                "not sandboxed: started with --no-sandbox".into(),
            ));
        }
        let Some(helper) = room.helper else {
            return unavailable(
                "the `airlock` command that applies the sandbox was not found beside this app"
                    .into(),
            );
        };
        // The exec gate needs seccomp (Linux); elsewhere the sandbox runs
        // without it and says so.
        let exec_gate = room.exec_gate && airlock_sandbox::EXEC_GATE_SUPPORTED;
        let partial = match airlock_sandbox::support() {
            Support::None { why } => return unavailable(why),
            Support::Partial { missing, .. } => Some(missing),
            Support::Full { .. } => None,
        };
        match Self::confining(helper, network, room, exec_gate, partial) {
            Ok(sandbox) => Ok(sandbox),
            Err(why) => unavailable(why),
        }
    }

    /// A confined session's sandbox: where it writes, what it cannot see,
    /// how it is isolated; `Err` says why it cannot be had.
    fn confining(
        helper: &Path,
        network: NetworkMode,
        room: Room,
        exec_gate: bool,
        partial: Option<String>,
    ) -> std::result::Result<Sandbox, String> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let isolate = airlock_sandbox::can_isolate();
        let mut write = vec![room.root.to_path_buf(), room.tmp.to_path_buf()];
        let mut hidden = vec![room.airlock_home.to_path_buf()];
        let (mut layers, mut copies) = (Vec::new(), Vec::new());
        if let Some(home) = &home {
            let folders = state_folders(home, room.state, isolate)?;
            write.extend(folders.write);
            layers = folders.layers;
            copies = folders.copies;
            hidden.extend(airlock_sandbox::default_hidden(home));
        }
        let read_only = if isolate && !room.staged {
            protected(room.root)?
        } else {
            Vec::new()
        };
        let isolate = isolate.then(|| Isolate {
            mask: masked(room.airlock_home, &hidden),
            sockets: vec![room.socket.to_path_buf()],
            scan: home.iter().cloned().collect(),
            layers,
            copies,
            read_only,
        });
        let isolated = isolate.is_some();
        let spec = Spec {
            write,
            hidden,
            read: room.reads,
            network: match network {
                NetworkMode::On => Network::On,
                // The proxy's port is known when the session is spawned.
                NetworkMode::Off | NetworkMode::ModelOnly => Network::Off,
            },
            exec_gate: None,
            isolate,
        };
        let writable = spec
            .write
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        let summary = summary(room.staged, network, exec_gate, isolated, partial);
        Ok(Sandbox {
            info: SandboxInfo {
                state: SandboxState::Confined,
                writable,
                network,
                summary,
                exec_gate,
                blocked: 0,
                last_blocked: None,
            },
            confine: Some((helper.to_path_buf(), spec)),
        })
    }

    fn unconfined(state: SandboxState, summary: String) -> Sandbox {
        Sandbox {
            info: SandboxInfo {
                state,
                writable: Vec::new(),
                // Nothing enforces a network setting without the sandbox.
                network: NetworkMode::On,
                summary,
                // The gate is part of the sandbox's entry.
                exec_gate: false,
                blocked: 0,
                last_blocked: None,
            },
            confine: None,
        }
    }

    /// Whether the session's processes run confined.
    pub(super) fn confined(&self) -> bool {
        self.confine.is_some()
    }

    /// Where the session may write, when confined: a program found there
    /// was made by the session.
    pub(super) fn writable(&self) -> Vec<PathBuf> {
        self.confine
            .as_ref()
            .map(|(_, spec)| {
                spec.write
                    .iter()
                    .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The command line that runs `command` inside this sandbox, handing
    /// its exec gate over as `gate` says and reaching the network only
    /// through the proxy on `proxy_port` when it has one.
    pub(super) fn wrap(
        &self,
        command: Vec<String>,
        gate: Option<ExecGate>,
        proxy_port: Option<u16>,
    ) -> Result<Vec<String>> {
        match &self.confine {
            None => Ok(command),
            Some((helper, spec)) => {
                let network = match (self.info.network, proxy_port) {
                    (NetworkMode::ModelOnly, Some(port)) => Network::Proxy { port },
                    _ => spec.network,
                };
                let spec = Spec {
                    exec_gate: gate,
                    network,
                    ..spec.clone()
                };
                let json = serde_json::to_string(&spec)
                    .map_err(|e| EngineError::Internal(format!("sandbox spec: {e}")))?;
                let mut out = vec![
                    helper.display().to_string(),
                    "sandbox-exec".into(),
                    "--spec".into(),
                    json,
                    "--".into(),
                ];
                out.extend(command);
                Ok(out)
            }
        }
    }
}

/// What a gated session writes the project around: git's config and hooks
/// and Airlock's policy, which run programs or decide for the user. They
/// are made if missing (empty folders git does not track), so the session
/// cannot make them itself; they stay read-only in its view.
fn protected(root: &Path) -> std::result::Result<Vec<PathBuf>, String> {
    let git = root.join(".git");
    let mut paths = vec![root.join(".airlock")];
    if git.is_dir() {
        paths.push(git.join("hooks"));
    }
    for dir in &paths {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    if git.is_dir() {
        paths.push(git.join("config"));
    }
    Ok(paths)
}

/// The agents' state folders a session writes to, and (isolated) how it
/// sees them: overlays for folders, its own copy for files.
#[derive(Default)]
struct StateFolders {
    write: Vec<PathBuf>,
    layers: Vec<Layer>,
    copies: Vec<FileCopy>,
}

/// The agents' state folders under `home` for a session keeping its
/// writes in `state`. A folder that does not exist yet could not be made
/// inside the sandbox ($HOME is read-only there), and an agent that cannot
/// make its own folder fails: the folders are made now. (`~/.claude.json`
/// is a file; Claude Code makes it at its first run, so a first run outside
/// Airlock comes first.)
fn state_folders(
    home: &Path,
    state: &Path,
    isolate: bool,
) -> std::result::Result<StateFolders, String> {
    let mut out = StateFolders::default();
    for folder_or_file in airlock_sandbox::default_state_folders(home) {
        let folder = folder_or_file.extension().is_none();
        if folder && !folder_or_file.exists() {
            crate::home::create_private_dir(&folder_or_file)
                .map_err(|e| format!("cannot create {}: {e}", folder_or_file.display()))?;
        }
        if isolate {
            match session_state(&folder_or_file, folder, state).map_err(|e| e.to_string())? {
                Kept::Layer(layer) => out.layers.push(layer),
                Kept::Copy(copy) => out.copies.push(copy),
                Kept::Nothing => {}
            }
        }
        out.write.push(folder_or_file);
    }
    Ok(out)
}

/// What an isolated session sees as empty folders: the system's sockets
/// and agents' folders, Airlock's data folder, and the hidden folders too:
/// Landlock keeps their files unreadable, but not the sockets in them
/// (ssh's control sockets in ~/.ssh, gpg-agent's in ~/.gnupg).
fn masked(airlock_home: &Path, hidden: &[PathBuf]) -> Vec<PathBuf> {
    let mut mask = airlock_sandbox::default_masked();
    mask.push(airlock_home.to_path_buf());
    mask.extend(hidden.iter().filter(|h| h.is_dir()).cloned());
    mask
}

/// The one line the shield shows for a confined session.
fn summary(
    staged: bool,
    network: NetworkMode,
    exec_gate: bool,
    isolated: bool,
    partial: Option<String>,
) -> String {
    let root = if staged { "its stage" } else { "the project" };
    let net = match network {
        NetworkMode::On => "network on",
        NetworkMode::Off => "network off",
        NetworkMode::ModelOnly => "network model-only",
    };
    let commands = if exec_gate {
        "commands gated"
    } else {
        "commands not gated"
    };
    let (state, sockets) = if isolated {
        (
            "its own copy of agent state",
            "; other programs' sockets hidden",
        )
    } else {
        ("agent state", "")
    };
    let mut summary = format!(
        "sandboxed: writes to {root}, its temp folder and {state} only{sockets}; {net}; {commands}"
    );
    if let Some(missing) = partial {
        summary.push_str(&format!(" ({missing})"));
    }
    summary
}

/// How one agent state path is kept for an isolated session.
enum Kept {
    /// A folder seen through an overlay.
    Layer(Layer),
    /// A file seen as the session's copy.
    Copy(FileCopy),
    /// A file that does not exist: nothing to show.
    Nothing,
}

/// Prepares the session's side of one agent state path under `state`: an
/// overlay's upper and work folders for a folder, a copy for a file (made
/// once, so a restarted session keeps what it wrote).
fn session_state(path: &Path, folder: bool, state: &Path) -> Result<Kept> {
    let name = path.file_name().unwrap_or_default();
    let kept = state.join(name);
    if folder {
        let upper = kept.join("upper");
        let work = kept.join("work");
        crate::home::create_private_dir(&upper)?;
        crate::home::create_private_dir(&work)?;
        return Ok(Kept::Layer(Layer {
            at: path.to_path_buf(),
            upper,
            work,
        }));
    }
    if !path.is_file() {
        return Ok(Kept::Nothing);
    }
    if !kept.exists() {
        crate::home::create_private_dir(state)?;
        std::fs::copy(path, &kept).map_err(|e| {
            EngineError::BadRequest(format!(
                "cannot copy {} for the session: {e}",
                path.display()
            ))
        })?;
    }
    Ok(Kept::Copy(FileCopy {
        at: path.to_path_buf(),
        copy: kept,
    }))
}

/// Removes a session's state folder. overlayfs leaves its `work/work`
/// folder without permissions: give them back first so it can go.
pub(super) fn remove_state(state: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(entries) = std::fs::read_dir(state) {
        for entry in entries.flatten() {
            let inner = entry.path().join("work/work");
            if inner.is_dir() {
                let _ = std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o700));
            }
        }
    }
    match std::fs::remove_dir_all(state) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
