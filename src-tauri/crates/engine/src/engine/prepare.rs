//! A staged session's stage is made off the actor: cloning the project,
//! checking out the branch the user picked and bringing in the ignored
//! paths of `.airlock/stage.toml` (a `node_modules` of thousands of files)
//! run on the engine's stages thread, one stage after another, and the
//! session starts when `Done::Stage` comes back. Meanwhile the actor answers
//! everyone else. The setup command runs in the session's own terminal,
//! before its agent (see [`Prepared::wrap`]).

use std::path::{Path, PathBuf};

use airlock_protocol::{
    IpcError, Request, Response, SessionKind, SessionMode, StartSessionParams, TestResult,
};
use tokio::sync::oneshot;

use super::{Actor, Msg};
use crate::error::{EngineError, Result};
use crate::home;
use crate::stage::{self, bring};

/// What the actor's reply to a start goes to.
pub(super) type Reply = oneshot::Sender<std::result::Result<Response, IpcError>>;

/// A stage made for a session that has not started yet.
pub(super) struct Prepared {
    pub(super) id: String,
    pub(super) stage: PathBuf,
    /// More environment for its command.
    pub(super) env: Vec<(String, String)>,
    /// The setup command to run before the agent.
    pub(super) setup: Option<String>,
    /// The task it is an attempt of.
    pub(super) task: Option<String>,
}

impl Prepared {
    /// A stage with nothing more to do (a gated session's, or one made inline).
    pub(super) fn bare(id: String, stage: PathBuf) -> Prepared {
        Prepared {
            id,
            stage,
            env: Vec::new(),
            setup: None,
            task: None,
        }
    }

    /// The command with the setup command run first, in the same terminal
    /// and sandbox: its output shows there, a failure is said, and the agent
    /// starts either way. A chat's stdout is its agent's wire, so there the
    /// setup prints to stderr.
    pub(super) fn wrap(&self, command: Vec<String>, kind: SessionKind) -> Vec<String> {
        let Some(setup) = &self.setup else {
            return command;
        };
        let out = if kind == SessionKind::Chat {
            " 1>&2"
        } else {
            ""
        };
        let script = format!(
            "printf 'airlock: stage setup: %s\\n' \"$1\"{out}; /bin/sh -c \"$1\"{out}; s=$?; \
             if [ \"$s\" -ne 0 ]; then printf '\\nairlock: the stage setup failed (exit %s); the agent starts anyway\\n' \"$s\"{out}; fi; \
             shift; exec \"$@\""
        );
        let mut wrapped = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            script,
            "airlock-setup".into(),
            setup.clone(),
        ];
        wrapped.extend(command);
        wrapped
    }
}

/// What a start needs besides its parameters.
pub(super) struct Then {
    pub(super) reply: Reply,
    pub(super) task: Option<String>,
    pub(super) env: Vec<(String, String)>,
}

/// Work done off the actor, coming back to it.
pub(super) enum Done {
    /// A stage was made (or could not be).
    Stage {
        params: Box<StartSessionParams>,
        id: String,
        made: Result<Made>,
        then: Then,
    },
    /// An attempt's test command ended.
    Tested {
        task: String,
        session: String,
        result: TestResult,
    },
}

/// A made stage and what its session still needs.
pub(super) struct Made {
    stage: PathBuf,
    setup: Option<String>,
    /// Why the ignored paths could not all be brought in.
    trouble: Option<String>,
}

impl Actor {
    /// The command a new session runs, its agent's name, kind and mode;
    /// refused, before anything is made, when it cannot work.
    pub(super) fn planned_command(
        &self,
        params: &StartSessionParams,
    ) -> Result<(Vec<String>, String, SessionKind, SessionMode)> {
        let command = params
            .command
            .clone()
            .filter(|c| !c.is_empty() && !c[0].is_empty())
            .unwrap_or_else(|| vec![self.default_shell.clone()]);
        let agent = Path::new(&command[0])
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = params.kind.unwrap_or_default();
        let mode = params.mode.unwrap_or_default();
        self.check_start(&command, &agent, kind, mode)?;
        Ok((command, agent, kind, mode))
    }

    /// Starts a staged session once its stage is made on the stages thread;
    /// answers `then.reply` when it has started (or failed to).
    pub(super) fn start_staged(&mut self, params: StartSessionParams, id: String, then: Then) {
        if let Err(e) = self.planned_command(&params) {
            let _ = then.reply.send(Err(e.into()));
            return;
        }
        let stage = self.home.stages().join(&id);
        self.tasks.preparing.insert(stage.clone());
        let (project, tx) = (self.project.clone(), self.tx.clone());
        self.stages.run(move || {
            let made = make(&project, &stage, params.base.as_deref());
            let done = Done::Stage {
                params: Box::new(params),
                id,
                made,
                then,
            };
            let _ = tx.blocking_send(Msg::Prepared(Box::new(done)));
        });
    }

    /// Work done off the actor comes back.
    pub(super) async fn prepared(&mut self, done: Done) {
        match done {
            Done::Stage {
                params,
                id,
                made,
                then,
            } => {
                self.tasks.preparing.remove(&self.home.stages().join(&id));
                self.stage_made(*params, id, made, then).await;
            }
            Done::Tested {
                task,
                session,
                result,
            } => self.tested(&task, &session, result),
        }
    }

    async fn stage_made(
        &mut self,
        params: StartSessionParams,
        id: String,
        made: Result<Made>,
        then: Then,
    ) {
        let made = match made {
            Ok(m) => m,
            Err(e) => {
                self.remove_stage(&id, &self.home.stages().join(&id));
                let _ = then.reply.send(Err(e.into()));
                return;
            }
        };
        let prepared = Prepared {
            id: id.clone(),
            stage: made.stage,
            env: then.env,
            setup: made.setup,
            task: then.task,
        };
        let result = self.start_session(params, Some(prepared)).await;
        if let (Ok(_), Some(why)) = (&result, made.trouble) {
            self.problem(Some(&id), why);
        }
        let _ = then.reply.send(result.map_err(IpcError::from));
    }

    /// Routes a start: a staged one is prepared off the actor.
    pub(super) async fn start_request(&mut self, params: StartSessionParams, reply: Reply) {
        if params.mode.unwrap_or_default() == SessionMode::Staged {
            let id = format!("s-{}", &home::random_token()[..10]);
            let then = Then {
                reply,
                task: None,
                env: Vec::new(),
            };
            self.start_staged(params, id, then);
        } else {
            let result = self.handle(Request::StartSession(params)).await;
            let _ = reply.send(result.map_err(IpcError::from));
        }
    }
}

/// On the stages thread: the stage, then what `.airlock/stage.toml` brings.
fn make(project: &std::path::Path, stage: &std::path::Path, base: Option<&str>) -> Result<Made> {
    stage::create(project, stage, base)?;
    let config = match bring::read_config(project) {
        Ok(c) => c,
        Err(e) => {
            return Ok(Made {
                stage: stage.to_path_buf(),
                setup: None,
                trouble: Some(format!("{e}; the stage starts without its settings")),
            })
        }
    };
    let trouble = bring::bring_in(project, stage, &config.bring)
        .err()
        .map(|e: EngineError| format!("could not bring the ignored files into the stage: {e}"));
    Ok(Made {
        stage: stage.to_path_buf(),
        setup: config.setup,
        trouble,
    })
}
