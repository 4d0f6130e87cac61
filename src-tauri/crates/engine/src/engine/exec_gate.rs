//! The exec gate, the engine's side: every program a session's processes
//! start is judged by the same policy and shell classifier as Claude Code's
//! hook, before it runs. Agents without hooks (Codex, Aider, Gemini CLI in a
//! terminal, a plain shell with the gate on) ask too.
//!
//! The session's `sandbox-exec` entry hands its seccomp listener to the
//! [`GateServer`]'s socket with a one-time token (see `airlock_sandbox`'s
//! `gate` module); a thread per session then reads each exec and answers:
//!
//! - the session's own command, as the user started it, runs unjudged: the
//!   entry's exec and those its process makes of itself (`env` becoming
//!   `node`) until any other process starts a program. A launcher that runs
//!   helper programs first (a pyenv shim) has them judged like any other;
//! - `sh -c SCRIPT` (any shell, any option cluster with `c`) is judged as the
//!   script, whole; any other program as its command line, named by the file
//!   it runs (never by `argv[0]`, which the caller sets), or by its path when
//!   the file lies where the session may write (a program the agent made);
//! - allowed → it runs at once, in this thread, off the actor; denied → the
//!   exec fails with "Operation not permitted" and the session hears why;
//!   ask → the process waits in the kernel while an action card waits for a
//!   click (`Exec` cards, decided like any action, "Always allow" adds the
//!   rule); a card whose process died goes away.
//! - A program approved by the user or allowed by one of the user's rules,
//!   or allowed by the classifier (a script whole, a read-only program), is
//!   trusted with what it starts: an approved script is not asked again for
//!   the programs it runs, `lsb_release` runs its `getopt`. Not so a program
//!   its own config files (which the session can write) can point at other
//!   programs — git (`core.fsmonitor`), less, man — unless the user's rule or
//!   click allowed it.
//! - A Bash command already allowed through Claude Code's hook or an ACP
//!   permission is remembered, so the exec that carries it out is not asked
//!   a second time.
//!
//! The policy is read once and read again only when one of its files changes.

use std::collections::{HashMap, VecDeque};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_policy::Decision;
use airlock_protocol::GateReply;
use airlock_sandbox::{ExecCall, ExecListener, FileId, Next};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::gate::{denied_why, judge, Verdict};
use super::Msg;

mod agents;
mod ask;
mod command;
mod process;
mod server;

use super::policy_cache::PolicyCache;

pub(super) use server::GateServer;

use agents::{claude_wrapped, gemini_wrapped, only_reads, runs_from_config};
use ask::{log_decision, wait_for_user};
pub(super) use command::shell_script_file;
use command::{is_shell, join, shell_script, short};
use process::{stat, trust};

/// Shells whose `-c SCRIPT` is judged as the script.
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"];
/// How long a Bash command allowed through a hook or an ACP permission is
/// remembered for the exec that carries it out.
const REMEMBER: Duration = Duration::from_secs(120);
/// How long a process's repeated exec of the same command (a shell trying
/// each PATH folder after a refusal) gets the same answer without a new card.
const REPEAT: Duration = Duration::from_secs(5);
/// The longest a shell-script launcher may take to find its program.
const LAUNCH: Duration = Duration::from_secs(10);
/// The most policy verdicts a session's gate remembers.
const VERDICTS_KEPT: usize = 4096;

/// What one session's gate shares with the actor.
#[derive(Default)]
pub(super) struct Shared {
    /// Bash commands allowed through the session's hook or ACP permissions.
    remembered: Mutex<VecDeque<(String, Instant)>>,
}

/// The actor's handle on one session's gate: dropping it stops the gate's
/// thread (and with the listener gone, every later exec of the session fails).
pub(super) struct Handle {
    shared: Arc<Shared>,
    _stop: UnixStream,
}

impl Handle {
    /// Remembers a Bash command the user or the policy allowed through a hook.
    pub(super) fn remember(&self, command: &str) {
        if let Ok(mut r) = self.shared.remembered.lock() {
            r.retain(|(_, at)| at.elapsed() < REMEMBER);
            if r.len() >= 64 {
                r.pop_front();
            }
            r.push_back((command.to_string(), Instant::now()));
        }
    }
}

/// What the gate needs to judge one session's execs.
pub(super) struct Ctx {
    pub(super) session: String,
    /// The session's root (stage, or project for a gated session): paths in
    /// commands are judged against it.
    pub(super) root: PathBuf,
    /// Where the session may write: a program found there was made by it.
    pub(super) writable: Vec<PathBuf>,
    pub(super) project: PathBuf,
    pub(super) airlock_home: PathBuf,
    /// The session's own program, resolved once at registration (symlinks
    /// followed): the agent starting itself again
    /// (a sub-agent, `claude auth status`) is the agent, not a command.
    pub(super) program: Option<PathBuf>,
    /// The `airlock` binary, resolved: the agents' hooks (`airlock hook claude`, Codex's
    /// `notify`) are Airlock asking itself, never a card.
    pub(super) airlock: Option<PathBuf>,
    /// The session's program is a `#!` script whose interpreter is a shell:
    /// a launcher (see [`SessionGate::launching`]).
    pub(super) launcher: bool,
    pub(super) tx: mpsc::Sender<Msg>,
}

/// A command line as the policy judges it.
struct Judged {
    /// A shell's script whole, or the program and its arguments.
    command: String,
    /// Whether `command` is a shell's script.
    script: bool,
    /// Whether the program (or the link it was called through) is one the
    /// session could have made.
    made_here: bool,
}

/// Processes trusted with what they start: pid → when (boot clock ticks) it
/// was trusted. A process found under that pid later is the same one only
/// if it had started by then (its `/proc` start time is not after it), so a
/// recycled pid is not mistaken for it; nothing is read from `/proc` to
/// trust, only to look up.
type Trusted = HashMap<u32, u64>;

/// One session's gate thread state.
struct SessionGate {
    ctx: Ctx,
    shared: Arc<Shared>,
    /// The `sandbox-exec` entry: its first execs are the session's own command.
    root_pid: u32,
    /// Until another process starts a program, the entry's execs are the
    /// command becoming itself.
    root_phase: bool,
    /// The session's command is a shell-script launcher (a pyenv or nvm
    /// shim): until its process becomes a program that is not a shell, or
    /// for [`LAUNCH`] at most, what it runs to find that program is part of
    /// starting the command, not the agent's doing.
    launching: Option<Instant>,
    /// The entry has made its first exec (the session's command).
    started: bool,
    policy: PolicyCache,
    /// Processes trusted with what they start.
    trusted: Arc<Mutex<Trusted>>,
    /// Recent answers per process and command line.
    recent: Arc<Mutex<Recent>>,
    /// The policy's verdicts by command and folder, for the policy generation.
    verdicts: (u64, HashMap<(String, PathBuf), Verdict>),
    /// Whether each program path was found where the session may write, for
    /// the file it named then (see [`SessionGate::made_here`]).
    made_here: HashMap<PathBuf, (FileId, bool)>,
    /// `AIRLOCK_EXEC_GATE_LOG`: a file where every verdict is written, to see
    /// what an agent runs and why it waits.
    log: Option<PathBuf>,
    /// How many of the session's execs wait for the user now (each has a
    /// card and a thread): at most [`MAX_WAITING`].
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// The most execs of one session that may wait for the user at once; past
/// it a new one is refused at once, so a process forking asks cannot fill
/// the engine with threads and the user's screen with cards.
const MAX_WAITING: usize = 64;

/// One waiting exec, counted in [`SessionGate::waiting`] while it lives.
struct WaitingSlot(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for WaitingSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Recent answers per process and command line: a program that tries the
/// next PATH folder after a refusal gets the same answer, not a new card.
type Recent = VecDeque<(u32, Vec<String>, Instant, bool)>;

/// How the gate answers one exec.
enum Answer {
    Allow { trust: bool },
    Refuse(String),
    Ask(Verdict, String),
}

impl SessionGate {
    fn new(ctx: Ctx, shared: Arc<Shared>, root_pid: u32) -> SessionGate {
        let policy = PolicyCache::new(&ctx.project, &ctx.airlock_home);
        SessionGate {
            ctx,
            shared,
            root_pid,
            root_phase: true,
            launching: None,
            started: false,
            policy,
            trusted: Default::default(),
            recent: Default::default(),
            verdicts: (0, HashMap::new()),
            made_here: HashMap::new(),
            log: std::env::var_os("AIRLOCK_EXEC_GATE_LOG").map(PathBuf::from),
            waiting: Default::default(),
        }
    }

    fn run(mut self, listener: &Arc<ExecListener>, stop: UnixStream) {
        loop {
            match listener.next(stop.as_fd(), 60_000) {
                Ok(Next::Call(call)) => self.answer(listener, call),
                Ok(Next::Unreadable { id, why, .. }) => {
                    let _ = listener.refuse(id);
                    self.tell(format!(
                        "refused a program the session started: its command line could not be read ({why})"
                    ));
                }
                Ok(Next::Idle) => {}
                Ok(Next::Closed | Next::Stopped) => return,
                Err(e) => {
                    self.tell(format!("the exec gate stopped: {e}; the session's next programs will fail to start"));
                    return;
                }
            }
        }
    }

    fn tell(&self, message: String) {
        let _ = self.ctx.tx.blocking_send(Msg::ExecNotice {
            session: self.ctx.session.clone(),
            message,
        });
    }

    fn answer(&mut self, listener: &Arc<ExecListener>, call: ExecCall) {
        // The session's own command, as the user started it: the entry's
        // exec and the ones that process makes of itself (`#!/usr/bin/env
        // node` runs env, then node) until anything else starts a program.
        if call.pid == self.root_pid && (self.root_phase || self.launching.is_some()) {
            if self.started {
                // The launcher has found its program.
                if !is_shell(&call.program) && !shell_script_file(&call.seen()) {
                    self.launching = None;
                }
            } else {
                self.started = true;
                if self.ctx.launcher {
                    self.launching = Some(Instant::now());
                }
            }
            let _ = listener.allow(call.id);
            return;
        }
        self.root_phase = false;
        if self.launching.is_some_and(|at| at.elapsed() < LAUNCH) {
            let _ = listener.allow(call.id);
            return;
        }
        self.launching = None;
        let repeated = self.recent.lock().ok().and_then(|mut recent| {
            recent.retain(|(.., at, _)| at.elapsed() < REPEAT);
            recent
                .iter()
                .find(|(pid, argv, ..)| *pid == call.pid && *argv == call.argv)
                .map(|(.., allowed)| *allowed)
        });
        if let Some(allowed) = repeated {
            let _ = if allowed {
                listener.allow(call.id)
            } else {
                listener.refuse(call.id)
            };
            return;
        }
        let judged = self.command_of(&call);
        let command = judged.command.clone();
        let answer = self.judge(&call, &judged);
        if let Some(log) = &self.log {
            log_decision(log, &self.ctx.session, &call, &command, &answer);
        }
        match answer {
            Answer::Allow { trust } => {
                if trust {
                    self.trust(call.pid);
                }
                let _ = listener.allow(call.id);
            }
            Answer::Refuse(why) => {
                if let Ok(mut recent) = self.recent.lock() {
                    recent.push_back((call.pid, call.argv.clone(), Instant::now(), false));
                }
                let _ = listener.refuse(call.id);
                self.tell(format!("refused `{}`: {why}", short(&command)));
            }
            Answer::Ask(verdict, summary) => self.ask(listener, call, verdict, summary),
        }
    }

    fn judge(&mut self, call: &ExecCall, judged: &Judged) -> Answer {
        let (command, script) = (judged.command.as_str(), judged.script);
        let mut verdict = self.verdict(command, &call.cwd);
        // Never ask the user under a policy read before a change of it (an
        // "Always allow" of a moment ago).
        if verdict.decision == Decision::Ask && self.policy.refresh_now() {
            verdict = self.verdict(command, &call.cwd);
        }
        if call.truncated && verdict.decision == Decision::Allow {
            verdict.decision = Decision::Ask;
        }
        // Whatever else the policy saw (a read outside the project asks
        // too, and a read-only command would then pass as only reading),
        // a program the session made is asked about as such.
        if judged.made_here && verdict.decision != Decision::Deny && !verdict.by_rule {
            verdict.decision = Decision::Ask;
            verdict.risks.insert(
                0,
                airlock_protocol::Risk {
                    kind: airlock_protocol::RiskKind::Exec,
                    why: format!(
                        "runs {}, which this session made or linked: its name vouches for nothing",
                        call.program.display()
                    ),
                },
            );
        }
        match verdict.decision {
            // What an allowed program starts was judged with it (a script
            // whole, `lsb_release` running `getopt`) — except git's, which
            // its repository's config can point anywhere (`core.fsmonitor`).
            Decision::Allow => Answer::Allow {
                trust: verdict.by_rule || script || !runs_from_config(&call.program),
            },
            Decision::Deny => Answer::Refuse(denied_why(&verdict)),
            Decision::Ask => {
                if self.remembered(call, command) || self.has_trusted_ancestor(call.pid) {
                    return Answer::Allow { trust: true };
                }
                if self.airlock_hook(call, command) {
                    return Answer::Allow { trust: false };
                }
                // Its transport (ssh, git's remote helpers) goes with it.
                if self.agent_state_git(call) {
                    return Answer::Allow { trust: true };
                }
                if let Some(trust) = self.agent_housekeeping(call, command, script) {
                    return Answer::Allow { trust };
                }
                // bubblewrap only takes rights away, and the program it
                // runs is an exec of its own, judged when it comes.
                // (The system's: one the session made is not bubblewrap.)
                if !judged.made_here && call.program.file_name().is_some_and(|n| n == "bwrap") {
                    return Answer::Allow { trust: false };
                }
                // Allowed to start, not trusted: what the agent part runs is
                // judged in its turn, and its writes stay in its walls.
                if self.agent_itself(call) || only_reads(command, &verdict) {
                    return Answer::Allow { trust: false };
                }
                Answer::Ask(verdict, command.to_string())
            }
        }
    }

    /// The policy's verdict on `command` run in `cwd`, remembered until the
    /// policy changes: a build runs the same few commands thousands of times,
    /// and parsing each again would be most of the gate's cost.
    fn verdict(&mut self, command: &str, cwd: &Path) -> Verdict {
        self.policy.refresh_soon();
        let generation = self.policy.generation;
        if self.verdicts.0 != generation || self.verdicts.1.len() >= VERDICTS_KEPT {
            self.verdicts = (generation, HashMap::new());
        }
        let key = (command.to_string(), cwd.to_path_buf());
        if let Some(v) = self.verdicts.1.get(&key) {
            return v.clone();
        }
        let v = judge(
            &self.policy.policy,
            self.policy.broken.as_deref(),
            &airlock_policy::Action {
                tool: "Bash".into(),
                input: json!({ "command": command }),
                cwd: cwd.to_path_buf(),
                project: self.ctx.root.clone(),
            },
        );
        self.verdicts.1.insert(key, v.clone());
        v
    }

    /// Holds the exec for the user: an action card, answered from a thread
    /// that also notices when the process is gone.
    fn ask(
        &mut self,
        listener: &Arc<ExecListener>,
        call: ExecCall,
        verdict: Verdict,
        summary: String,
    ) {
        let before = self
            .waiting
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let slot = WaitingSlot(self.waiting.clone());
        if before >= MAX_WAITING {
            drop(slot);
            let _ = listener.refuse(call.id);
            self.tell(format!(
                "refused `{}`: {MAX_WAITING} commands of this session already wait for you; answer those first",
                short(&summary)
            ));
            return;
        }
        let (reply, rx) = oneshot::channel::<GateReply>();
        let sent = self.ctx.tx.blocking_send(Msg::ExecAsk {
            session: self.ctx.session.clone(),
            summary,
            cwd: call.cwd.display().to_string(),
            risks: verdict.risks,
            suggested_rule: verdict.suggested_rule,
            reply,
        });
        if sent.is_err() {
            let _ = listener.refuse(call.id);
            return;
        }
        let (listener, trusted, recent) =
            (listener.clone(), self.trusted.clone(), self.recent.clone());
        let spawned = std::thread::Builder::new()
            .name("exec-gate-ask".into())
            .spawn(move || {
                let _slot = slot;
                wait_for_user(&listener, call, rx, &trusted, &recent)
            });
        if spawned.is_err() {
            // The call was moved into the closure that failed to start: the
            // listener refuses it when the process is gone or the engine ends.
        }
    }

    /// The command line the policy judges: a shell's script whole (true),
    /// or the program and its arguments.
    fn command_of(&mut self, call: &ExecCall) -> Judged {
        let args = call.argv.get(1..).unwrap_or(&[]);
        let base = call
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.made_here(call) {
            // A program the session made (or a link it made to any program)
            // is shown by its path, and [`SessionGate::judge`] asks about it
            // unless a rule of the user's allows it: no name on the
            // read-only list can vouch for it.
            return Judged {
                command: join(&call.program.display().to_string(), args),
                script: false,
                made_here: true,
            };
        }
        if SHELLS.contains(&base.as_str()) {
            if let Some(script) = shell_script(args) {
                return Judged {
                    command: script.to_string(),
                    script: true,
                    made_here: false,
                };
            }
        }
        Judged {
            command: join(&base, args),
            script: false,
            made_here: false,
        }
    }

    /// Whether the file `call` runs, or the link it was called through, lies
    /// where the session may write. Remembered per path while the path names the same,
    /// unchanged file: a link swapped or a file rewritten since is a
    /// different [`FileId`] and is looked at again.
    fn made_here(&mut self, call: &ExecCall) -> bool {
        if let Some((file, here)) = self.made_here.get(&call.program) {
            if *file == call.file {
                return *here;
            }
        }
        let writable = |p: &Path| self.ctx.writable.iter().any(|w| p.starts_with(w));
        // The file that runs, and the name it was called by: a link the
        // session made (`$STAGE/cat` → python3) names a program it did not
        // make, and is judged by its path too, not by the name it borrows.
        // Resolved as the session sees its files (an isolated session has
        // its own agent state folders).
        let file_here = call.real(&call.program).is_none_or(|real| writable(&real));
        let name_here = || match (call.program.parent(), call.program.file_name()) {
            (Some(folder), Some(name)) => call.real(folder).is_none_or(|f| writable(&f.join(name))),
            _ => true,
        };
        let here = file_here || name_here();
        if self.made_here.len() >= VERDICTS_KEPT {
            self.made_here.clear();
        }
        self.made_here
            .insert(call.program.clone(), (call.file, here));
        here
    }

    fn remembered(&self, call: &ExecCall, command: &str) -> bool {
        let Ok(mut r) = self.shared.remembered.lock() else {
            return false;
        };
        r.retain(|(_, at)| at.elapsed() < REMEMBER);
        let joined = call.argv.join(" ");
        let found = r.iter().position(|(c, _)| {
            c == command
                || *c == joined
                || claude_wrapped(command).is_some_and(|inner| inner == *c)
                || gemini_wrapped(command) == Some(c.as_str())
        });
        found.map(|i| r.remove(i)).is_some()
    }

    fn trust(&self, pid: u32) {
        trust(&self.trusted, pid);
    }

    fn has_trusted_ancestor(&self, pid: u32) -> bool {
        let Ok(t) = self.trusted.lock() else {
            return false;
        };
        if t.is_empty() {
            return false;
        }
        let mut at = pid;
        for _ in 0..64 {
            let Some((start, parent)) = stat(at) else {
                return false;
            };
            if t.get(&at).is_some_and(|since| start <= *since) {
                return true;
            }
            if at == self.root_pid || parent <= 1 {
                return false;
            }
            at = parent;
        }
        false
    }
}
