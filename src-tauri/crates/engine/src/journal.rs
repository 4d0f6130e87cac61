//! The journal: a SQLite file (WAL) with the sessions, every decision and every
//! landing with each file's bytes before and after, so a landing can be undone
//! and a restarted engine knows its sessions again.
//!
//! Pending changes are not stored: they are the difference between a stage and
//! the project, which are both on disk, so a restart finds them by rescanning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use airlock_protocol::{LandingInfo, SessionInfo, SessionMode, SessionState};
use rusqlite::{params, Connection};

use crate::diff::{LineHunk, Remembered};
use crate::error::Result;
use crate::fsx::FileState;
use crate::review::Write;

mod commits;
mod tasks;
pub use commits::RecordedCommit;

fn encode(state: &FileState) -> (&'static str, Option<Vec<u8>>, Option<u32>) {
    match state {
        FileState::Missing => ("missing", None, None),
        FileState::File { bytes, mode } => ("file", Some(bytes.to_vec()), Some(*mode)),
        FileState::Symlink { target } => (
            "symlink",
            Some(target.as_os_str().as_encoded_bytes().to_vec()),
            None,
        ),
        FileState::Folder => ("folder", None, None),
        FileState::Special(_) => ("special", None, None),
    }
}

fn decode(kind: &str, bytes: Option<Vec<u8>>, mode: Option<u32>) -> FileState {
    match kind {
        "file" => FileState::File {
            bytes: bytes.unwrap_or_default().into(),
            mode: mode.unwrap_or(0o644),
        },
        "symlink" => FileState::Symlink {
            target: PathBuf::from(String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned()),
        },
        "missing" => FileState::Missing,
        "folder" => FileState::Folder,
        _ => FileState::Special("a special file"),
    }
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
                at INTEGER NOT NULL,
                state TEXT NOT NULL,
                undoes INTEGER,
                undone_by INTEGER
            );
            CREATE TABLE IF NOT EXISTS landing_files (
                landing INTEGER NOT NULL REFERENCES landings(id),
                seq INTEGER NOT NULL,
                path TEXT NOT NULL,
                before_kind TEXT NOT NULL,
                before BLOB,
                before_mode INTEGER,
                after_kind TEXT NOT NULL,
                after BLOB,
                after_mode INTEGER
            );
            CREATE TABLE IF NOT EXISTS remembered (
                session TEXT NOT NULL,
                seq INTEGER NOT NULL,
                key TEXT NOT NULL,
                base BLOB NOT NULL,
                proposed BLOB NOT NULL,
                hunks TEXT NOT NULL,
                PRIMARY KEY (session, seq)
            );
            CREATE TABLE IF NOT EXISTS bases (
                session TEXT NOT NULL,
                path TEXT NOT NULL,
                kind TEXT NOT NULL,
                content BLOB,
                mode INTEGER,
                PRIMARY KEY (session, path)
            );",
        )?;
        commits::create(&conn)?;
        tasks::create(&conn)?;
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

    /// Keeps a session's new name.
    pub fn rename_session(&self, id: &str, name: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE sessions SET name = ?2 WHERE id = ?1",
            params![id, name],
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

    /// Forgets a removed session (its decisions and landings stay in the record).
    pub fn delete_session(&self, id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE id = ?1", [id])?;
        self.conn
            .execute("DELETE FROM bases WHERE session = ?1", [id])?;
        self.conn
            .execute("DELETE FROM remembered WHERE session = ?1", [id])?;
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
                turn: airlock_protocol::TurnState::Exited,
                exit_code: r.get(7)?,
                pending_changes: 0,
                pending_hunks: 0,
                sandbox: None,
                // A chat is known by its transcript file (see the engine's `restore`).
                kind: Default::default(),
                chat: None,
                // Kept beside the journal (see the engine's `restore`).
                resume: None,
                task: None,
            })
        })?;
        let mut sessions: Vec<SessionInfo> = rows.collect::<std::result::Result<_, _>>()?;
        let tasks = self.session_tasks()?;
        for s in &mut sessions {
            s.task = tasks.get(&s.id).cloned();
        }
        Ok(sessions)
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

    /// Records a landing before any file is written (state `pending`): with
    /// every file's before and after, so a crash mid-way can be rolled
    /// forward at the next start. Returns its id. This one commit is made
    /// with `synchronous=FULL` (the WAL synced before it returns): under
    /// the journal's usual `NORMAL` a power loss may drop the last commits,
    /// and this record must exist before the first project file is replaced.
    pub fn begin_landing(
        &mut self,
        session: &str,
        writes: &[Write],
        undoes: Option<i64>,
    ) -> Result<i64> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let recorded = self.record_landing(session, writes, undoes);
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        recorded
    }

    fn record_landing(
        &mut self,
        session: &str,
        writes: &[Write],
        undoes: Option<i64>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO landings (session, at, state, undoes) VALUES (?1, ?2, 'pending', ?3)",
            params![session, crate::home::now_ms() as i64, undoes],
        )?;
        let id = tx.last_insert_rowid();
        for (seq, w) in writes.iter().enumerate() {
            let (bk, b, bm) = encode(&w.before);
            let (ak, a, am) = encode(&w.after);
            tx.execute(
                "INSERT INTO landing_files (landing, seq, path, before_kind, before, before_mode, after_kind, after, after_mode)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![id, seq as i64, w.path, bk, b, bm, ak, a, am],
            )?;
        }
        if let Some(undone) = undoes {
            tx.execute(
                "UPDATE landings SET undone_by = ?1 WHERE id = ?2",
                params![id, undone],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Marks a landing's files all written.
    pub fn finish_landing(&self, id: i64) -> Result<()> {
        self.conn
            .execute("UPDATE landings SET state = 'done' WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Marks a landing whose writes failed and were all put back: it is not
    /// listed, never rolled forward, and an undo it stood for is undone no more.
    pub fn abandon_landing(&mut self, id: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE landings SET state = 'failed' WHERE id = ?1", [id])?;
        tx.execute(
            "UPDATE landings SET undone_by = NULL WHERE undone_by = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Landings a crash interrupted: their ids and writes.
    pub fn pending_landings(&self) -> Result<Vec<(i64, Vec<Write>)>> {
        let ids: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM landings WHERE state = 'pending' ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            out.push((id, self.landing_writes(id)?));
        }
        Ok(out)
    }

    /// The writes of a landing, in order.
    pub fn landing_writes(&self, landing: i64) -> Result<Vec<Write>> {
        let mut stmt = self.conn.prepare(
            "SELECT path, before_kind, before, before_mode, after_kind, after, after_mode
             FROM landing_files WHERE landing = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([landing], |r| {
            let bk: String = r.get(1)?;
            let ak: String = r.get(4)?;
            Ok(Write {
                path: r.get(0)?,
                before: decode(&bk, r.get(2)?, r.get(3)?),
                after: decode(&ak, r.get(5)?, r.get(6)?),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Every finished landing, newest first.
    pub fn landings(&self) -> Result<Vec<LandingInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT l.id, l.session, l.at, l.undoes, l.undone_by,
                    (SELECT group_concat(path, char(10)) FROM landing_files f WHERE f.landing = l.id)
             FROM landings l WHERE l.state = 'done' ORDER BY l.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            let at: i64 = r.get(2)?;
            let paths: Option<String> = r.get(5)?;
            let mut paths: Vec<String> = paths
                .unwrap_or_default()
                .split('\n')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            paths.dedup();
            Ok(LandingInfo {
                id: r.get(0)?,
                session: r.get(1)?,
                at: at.max(0) as u64,
                paths,
                undoes: r.get(3)?,
                undone_by: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Starts a transaction: many small writes (the bases of a chunk of
    /// thousands of new files) then cost one commit ([`Self::commit`]), not
    /// one each. Only plain writes may come in between.
    pub fn begin(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN")?;
        Ok(())
    }

    /// Commits what [`Self::begin`] started.
    pub fn commit(&self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Remembers the project text a session's pending change started from.
    pub fn set_base(&self, session: &str, path: &str, state: &FileState) -> Result<()> {
        let (k, c, m) = encode(state);
        self.conn.execute(
            "INSERT INTO bases (session, path, kind, content, mode) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(session, path) DO UPDATE SET kind = ?3, content = ?4, mode = ?5",
            params![session, path, k, c, m],
        )?;
        Ok(())
    }

    /// Forgets a base once its change is gone.
    pub fn remove_base(&self, session: &str, path: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM bases WHERE session = ?1 AND path = ?2",
            params![session, path],
        )?;
        Ok(())
    }

    /// Every base of a session.
    pub fn bases(&self, session: &str) -> Result<HashMap<String, FileState>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, kind, content, mode FROM bases WHERE session = ?1")?;
        let rows = stmt.query_map([session], |r| {
            let k: String = r.get(1)?;
            Ok((r.get::<_, String>(0)?, decode(&k, r.get(2)?, r.get(3)?)))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
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

/// A hunk as the journal keeps it: id, base lines, proposed lines.
type StoredHunk = (String, [u32; 2], [u32; 2]);

impl Journal {
    /// Keeps the diffs a session's decisions left (newest first), in place of
    /// those kept before, so a restarted engine shows the same hunks.
    pub fn set_remembered(&mut self, session: &str, entries: &[Remembered]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM remembered WHERE session = ?1", [session])?;
        for (seq, r) in entries.iter().enumerate() {
            let hunks: Vec<StoredHunk> = r
                .hunks
                .iter()
                .map(|h| {
                    (
                        h.id.clone(),
                        [h.before.start, h.before.end],
                        [h.after.start, h.after.end],
                    )
                })
                .collect();
            let hunks = serde_json::to_string(&hunks).map_err(|e| {
                crate::error::EngineError::Internal(format!("remembered hunks: {e}"))
            })?;
            tx.execute(
                "INSERT INTO remembered (session, seq, key, base, proposed, hunks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    session,
                    seq as i64,
                    r.key,
                    &r.base[..],
                    &r.proposed[..],
                    hunks
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The diffs a session's decisions left, newest first; a row that does
    /// not read back is left out (a fresh diff is shown instead).
    pub fn remembered(&self, session: &str) -> Result<Vec<Remembered>> {
        let mut stmt = self.conn.prepare(
            "SELECT key, base, proposed, hunks FROM remembered WHERE session = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([session], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, base, proposed, hunks) = row?;
            let (Ok(base), Ok(proposed), Ok(hunks)) = (
                <[u8; 32]>::try_from(base.as_slice()),
                <[u8; 32]>::try_from(proposed.as_slice()),
                serde_json::from_str::<Vec<StoredHunk>>(&hunks),
            ) else {
                continue;
            };
            let hunks = hunks
                .into_iter()
                .map(|(id, b, a)| LineHunk {
                    id,
                    before: b[0]..b[1],
                    after: a[0]..a[1],
                })
                .collect();
            out.push(Remembered {
                key,
                base,
                proposed,
                hunks,
            });
        }
        Ok(out)
    }
}
