//! The client commands: each connects to the engine's socket, sends one
//! request and prints the answer as text or as one JSON document.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use airlock_engine::server::{Client, EventStream};
use airlock_protocol::{
    Change, ChangeKind, ChangeState, HunkKind, IpcError, LineKind, NetworkMode, Request, Response,
    SandboxChoice, SandboxState, SessionMode, SessionState, StartSessionParams,
};
use anyhow::{anyhow, bail, Result};
use base64::Engine as _;

pub(crate) async fn connect(project: &Path) -> Result<Client> {
    Client::connect(None, project)
        .await
        .map_err(|e| anyhow!(e.message))
}

pub(crate) async fn call(client: &mut Client, request: Request) -> Result<Response> {
    client
        .call(request)
        .await
        .map_err(|e: IpcError| anyhow!(e.message))
}

pub(crate) fn unexpected(r: &Response) -> anyhow::Error {
    anyhow!("the engine answered something unexpected: {r:?}")
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// How `airlock run` starts a session.
#[derive(clap::Args)]
pub struct RunOpts {
    /// staged (the agent writes into a private stage) or gated.
    #[arg(long, default_value = "staged")]
    pub mode: String,
    /// A name for the session.
    #[arg(long)]
    pub name: Option<String>,
    /// Join the session's terminal output until it exits.
    #[arg(long)]
    pub attach: bool,
    /// Run it without the sandbox (shown as such).
    #[arg(long, conflicts_with = "require_sandbox")]
    pub no_sandbox: bool,
    /// Refuse to start it unless it can be sandboxed.
    #[arg(long)]
    pub require_sandbox: bool,
    /// on (default), off (no TCP connections at all) or model-only (only the
    /// hosts in the policy's `[network] hosts`, by default the model APIs,
    /// through Airlock's proxy).
    #[arg(long, default_value = "on")]
    pub network: String,
    /// The command is an ACP agent: a chat session (send it prompts with `airlock prompt`).
    #[arg(long)]
    pub acp: bool,
    /// Every program the session starts waits at the exec gate (the default
    /// for agents; an interactive shell of yours is not gated unless asked).
    #[arg(long, conflicts_with = "no_exec_gate")]
    pub exec_gate: bool,
    /// Do not judge the programs the session starts (it stays sandboxed).
    #[arg(long)]
    pub no_exec_gate: bool,
    /// Start the stage from this branch or commit (default: HEAD).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
}

pub async fn run(project: &Path, opts: RunOpts, command: Vec<String>) -> Result<()> {
    if opts.acp && command.is_empty() {
        bail!("--acp needs the agent's command line after `--`, e.g. `airlock run --acp -- gemini --acp`");
    }
    if opts.acp && opts.attach {
        bail!("a chat session has no terminal to attach to: use `airlock prompt` and `airlock transcript`");
    }
    let attach = opts.attach;
    let params = start_params(opts, command)?;
    let mut client = connect(project).await?;
    let events = if attach {
        Some(subscribe(project).await?)
    } else {
        None
    };
    let response = call(&mut client, Request::StartSession(params)).await?;
    let Response::Session(info) = response else {
        return Err(unexpected(&response));
    };
    println!("{}", info.id);
    if let Some(sb) = info.sandbox.as_ref() {
        if sb.state != SandboxState::Confined {
            eprintln!("airlock: warning: {}", sb.summary);
        }
    }
    if let Some(events) = events {
        show_output_until_exit(events, &info.id).await?;
    }
    Ok(())
}

/// A second connection that receives the engine's events.
pub(crate) async fn subscribe(project: &Path) -> Result<EventStream> {
    connect(project)
        .await?
        .subscribe()
        .await
        .map_err(|e| anyhow!(e.message))
}

/// The session `airlock run` asks for, or what is wrong with its options.
fn start_params(opts: RunOpts, command: Vec<String>) -> Result<StartSessionParams> {
    let RunOpts {
        mode,
        name,
        attach: _, // `run` reads it before the session starts
        no_sandbox,
        require_sandbox,
        network,
        acp,
        exec_gate,
        no_exec_gate,
        base,
    } = opts;
    let mode = match mode.as_str() {
        "staged" => SessionMode::Staged,
        "gated" => SessionMode::Gated,
        other => bail!("unknown mode `{other}`: use --mode staged or --mode gated"),
    };
    let network = match network.as_str() {
        "on" => NetworkMode::On,
        "off" => NetworkMode::Off,
        "model-only" => NetworkMode::ModelOnly,
        other => bail!("unknown network `{other}`: use --network on, off or model-only"),
    };
    let sandbox = match (no_sandbox, require_sandbox) {
        (true, _) => SandboxChoice::Off,
        (false, true) => SandboxChoice::Require,
        (false, false) => SandboxChoice::Auto,
    };
    Ok(StartSessionParams {
        command: (!command.is_empty()).then_some(command),
        name,
        mode: Some(mode),
        cols: None,
        rows: None,
        sandbox: Some(sandbox),
        network: Some(network),
        kind: acp.then_some(airlock_protocol::SessionKind::Chat),
        exec_gate: match (exec_gate, no_exec_gate) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        },
        base,
    })
}

/// `--attach`: the session's terminal output on stdout until it exits.
async fn show_output_until_exit(mut events: EventStream, id: &str) -> Result<()> {
    let mut out = std::io::stdout();
    while let Some(event) = events.next().await {
        match event {
            airlock_protocol::Event::Output { session, data, .. } if session == id => {
                let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
                out.write_all(&bytes)?;
                out.flush()?;
            }
            airlock_protocol::Event::SessionExited { session, exit_code } if session == id => {
                eprintln!(
                    "\nairlock: session {} exited ({})",
                    id,
                    code_text(exit_code)
                );
                break;
            }
            _ => {}
        }
    }
    Ok(())
}

fn code_text(code: Option<i32>) -> String {
    code.map(|c| format!("code {c}"))
        .unwrap_or_else(|| "killed".into())
}

pub async fn status(project: &Path, json: bool) -> Result<()> {
    let mut client = connect(project).await?;
    let response = call(&mut client, Request::Status).await?;
    let Response::Status(status) = response else {
        return Err(unexpected(&response));
    };
    if json {
        return print_json(&status);
    }
    println!("project  {}", status.project);
    if let Some(url) = &client.info.url {
        println!("web UI   {url}");
    }
    println!(
        "pending  {} change(s), {} hunk(s)",
        status.pending_changes, status.pending_hunks
    );
    if status.sessions.is_empty() {
        println!("no sessions: start one with `airlock run -- COMMAND`");
    }
    for a in &status.actions {
        let why: Vec<&str> = a.risks.iter().map(|r| r.why.as_str()).collect();
        println!(
            "waiting  {}  {}: {}  ({})",
            a.id,
            a.tool,
            a.summary,
            why.join("; ")
        );
    }
    for s in &status.sessions {
        let state = match s.state {
            SessionState::Running => "running".to_string(),
            SessionState::Exited => format!("exited ({})", code_text(s.exit_code)),
        };
        let mode = match s.mode {
            SessionMode::Staged => "staged",
            SessionMode::Gated => "gated",
        };
        println!(
            "{}  {:<16} {:<14} {:<6} {} change(s), {} hunk(s)",
            s.id, s.name, state, mode, s.pending_changes, s.pending_hunks
        );
        if let Some(sb) = &s.sandbox {
            println!("    {}", sb.summary);
        }
    }
    Ok(())
}

fn kind_letter(c: &Change) -> &'static str {
    match c.kind {
        ChangeKind::Created => "A",
        ChangeKind::Modified => "M",
        ChangeKind::Deleted => "D",
        ChangeKind::Renamed => "R",
    }
}

fn shown_path(c: &Change) -> String {
    match &c.old_path {
        Some(old) => format!("{old} -> {}", c.path),
        None => c.path.clone(),
    }
}

async fn list_changes(
    client: &mut Client,
    session: Option<String>,
    decided: bool,
) -> Result<Vec<Change>> {
    let decided = decided.then_some(true);
    let response = call(client, Request::ListChanges { session, decided }).await?;
    match response {
        Response::Changes { changes } => Ok(changes),
        other => Err(unexpected(&other)),
    }
}

pub async fn changes(
    project: &Path,
    session: Option<String>,
    decided: bool,
    json: bool,
) -> Result<()> {
    let mut client = connect(project).await?;
    let changes = list_changes(&mut client, session, decided).await?;
    if json {
        return print_json(&serde_json::json!({ "changes": changes }));
    }
    if changes.is_empty() {
        println!("no pending changes");
    }
    for c in &changes {
        let mut extra = String::new();
        if c.binary {
            extra.push_str("  (binary)");
        }
        match c.state {
            ChangeState::Conflict => extra.push_str("  CONFLICT"),
            ChangeState::Landed => extra.push_str("  landed"),
            ChangeState::Approved => extra.push_str("  approved (the agent writes it)"),
            ChangeState::Rejected => extra.push_str("  rejected"),
            ChangeState::Held => {
                extra.push_str(&format!("  HELD: {}", c.held.as_deref().unwrap_or("")))
            }
            _ => {}
        }
        println!(
            "{}@{} {} {}  +{} -{}  [{}]{}",
            c.id,
            c.version,
            kind_letter(c),
            shown_path(c),
            c.additions,
            c.deletions,
            c.session,
            extra
        );
        for h in &c.hunks {
            let conflict = if h.conflict { "  conflict" } else { "" };
            let label = h
                .label
                .as_deref()
                .map(|l| format!("  {l}"))
                .unwrap_or_default();
            match h.kind {
                HunkKind::Whole => println!("  {}  whole file{conflict}", h.id),
                HunkKind::Mode => println!("  {}  mode{conflict}", h.id),
                HunkKind::Lines => println!(
                    "  {}  @@ -{},{} +{},{} @@{label}{conflict}",
                    h.id, h.old_start, h.old_lines, h.new_start, h.new_lines
                ),
            }
        }
    }
    Ok(())
}

pub async fn diff(project: &Path, target: Option<String>) -> Result<()> {
    let mut client = connect(project).await?;
    let changes = list_changes(&mut client, None, false).await?;
    let chosen: Vec<&Change> = match &target {
        None => changes.iter().collect(),
        Some(t) => changes
            .iter()
            .filter(|c| c.id == *t || c.path == *t)
            .collect(),
    };
    if let (Some(t), true) = (&target, chosen.is_empty()) {
        bail!("no pending change `{t}`: run `airlock changes` to see ids and paths");
    }
    let color = std::env::var_os("NO_COLOR").is_none() && is_terminal();
    let (red, green, cyan, bold, reset) = if color {
        ("\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    for c in chosen {
        let response = call(
            &mut client,
            Request::GetDiff {
                change: c.id.clone(),
                from: None,
                count: None,
                ignore_whitespace: None,
            },
        )
        .await?;
        let Response::Diff(d) = response else {
            return Err(unexpected(&response));
        };
        println!(
            "{bold}{} {}{reset}  ({})",
            kind_letter(c),
            shown_path(c),
            c.id
        );
        if let Some(n) = &d.change.notice {
            println!("  {n}");
        }
        for h in &d.hunks {
            println!(
                "{cyan}@@ -{},{} +{},{} @@{reset}  {}",
                h.header.old_start,
                h.header.old_lines,
                h.header.new_start,
                h.header.new_lines,
                h.header.id
            );
            for l in &h.lines {
                match l.kind {
                    LineKind::Context => println!(" {}", l.text),
                    LineKind::Added => println!("{green}+{}{reset}", l.text),
                    LineKind::Removed => println!("{red}-{}{reset}", l.text),
                }
            }
        }
    }
    Ok(())
}

fn is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

/// What `approve` or `reject` was asked to do.
pub struct Decide {
    pub approve: bool,
    pub ids: Vec<String>,
    pub all: bool,
    pub session: Option<String>,
    pub reason: Option<String>,
    pub always: bool,
    pub json: bool,
}

/// Change ids as `airlock changes` prints them, `c-…@v-…`: the id, and the
/// version the user looked at, which the engine then holds the decision to.
fn split_versions(given: Vec<String>) -> (Vec<String>, Option<BTreeMap<String, String>>) {
    let mut versions = BTreeMap::new();
    let ids = given
        .into_iter()
        .map(|id| match id.split_once('@') {
            Some((id, version)) => {
                versions.insert(id.to_string(), version.to_string());
                id.to_string()
            }
            None => id,
        })
        .collect();
    (ids, (!versions.is_empty()).then_some(versions))
}

pub async fn decide(project: &Path, d: Decide) -> Result<()> {
    let Decide {
        approve,
        ids,
        all,
        session,
        reason,
        always,
        json,
    } = d;
    let verb = if approve { "approve" } else { "reject" };
    if all && !ids.is_empty() {
        bail!("give ids or --all, not both");
    }
    if !all && ids.is_empty() {
        bail!("nothing to {verb}: give hunk or change ids (see `airlock changes`) or --all");
    }
    let (ids, versions) = split_versions(ids);
    let mut client = connect(project).await?;
    let request = match (approve, all) {
        (true, true) => Request::ApproveAll {
            session,
            versions: None,
        },
        (true, false) => Request::Approve {
            ids,
            always: Some(always),
            versions,
        },
        (false, true) => Request::RejectAll {
            session,
            reason,
            versions: None,
        },
        (false, false) => Request::Reject {
            ids,
            reason,
            versions,
        },
    };
    let response = call(&mut client, request).await?;
    let Response::Decided(outcome) = response else {
        return Err(unexpected(&response));
    };
    if json {
        return print_json(&outcome);
    }
    let done = if approve { "approved" } else { "rejected" };
    for a in &outcome.actions {
        println!("{} action {a}", if approve { "allowed" } else { "denied" });
    }
    for r in &outcome.rules {
        println!("added the rule {r} to .airlock/policy.toml");
    }
    if outcome.hunks == 0 && !outcome.actions.is_empty() {
        return Ok(());
    }
    print!(
        "{done} {} hunk(s) in {} file(s)",
        outcome.hunks,
        outcome.paths.len()
    );
    if let Some(l) = outcome.landing {
        print!(" (landing {l})");
    }
    println!();
    for p in &outcome.paths {
        println!("  {p}");
    }
    Ok(())
}

pub async fn undo(project: &Path, landing: Option<i64>, json: bool) -> Result<()> {
    let mut client = connect(project).await?;
    let response = call(&mut client, Request::Undo { landing }).await?;
    let Response::Decided(outcome) = response else {
        return Err(unexpected(&response));
    };
    if json {
        return print_json(&outcome);
    }
    println!(
        "undone: {} file(s) restored{}",
        outcome.paths.len(),
        outcome
            .landing
            .map(|l| format!(" (landing {l}; undo it to redo)"))
            .unwrap_or_default()
    );
    for p in &outcome.paths {
        println!("  {p}");
    }
    Ok(())
}

pub async fn history(project: &Path, json: bool) -> Result<()> {
    let mut client = connect(project).await?;
    let response = call(&mut client, Request::ListLandings).await?;
    let Response::Landings { landings } = response else {
        return Err(unexpected(&response));
    };
    if json {
        return print_json(&serde_json::json!({ "landings": landings }));
    }
    if landings.is_empty() {
        println!("nothing has landed yet");
    }
    for l in &landings {
        let note = match (l.undoes, l.undone_by) {
            (Some(u), _) => format!("  (undoes {u})"),
            (_, Some(by)) => format!("  (undone by {by})"),
            _ => String::new(),
        };
        println!("{:>5}  {}  {}{note}", l.id, l.session, l.paths.join(", "));
    }
    Ok(())
}

pub async fn session(project: &Path, action: &str, id: String, force: bool) -> Result<()> {
    let request = match action {
        "stop" => Request::StopSession {
            session: id.clone(),
        },
        "restart" => Request::RestartSession {
            session: id.clone(),
        },
        "remove" => Request::RemoveSession {
            session: id.clone(),
            force: Some(force),
        },
        other => bail!("unknown session action `{other}`: use stop, restart or remove"),
    };
    let mut client = connect(project).await?;
    call(&mut client, request).await?;
    println!("{action}: {id}");
    Ok(())
}

pub async fn orphans(project: &Path, clean: bool) -> Result<()> {
    let mut client = connect(project).await?;
    let request = if clean {
        Request::CleanOrphans
    } else {
        Request::ListOrphans
    };
    let response = call(&mut client, request).await?;
    let Response::Orphans { orphans } = response else {
        return Err(unexpected(&response));
    };
    if orphans.is_empty() {
        println!("no orphaned stages");
    }
    for o in &orphans {
        let verb = if clean { "removed" } else { "orphan" };
        println!("{verb}  {:>8.1} MB  {}", o.bytes as f64 / 1e6, o.path);
    }
    if !clean && !orphans.is_empty() {
        println!("run `airlock orphans --clean` to delete them");
    }
    Ok(())
}
