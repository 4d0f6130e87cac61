//! Where Airlock keeps its state: `$AIRLOCK_HOME`, one folder per project.
//!
//! ```text
//! $AIRLOCK_HOME/projects/<hash>/journal.sqlite   sessions, decisions, landings
//! $AIRLOCK_HOME/projects/<hash>/stages/<session> a staged session's working copy
//! $AIRLOCK_HOME/projects/<hash>/engine.sock      the running engine's socket (0600)
//! $AIRLOCK_HOME/projects/<hash>/hook.sock        the agents' socket: their own questions only (0600)
//! $AIRLOCK_HOME/projects/<hash>/engine.json      its pid and token (0600)
//! ```
//! `<hash>` is a hash of the project's canonical path, so every front end finds
//! the same engine for the same folder.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{EngineError, IoContext, Result};

/// `$AIRLOCK_HOME`, or the platform data folder (`$XDG_DATA_HOME/airlock`,
/// `~/.local/share/airlock`).
pub fn airlock_home() -> PathBuf {
    if let Some(home) = std::env::var_os("AIRLOCK_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(data).join("airlock");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(home).join(".local/share/airlock")
}

/// The canonical form of a project folder, or a clear error if there is none.
pub fn canonical_project(dir: &Path) -> Result<PathBuf> {
    let canon = std::fs::canonicalize(dir)
        .map_err(|_| EngineError::NoProject(dir.display().to_string()))?;
    if !canon.is_dir() {
        return Err(EngineError::NoProject(dir.display().to_string()));
    }
    Ok(canon)
}

/// The state folder of one project under a home.
#[derive(Debug, Clone)]
pub struct ProjectHome {
    /// The folder.
    pub dir: PathBuf,
}

impl ProjectHome {
    /// The state folder for `project` (already canonical) under `home`.
    pub fn new(home: &Path, project: &Path) -> Self {
        let digest = Sha256::digest(project.as_os_str().as_encoded_bytes());
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            dir: home.join("projects").join(hash),
        }
    }

    /// Creates the folder, private to the user.
    pub fn create(&self) -> Result<()> {
        create_private_dir(&self.dir)?;
        create_private_dir(&self.stages())
    }

    /// The journal's file.
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal.sqlite")
    }

    /// Where stages live.
    pub fn stages(&self) -> PathBuf {
        self.dir.join("stages")
    }

    /// The engine's socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("engine.sock")
    }

    /// The agents' socket: where a session's hook asks about its own
    /// actions (with its session token). The only one of Airlock's sockets a
    /// sandboxed session can reach.
    pub fn hook_socket(&self) -> PathBuf {
        self.dir.join("hook.sock")
    }

    /// The engine's pid and token.
    pub fn info(&self) -> PathBuf {
        self.dir.join("engine.json")
    }
}

/// Creates a folder (and its parents) and makes it `0700`.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).context(|| format!("create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .context(|| format!("chmod {}", dir.display()))
}

/// A random token: 32 bytes as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // getrandom only fails when the OS has no entropy source at all; then a
    // time-and-pid token is still unguessable enough to refuse other users.
    if getrandom::fill(&mut bytes).is_err() {
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        bytes.copy_from_slice(&Sha256::digest(seed.as_bytes()));
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `given` is the token `expected`, compared in constant time (a
/// timing side channel must not tell a guesser how much of it was right).
pub fn token_matches(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
