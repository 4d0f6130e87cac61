//! The commits Airlock made: which landings each one holds (so they are no
//! longer offered for a commit) and the sessions and prompts behind it (for a
//! pull request's body).

use std::collections::HashSet;

use airlock_protocol::CommitSession;
use rusqlite::{params, Connection};

use super::Journal;
use crate::error::Result;

/// A commit Airlock made, as recorded.
#[derive(Debug, Clone)]
pub struct RecordedCommit {
    /// The commit's id.
    pub sha: String,
    /// Its full message.
    pub message: String,
    /// The sessions whose landings it holds.
    pub sessions: Vec<CommitSession>,
}

/// Creates the tables (once per journal).
pub(super) fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS commits (
            id INTEGER PRIMARY KEY,
            sha TEXT NOT NULL,
            branch TEXT NOT NULL,
            at INTEGER NOT NULL,
            message TEXT NOT NULL,
            sessions TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS committed_landings (
            landing INTEGER PRIMARY KEY,
            sha TEXT NOT NULL
        );",
    )?;
    Ok(())
}

impl Journal {
    /// The landings a commit of Airlock's holds.
    pub fn committed_landings(&self) -> Result<HashSet<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT landing FROM committed_landings")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records a commit and the landings it holds all of.
    pub fn record_commit(
        &mut self,
        sha: &str,
        branch: &str,
        message: &str,
        sessions: &[CommitSession],
        landings: &[i64],
    ) -> Result<()> {
        let sessions = serde_json::to_string(sessions).unwrap_or_else(|_| "[]".into());
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO commits (sha, branch, at, message, sessions) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![sha, branch, crate::home::now_ms() as i64, message, sessions],
        )?;
        for l in landings {
            tx.execute(
                "INSERT OR REPLACE INTO committed_landings (landing, sha) VALUES (?1, ?2)",
                params![l, sha],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The commits Airlock made on `branch`, newest first.
    pub fn commits_on(&self, branch: &str) -> Result<Vec<RecordedCommit>> {
        let mut stmt = self.conn.prepare(
            "SELECT sha, message, sessions FROM commits WHERE branch = ?1 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([branch], |r| {
            let sessions: String = r.get(2)?;
            Ok(RecordedCommit {
                sha: r.get(0)?,
                message: r.get(1)?,
                sessions: serde_json::from_str(&sessions).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
