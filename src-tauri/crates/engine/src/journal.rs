//! The journal: a SQLite file (WAL) with the sessions, every decision and every
//! landing with each file's bytes before and after, so a landing can be undone
//! and a restarted engine knows its sessions again.
//!
//! Pending changes are not stored: they are the difference between a stage and
//! the project, which are both on disk, so a restart finds them by rescanning.

use std::path::Path;

use airlock_protocol::{SessionInfo, SessionMode, SessionState};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// One file of a landing.
#[derive(Debug, Clone)]
pub struct LandedFile {
    /// Project-relative path.
    pub path: String,
    /// Bytes before (None: the file did not exist).
    pub before: Option<Vec<u8>>,
    /// Bytes after (None: the landing deleted it).
    pub after: Option<Vec<u8>>,
    /// Mode before.
    pub before_mode: Option<u32>,
    /// Mode after.
    pub after_mode: Option<u32>,
}

/// The open journal.
pub struct Journal {
    conn: Connection,
}

impl Journal {
    /// Opens (and creates or migrates) the journal at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS sessions (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                command TEXT NOT NULL,
                mode TEXT NOT NULL,
                cwd TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                state TEXT NOT NULL,
                exit_code INTEGER
            );
            CREATE TABLE IF NOT EXISTS decisions (
                id INTEGER PRIMARY KEY,
                session TEXT NOT NULL,
                target TEXT NOT NULL,
                path TEXT NOT NULL,
                decision TEXT NOT NULL,
                reason TEXT,
                at INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS landings (
                id INTEGER PRIMARY KEY,
                session TEXT NOT NULL,
                at INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS landing_files (
                landing INTEGER NOT NULL REFERENCES landings(id),
                path TEXT NOT NULL,
                before BLOB,
                after BLOB,
                before_mode INTEGER,
                after_mode INTEGER
            );",
        )?;
        Ok(Self { conn })
    }

    /// Records a new session.
    pub fn insert_session(&self, s: &SessionInfo) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sessions (id, name, command, mode, cwd, created_at, state, exit_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                s.id,
                s.name,
                serde_json::to_string(&s.command).unwrap_or_default(),
                mode_str(s.mode),
                s.cwd,
                s.created_at as i64,
                state_str(s.state),
                s.exit_code
            ],
        )?;
        Ok(())
    }

    /// Marks a session exited.
    pub fn session_exited(&self, id: &str, exit_code: Option<i32>) -> Result<()> {
        self.conn.execute(
            "UPDATE sessions SET state = 'exited', exit_code = ?2 WHERE id = ?1",
            params![id, exit_code],
        )?;
        Ok(())
    }

    /// Every session, oldest first. Sessions that were running when the engine
    /// stopped come back as exited: their processes died with it.
    pub fn sessions(&self) -> Result<Vec<SessionInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, command, mode, cwd, created_at, state, exit_code
             FROM sessions ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            let command: String = r.get(2)?;
            let mode: String = r.get(3)?;
            let created: i64 = r.get(5)?;
            Ok(SessionInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                command: serde_json::from_str(&command).unwrap_or_default(),
                mode: if mode == "gated" {
                    SessionMode::Gated
                } else {
                    SessionMode::Staged
                },
                cwd: r.get(4)?,
                created_at: created.max(0) as u64,
                state: SessionState::Exited,
                exit_code: r.get(7)?,
                pending_changes: 0,
                pending_hunks: 0,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records a decision on a hunk or change.
    pub fn record_decision(
        &self,
        session: &str,
        target: &str,
        path: &str,
        decision: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO decisions (session, target, path, decision, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                session,
                target,
                path,
                decision,
                reason,
                crate::home::now_ms() as i64
            ],
        )?;
        Ok(())
    }

    /// Records a landing and its files in one transaction; returns its id.
    pub fn record_landing(&mut self, session: &str, files: &[LandedFile]) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO landings (session, at) VALUES (?1, ?2)",
            params![session, crate::home::now_ms() as i64],
        )?;
        let id = tx.last_insert_rowid();
        for f in files {
            tx.execute(
                "INSERT INTO landing_files (landing, path, before, after, before_mode, after_mode)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, f.path, f.before, f.after, f.before_mode, f.after_mode],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// The files of a landing.
    pub fn landing_files(&self, landing: i64) -> Result<Option<Vec<LandedFile>>> {
        let exists: Option<i64> = self
            .conn
            .query_row("SELECT id FROM landings WHERE id = ?1", [landing], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Ok(None);
        }
        let mut stmt = self.conn.prepare(
            "SELECT path, before, after, before_mode, after_mode FROM landing_files WHERE landing = ?1",
        )?;
        let rows = stmt.query_map([landing], |r| {
            Ok(LandedFile {
                path: r.get(0)?,
                before: r.get(1)?,
                after: r.get(2)?,
                before_mode: r.get(3)?,
                after_mode: r.get(4)?,
            })
        })?;
        Ok(Some(rows.collect::<std::result::Result<_, _>>()?))
    }

    /// How many decisions were recorded with this verb (for tests and status).
    pub fn count_decisions(&self, decision: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM decisions WHERE decision = ?1",
            [decision],
            |r| r.get(0),
        )?)
    }
}

fn mode_str(m: SessionMode) -> &'static str {
    match m {
        SessionMode::Staged => "staged",
        SessionMode::Gated => "gated",
    }
}

fn state_str(s: SessionState) -> &'static str {
    match s {
        SessionState::Running => "running",
        SessionState::Exited => "exited",
    }
}
