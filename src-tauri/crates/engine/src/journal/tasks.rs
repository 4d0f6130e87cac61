//! Tasks: one task started in several sessions at once, each session an
//! attempt, with its test command's last result.

use std::collections::HashMap;

use airlock_protocol::{TaskInfo, TestResult, TestState};
use rusqlite::{params, Connection, OptionalExtension};

use super::Journal;
use crate::error::Result;

/// Creates the tables (once per journal).
pub(super) fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS tasks (
            id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            test TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS task_sessions (
            task TEXT NOT NULL,
            session TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            test_state TEXT,
            test_code INTEGER,
            test_output TEXT,
            PRIMARY KEY (task, session)
        );",
    )?;
    Ok(())
}

fn state_str(s: TestState) -> &'static str {
    match s {
        TestState::Running => "running",
        TestState::Passed => "passed",
        TestState::Failed => "failed",
    }
}

impl Journal {
    /// Records a new task and its sessions, in attempt order.
    pub fn insert_task(&mut self, t: &TaskInfo) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO tasks (id, task, test, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![t.id, t.task, t.test, t.created_at as i64],
        )?;
        for (i, s) in t.sessions.iter().enumerate() {
            tx.execute(
                "INSERT INTO task_sessions (task, session, attempt) VALUES (?1, ?2, ?3)",
                params![t.id, s, i as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every task, oldest first.
    pub fn tasks(&self) -> Result<Vec<TaskInfo>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM tasks ORDER BY created_at, rowid")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.task(&id)?);
        }
        Ok(out)
    }

    /// One task.
    pub fn task(&self, id: &str) -> Result<Option<TaskInfo>> {
        let row = self
            .conn
            .query_row(
                "SELECT task, test, created_at FROM tasks WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()?;
        let Some((task, test, created)) = row else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT session FROM task_sessions WHERE task = ?1 ORDER BY attempt")?;
        let sessions = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(Some(TaskInfo {
            id: id.to_string(),
            task,
            test,
            sessions,
            created_at: created.max(0) as u64,
        }))
    }

    /// The task of each session that is an attempt.
    pub fn session_tasks(&self) -> Result<HashMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT session, task FROM task_sessions")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Keeps an attempt's test result.
    pub fn record_test(&self, task: &str, session: &str, r: &TestResult) -> Result<()> {
        self.conn.execute(
            "UPDATE task_sessions SET test_state = ?3, test_code = ?4, test_output = ?5
             WHERE task = ?1 AND session = ?2",
            params![task, session, state_str(r.state), r.exit_code, r.output],
        )?;
        Ok(())
    }

    /// Each attempt's last test result, by session.
    pub fn tests(&self, task: &str) -> Result<HashMap<String, TestResult>> {
        let mut stmt = self.conn.prepare(
            "SELECT session, test_state, test_code, test_output FROM task_sessions
             WHERE task = ?1 AND test_state IS NOT NULL",
        )?;
        let rows = stmt.query_map([task], |r| {
            let state: String = r.get(1)?;
            let state = match state.as_str() {
                "running" => TestState::Running,
                "passed" => TestState::Passed,
                _ => TestState::Failed,
            };
            Ok((
                r.get::<_, String>(0)?,
                TestResult {
                    state,
                    exit_code: r.get(2)?,
                    output: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                },
            ))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Forgets a finished task.
    pub fn delete_task(&self, id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM task_sessions WHERE task = ?1", [id])?;
        self.conn.execute("DELETE FROM tasks WHERE id = ?1", [id])?;
        Ok(())
    }
}
