//! A session's life: brought back from the journal, started (its stage,
//! agent settings, sandbox and process), restarted, removed; and the folders
//! it owns under the project's data folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use airlock_protocol::{
    Event, Orphan, Response, SessionInfo, SessionKind, SessionMode, SessionState,
    StartSessionParams, TurnState,
};
use tokio::sync::{mpsc, oneshot};

use super::confine::{session_env, Confined};
use super::prepare::Prepared;
use super::resume::resumed;
use super::session::{Parts, Session};
use super::{chat, sandbox, Actor, PTY_QUEUE};
use crate::error::{EngineError, Result};
use crate::home;
use crate::pty::{self, PtyProcess, SpawnSpec};
use crate::scrollback::Scrollback;
use crate::stage::{self, IgnoreFilter};
use crate::watch::TreeWatcher;

impl Actor {
    /// Starts a session: its stage (for a staged one, unless `prepared`
    /// already made it off the actor), the agent's own settings, its
    /// sandbox, then its process or chat agent.
    pub(super) async fn start_session(
        &mut self,
        params: StartSessionParams,
        prepared: Option<Prepared>,
    ) -> Result<Response> {
        let (mut command, agent, kind, mode) = self.planned_command(&params)?;
        let hook_token = home::random_token();
        let gated = mode == SessionMode::Gated;
        let prepared = match prepared {
            Some(p) => p,
            None => {
                let id = format!("s-{}", &home::random_token()[..10]);
                let stage = self.make_stage(&id, gated, params.base.as_deref()).await?;
                Prepared::bare(id, stage)
            }
        };
        let (id, stage) = (prepared.id.clone(), prepared.stage.clone());
        let planned = self
            .agent_settings(&id, &agent, kind, &mut command)
            .and_then(|()| self.plan_sandbox(&id, &stage, gated, &command, &params));
        let sandbox = match planned {
            Ok(s) => s,
            Err(e) => {
                if !gated {
                    self.remove_stage(&id, &stage);
                }
                return Err(e);
            }
        };
        let name = params
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| agent.clone());
        let mut info = new_info(&id, name, command.clone(), (mode, kind), &stage, &sandbox);
        info.task = prepared.task.clone();
        let command = prepared.wrap(command, kind);
        // Watch before the command starts, so not even its first write is missed.
        let watcher = (!gated)
            .then(|| self.watch_new_stage(&id, &stage))
            .flatten();
        let size = (params.cols.unwrap_or(80), params.rows.unwrap_or(24));
        // Open before the command starts: its coalescer writes there.
        let scrollback = self.open_scrollback(&id);
        let launch = Launch {
            id: &id,
            stage: &stage,
            kind,
            hook_token: &hook_token,
            size,
            scrollback: &scrollback,
            env: prepared.env,
        };
        let launched = match self.launch(launch, &sandbox, command).await {
            Ok(l) => l,
            Err(e) => {
                self.forget_scrollback(&id);
                if !gated {
                    self.remove_stage(&id, &stage);
                }
                return Err(e);
            }
        };
        let filter = IgnoreFilter::new(&stage, Some(&self.project.join(".git/info/exclude")));
        self.journal.insert_session(&info)?;
        let mut session = Session::new(Parts {
            info: info.clone(),
            stage,
            watcher,
            filter,
            scrollback,
            hook_token,
        });
        session.term.process = launched.process;
        session.term.size = size;
        session.term.last_output = Some(std::time::Instant::now());
        session.sandbox = Some(sandbox);
        session.chat = launched.chat;
        session.gate.exec = launched.exec_gate;
        session.proxy = launched.proxy;
        self.sessions.insert(id.clone(), session);
        self.emit(Event::SessionStarted {
            session: info.clone(),
        });
        Ok(Response::Session(info))
    }

    /// A new stage's watcher; a problem is shown when it cannot be watched.
    fn watch_new_stage(&self, id: &str, stage: &Path) -> Option<TreeWatcher> {
        self.watch_stage(id, stage)
            .inspect_err(|e| self.problem(Some(id), format!("cannot watch the stage: {e}")))
            .ok()
    }

    /// Refuses, before anything is made, a session that cannot work.
    pub(super) fn check_start(
        &self,
        command: &[String],
        agent: &str,
        kind: SessionKind,
        mode: SessionMode,
    ) -> Result<()> {
        let is_chat = kind == SessionKind::Chat;
        let gated = mode == SessionMode::Gated;
        if is_chat && gated && !chat::writes_through_client(agent) {
            return Err(EngineError::BadRequest(format!(
                "`{}` writes files itself, so Airlock cannot hold its writes in the project: run it staged (Airlock knows these agents send their writes through it: {})",
                command[0],
                chat::gated_agents()
            )));
        }
        if gated && agent != "claude" && !is_chat {
            return Err(EngineError::BadRequest(format!(
                "`{}` has no gate Airlock can hold, so it can only run staged; start it in staged mode",
                command[0]
            )));
        }
        if gated && self.hook_program.is_none() {
            return Err(EngineError::BadRequest(
                "gated mode needs the `airlock` command beside this app for Claude Code's hook; build it with `cargo build -p airlock-cli`, or run staged".into(),
            ));
        }
        if pty::resolve_program(&command[0]).is_none() {
            return Err(EngineError::Spawn {
                command: command.join(" "),
                reason: format!(
                    "`{}` was not found on PATH; {}",
                    command[0],
                    chat::install_hint(&command[0])
                        .unwrap_or_else(|| "install it or give its full path".into())
                ),
            });
        }
        Ok(())
    }

    /// A new session's folder: a fresh stage, or the project for a gated one.
    /// (`&mut`: the actor is `Send` but not `Sync`, and this awaits.)
    async fn make_stage(&mut self, id: &str, gated: bool, base: Option<&str>) -> Result<PathBuf> {
        if gated {
            return Ok(self.project.clone());
        }
        let stage = self.home.stages().join(id);
        let (project, stage_for_task) = (self.project.clone(), stage.clone());
        let base = base.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            stage::create(&project, &stage_for_task, base.as_deref())
        })
        .await
        .map_err(|e| EngineError::Internal(format!("stage creation failed: {e}")))??;
        Ok(stage)
    }

    /// Tells a terminal agent how to reach Airlock: Claude Code's hooks
    /// (in a settings file Airlock owns: the user's project and ~/.claude
    /// stay untouched) and Codex's `notify` program.
    fn agent_settings(
        &self,
        id: &str,
        agent: &str,
        kind: SessionKind,
        command: &mut Vec<String>,
    ) -> Result<()> {
        let Some(hook) = &self.hook_program else {
            return Ok(());
        };
        if kind == SessionKind::Chat {
            return Ok(());
        }
        if agent == "claude" {
            let settings = self.claude_settings(id);
            let bytes = serde_json::to_vec_pretty(&claude_hooks(hook))
                .map_err(|e| EngineError::Internal(format!("claude settings: {e}")))?;
            crate::fsx::atomic_write(&settings, &bytes, 0o600)?;
            command.insert(1, "--settings".into());
            command.insert(2, settings.display().to_string());
        }
        if agent == "codex" {
            // Codex says when its turn completes through its `notify` program.
            let program = serde_json::to_string(&hook.display().to_string())
                .map_err(|e| EngineError::Internal(format!("codex notify: {e}")))?;
            command.insert(1, "-c".into());
            command.insert(2, format!("notify=[{program}, \"hook\", \"codex\"]"));
        }
        Ok(())
    }

    /// Confines a new session's command and starts it: a terminal's process
    /// or a chat's agent.
    async fn launch(
        &mut self,
        at: Launch<'_>,
        sandbox: &sandbox::Sandbox,
        command: Vec<String>,
    ) -> Result<Launched> {
        let Confined {
            command,
            exec_gate,
            proxy,
            env,
        } = self.confine(at.id, sandbox, command, at.stage).await?;
        let env = env.into_iter().chain(at.env).collect::<Vec<_>>();
        let (process, chat) = if at.kind == SessionKind::Chat {
            let agent = self.spawn_agent(at.id, command, at.stage, None, &env)?;
            let chat = chat::Chat::new(self.chat_file(at.id), Some(agent));
            (None, Some(chat))
        } else {
            let env = session_env(at.hook_token, env);
            let p = self.spawn_process(at.id, command, at.stage, env, at.size, at.scrollback)?;
            (Some(p), None)
        };
        Ok(Launched {
            process,
            chat,
            exec_gate,
            proxy,
        })
    }

    /// Runs a session's command in a new PTY with the environment its hooks need.
    pub(super) fn spawn_process(
        &self,
        id: &str,
        command: Vec<String>,
        cwd: &Path,
        extra_env: Vec<(String, String)>,
        (cols, rows): (u16, u16),
        scrollback: &Arc<Mutex<Scrollback>>,
    ) -> Result<PtyProcess> {
        let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>(PTY_QUEUE);
        let (exit_tx, exit_rx) = oneshot::channel::<Option<i32>>();
        let tmp = self.session_tmp(id)?;
        let mut env = vec![
            ("AIRLOCK_SESSION".into(), id.to_string()),
            (
                "AIRLOCK_SOCKET".into(),
                self.home.hook_socket().display().to_string(),
            ),
            ("TMPDIR".into(), tmp.display().to_string()),
        ];
        // A staged agent is not told where the project is: it has no business there.
        if cwd == self.project {
            env.push(("AIRLOCK_PROJECT".into(), self.project.display().to_string()));
        }
        env.extend(extra_env);
        let spec = SpawnSpec {
            command,
            cwd: cwd.to_path_buf(),
            env,
            cols,
            rows,
        };
        let process = pty::spawn(spec, out_tx, move |code| {
            let _ = exit_tx.send(code);
        })?;
        self.spawn_coalescer(id.to_string(), scrollback.clone(), out_rx, exit_rx);
        Ok(process)
    }

    pub(super) async fn restart_session(&mut self, id: &str) -> Result<Response> {
        let s = self.session_mut(id)?;
        if s.term.process.is_some() || s.chat.as_ref().is_some_and(|c| c.agent.is_some()) {
            return Err(EngineError::BadRequest(format!(
                "session {id} is still running; stop it first"
            )));
        }
        if !s.stage.is_dir() {
            return Err(EngineError::StageGone(id.to_string()));
        }
        let command = resumed(&s.info.command, s.info.resume.as_deref());
        let (stage, size) = (s.stage.clone(), s.term.size);
        let gated = s.info.mode == SessionMode::Gated;
        let scrollback = s.scrollback.clone();
        let sandbox = match s.sandbox.clone() {
            Some(sandbox) => sandbox,
            None => {
                self.plan_sandbox(id, &stage, gated, &command, &StartSessionParams::default())?
            }
        };
        let Confined {
            command,
            exec_gate,
            proxy,
            env,
        } = self.confine(id, &sandbox, command, &stage).await?;
        let token = home::random_token();
        let resume = self
            .session_mut(id)?
            .chat
            .as_ref()
            .map(|c| c.agent_session.clone());
        let (process, agent) = if let Some(resume) = resume {
            // The same conversation, where the agent can load it.
            (
                None,
                Some(self.spawn_agent(id, command, &stage, resume, &env)?),
            )
        } else {
            let env = session_env(&token, env);
            let p = self.spawn_process(id, command, &stage, env, size, &scrollback)?;
            (Some(p), None)
        };
        let s = self.session_mut(id)?;
        s.info.sandbox = Some(sandbox.info.clone());
        s.sandbox = Some(sandbox);
        s.gate.exec = exec_gate;
        s.proxy = proxy;
        s.term.process = process;
        if let Some(chat) = s.chat.as_mut() {
            chat.agent = agent;
            // Until the new agent has said what it offers.
            s.info.chat = None;
        }
        s.gate.hook_token = token;
        s.info.state = SessionState::Running;
        s.info.exit_code = None;
        s.term.last_output = Some(std::time::Instant::now());
        s.info.turn = TurnState::Running;
        let info = s.info.clone();
        self.emit(Event::SessionUpdated {
            session: info.clone(),
        });
        Ok(Response::Session(info))
    }

    pub(super) fn remove_session(&mut self, id: &str, force: bool) -> Result<()> {
        let s = self.session_mut(id)?;
        if !s.queue.view.is_empty() && !force {
            return Err(EngineError::Held(format!(
                "session {id} still has {} pending change(s): decide them first, or remove it with force to discard them",
                s.queue.view.len()
            )));
        }
        let Some(mut s) = self.sessions.remove(id) else {
            return Ok(());
        };
        if let Some(p) = s.term.process.as_mut() {
            p.stop();
        }
        if let Some(agent) = s.chat.as_ref().and_then(|c| c.agent.as_ref()) {
            agent.kill();
        }
        self.remove_file(id, &self.chat_file(id));
        self.remove_file(id, &self.chat_file(id).with_extension("agent"));
        self.remove_file(id, &self.comments_file(id));
        if s.info.mode == SessionMode::Staged {
            stage::remove(&self.project, &s.stage)?;
        }
        self.remove_tmp(id);
        self.forget_scrollback(id);
        self.remove_file(id, &self.claude_settings(id));
        self.remove_file(id, &self.resume_file(id));
        self.journal.delete_session(id)?;
        for p in s.queue.view.values() {
            self.emit(Event::ChangeRemoved {
                change: p.change.id.clone(),
                session: id.to_string(),
                path: p.change.path.clone(),
            });
        }
        self.emit(Event::SessionRemoved {
            session: id.to_string(),
        });
        Ok(())
    }

    /// Says once that a staged session's stage is gone from disk: its
    /// watcher may see only the files go, not the folder itself.
    pub(super) fn check_stage(&mut self, id: &str) {
        let Some(s) = self.sessions.get_mut(id) else {
            return;
        };
        if s.info.mode != SessionMode::Staged || s.stage_lost || s.stage.is_dir() {
            return;
        }
        s.stage_lost = true;
        self.problem(Some(id), EngineError::StageGone(id.to_string()).to_string());
    }

    /// Where a chat session's transcript is kept.
    pub(super) fn chat_file(&self, id: &str) -> PathBuf {
        self.home.dir.join("chats").join(format!("{id}.json"))
    }

    /// Where Claude Code's hook settings for a session live.
    pub(super) fn claude_settings(&self, id: &str) -> PathBuf {
        self.home.dir.join("claude").join(format!("{id}.json"))
    }

    /// A session's private temp folder (`$TMPDIR`), made if missing.
    pub(super) fn session_tmp(&self, id: &str) -> Result<PathBuf> {
        let tmp = self.home.dir.join("tmp").join(id);
        home::create_private_dir(&tmp)?;
        Ok(tmp)
    }

    /// Where an isolated session keeps its writes to the agents' state.
    pub(super) fn session_state(&self, id: &str) -> PathBuf {
        self.home.dir.join("state").join(id)
    }

    /// Removes one of a session's files; a file already gone is fine, any
    /// other failure is said (the file is left behind, not forgotten).
    pub(super) fn remove_file(&self, id: &str, path: &Path) {
        if let Err(e) = std::fs::remove_file(path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                self.problem(
                    Some(id),
                    format!("could not remove {}: {e}", path.display()),
                );
            }
        }
    }

    /// Removes a session's temp and state folders.
    pub(super) fn remove_tmp(&self, id: &str) {
        let tmp = self.home.dir.join("tmp").join(id);
        if let Err(e) = std::fs::remove_dir_all(&tmp) {
            if e.kind() != std::io::ErrorKind::NotFound {
                self.problem(Some(id), format!("could not remove {}: {e}", tmp.display()));
            }
        }
        let state = self.session_state(id);
        if let Err(e) = sandbox::remove_state(&state) {
            self.problem(
                Some(id),
                format!("could not remove {}: {e}", state.display()),
            );
        }
    }

    /// Removes a stage whose session never started, saying so if it cannot.
    pub(super) fn remove_stage(&self, id: &str, stage: &Path) {
        if let Err(e) = stage::remove(&self.project, stage) {
            self.problem(Some(id), format!("could not remove the stage: {e}"));
        }
        self.remove_tmp(id);
    }

    /// Stage folders that no session owns.
    pub(super) fn orphans(&self) -> Vec<Orphan> {
        // A stage being made for a session not started yet is owned too.
        let owned: std::collections::HashSet<&Path> = self
            .sessions
            .values()
            .map(|s| s.stage.as_path())
            .chain(self.tasks.preparing.iter().map(PathBuf::as_path))
            .collect();
        let Ok(entries) = std::fs::read_dir(self.home.stages()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !owned.contains(p.as_path()))
            .map(|p| Orphan {
                bytes: disk_use(&p),
                path: p.display().to_string(),
            })
            .collect()
    }
}

pub(super) fn disk_use(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.blocks() * 512;
            }
        }
    }
    total
}

/// Where and how a new session's command starts.
struct Launch<'a> {
    id: &'a str,
    stage: &'a Path,
    kind: SessionKind,
    hook_token: &'a str,
    size: (u16, u16),
    scrollback: &'a Arc<Mutex<Scrollback>>,
    /// More environment for the command (an attempt's number).
    env: Vec<(String, String)>,
}

/// What [`Actor::launch`] started.
struct Launched {
    process: Option<PtyProcess>,
    chat: Option<chat::Chat>,
    exec_gate: Option<super::exec_gate::Handle>,
    proxy: Option<airlock_proxy::Proxy>,
}

/// A new session as the wire shows it.
fn new_info(
    id: &str,
    name: String,
    command: Vec<String>,
    (mode, kind): (SessionMode, SessionKind),
    stage: &Path,
    sandbox: &sandbox::Sandbox,
) -> SessionInfo {
    SessionInfo {
        id: id.to_string(),
        name,
        command,
        mode,
        state: SessionState::Running,
        // A chat's turn starts with its first prompt.
        turn: if kind == SessionKind::Chat {
            TurnState::Idle
        } else {
            TurnState::Running
        },
        exit_code: None,
        cwd: stage.display().to_string(),
        created_at: home::now_ms(),
        pending_changes: 0,
        pending_hunks: 0,
        sandbox: Some(sandbox.info.clone()),
        kind,
        chat: None,
        resume: None,
        task: None,
    }
}

/// The hooks Claude Code runs: each tool call asks Airlock first, and its
/// turn's end is said by Claude Code itself rather than guessed from a
/// quiet terminal.
fn claude_hooks(hook: &Path) -> serde_json::Value {
    let command = format!("'{}' hook claude", hook.display());
    serde_json::json!({
        "hooks": {
            "PreToolUse": [{
                "matcher": "*",
                "hooks": [{ "type": "command", "command": command, "timeout": 86400 }]
            }],
            "Stop": [{
                "hooks": [{ "type": "command", "command": command, "timeout": 30 }]
            }]
        }
    })
}
