//! The engine actor: one task owns every session, the review queue and the
//! journal. Callers send a [`Request`] with a reply channel; everything else
//! (watcher batches, terminal output, exits) arrives as messages too, so the
//! state needs no lock and every event goes out in the order things happened.
//! Requests, gates and shutdown come on a mailbox of their own that the actor
//! always takes first, so a window is answered while a burst is taken in.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlock_protocol::{
    Change, DecisionOutcome, Event, IpcError, NetworkMode, Orphan, Request, Response, SessionInfo,
    SessionKind, SessionMode, SessionState, StartSessionParams, StatusInfo, TurnState,
};
use base64::Engine as _;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::{EngineError, Result};
use crate::fsx::FileState;
use crate::home::{self, ProjectHome};
use crate::journal::Journal;
use crate::pty::{self, PtyProcess, SpawnSpec};
use crate::review::Proposal;
use crate::scrollback::Scrollback;
use crate::stage::{self, IgnoreFilter};
use crate::subscription::{Outputs, Subscription, Wire};
use crate::watch::{self, TreeWatcher};

mod chat;
mod chat_fs;
mod chat_requests;
mod chat_wire;
#[doc(hidden)]
pub use chat_wire::fuzz_acp_frame;
mod decide;
mod exec_gate;
mod feedback;
mod first;
mod gate;
mod land;
mod queue;
mod sandbox;

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
/// How many hunks the review pane asks for first (`WINDOW` in
/// ui/src/views/diff/file.ts): the window the engine highlights as soon as it
/// proposes a change, and the one [`Engine::first_replies`] carries.
pub const FIRST_WINDOW_HUNKS: u32 = 12;
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

enum Msg {
    Call(
        Request,
        oneshot::Sender<std::result::Result<Response, IpcError>>,
    ),
    StageBatch {
        session: String,
        paths: BTreeSet<PathBuf>,
        /// Seen again after [`queue::SETTLE`]: a batch that only deleted
        /// is looked at once more before it is believed.
        settled: bool,
    },
    ProjectBatch {
        paths: BTreeSet<PathBuf>,
    },
    Enriched {
        session: String,
        change: String,
        enrichment: crate::review::Enrichment,
    },
    Tick,
    Gate {
        token: String,
        request: airlock_protocol::GateRequest,
        reply: oneshot::Sender<airlock_protocol::GateReply>,
    },
    /// A session's scrollback has new output (its coalescer put it there).
    Output(String),
    Exited {
        session: String,
        code: Option<i32>,
    },
    /// Something a chat session's agent said or asked.
    Agent {
        session: String,
        msg: Box<crate::acp::FromAgent>,
    },
    /// An agent's own word that its turn ended.
    TurnReport {
        token: String,
        report: airlock_protocol::TurnReport,
        reply: oneshot::Sender<std::result::Result<(), IpcError>>,
    },
    /// A chat's streamed text waiting to be announced.
    FlushChat(String),
    /// A chat's permission request was answered.
    Answered {
        session: String,
        tool: String,
        permission: airlock_protocol::Permission,
    },
    /// A program a session started waits for the user (the exec gate).
    ExecAsk {
        session: String,
        summary: String,
        cwd: String,
        risks: Vec<airlock_protocol::Risk>,
        suggested_rule: Option<String>,
        reply: oneshot::Sender<airlock_protocol::GateReply>,
    },
    /// The `model-only` proxy refused a connection.
    ProxyBlocked {
        session: String,
        host: String,
    },
    /// The exec gate refused a program, or has something to say.
    ExecNotice {
        session: String,
        message: String,
    },
    Shutdown(oneshot::Sender<()>),
}

/// A handle to a running engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// What people and agents ask (calls, gates, shutdown): the actor takes
    /// these before the watchers' and terminals' backlog, so a window is
    /// answered at once while a burst of thousands of files is taken in.
    calls: mpsc::UnboundedSender<Msg>,
    events: broadcast::Sender<Wire>,
    outputs: Outputs,
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
        let (tx, rx) = mpsc::unbounded_channel();
        let (calls, calls_rx) = mpsc::unbounded_channel();
        // Small items only: output travels as a notice, the bytes stay in the scrollback.
        let (events, _) = broadcast::channel(4096);
        let outputs: Outputs = Default::default();
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
            default_shell,
            exec_gates: exec_gate::GateServer::start(ph.dir.join("gate.sock"))
                .map_err(|e| format!("the exec gate's socket could not start: {e}")),
        };
        crate::highlight::warm();
        actor.recover_landings();
        actor.restore();
        actor.watch_project();
        // Running turns into idle without an event of its own: look twice a second.
        let ticker = tx.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(500));
            loop {
                every.tick().await;
                if ticker.send(Msg::Tick).is_err() {
                    return;
                }
            }
        });
        tokio::spawn(actor.run(rx, calls_rx));
        Ok(Engine {
            calls,
            events,
            outputs,
            project,
            home: ph,
            token,
        })
    }

    /// Performs one operation.
    pub async fn call(&self, request: Request) -> std::result::Result<Response, IpcError> {
        let (reply, rx) = oneshot::channel();
        self.calls
            .send(Msg::Call(request, reply))
            .map_err(|_| IpcError::from(EngineError::Stopped))?;
        rx.await.map_err(|_| IpcError::from(EngineError::Stopped))?
    }

    /// An agent's gate asks; waits for the policy's or the user's answer. An
    /// answer that never comes (the session ended) is a denial.
    pub async fn gate(
        &self,
        token: &str,
        request: airlock_protocol::GateRequest,
    ) -> airlock_protocol::GateReply {
        let (reply, rx) = oneshot::channel();
        let sent = self.calls.send(Msg::Gate {
            token: token.to_string(),
            request,
            reply,
        });
        if sent.is_err() {
            return gate::reply("ask", Some("the Airlock engine is stopping".into()), None);
        }
        rx.await.unwrap_or_else(|_| {
            gate::reply(
                "deny",
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

    /// Stops every session's process and the actor.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.calls.send(Msg::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn disk_use(dir: &Path) -> u64 {
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

/// Runs `job` on the engine's background thread: one thread at a low CPU
/// priority, so work nobody waits for (labels and badges of a new change)
/// never slows what somebody does (a diff being opened, a terminal streaming)
/// on a machine with few cores. Jobs run one after another, in order.
#[allow(unsafe_code)]
pub(crate) fn in_background(job: impl FnOnce() + Send + 'static) {
    type Job = Box<dyn FnOnce() + Send>;
    static QUEUE: std::sync::OnceLock<Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("background".into())
            .spawn(move || {
                // SAFETY: setpriority with PRIO_PROCESS and who = 0 changes only
                // the calling thread's nice value on Linux; it touches no memory.
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, 0, 10);
                }
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        if spawned.is_err() {
            // No thread: the receiver is gone and jobs run where they are sent (below).
        }
        Mutex::new(tx)
    });
    let job: Job = Box::new(job);
    let unsent = match queue.lock() {
        Ok(tx) => tx.send(job).err().map(|e| e.0),
        Err(_) => Some(job),
    };
    if let Some(job) = unsent {
        tokio::task::spawn_blocking(job);
    }
}

/// Runs a CPU-heavy answer on the blocking pool and replies from there.
fn render_beside(
    reply: oneshot::Sender<std::result::Result<Response, IpcError>>,
    work: impl FnOnce() -> Response + Send + 'static,
) {
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| IpcError::from(EngineError::BadRequest(format!("rendering failed: {e}"))));
        let _ = reply.send(result);
    });
}

fn decided(r: Response) -> DecisionOutcome {
    match r {
        Response::Decided(d) => d,
        _ => DecisionOutcome::default(),
    }
}

struct Session {
    info: SessionInfo,
    stage: PathBuf,
    process: Option<PtyProcess>,
    _watcher: Option<TreeWatcher>,
    filter: IgnoreFilter,
    /// One proposal per differing path, before renames are paired.
    raw: BTreeMap<String, Proposal>,
    /// What the queue shows: `raw` with deletions and creations paired into renames.
    view: BTreeMap<String, Proposal>,
    /// The project text each pending path started from (see `queue`).
    bases: HashMap<String, FileState>,
    /// The token this session's hooks must show.
    hook_token: String,
    /// Actions waiting for the user, by id.
    actions: BTreeMap<String, gate::PendingAction>,
    /// What was decided, newest last (at most [`DECIDED_KEPT`]), with when.
    decided: std::collections::VecDeque<(u64, Change)>,
    /// The terminal's size as last set (columns, rows): a restart starts at it.
    size: (u16, u16),
    /// Gated edits waiting for the user, by path.
    gated: BTreeMap<String, gate::GatedEdit>,
    /// Changes whose labels and badges are being computed (by change id and hunk ids).
    enriching: std::collections::HashSet<(String, Vec<String>)>,
    /// The agent said its turn ended and the user has not typed since: the
    /// turn is not guessed from output (a TUI redraws while it waits).
    turn_reported: bool,
    /// The output: a tail in memory and a log on disk, shared with subscribers.
    scrollback: Arc<Mutex<Scrollback>>,
    /// When the process last printed something.
    last_output: Option<std::time::Instant>,
    /// The stage was found gone from disk (said once, not every tick).
    stage_lost: bool,
    /// What confines its processes; worked out again at a restart when
    /// `None` (a session brought back from the journal).
    sandbox: Option<sandbox::Sandbox>,
    /// A chat session's conversation and agent (`None` for a terminal).
    chat: Option<chat::Chat>,
    /// Review comments waiting to be sent to the agent.
    comments: Vec<airlock_protocol::ReviewComment>,
    /// The session's exec gate, while its processes run under one.
    exec_gate: Option<exec_gate::Handle>,
    /// Its `model-only` network proxy.
    proxy: Option<airlock_proxy::Proxy>,
}

impl Session {
    fn counts(&mut self) {
        self.info.pending_changes = self.view.len() as u32;
        self.info.pending_hunks = self
            .view
            .values()
            .map(|p| p.change.hunks.len() as u32)
            .sum();
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
    tx: mpsc::UnboundedSender<Msg>,
    default_shell: String,
    /// Takes each gated session's exec listener; `None` if it could not start.
    exec_gates: std::result::Result<exec_gate::GateServer, String>,
}

impl Actor {
    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Msg>,
        mut calls: mpsc::UnboundedReceiver<Msg>,
    ) {
        loop {
            let msg = tokio::select! {
                biased;
                Some(m) = calls.recv() => m,
                Some(m) = rx.recv() => m,
                else => return,
            };
            match msg {
                Msg::Call(request, reply) => match request {
                    // Rendering a diff can take a while on a huge file: it runs
                    // beside the actor, so typing and other requests never wait on it.
                    Request::GetDiff {
                        change,
                        from,
                        count,
                        ignore_whitespace,
                    } => match self.queued_change(&change) {
                        Ok(p) => render_beside(reply, move || {
                            Response::Diff(p.render(
                                from.unwrap_or(0),
                                count,
                                ignore_whitespace.unwrap_or(false),
                            ))
                        }),
                        Err(e) => {
                            let _ = reply.send(Err(e.into()));
                        }
                    },
                    Request::GetLines {
                        change,
                        from,
                        count,
                    } => match self.queued_change(&change) {
                        Ok(p) => render_beside(reply, move || Response::Lines {
                            lines: p.context_lines(from, count),
                        }),
                        Err(e) => {
                            let _ = reply.send(Err(e.into()));
                        }
                    },
                    // Walking a big tree runs beside the actor too.
                    Request::ListFiles { session } => match self.session_mut(&session) {
                        Ok(s) => {
                            let root = s.stage.clone();
                            render_beside(reply, move || {
                                let mut paths = stage::walk_files(&root);
                                let truncated = paths.len() > LISTED_FILES;
                                paths.truncate(LISTED_FILES);
                                Response::Files { paths, truncated }
                            })
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e.into()));
                        }
                    },
                    request => {
                        let result = self.handle(request).await.map_err(IpcError::from);
                        let _ = reply.send(result);
                    }
                },
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
                Msg::Tick => {
                    let ids: Vec<String> = self.sessions.keys().cloned().collect();
                    for id in ids {
                        self.update_turn(&id);
                        self.check_stage(&id);
                    }
                    self.persist_output(false);
                }
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
                Msg::Shutdown(done) => {
                    for s in self.sessions.values_mut() {
                        if let Some(mut p) = s.process.take() {
                            p.stop();
                        }
                        if let Some(agent) = s.chat.as_mut().and_then(|c| c.agent.take()) {
                            agent.kill();
                        }
                        if let Some(chat) = &s.chat {
                            let _ = chat.save();
                        }
                    }
                    self.persist_output(true);
                    let _ = done.send(());
                    return;
                }
            }
        }
    }

    fn emit(&self, event: Event) {
        // No subscriber is fine: the journal and the disk hold the state.
        let _ = self.events.send(Wire::Event(Box::new(event)));
    }

    /// Brings every session's output log up to date (see [`Scrollback::persist`]).
    fn persist_output(&self, force: bool) {
        for s in self.sessions.values() {
            if let Ok(mut sb) = s.scrollback.lock() {
                sb.persist(force);
            }
        }
    }

    /// A session's scrollback, shared with subscribers, backed by its log on disk.
    fn open_scrollback(&self, session: &str) -> Arc<Mutex<Scrollback>> {
        let dir = self.home.dir.join("scrollback");
        let path = dir.join(format!("{session}.log"));
        let sb = crate::home::create_private_dir(&dir)
            .ok()
            .and_then(|_| Scrollback::with_log(self.scrollback_bytes, &path, OUTPUT_LOG_BYTES).ok())
            .unwrap_or_else(|| Scrollback::new(self.scrollback_bytes));
        let sb = Arc::new(Mutex::new(sb));
        self.outputs.insert(session, sb.clone());
        sb
    }

    /// A session's scrollback is no more: not followed, not on disk.
    fn forget_scrollback(&self, session: &str) {
        self.outputs.remove(session);
        let _ = std::fs::remove_file(
            self.home
                .dir
                .join("scrollback")
                .join(format!("{session}.log")),
        );
    }

    fn problem(&self, session: Option<&str>, message: String) {
        self.emit(Event::Problem {
            session: session.map(str::to_string),
            message,
        });
    }

    /// Brings back the journal's sessions: exited, with their pending changes.
    fn restore(&mut self) {
        let sessions = match self.journal.sessions() {
            Ok(s) => s,
            Err(e) => {
                self.problem(None, format!("could not read the journal: {e}"));
                return;
            }
        };
        for info in sessions {
            let stage = PathBuf::from(&info.cwd);
            let id = info.id.clone();
            let running_before = info.exit_code.is_none();
            let gated = info.mode == SessionMode::Gated;
            let watcher = if stage.is_dir() && !gated {
                self.watch_stage(&id, &stage).ok()
            } else {
                None
            };
            let filter = IgnoreFilter::new(&stage, Some(&self.project.join(".git/info/exclude")));
            let scrollback = self.open_scrollback(&id);
            let chat = chat::Chat::load(self.chat_file(&id));
            let mut info = info;
            if chat.is_some() {
                info.kind = SessionKind::Chat;
            }
            if running_before {
                let note: &[u8] =
                    b"\r\n[Airlock restarted; this session's process ended with it]\r\n";
                if let Ok(mut sb) = scrollback.lock() {
                    sb.push(note);
                }
            }
            let bases = match self.journal.bases(&id) {
                Ok(b) => b,
                Err(e) => {
                    self.problem(Some(&id), format!("could not read the journal: {e}"));
                    HashMap::new()
                }
            };
            self.sessions.insert(
                id.clone(),
                Session {
                    info,
                    stage: stage.clone(),
                    process: None,
                    _watcher: watcher,
                    filter,
                    raw: BTreeMap::new(),
                    view: BTreeMap::new(),
                    bases,
                    enriching: Default::default(),
                    hook_token: home::random_token(),
                    actions: BTreeMap::new(),
                    decided: Default::default(),
                    size: (80, 24),
                    gated: BTreeMap::new(),
                    scrollback,
                    turn_reported: false,
                    last_output: None,
                    sandbox: None,
                    stage_lost: false,
                    chat,
                    comments: self.load_comments(&id),
                    exec_gate: None,
                    proxy: None,
                },
            );
            if running_before {
                let _ = self.journal.session_exited(&id, None);
            }
            if stage.is_dir() && !gated {
                self.rescan(&id);
            }
        }
    }

    fn watch_project(&mut self) {
        let tx = self.tx.clone();
        let watched = watch::watch_tree(
            &self.project,
            |p| {
                p.components()
                    .any(|c| crate::fsx::is_git_dir(c.as_os_str()))
                    || p.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains(".airlock-"))
            },
            move |paths| {
                let _ = tx.send(Msg::ProjectBatch { paths });
            },
        );
        match watched {
            Ok(w) => self._project_watcher = Some(w),
            Err(e) => self.problem(
                None,
                format!(
                    "cannot watch the project, so your own edits will not reach the agents: {e}"
                ),
            ),
        }
    }

    fn watch_stage(&self, session: &str, stage: &Path) -> Result<TreeWatcher> {
        let tx = self.tx.clone();
        let id = session.to_string();
        watch::watch_tree(
            stage,
            |p| {
                p.components()
                    .any(|c| crate::fsx::is_git_dir(c.as_os_str()))
            },
            move |paths| {
                let _ = tx.send(Msg::StageBatch {
                    session: id.clone(),
                    paths,
                    settled: false,
                });
            },
        )
    }

    async fn handle(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::Status => Ok(Response::Status(self.status())),
            Request::StartSession(params) => self.start_session(params).await,
            Request::StopSession { session } => {
                let s = self.session_mut(&session)?;
                if let Some(p) = s.process.as_mut() {
                    p.stop();
                }
                if let Some(agent) = s.chat.as_ref().and_then(|c| c.agent.as_ref()) {
                    agent.kill();
                }
                Ok(Response::Done)
            }
            Request::Prompt { session, text } => Ok(Response::Prompted {
                index: self.prompt(&session, text)?,
            }),
            Request::Cancel { session } => {
                self.cancel(&session)?;
                Ok(Response::Done)
            }
            Request::Transcript { session, from } => {
                let from = from.unwrap_or(0);
                Ok(Response::Transcript {
                    from,
                    entries: self.transcript(&session, from)?,
                })
            }
            Request::Comment { target, line, text } => Ok(Response::Comments {
                comments: self.comment(&target, line, text)?,
            }),
            Request::DeleteComment { comment } => Ok(Response::Comments {
                comments: self.delete_comment(&comment)?,
            }),
            Request::ListComments { session } => Ok(Response::Comments {
                comments: self.list_comments(session.as_deref())?,
            }),
            Request::SendReview { session } => {
                let (via, comments, message) = self.send_review(&session)?;
                Ok(Response::ReviewSent {
                    via,
                    comments,
                    message,
                })
            }
            Request::SetChatConfig {
                session,
                config,
                value,
            } => {
                self.set_chat_config(&session, config, value)?;
                Ok(Response::Done)
            }
            Request::ListAgents => Ok(Response::Agents {
                agents: chat::known_agents(),
            }),
            Request::SetChatMode { session, mode } => {
                self.set_chat_mode(&session, mode)?;
                Ok(Response::Done)
            }
            Request::RestartSession { session } => self.restart_session(&session).await,
            Request::RemoveSession { session, force } => {
                self.remove_session(&session, force.unwrap_or(false))?;
                Ok(Response::Done)
            }
            Request::ListOrphans => Ok(Response::Orphans {
                orphans: self.orphans(),
            }),
            Request::CleanOrphans => {
                let orphans = self.orphans();
                for o in &orphans {
                    stage::remove(&self.project, Path::new(&o.path))?;
                }
                // And the agent state of sessions that are gone (a crash
                // between a session's removal and its folders').
                if let Ok(entries) = std::fs::read_dir(self.home.dir.join("state")) {
                    for e in entries.flatten() {
                        let id = e.file_name().to_string_lossy().into_owned();
                        if !self.sessions.contains_key(&id) {
                            sandbox::remove_state(&e.path()).map_err(|e| {
                                EngineError::io("remove an orphaned state folder", e)
                            })?;
                        }
                    }
                }
                Ok(Response::Orphans { orphans })
            }
            Request::WriteInput { session, data } => {
                let s = self.session_mut(&session)?;
                if s.chat.is_some() {
                    return Err(EngineError::BadRequest(format!(
                        "session {session} is a chat: send it a prompt instead"
                    )));
                }
                // The user typing starts the agent's next turn.
                s.turn_reported = false;
                match &s.process {
                    Some(p) => p.write(data.into_bytes())?,
                    None => {
                        return Err(EngineError::BadRequest(format!(
                            "session {session} has exited; start a new session to type into"
                        )))
                    }
                }
                Ok(Response::Done)
            }
            Request::ResizeSession {
                session,
                cols,
                rows,
            } => {
                let s = self.session_mut(&session)?;
                if let Some(p) = &s.process {
                    p.resize(cols, rows)?;
                }
                s.size = (cols, rows);
                Ok(Response::Done)
            }
            Request::ReadScrollback { session } => {
                let (bytes, end) = self.outputs.snapshot(&session)?;
                Ok(Response::Scrollback {
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                    end,
                })
            }
            Request::ListChanges { session, decided } => {
                if let Some(id) = &session {
                    self.session_mut(id)?;
                }
                let mine = |s: &&Session| session.as_ref().is_none_or(|id| *id == s.info.id);
                let mut changes: Vec<Change> = self
                    .sessions
                    .values()
                    .filter(mine)
                    .flat_map(|s| s.view.values().map(|p| p.change.clone()))
                    .collect();
                if decided.unwrap_or(false) {
                    let mut done: Vec<&(u64, Change)> = self
                        .sessions
                        .values()
                        .filter(mine)
                        .flat_map(|s| s.decided.iter())
                        .collect();
                    done.sort_by_key(|(at, _)| *at);
                    changes.extend(done.into_iter().map(|(_, c)| c.clone()));
                }
                Ok(Response::Changes { changes })
            }
            Request::GetDiff { .. } | Request::GetLines { .. } | Request::ListFiles { .. } => Err(
                EngineError::BadRequest("diffs are rendered beside the actor".into()),
            ),
            Request::Approve {
                ids,
                always,
                versions,
            } => {
                let (actions, rest): (Vec<String>, Vec<String>) =
                    ids.into_iter().partition(|id| id.starts_with("a-"));
                let rules = self.decide_actions(&actions, true, always.unwrap_or(false), None)?;
                let mut out = decided(self.decide(&rest, true, None, false, versions.as_ref())?);
                out.actions = actions;
                out.rules = rules;
                Ok(Response::Decided(out))
            }
            Request::Reject {
                ids,
                reason,
                versions,
            } => {
                let (actions, rest): (Vec<String>, Vec<String>) =
                    ids.into_iter().partition(|id| id.starts_with("a-"));
                self.decide_actions(&actions, false, false, reason.as_deref())?;
                let mut out = decided(self.decide(
                    &rest,
                    false,
                    reason.as_deref(),
                    false,
                    versions.as_ref(),
                )?);
                out.actions = actions;
                Ok(Response::Decided(out))
            }
            Request::ApproveAll { session, versions } => {
                let ids = self.all_change_ids(session.as_deref(), versions.as_ref())?;
                self.decide(&ids, true, None, true, versions.as_ref())
            }
            Request::RejectAll {
                session,
                reason,
                versions,
            } => {
                let ids = self.all_change_ids(session.as_deref(), versions.as_ref())?;
                self.decide(&ids, false, reason.as_deref(), true, versions.as_ref())
            }
            Request::ApproveEdited { hunk, text } => {
                self.approve_edited(&hunk, text.into_bytes(), true)
            }
            Request::ApproveLines {
                hunk,
                removed,
                added,
            } => {
                let (session, rel) = self.find_hunk(&hunk)?;
                let text = self
                    .fresh(&session, &rel)?
                    .lines_text(&hunk, &removed, &added)?;
                self.approve_edited(&hunk, text, false)
            }
            Request::ListLandings => Ok(Response::Landings {
                landings: self.journal.landings()?,
            }),
            Request::Undo { landing } => self.undo(landing),
            Request::UndoReject { rejection } => self.undo_reject(&rejection),
            Request::GetThemeCss => {
                let (light, dark, auto) = crate::highlight::theme_css();
                Ok(Response::ThemeCss { light, dark, auto })
            }
        }
    }

    fn status(&mut self) -> StatusInfo {
        let actions = self.actions();
        let sessions: Vec<SessionInfo> = self.sessions.values().map(|s| s.info.clone()).collect();
        let mut sessions = sessions;
        sessions.sort_by_key(|s| s.created_at);
        StatusInfo {
            version: airlock_protocol::VERSION.to_string(),
            project: self.project.display().to_string(),
            pid: std::process::id(),
            pending_changes: sessions.iter().map(|s| s.pending_changes).sum(),
            pending_hunks: sessions.iter().map(|s| s.pending_hunks).sum(),
            sessions,
            actions,
        }
    }

    fn session_mut(&mut self, id: &str) -> Result<&mut Session> {
        self.sessions
            .get_mut(id)
            .ok_or_else(|| EngineError::UnknownId {
                what: "session",
                id: id.to_string(),
            })
    }

    async fn start_session(&mut self, params: StartSessionParams) -> Result<Response> {
        let command = params
            .command
            .clone()
            .filter(|c| !c.is_empty() && !c[0].is_empty())
            .unwrap_or_else(|| vec![self.default_shell.clone()]);
        let mut command = command;
        let agent = Path::new(&command[0])
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = params.kind.unwrap_or_default();
        let is_chat = kind == SessionKind::Chat;
        let is_claude = agent == "claude" && !is_chat;
        let mode = params.mode.unwrap_or_default();
        if is_chat && mode == SessionMode::Gated && !chat::writes_through_client(&agent) {
            return Err(EngineError::BadRequest(format!(
                "`{}` writes files itself, so Airlock cannot hold its writes in the project: run it staged (Airlock knows these agents send their writes through it: {})",
                command[0],
                chat::gated_agents()
            )));
        }
        if mode == SessionMode::Gated && !is_claude && !is_chat {
            return Err(EngineError::BadRequest(format!(
                "`{}` has no gate Airlock can hold, so it can only run staged; start it in staged mode",
                command[0]
            )));
        }
        if mode == SessionMode::Gated && self.hook_program.is_none() {
            return Err(EngineError::BadRequest(
                "gated mode needs the `airlock` command beside this app for Claude Code's hook; build it with `cargo build -p airlock-cli`, or run staged".into(),
            ));
        }
        // Refuse before making a stage for a command that cannot start.
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
        let id = format!("s-{}", &home::random_token()[..10]);
        let hook_token = home::random_token();
        let gated = mode == SessionMode::Gated;
        let stage = if gated {
            self.project.clone()
        } else {
            let stage = self.home.stages().join(&id);
            let (project, stage_for_task) = (self.project.clone(), stage.clone());
            tokio::task::spawn_blocking(move || stage::create(&project, &stage_for_task))
                .await
                .map_err(|e| EngineError::BadRequest(format!("stage creation failed: {e}")))??;
            stage
        };
        if is_claude {
            if let Some(hook) = &self.hook_program {
                // Claude Code reads extra settings from a file we own: the user's
                // project and ~/.claude stay untouched and keep working.
                let settings = self.claude_settings(&id);
                let body = serde_json::json!({
                    "hooks": {
                        "PreToolUse": [{
                            "matcher": "*",
                            "hooks": [{
                                "type": "command",
                                "command": format!("'{}' hook claude", hook.display()),
                                "timeout": 86400
                            }]
                        }],
                        // Its turn's end, said by Claude Code itself rather
                        // than guessed from a quiet terminal.
                        "Stop": [{
                            "hooks": [{
                                "type": "command",
                                "command": format!("'{}' hook claude", hook.display()),
                                "timeout": 30
                            }]
                        }]
                    }
                });
                let bytes = serde_json::to_vec_pretty(&body)
                    .map_err(|e| EngineError::BadRequest(format!("claude settings: {e}")))?;
                crate::fsx::atomic_write(&settings, &bytes, 0o600)?;
                command.insert(1, "--settings".into());
                command.insert(2, settings.display().to_string());
            }
        }
        if agent == "codex" && !is_chat {
            if let Some(hook) = &self.hook_program {
                // Codex says when its turn completes through its `notify` program.
                let program = serde_json::to_string(&hook.display().to_string())
                    .map_err(|e| EngineError::BadRequest(format!("codex notify: {e}")))?;
                command.insert(1, "-c".into());
                command.insert(2, format!("notify=[{program}, \"hook\", \"codex\"]"));
            }
        }
        let sandbox = match self.plan_sandbox(&id, &stage, gated, &command, &params) {
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
        let info = SessionInfo {
            id: id.clone(),
            name,
            command: command.clone(),
            mode,
            state: SessionState::Running,
            // A chat's turn starts with its first prompt.
            turn: if is_chat {
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
        };
        // Watch before the command starts, so not even its first write is missed.
        let watcher = if gated {
            None
        } else {
            match self.watch_stage(&id, &stage) {
                Ok(w) => Some(w),
                Err(e) => {
                    self.problem(Some(&id), format!("cannot watch the stage: {e}"));
                    None
                }
            }
        };
        let size = (params.cols.unwrap_or(80), params.rows.unwrap_or(24));
        // Open before the command starts: its coalescer writes there.
        let scrollback = self.open_scrollback(&id);
        let started = match self.confine(&id, &sandbox, command, &stage).await {
            Err(e) => Err(e),
            Ok(Confined {
                command,
                exec_gate,
                proxy,
                env,
            }) => if is_chat {
                self.spawn_agent(&id, command, &stage, None, &env)
                    .map(|agent| {
                        (
                            None,
                            Some(chat::Chat::new(self.chat_file(&id), Some(agent))),
                        )
                    })
            } else {
                let env = session_env(&hook_token, env);
                self.spawn_process(&id, command, &stage, env, size, &scrollback)
                    .map(|p| (Some(p), None))
            }
            .map(|(process, chat)| (process, chat, exec_gate, proxy)),
        };
        let (process, chat, exec_gate, proxy) = match started {
            Ok(p) => p,
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
        self.sessions.insert(
            id.clone(),
            Session {
                info: info.clone(),
                stage,
                process,
                _watcher: watcher,
                filter,
                raw: BTreeMap::new(),
                view: BTreeMap::new(),
                bases: HashMap::new(),
                enriching: Default::default(),
                hook_token,
                actions: BTreeMap::new(),
                decided: Default::default(),
                size,
                gated: BTreeMap::new(),
                scrollback,
                turn_reported: false,
                last_output: Some(std::time::Instant::now()),
                sandbox: Some(sandbox),
                stage_lost: false,
                chat,
                comments: Vec::new(),
                exec_gate,
                proxy,
            },
        );
        self.emit(Event::SessionStarted {
            session: info.clone(),
        });
        Ok(Response::Session(info))
    }

    /// Runs a session's command in a new PTY with the environment its hooks need.
    fn spawn_process(
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

    async fn restart_session(&mut self, id: &str) -> Result<Response> {
        let s = self.session_mut(id)?;
        if s.process.is_some() || s.chat.as_ref().is_some_and(|c| c.agent.is_some()) {
            return Err(EngineError::BadRequest(format!(
                "session {id} is still running; stop it first"
            )));
        }
        if !s.stage.is_dir() {
            return Err(EngineError::StageGone(id.to_string()));
        }
        let (command, stage, size) = (s.info.command.clone(), s.stage.clone(), s.size);
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
        s.exec_gate = exec_gate;
        s.proxy = proxy;
        s.process = process;
        if let Some(chat) = s.chat.as_mut() {
            chat.agent = agent;
            // Until the new agent has said what it offers.
            s.info.chat = None;
        }
        s.hook_token = token;
        s.info.state = SessionState::Running;
        s.info.exit_code = None;
        s.last_output = Some(std::time::Instant::now());
        s.info.turn = TurnState::Running;
        let info = s.info.clone();
        self.emit(Event::SessionUpdated {
            session: info.clone(),
        });
        Ok(Response::Session(info))
    }

    fn remove_session(&mut self, id: &str, force: bool) -> Result<()> {
        let s = self.session_mut(id)?;
        if !s.view.is_empty() && !force {
            return Err(EngineError::Held(format!(
                "session {id} still has {} pending change(s): decide them first, or remove it with force to discard them",
                s.view.len()
            )));
        }
        let Some(mut s) = self.sessions.remove(id) else {
            return Ok(());
        };
        if let Some(p) = s.process.as_mut() {
            p.stop();
        }
        if let Some(agent) = s.chat.as_ref().and_then(|c| c.agent.as_ref()) {
            agent.kill();
        }
        let _ = std::fs::remove_file(self.chat_file(id));
        let _ = std::fs::remove_file(self.chat_file(id).with_extension("agent"));
        let _ = std::fs::remove_file(self.comments_file(id));
        if s.info.mode == SessionMode::Staged {
            stage::remove(&self.project, &s.stage)?;
        }
        self.remove_tmp(id);
        self.forget_scrollback(id);
        let _ = std::fs::remove_file(self.home.dir.join("claude").join(format!("{id}.json")));
        self.journal.delete_session(id)?;
        for p in s.view.values() {
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

    /// A session's sandbox, as its start parameters ask.
    fn plan_sandbox(
        &self,
        id: &str,
        root: &Path,
        gated: bool,
        command: &[String],
        params: &StartSessionParams,
    ) -> Result<sandbox::Sandbox> {
        let exec_gate = params
            .exec_gate
            .unwrap_or_else(|| !interactive_shell(command));
        let tmp = self.session_tmp(id)?;
        let settings = self.claude_settings(id);
        let socket = self.home.hook_socket();
        let state = self.session_state(id);
        sandbox::Sandbox::plan(
            params.sandbox.unwrap_or_default(),
            params.network.unwrap_or_default(),
            sandbox::Room {
                helper: self.hook_program.as_deref(),
                root,
                tmp: &tmp,
                airlock_home: &self.home_root,
                socket: &socket,
                state: &state,
                reads: vec![settings],
                staged: !gated,
                exec_gate,
            },
        )
    }

    /// The session's command wrapped in its sandbox: its exec gate
    /// registered and its `model-only` proxy started when it has them.
    async fn confine(
        &mut self,
        id: &str,
        sandbox: &sandbox::Sandbox,
        command: Vec<String>,
        root: &Path,
    ) -> Result<Confined> {
        let (proxy, env) = if sandbox.confined() && sandbox.info.network == NetworkMode::ModelOnly {
            let (project_file, global_file) = gate::policy_files(&self.project, &self.home_root);
            let proxy =
                start_proxy(project_file, global_file, self.tx.clone(), id.to_string()).await?;
            let env = proxy
                .env()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            (Some(proxy), env)
        } else {
            (None, Vec::new())
        };
        let port = proxy.as_ref().map(airlock_proxy::Proxy::port);
        if !sandbox.info.exec_gate {
            return Ok(Confined {
                command: sandbox.wrap(command, None, port)?,
                exec_gate: None,
                proxy,
                env,
            });
        }
        let server = self.exec_gates.as_ref().map_err(|why| {
            EngineError::BadRequest(format!(
                "{why}; start the session with --no-exec-gate to run it without the gate"
            ))
        })?;
        let program = command.first().and_then(|c| pty::resolve_program(c));
        let (spec, handle) = server
            .register(exec_gate::Ctx {
                session: id.to_string(),
                root: root.to_path_buf(),
                writable: sandbox.writable(),
                project: self.project.clone(),
                airlock_home: self.home_root.clone(),
                launcher: program.as_deref().is_some_and(exec_gate::shell_script_file),
                program: program.and_then(|p| std::fs::canonicalize(p).ok()),
                airlock: self
                    .hook_program
                    .as_ref()
                    .and_then(|p| std::fs::canonicalize(p).ok()),
                tx: self.tx.clone(),
            })
            .map_err(|e| EngineError::io("register the exec gate".to_string(), e))?;
        Ok(Confined {
            command: sandbox.wrap(command, Some(spec), port)?,
            exec_gate: Some(handle),
            proxy,
            env,
        })
    }

    /// Counts a connection the proxy refused and says so.
    fn proxy_blocked(&mut self, session: &str, host: String) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let Some(sb) = s.info.sandbox.as_mut() else {
            return;
        };
        sb.blocked += 1;
        sb.last_blocked = Some(host.clone());
        let info = s.info.clone();
        self.emit(Event::SessionUpdated { session: info });
        self.problem(
            Some(session),
            format!("blocked a connection to {host}: not among this session's allowed hosts (network: model-only)"),
        );
    }

    /// Remembers a Bash command the policy or the user allowed through a
    /// hook or an ACP permission, so its exec is not asked about again.
    pub(super) fn remember_for_exec(&self, session: &str, tool: &str, input: &serde_json::Value) {
        if tool != "Bash" {
            return;
        }
        let command = input.get("command").and_then(serde_json::Value::as_str);
        if let (Some(command), Some(gate)) = (
            command,
            self.sessions
                .get(session)
                .and_then(|s| s.exec_gate.as_ref()),
        ) {
            gate.remember(command);
        }
    }

    /// Where a chat session's transcript is kept.
    fn chat_file(&self, id: &str) -> PathBuf {
        self.home.dir.join("chats").join(format!("{id}.json"))
    }

    /// Where Claude Code's hook settings for a session live.
    fn claude_settings(&self, id: &str) -> PathBuf {
        self.home.dir.join("claude").join(format!("{id}.json"))
    }

    /// A session's private temp folder (`$TMPDIR`), made if missing.
    fn session_tmp(&self, id: &str) -> Result<PathBuf> {
        let tmp = self.home.dir.join("tmp").join(id);
        home::create_private_dir(&tmp)?;
        Ok(tmp)
    }

    /// Where an isolated session keeps its writes to the agents' state.
    fn session_state(&self, id: &str) -> PathBuf {
        self.home.dir.join("state").join(id)
    }

    /// Removes a session's temp and state folders.
    fn remove_tmp(&self, id: &str) {
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
    fn remove_stage(&self, id: &str, stage: &Path) {
        if let Err(e) = stage::remove(&self.project, stage) {
            self.problem(Some(id), format!("could not remove the stage: {e}"));
        }
        self.remove_tmp(id);
    }

    /// Stage folders that no session owns.
    fn orphans(&self) -> Vec<Orphan> {
        let owned: std::collections::HashSet<&Path> =
            self.sessions.values().map(|s| s.stage.as_path()).collect();
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

    /// Puts a session's output into its scrollback and announces it at most
    /// once per [`FRAME`], then reports the exit once the output has drained.
    ///
    /// Reads go into the scrollback as they are: merging them into a frame of
    /// their own first would cost a copy of every byte and a fresh buffer per
    /// frame, and subscribers read the scrollback in their own frames anyway.
    fn spawn_coalescer(
        &self,
        session: String,
        scrollback: Arc<Mutex<Scrollback>>,
        mut rx: mpsc::Receiver<Vec<u8>>,
        mut exit_rx: oneshot::Receiver<Option<i32>>,
    ) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut last = tokio::time::Instant::now() - FRAME;
            let mut exit: Option<Option<i32>> = None;
            loop {
                let first = if exit.is_some() {
                    // The process is gone; whatever is still queued drains, then stop.
                    match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                        Ok(Some(b)) => b,
                        _ => break,
                    }
                } else {
                    tokio::select! {
                        b = rx.recv() => match b {
                            Some(b) => b,
                            None => {
                                exit = Some((&mut exit_rx).await.unwrap_or(None));
                                break;
                            }
                        },
                        code = &mut exit_rx => {
                            exit = Some(code.unwrap_or(None));
                            continue;
                        }
                    }
                };
                // Output keeps coming: let it queue (the channel holds more than a
                // frame) until the frame is due, rather than waking for every read.
                let due = last + FRAME;
                if tokio::time::Instant::now() < due {
                    tokio::time::sleep_until(due).await;
                }
                let mut taken = first.len();
                if let Ok(mut sb) = scrollback.lock() {
                    sb.push(&first);
                    while taken < FRAME_BYTES {
                        match rx.try_recv() {
                            Ok(b) => {
                                taken += b.len();
                                sb.push(&b);
                            }
                            Err(_) => break,
                        }
                    }
                }
                // A full frame means more is waiting: the next one goes at once.
                last = tokio::time::Instant::now();
                if taken >= FRAME_BYTES {
                    last -= FRAME;
                }
                if tx.send(Msg::Output(session.clone())).is_err() {
                    return;
                }
            }
            let code = match exit {
                Some(code) => code,
                None => exit_rx.await.unwrap_or(None),
            };
            let _ = tx.send(Msg::Exited { session, code });
        });
    }

    fn output(&mut self, session: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        s.last_output = Some(std::time::Instant::now());
        let _ = self.events.send(Wire::Output(session.to_string()));
        if s.info.turn == TurnState::Idle {
            self.update_turn(session);
        }
    }

    /// Works out whose turn it is and announces a change of it.
    fn update_turn(&mut self, session: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let busy = match &s.info.chat {
            // A chat says when its turn ends; so does an agent with a turn
            // hook; any other terminal is judged by its output.
            Some(c) => c.busy,
            None => {
                !s.turn_reported
                    && s.last_output
                        .is_some_and(|t| t.elapsed() < Duration::from_millis(1500))
            }
        };
        let was = s.info.turn;
        let turn = if s.info.state == SessionState::Exited {
            TurnState::Exited
        } else if !s.view.is_empty() || !s.actions.is_empty() || !s.gated.is_empty() {
            TurnState::Waiting
        } else if busy {
            TurnState::Running
        } else {
            TurnState::Idle
        };
        if s.info.turn != turn {
            s.info.turn = turn;
            let info = s.info.clone();
            let attention = match turn {
                TurnState::Waiting => {
                    let actions = s.actions.len();
                    let what = match (info.pending_hunks, actions) {
                        (h, 0) => format!("{h} hunk(s) to review"),
                        (0, a) => format!("{a} action(s) to allow or deny"),
                        (h, a) => format!("{h} hunk(s) and {a} action(s)"),
                    };
                    Some((
                        "waiting",
                        format!("{} is waiting for you: {what}", info.name),
                    ))
                }
                TurnState::Idle if s.chat.is_some() && was == TurnState::Running => {
                    Some(("done", format!("{} finished its turn", info.name)))
                }
                TurnState::Exited => Some((
                    "finished",
                    match info.exit_code {
                        Some(0) => format!("{} finished", info.name),
                        Some(c) => format!("{} exited with code {c}", info.name),
                        None => format!("{} was stopped", info.name),
                    },
                )),
                _ => None,
            };
            self.emit(Event::SessionUpdated { session: info });
            if let Some((kind, message)) = attention {
                self.emit(Event::Attention {
                    session: session.to_string(),
                    kind: kind.into(),
                    message,
                });
            }
        }
    }

    fn exited(&mut self, session: &str, code: Option<i32>) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        s.process = None;
        if let Ok(mut sb) = s.scrollback.lock() {
            sb.persist(true);
        }
        // Dropping the reply channels answers every waiting hook with a denial.
        let dropped: Vec<String> = s.actions.keys().cloned().collect();
        s.actions.clear();
        let had_gated = !s.gated.is_empty();
        s.gated.clear();
        s.info.state = SessionState::Exited;
        s.info.exit_code = code;
        if let Err(e) = self.journal.session_exited(session, code) {
            self.problem(Some(session), format!("journal: {e}"));
        }
        for id in dropped {
            self.emit(Event::ActionResolved {
                action: id,
                outcome: "gone".into(),
                rule: None,
            });
        }
        if had_gated {
            self.publish(session);
        }
        self.emit(Event::SessionExited {
            session: session.to_string(),
            exit_code: code,
        });
        self.update_turn(session);
    }
}

/// Whether `command` is the user's own interactive shell (a shell with no
/// script): confined, but its commands are the user's, not an agent's.
fn interactive_shell(command: &[String]) -> bool {
    let Some(program) = command.first() else {
        return true;
    };
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shells = [
        "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh", "nu",
    ];
    shells.contains(&name.as_str())
        && !command[1..].iter().any(|a| {
            a.starts_with('-') && !a.starts_with("--") && a.contains('c') || !a.starts_with('-')
        })
}

/// What `Actor::confine` gives a session's spawn.
struct Confined {
    command: Vec<String>,
    exec_gate: Option<exec_gate::Handle>,
    proxy: Option<airlock_proxy::Proxy>,
    /// Environment for the session (the proxy's address).
    env: Vec<(String, String)>,
}

/// The hosts network mode `model-only` lets through when the policy names
/// none: the model APIs of the agents Airlock knows, and their sign-in hosts.
const MODEL_HOSTS: [&str; 6] = [
    "api.anthropic.com",
    "api.openai.com",
    "chatgpt.com",
    "generativelanguage.googleapis.com",
    "cloudcode-pa.googleapis.com",
    "oauth2.googleapis.com",
];

/// A session's `model-only` proxy, letting through the policy's
/// `[network] hosts` (the model APIs when it names none); each refused
/// connection is counted on the session and shown.
async fn start_proxy(
    project_file: PathBuf,
    global_file: PathBuf,
    tx: mpsc::UnboundedSender<Msg>,
    session: String,
) -> Result<airlock_proxy::Proxy> {
    let policy = airlock_policy::Policy::load(Some(&project_file), Some(&global_file))
        .map_err(|e| EngineError::BadRequest(format!("policy: {e}")))?;
    let hosts: Vec<String> = if policy.network_hosts.is_empty() {
        MODEL_HOSTS.iter().map(|h| h.to_string()).collect()
    } else {
        policy.network_hosts
    };
    let rules = hosts
        .iter()
        .map(|h| airlock_proxy::HostRule::parse(h))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| EngineError::BadRequest(format!("policy [network] hosts: {e}")))?;
    let (events, mut rx) = mpsc::unbounded_channel();
    let proxy = airlock_proxy::Proxy::start_with(
        rules,
        airlock_proxy::Options {
            events: Some(events),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| EngineError::io("start the model-only proxy".to_string(), e))?;
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let airlock_proxy::ProxyEvent::Blocked { host, port, .. } = event {
                let blocked = Msg::ProxyBlocked {
                    session: session.clone(),
                    host: format!("{host}:{port}"),
                };
                if tx.send(blocked).is_err() {
                    return;
                }
            }
        }
    });
    Ok(proxy)
}

/// A terminal session's own environment: its hook token and what its
/// sandbox adds (the proxy's address).
fn session_env(token: &str, mut extra: Vec<(String, String)>) -> Vec<(String, String)> {
    extra.insert(0, ("AIRLOCK_TOKEN".into(), token.to_string()));
    extra
}
