//! The engine actor: one task owns every session and the journal. Callers
//! send a [`Request`] with a reply channel; everything else (watcher batches,
//! terminal output, exits, agents' gate questions) arrives as a message too,
//! so the state needs no lock and every event goes out in the order things
//! happened. Requests, gates and shutdown come on a mailbox of their own that
//! the actor always takes first, so a window is answered while a burst is
//! taken in; diffs and file lists are rendered beside it.
//!
//! This file keeps [`Engine`] (the handle), `Msg` and `Actor::run`, which
//! routes each message. A session (`session`) is parts: a `Terminal`, a
//! `ReviewQueue` (`review_queue`: its rules as pure functions, with their unit
//! tests), a `Gate`, and a `Chat` for an ACP agent. The actor's work has a
//! file a job: `requests` (each request by kind); `lifecycle`, `restore`,
//! `confine`, `sandbox` (a session's life and confinement); `output` (output
//! and turns); `queue` (watcher batches, publish), `intake` (reading and diffing, off the actor), `decide`, `land`;
//! `gate`, `gated`, `actions`, `exec_gate` (the gate); `chat*` (ACP
//! sessions); `feedback`; `first`; `background` (the owned thread for labels
//! and badges); `echoes` (Airlock's own writes, not taken in twice).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airlock_protocol::{Event, GateDecision, IpcError, Request, Response};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::{EngineError, Result};
use crate::home::{self, ProjectHome};
use crate::journal::Journal;
use crate::stage::{self, IgnoreFilter};
use crate::subscription::{Outputs, Subscription, Wire};
use crate::watch::TreeWatcher;

mod actions;
mod attempts;
mod background;
mod chat;
mod chat_fs;
mod chat_requests;
mod chat_updates;
mod chat_wire;
mod commit;
mod confine;
#[doc(hidden)]
pub use chat_wire::fuzz_acp_frame;
mod decide;
mod echoes;
mod exec_gate;
mod feedback;
mod first;
mod gate;
mod gated;
mod intake;
mod land;
mod lifecycle;
mod mailbox;
mod msg;
use msg::Msg;
mod output;
mod pairing;
mod policy_cache;
mod prepare;
mod queue;
mod requests;
mod restore;
mod resume;
mod review_queue;
mod sandbox;
mod session;
use session::Session;

/// Reads (of up to 4 KiB from a PTY) queued for a session's coalescer: more
/// than a frame's worth at full speed, so the reader never waits on it.
const PTY_QUEUE: usize = 1024;
/// The most files [`Request::ListFiles`] answers with.
const LISTED_FILES: usize = 20_000;
/// How often a session's output goes out at most.
const FRAME: Duration = Duration::from_millis(16);
/// Output one frame takes from the queue at most before it is announced; more
/// waiting means the next frame goes at once.
const FRAME_BYTES: usize = 1 << 20;
/// Scrollback kept in memory per session unless configured (see [`EngineConfig::scrollback_bytes`]).
pub const DEFAULT_SCROLLBACK_BYTES: usize = 10 * 1024 * 1024;
pub use airlock_protocol::FIRST_WINDOW_HUNKS;
/// Decided changes each session remembers for `listChanges` with `decided`.
const DECIDED_KEPT: usize = 200;
/// Output kept on disk per session, for windows that fell behind.
const OUTPUT_LOG_BYTES: u64 = 256 * 1024 * 1024;

/// How to open an engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The project folder.
    pub project: PathBuf,
    /// `$AIRLOCK_HOME`; [`home::airlock_home`] when `None`.
    pub home: Option<PathBuf>,
    /// The command for a session started without one; `$SHELL` when `None`.
    pub default_shell: Option<String>,
    /// The `airlock` binary that agents' hooks run (`airlock hook claude`);
    /// without it Claude Code can only run staged and ungated.
    pub hook_program: Option<PathBuf>,
    /// Scrollback each session keeps in memory (and shows again after a
    /// reload or a restart); its disk log holds more for windows that fell behind.
    pub scrollback_bytes: usize,
}

impl EngineConfig {
    /// The defaults for `project`.
    pub fn new(project: impl Into<PathBuf>) -> Self {
        Self {
            project: project.into(),
            home: None,
            default_shell: None,
            hook_program: None,
            scrollback_bytes: scrollback_from_env().unwrap_or(DEFAULT_SCROLLBACK_BYTES),
        }
    }
}

/// `AIRLOCK_SCROLLBACK_MB`, the user's setting for every front end; `None`
/// when unset or not a whole number of MiB from 1 to 1024.
pub fn scrollback_from_env() -> Option<usize> {
    let mb: usize = std::env::var("AIRLOCK_SCROLLBACK_MB")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (1..=1024).contains(&mb).then_some(mb * 1024 * 1024)
}

/// A handle to a running engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// What people and agents ask (calls, gates, shutdown): the actor takes
    /// these before the watchers' and terminals' backlog, so a window is
    /// answered at once while a burst of thousands of files is taken in.
    calls: mpsc::Sender<Msg>,
    events: broadcast::Sender<Wire>,
    outputs: Outputs,
    refreshes: Arc<AtomicU64>,
    project: PathBuf,
    home: ProjectHome,
    token: String,
}

impl Engine {
    /// Opens the engine for a project: creates its state folder, opens the
    /// journal, brings back earlier sessions (exited, with their stages and
    /// pending changes) and starts the actor.
    pub async fn open(config: EngineConfig) -> Result<Engine> {
        let project = home::canonical_project(&config.project)?;
        let root = config.home.clone().unwrap_or_else(home::airlock_home);
        std::fs::create_dir_all(&root)
            .map_err(|e| EngineError::io(format!("create {}", root.display()), e))?;
        let root = std::fs::canonicalize(&root)
            .map_err(|e| EngineError::io(format!("resolve {}", root.display()), e))?;
        let ph = ProjectHome::new(&root, &project);
        ph.create()?;
        let journal = Journal::open(&ph.journal())?;
        let (tx, rx) = mpsc::channel(mailbox::BACKLOG);
        let (calls, calls_rx) = mpsc::channel(mailbox::CALLS);
        // Small items only: output travels as a notice, the bytes stay in the scrollback.
        let (events, _) = broadcast::channel(4096);
        let outputs: Outputs = Default::default();
        let refreshes = Arc::new(AtomicU64::new(0));
        let token = home::random_token();
        let default_shell = config
            .default_shell
            .or_else(|| std::env::var("SHELL").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "/bin/sh".to_string());
        let mut actor = Actor {
            home_root: root.clone(),
            hook_program: config.hook_program.clone(),
            scrollback_bytes: config.scrollback_bytes.max(64 * 1024),
            project_filter: IgnoreFilter::new(&project, Some(&project.join(".git/info/exclude"))),
            _project_watcher: None,
            project: project.clone(),
            home: ph.clone(),
            journal,
            rejections: Default::default(),
            sessions: BTreeMap::new(),
            events: events.clone(),
            outputs: outputs.clone(),
            tx: tx.clone(),
            later: Default::default(),
            default_shell,
            background: background::Background::start(),
            intake: background::Background::named("intake", None),
            highlighter: crate::highlight::Highlighter::start(),
            git: background::Background::named("git", None),
            stages: background::Background::named("stages", None),
            tasks: Default::default(),
            echoes: Default::default(),
            policy: policy_cache::PolicyCache::new(&project, &root),
            refreshes: refreshes.clone(),
            exec_gates: exec_gate::GateServer::start(ph.dir.join("gate.sock"))
                .map_err(|e| format!("the exec gate's socket could not start: {e}")),
        };
        actor.recover_landings();
        actor.restore();
        actor.watch_project();
        // Running turns into idle without an event of its own: look twice a
        // second (a full mailbox skips a tick: the next one does the same).
        let ticker = tx.downgrade();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(500));
            loop {
                every.tick().await;
                let Some(tx) = ticker.upgrade() else { return };
                if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(Msg::Tick) {
                    return;
                }
            }
        });
        tokio::spawn(actor.run(rx, calls_rx));
        Ok(Engine {
            calls,
            events,
            outputs,
            refreshes,
            project,
            home: ph,
            token,
        })
    }

    /// Performs one operation.
    pub async fn call(&self, request: Request) -> std::result::Result<Response, IpcError> {
        // Looked up in debug builds only: release builds skip the check.
        let expected = cfg!(debug_assertions).then(|| request.reply_type());
        let (reply, rx) = oneshot::channel();
        self.calls
            .send(Msg::Call(request, reply))
            .await
            .map_err(|_| IpcError::from(EngineError::Stopped))?;
        let answer = rx.await.map_err(|_| IpcError::from(EngineError::Stopped))?;
        // The TypeScript side types each reply by `airlock_protocol::REPLIES`:
        // every test run checks that the engine keeps to it.
        if let (Ok(response), Some(expected)) = (&answer, expected) {
            assert_eq!(
                response.reply_type(),
                expected,
                "a reply that REPLIES does not name"
            );
        }
        answer
    }

    /// An agent's gate asks; waits for the policy's or the user's answer. An
    /// answer that never comes (the session ended) is a denial.
    pub async fn gate(
        &self,
        token: &str,
        request: airlock_protocol::GateRequest,
    ) -> airlock_protocol::GateReply {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .calls
            .send(Msg::Gate {
                token: token.to_string(),
                request,
                reply,
            })
            .await;
        if sent.is_err() {
            return gate::reply(
                GateDecision::Ask,
                Some("the Airlock engine is stopping".into()),
                None,
            );
        }
        rx.await.unwrap_or_else(|_| {
            gate::reply(
                GateDecision::Deny,
                Some("Airlock stopped waiting for a decision (the session ended)".into()),
                None,
            )
        })
    }

    /// An agent's report that its turn ended; refused unless `token` is its session's.
    pub async fn turn_ended(
        &self,
        token: &str,
        report: airlock_protocol::TurnReport,
    ) -> std::result::Result<(), IpcError> {
        let (reply, rx) = oneshot::channel();
        self.calls
            .send(Msg::TurnReport {
                token: token.to_string(),
                report,
                reply,
            })
            .await
            .map_err(|_| {
                IpcError::new(
                    airlock_protocol::ErrorCode::Unavailable,
                    "the Airlock engine is stopping",
                )
            })?;
        rx.await.map_err(|_| {
            IpcError::new(
                airlock_protocol::ErrorCode::Unavailable,
                "the Airlock engine is stopping",
            )
        })?
    }

    /// Every event from now on, terminal output included (see [`Subscription`]).
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.events.subscribe(), self.outputs.clone(), true)
    }

    /// Every event from now on but terminal output: for a follower that has
    /// no terminal to draw, so that no output is read, or kept, for it.
    pub fn subscribe_without_output(&self) -> Subscription {
        Subscription::new(self.events.subscribe(), self.outputs.clone(), false)
    }

    /// A session's scrollback as raw bytes and the output offset of its end:
    /// what [`Request::ReadScrollback`] answers in base64, for a transport
    /// that carries bytes. Read beside the actor, which is never waited on.
    pub fn scrollback(&self, session: &str) -> Result<(Vec<u8>, u64)> {
        self.outputs.snapshot(session)
    }

    /// The project's canonical path.
    pub fn project(&self) -> &Path {
        &self.project
    }

    /// The project's state folder.
    pub fn project_home(&self) -> &ProjectHome {
        &self.home
    }

    /// The token that admits a front end (CLI, browser) to this engine.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// How many times a file was read and diffed again since the engine
    /// opened: what tests count to show a landing is not taken in twice.
    #[doc(hidden)]
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Stops every session's process and the actor.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.calls.send(Msg::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

struct Actor {
    /// Stage writes of recent rejects, for [`Request::UndoReject`] (at most [`DECIDED_KEPT`]).
    rejections: std::collections::VecDeque<(String, String, Vec<crate::review::Write>)>,
    project: PathBuf,
    home_root: PathBuf,
    scrollback_bytes: usize,
    hook_program: Option<PathBuf>,
    project_filter: IgnoreFilter,
    _project_watcher: Option<TreeWatcher>,
    home: ProjectHome,
    journal: Journal,
    sessions: BTreeMap<String, Session>,
    events: broadcast::Sender<Wire>,
    outputs: Outputs,
    /// The backlog's sender, for the tasks and threads the actor starts.
    tx: mpsc::Sender<Msg>,
    /// What the actor put off for after the backlog it holds now.
    later: mailbox::Later,
    default_shell: String,
    /// Takes each gated session's exec listener; `None` if it could not start.
    exec_gates: std::result::Result<exec_gate::GateServer, String>,
    /// Labels and badges are worked out here, off the actor.
    background: background::Background,
    /// Watcher batches are read and diffed here, off the actor.
    intake: background::Background,
    /// The highlighter threads the review pane's lines are coloured on.
    highlighter: crate::highlight::Highlighter,
    /// Commits and pull requests run git (and the user's hooks) here, off the actor.
    git: background::Background,
    /// New stages are made here (cloned, ignored files brought in), off the actor.
    stages: background::Background,
    /// Attempts' prompts and tests, stages being made.
    tasks: attempts::Tasks,
    /// Airlock's own writes, not taken in again when the watchers report them.
    echoes: echoes::Echoes,
    /// The policy the hook gate judges by, read again when its files change.
    policy: policy_cache::PolicyCache,
    /// Files read and diffed again, counted (see [`Engine::refreshes`]).
    refreshes: Arc<AtomicU64>,
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::Receiver<Msg>, mut calls: mpsc::Receiver<Msg>) {
        // `AIRLOCK_ACTOR_TRACE=MS`: each message that holds the actor longer
        // is reported on stderr with its kind, to find what stalls it.
        let trace = std::env::var("AIRLOCK_ACTOR_TRACE")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis);
        while let Some(msg) = self.later.next(&mut calls, &mut rx).await {
            let (kind, started) = (msg.kind(), std::time::Instant::now());
            let go_on = self.route(msg).await;
            if trace.is_some_and(|limit| started.elapsed() > limit) {
                eprintln!("airlock: the actor took {:?} on {kind}", started.elapsed());
            }
            if !go_on {
                return;
            }
            // A caller woken by a reply waits in this worker's LIFO slot,
            // which no other worker takes: let it run now, not when a busy
            // actor next runs out of messages (that cost a `status` during
            // a burst half a second). Otherwise yield as tokio budgets.
            if matches!(kind, "Call" | "Gate" | "TurnReport") {
                tokio::task::yield_now().await;
            } else {
                tokio::task::consume_budget().await;
            }
        }
    }

    /// Handles one message; false once the engine is to stop.
    async fn route(&mut self, msg: Msg) -> bool {
        {
            match msg {
                Msg::Call(request, reply) => self.call(request, reply).await,
                Msg::StageBatch {
                    session,
                    paths,
                    settled,
                } => self.stage_batch(&session, paths, settled),
                Msg::ProjectBatch { paths } => self.project_batch(paths),
                Msg::Enriched {
                    session,
                    change,
                    enrichment,
                } => self.enriched(&session, &change, enrichment),
                Msg::Gate {
                    token,
                    request,
                    reply,
                } => self.gate(&token, request, reply),
                Msg::Tick => self.tick(),
                Msg::Computed { session, results } => self.computed(&session, results),
                Msg::Paired {
                    session,
                    candidates,
                    pairs,
                } => self.paired(&session, candidates, pairs),
                Msg::Output(session) => self.output(&session),
                Msg::Exited { session, code } => self.exited(&session, code),
                Msg::Agent { session, msg } => self.agent_said(&session, *msg),
                Msg::FlushChat(session) => self.flush_text(&session),
                Msg::TurnReport {
                    token,
                    report,
                    reply,
                } => {
                    let _ = reply.send(self.turn_report(&token, &report));
                }
                Msg::Answered {
                    session,
                    tool,
                    permission,
                } => self.answered(&session, &tool, permission),
                Msg::ExecAsk {
                    session,
                    summary,
                    cwd,
                    risks,
                    suggested_rule,
                    reply,
                } => {
                    let action = airlock_protocol::Action {
                        id: format!("a-{}", &home::random_token()[..12]),
                        session,
                        tool: "Exec".into(),
                        summary,
                        cwd,
                        risks,
                        suggested_rule,
                        at: home::now_ms(),
                    };
                    self.hold_action(action, reply);
                }
                Msg::ExecNotice { session, message } => self.problem(Some(&session), message),
                Msg::ProxyBlocked { session, host } => self.proxy_blocked(&session, host),
                Msg::Prepared(done) => self.prepared(*done).await,
                Msg::Shutdown(done) => {
                    self.shut_down();
                    let _ = done.send(());
                    return false;
                }
            }
        }
        true
    }

    /// Twice a second: turns that ended by going quiet, stages gone from
    /// disk, output logs brought up to date.
    fn tick(&mut self) {
        self.echoes.expire();
        let ids: Vec<String> = self.sessions.keys().cloned().collect();
        for id in ids {
            self.update_turn(&id);
            self.check_stage(&id);
        }
        self.persist_output(false);
    }

    /// Handles `msg` after every message the backlog holds now, as a send
    /// to the back of the mailbox would, without waiting on a full one.
    fn put_off(&mut self, msg: Msg) {
        self.later.push(msg, mailbox::waiting(&self.tx));
    }

    /// Stops every process and agent and saves what is not yet on disk.
    fn shut_down(&mut self) {
        for s in self.sessions.values_mut() {
            if let Some(mut p) = s.term.process.take() {
                p.stop();
            }
            if let Some(agent) = s.chat.as_mut().and_then(|c| c.agent.take()) {
                agent.kill();
            }
            if let Some(chat) = &s.chat {
                if let Err(e) = chat.save() {
                    eprintln!("airlock: could not save the chat of {}: {e}", s.info.id);
                }
            }
        }
        self.persist_output(true);
    }

    fn emit(&self, event: Event) {
        // No subscriber is fine: the journal and the disk hold the state.
        let _ = self.events.send(Wire::Event(Box::new(event)));
    }

    fn problem(&self, session: Option<&str>, message: String) {
        self.emit(Event::Problem {
            session: session.map(str::to_string),
            message,
        });
    }
}
