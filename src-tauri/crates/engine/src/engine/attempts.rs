//! Attempts: one task started in several staged sessions at once, their
//! pending changes compared side by side, the best kept. The actor only
//! reads what it owns (each attempt's review queue); stages are made on the
//! stages thread (`prepare`), test commands run as tokio child processes,
//! and what is kept lands through the usual approve path.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use airlock_protocol::{
    AttemptFile, AttemptTotals, ComparedFile, Comparison, Event, IpcError, KeepParams, Request,
    Response, SessionKind, SessionMode, StartAttemptsParams, StartSessionParams, TaskInfo,
    TestResult, TestState,
};
use tokio::sync::oneshot;

use super::prepare::{Done, Reply, Then};
use super::{Actor, Msg};
use crate::error::{EngineError, Result};
use crate::home;
use crate::stage::bring;

/// The most attempts one task may have.
pub(super) const MOST_ATTEMPTS: u8 = 8;
/// Test output kept per attempt.
const TEST_OUTPUT: usize = 64 * 1024;

/// What the actor keeps of tasks between messages.
#[derive(Default)]
pub(super) struct Tasks {
    /// A chat attempt's first prompt, sent once its agent is ready.
    prompts: HashMap<String, String>,
    /// Attempts whose test command runs now.
    testing: HashSet<String>,
    /// Stages being made on the stages thread for sessions not started yet
    /// (any staged session's, not only attempts'): not orphans.
    pub(super) preparing: HashSet<std::path::PathBuf>,
}

/// A picked hunk (or whole change) and the base lines it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pick {
    pub(super) attempt: usize,
    pub(super) path: String,
    pub(super) id: String,
    /// The change it is (part of).
    pub(super) change: String,
    /// First base line, and one past the last (equal for an insertion).
    pub(super) lines: (u32, u32),
}

/// The first pair of picks from different attempts over overlapping (or
/// touching) base lines of the same file.
pub(super) fn conflict(picks: &[Pick]) -> Option<(&Pick, &Pick)> {
    for (i, a) in picks.iter().enumerate() {
        for b in &picks[i + 1..] {
            let overlap = a.lines.0 <= b.lines.1 && b.lines.0 <= a.lines.1;
            if a.attempt != b.attempt && a.path == b.path && overlap {
                return Some((a, b));
            }
        }
    }
    None
}

/// The hunks `ids` pick (a change id picks all its hunks, or the whole
/// file when it has none); an id no attempt of the task has is refused.
fn picks_of(c: &Comparison, ids: &[String]) -> Result<Vec<Pick>> {
    let order: HashMap<&str, usize> = c
        .task
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut picks = Vec::new();
    let mut known = HashSet::new();
    for f in &c.files {
        for a in &f.attempts {
            let attempt = order.get(a.session.as_str()).copied().unwrap_or(0);
            let whole = wanted.contains(a.change.as_str());
            known.insert(a.change.as_str());
            let pick = |id: &str, lines| Pick {
                attempt,
                path: f.path.clone(),
                id: id.to_string(),
                change: a.change.clone(),
                lines,
            };
            if whole && a.hunks.is_empty() {
                picks.push(pick(&a.change, (0, u32::MAX)));
            }
            for h in &a.hunks {
                known.insert(h.id.as_str());
                if whole || wanted.contains(h.id.as_str()) {
                    picks.push(pick(&h.id, (h.old_start, h.old_start + h.old_lines)));
                }
            }
        }
    }
    if let Some(id) = ids.iter().find(|id| !known.contains(id.as_str())) {
        return Err(EngineError::UnknownId {
            what: "hunk or change of this task",
            id: id.clone(),
        });
    }
    Ok(picks)
}

impl Actor {
    /// [`Request::StartAttempts`]: every attempt's session is checked
    /// before any starts; the answer comes once all have started.
    pub(super) fn start_attempts(&mut self, p: StartAttemptsParams, reply: Reply) {
        match self.plan_attempts(&p) {
            Ok(plans) => self.launch_attempts(p, plans, reply),
            Err(e) => {
                let _ = reply.send(Err(e.into()));
            }
        }
    }

    fn plan_attempts(
        &self,
        p: &StartAttemptsParams,
    ) -> Result<Vec<(StartSessionParams, Option<String>)>> {
        if p.task.trim().is_empty() {
            return Err(EngineError::BadRequest("the task is empty".into()));
        }
        if !(1..=MOST_ATTEMPTS).contains(&p.count) {
            return Err(EngineError::BadRequest(format!(
                "attempts must number 1 to {MOST_ATTEMPTS}, not {}",
                p.count
            )));
        }
        let mut plans = Vec::new();
        for i in 0..usize::from(p.count) {
            let agent = (!p.agents.is_empty()).then(|| &p.agents[i % p.agents.len()]);
            let kind = agent.and_then(|a| a.kind).unwrap_or_default();
            let (command, prompt) = match agent {
                None => (vec!["/bin/sh".into(), "-c".into(), p.task.clone()], None),
                Some(a) if kind == SessionKind::Chat => (a.command.clone(), Some(p.task.clone())),
                Some(a) => {
                    let mut c = a.command.clone();
                    c.push(p.task.clone());
                    (c, None)
                }
            };
            let word = agent
                .and_then(|a| a.command.first())
                .map(|c| c.rsplit('/').next().unwrap_or(c).to_string())
                .unwrap_or_else(|| "attempt".into());
            let params = StartSessionParams {
                command: Some(command),
                name: Some(format!("{word} #{}", i + 1)),
                mode: Some(SessionMode::Staged),
                kind: Some(kind),
                base: p.base.clone(),
                cols: p.cols,
                rows: p.rows,
                ..Default::default()
            };
            self.planned_command(&params)?;
            plans.push((params, prompt));
        }
        Ok(plans)
    }

    fn launch_attempts(
        &mut self,
        p: StartAttemptsParams,
        plans: Vec<(StartSessionParams, Option<String>)>,
        reply: Reply,
    ) {
        let task = TaskInfo {
            id: format!("t-{}", &home::random_token()[..10]),
            task: p.task.clone(),
            test: p.test.filter(|t| !t.trim().is_empty()),
            sessions: (0..plans.len())
                .map(|_| format!("s-{}", &home::random_token()[..10]))
                .collect(),
            created_at: home::now_ms(),
        };
        if let Err(e) = self.journal.insert_task(&task) {
            let _ = reply.send(Err(e.into()));
            return;
        }
        let mut waits = Vec::new();
        for (i, (params, prompt)) in plans.into_iter().enumerate() {
            let id = task.sessions[i].clone();
            if let Some(prompt) = prompt {
                self.tasks.prompts.insert(id.clone(), prompt);
            }
            let (tx, rx) = oneshot::channel();
            let env = vec![
                ("AIRLOCK_TASK".to_string(), task.id.clone()),
                ("AIRLOCK_ATTEMPT".to_string(), (i + 1).to_string()),
            ];
            let then = Then {
                reply: tx,
                task: Some(task.id.clone()),
                env,
            };
            self.start_staged(params, id, then);
            waits.push(rx);
        }
        self.emit(Event::TaskChanged {
            task: task.id.clone(),
        });
        tokio::spawn(async move {
            let mut failed = Vec::new();
            for (i, rx) in waits.into_iter().enumerate() {
                match rx.await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => failed.push(format!("attempt {}: {}", i + 1, e.message)),
                    Err(_) => failed.push(format!("attempt {}: the engine stopped", i + 1)),
                }
            }
            let answer = if failed.is_empty() {
                Ok(Response::Task(task))
            } else {
                Err(IpcError::from(EngineError::BadRequest(format!(
                    "task {} started, but not every attempt: {}",
                    task.id,
                    failed.join("; ")
                ))))
            };
            let _ = reply.send(answer);
        });
    }

    /// The requests of this file answered on the actor.
    pub(super) fn task_request(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::GetStageConfig => {
                Ok(Response::StageConfig(bring::read_config(&self.project)?))
            }
            Request::SetStageConfig(config) => {
                bring::write_config(&self.project, &config)?;
                Ok(Response::StageConfig(bring::read_config(&self.project)?))
            }
            Request::ListTasks => Ok(Response::Tasks {
                tasks: self.journal.tasks()?,
            }),
            Request::Compare { task } => Ok(Response::Comparison(self.compare(&task)?)),
            Request::Keep(p) => self.keep(p),
            Request::FinishTask { task } => {
                let info = self.task_info(&task)?;
                for s in &info.sessions {
                    if self.sessions.contains_key(s) {
                        self.remove_session(s, true)?;
                    }
                    self.tasks.testing.remove(s);
                }
                self.journal.delete_task(&task)?;
                self.emit(Event::TaskChanged { task });
                Ok(Response::Done)
            }
            other => Err(EngineError::BadRequest(format!(
                "`{}` is not a task request",
                other.op()
            ))),
        }
    }

    fn task_info(&self, task: &str) -> Result<TaskInfo> {
        self.journal
            .task(task)?
            .ok_or_else(|| EngineError::UnknownId {
                what: "task",
                id: task.to_string(),
            })
    }

    /// Each attempt's pending changes, totals and test result.
    pub(super) fn compare(&self, task: &str) -> Result<Comparison> {
        let info = self.task_info(task)?;
        let mut tests = self.journal.tests(task)?;
        let mut files: BTreeMap<String, Vec<AttemptFile>> = BTreeMap::new();
        let mut attempts = Vec::new();
        for (i, id) in info.sessions.iter().enumerate() {
            let mut totals = AttemptTotals {
                session: id.clone(),
                name: format!("attempt #{}", i + 1),
                files: 0,
                added: 0,
                removed: 0,
                test: tests.remove(id),
                gone: true,
            };
            if let Some(s) = self.sessions.get(id) {
                totals.name = s.info.name.clone();
                totals.gone = false;
                for p in s.queue.view.values() {
                    let c = &p.change;
                    totals.files += 1;
                    totals.added += c.additions;
                    totals.removed += c.deletions;
                    files.entry(c.path.clone()).or_default().push(AttemptFile {
                        session: id.clone(),
                        change: c.id.clone(),
                        version: c.version.clone(),
                        additions: c.additions,
                        deletions: c.deletions,
                        hunks: c.hunks.clone(),
                    });
                }
            }
            attempts.push(totals);
        }
        let files = files
            .into_iter()
            .map(|(path, attempts)| ComparedFile { path, attempts })
            .collect();
        Ok(Comparison {
            task: info,
            attempts,
            files,
        })
    }

    /// [`Request::Keep`]: refuses conflicting picks, then approves each
    /// attempt's picks in attempt order.
    fn keep(&mut self, p: KeepParams) -> Result<Response> {
        let comparison = self.compare(&p.task)?;
        let picks = picks_of(&comparison, &p.ids)?;
        if let Some((a, b)) = conflict(&picks) {
            return Err(EngineError::Held(format!(
                "conflict in {}: {} of attempt {} and {} of attempt {} change the same lines; keep one of them",
                a.path,
                a.id,
                a.attempt + 1,
                b.id,
                b.attempt + 1
            )));
        }
        let mut by_attempt: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for id in &p.ids {
            if let Some(k) = picks.iter().find(|k| &k.id == id || k.change == *id) {
                by_attempt.entry(k.attempt).or_default().push(id.clone());
            }
        }
        let mut outcome = airlock_protocol::DecisionOutcome::default();
        for ids in by_attempt.into_values() {
            let approve = Request::Approve {
                ids,
                always: None,
                versions: None,
            };
            if let Response::Decided(d) = self.review_request(approve)? {
                outcome.paths.extend(d.paths);
                outcome.hunks += d.hunks;
                outcome.landing = d.landing.or(outcome.landing);
            }
        }
        Ok(Response::Decided(outcome))
    }

    /// A session's turn ended or its process exited: an attempt's test
    /// command runs in its stage.
    pub(super) fn turn_over(&mut self, session: &str) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let Some(task) = s.info.task.clone() else {
            return;
        };
        let Ok(Some(info)) = self.journal.task(&task) else {
            return;
        };
        let Some(test) = info.test else {
            return;
        };
        if !self.tasks.testing.insert(session.to_string()) {
            return;
        }
        let attempt = info.sessions.iter().position(|x| x == session).unwrap_or(0) + 1;
        let running = TestResult {
            state: TestState::Running,
            exit_code: None,
            output: String::new(),
        };
        if let Err(e) = self.journal.record_test(&task, session, &running) {
            self.problem(Some(session), format!("journal: {e}"));
        }
        self.emit(Event::TaskChanged { task: task.clone() });
        let stage = s.stage.clone();
        // Inside the session's own sandbox (its stage and temp folder
        // writable, nothing else), without its exec gate: the command is the user's.
        let argv = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            format!("exec 2>&1\n{test}"),
        ];
        let confined = match s.sandbox.clone() {
            Some(sb) => Ok(sb),
            None => self.plan_sandbox(
                session,
                &stage,
                false,
                &argv,
                &StartSessionParams::default(),
            ),
        }
        .and_then(|sb| sb.wrap(argv, None, None));
        let tmp = self.session_tmp(session);
        let (tx, session) = (self.tx.clone(), session.to_string());
        tokio::spawn(async move {
            let result = match (confined, tmp) {
                (Ok(argv), Ok(tmp)) => run_test(&argv, &stage, &tmp, attempt).await,
                (Err(e), _) | (_, Err(e)) => TestResult {
                    state: TestState::Failed,
                    exit_code: None,
                    output: format!("the test command could not be confined: {e}"),
                },
            };
            let done = Done::Tested {
                task,
                session,
                result,
            };
            let _ = tx.send(Msg::Prepared(Box::new(done))).await;
        });
    }

    /// An attempt's test ended.
    pub(super) fn tested(&mut self, task: &str, session: &str, result: TestResult) {
        self.tasks.testing.remove(session);
        if self.journal.task(task).ok().flatten().is_none() {
            return;
        }
        if let Err(e) = self.journal.record_test(task, session, &result) {
            self.problem(Some(session), format!("journal: {e}"));
        }
        self.emit(Event::TaskChanged {
            task: task.to_string(),
        });
    }

    /// A chat attempt's agent is ready: its task is its first prompt.
    pub(super) fn send_task_prompt(&mut self, session: &str) {
        if let Some(text) = self.tasks.prompts.remove(session) {
            if let Err(e) = self.prompt(session, text) {
                self.problem(Some(session), format!("the task could not be sent: {e}"));
            }
        }
    }
}

/// Runs a task's (confined) test command in a stage: stdout and stderr together, the
/// last [`TEST_OUTPUT`] bytes kept; at most an hour.
async fn run_test(argv: &[String], stage: &Path, tmp: &Path, attempt: usize) -> TestResult {
    let Some((program, args)) = argv.split_first() else {
        return TestResult {
            state: TestState::Failed,
            exit_code: None,
            output: "no test command".into(),
        };
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .current_dir(stage)
        .env("AIRLOCK_ATTEMPT", attempt.to_string())
        .env("TMPDIR", tmp)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output();
    let failed = |output: String| TestResult {
        state: TestState::Failed,
        exit_code: None,
        output,
    };
    match tokio::time::timeout(Duration::from_secs(3600), child).await {
        Err(_) => failed("the test command ran for an hour and was stopped".into()),
        Ok(Err(e)) => failed(format!("the test command could not run: {e}")),
        Ok(Ok(out)) => {
            let bytes = &out.stdout[out.stdout.len().saturating_sub(TEST_OUTPUT)..];
            TestResult {
                state: if out.status.success() {
                    TestState::Passed
                } else {
                    TestState::Failed
                },
                exit_code: out.status.code(),
                output: String::from_utf8_lossy(bytes).into_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(attempt: usize, path: &str, lines: (u32, u32)) -> Pick {
        Pick {
            attempt,
            path: path.into(),
            id: format!("h-{attempt}-{}", lines.0),
            change: format!("c-{attempt}"),
            lines,
        }
    }

    #[test]
    fn picks_conflict_only_across_attempts_over_the_same_lines() {
        let apart = [pick(0, "a", (1, 3)), pick(1, "a", (10, 12))];
        assert_eq!(conflict(&apart), None);
        let other_file = [pick(0, "a", (1, 3)), pick(1, "b", (1, 3))];
        assert_eq!(conflict(&other_file), None);
        let same_attempt = [pick(0, "a", (1, 3)), pick(0, "a", (2, 4))];
        assert_eq!(conflict(&same_attempt), None);
        let overlap = [pick(0, "a", (1, 3)), pick(1, "a", (3, 5))];
        assert!(conflict(&overlap).is_some());
        let insertions = [pick(0, "a", (4, 4)), pick(2, "a", (4, 4))];
        assert!(conflict(&insertions).is_some());
        let whole = [pick(0, "bin", (0, u32::MAX)), pick(1, "bin", (7, 8))];
        assert!(conflict(&whole).is_some());
    }
}
