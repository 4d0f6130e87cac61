//! The engine's error type and its mapping to the wire's [`IpcError`].

use airlock_protocol::{ErrorCode, IpcError};

/// What can go wrong inside the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An id the engine does not know.
    #[error("unknown {what} `{id}`: run `airlock status` or `airlock changes` to see current ids")]
    UnknownId {
        /// What kind of id.
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// A request that makes no sense.
    #[error("{0}")]
    BadRequest(String),
    /// A path that would leave the project.
    #[error("refused: `{0}` is outside the project")]
    OutsideProject(String),
    /// The command for a session cannot be started.
    #[error("cannot start `{command}`: {reason}")]
    Spawn {
        /// The command.
        command: String,
        /// Why.
        reason: String,
    },
    /// The project folder is missing or not a folder.
    #[error(
        "project `{0}` does not exist or is not a folder: pass an existing folder with --project"
    )]
    NoProject(String),
    /// A session's stage is gone from disk.
    #[error("the stage of session {0} is gone from disk; remove the session and start a new one")]
    StageGone(String),
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `git` failed.
    #[error("git {args} failed: {stderr}")]
    Git {
        /// The arguments.
        args: String,
        /// What git said.
        stderr: String,
    },
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] rusqlite::Error),
    /// A decision that would overwrite the user's text or land a held change.
    #[error("{0}")]
    Held(String),
    /// Changes that moved on since the user looked at them (their paths):
    /// nothing was decided.
    #[error("{} changed since you looked: nothing was decided; review the new diff and decide again", .0.join(", "))]
    Changed(Vec<String>),
    /// A fault inside Airlock (a worker that died, a value that would not
    /// serialise): not the caller's doing.
    #[error("internal error: {0}")]
    Internal(String),
    /// The engine stopped.
    #[error("the engine has stopped; restart Airlock")]
    Stopped,
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, EngineError>;

impl EngineError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EngineError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Adds context to I/O results.
pub trait IoContext<T> {
    /// Wraps the error with what was being done.
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| EngineError::io(what(), e))
    }
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::UnknownId { .. } => ErrorCode::NotFound,
            EngineError::BadRequest(_) => ErrorCode::BadRequest,
            EngineError::OutsideProject(_) => ErrorCode::Forbidden,
            EngineError::Spawn { .. } => ErrorCode::SpawnFailed,
            EngineError::NoProject(_) => ErrorCode::NotFound,
            EngineError::StageGone(_) => ErrorCode::NotFound,
            EngineError::Io { .. } | EngineError::Git { .. } => ErrorCode::Io,
            EngineError::Journal(_) | EngineError::Internal(_) => ErrorCode::Internal,
            EngineError::Held(_) => ErrorCode::Conflict,
            EngineError::Changed(_) => ErrorCode::Changed,
            EngineError::Stopped => ErrorCode::Unavailable,
        };
        IpcError::new(code, e.to_string())
    }
}
