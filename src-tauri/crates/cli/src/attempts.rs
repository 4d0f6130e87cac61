//! `airlock attempts` (one task in several staged sessions at once) and
//! `airlock compare` (their totals side by side).

use std::path::Path;

use airlock_protocol::{
    AttemptAgent, Comparison, Request, Response, SessionKind, StartAttemptsParams, TestState,
};
use anyhow::{bail, Result};

use crate::commands::{call, connect, print_json, unexpected};

/// What `airlock attempts` was asked to do.
#[derive(clap::Args)]
pub struct AttemptsOpts {
    /// How many attempts (1 to 8).
    pub count: u8,
    /// A terminal agent's command line; the task is its last argument.
    /// Repeat for a mix: attempts take the agents in turn. Without any, the
    /// task is a shell command line.
    #[arg(long, value_name = "CMD")]
    pub agent: Vec<String>,
    /// A chat (ACP) agent's command line; the task is its first prompt.
    #[arg(long, value_name = "CMD")]
    pub acp_agent: Vec<String>,
    /// A shell command run in each stage when its attempt's turn ends (or
    /// its process exits); `airlock compare` shows whether it passed.
    #[arg(long, value_name = "CMD")]
    pub test: Option<String>,
    /// Start the stages from this branch or commit (default: HEAD).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// The task.
    #[arg(last = true, required = true)]
    pub task: Vec<String>,
}

fn agent(line: &str, kind: SessionKind) -> Result<AttemptAgent> {
    let command: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    if command.is_empty() {
        bail!("an empty agent command line: give --agent \"CMD ARGS\"");
    }
    Ok(AttemptAgent {
        command,
        kind: Some(kind),
    })
}

/// `airlock attempts N [--agent CMD]... -- TASK`.
pub async fn attempts(project: &Path, opts: AttemptsOpts) -> Result<()> {
    let mut agents = Vec::new();
    for a in &opts.agent {
        agents.push(agent(a, SessionKind::Terminal)?);
    }
    for a in &opts.acp_agent {
        agents.push(agent(a, SessionKind::Chat)?);
    }
    let params = StartAttemptsParams {
        task: opts.task.join(" "),
        count: opts.count,
        agents,
        test: opts.test,
        base: opts.base,
        cols: None,
        rows: None,
    };
    let mut client = connect(project).await?;
    let task = match call(&mut client, Request::StartAttempts(params)).await? {
        Response::Task(t) => t,
        other => return Err(unexpected(&other)),
    };
    if opts.json {
        return print_json(&task);
    }
    println!("{}", task.id);
    for (i, s) in task.sessions.iter().enumerate() {
        println!("  attempt {}  {s}", i + 1);
    }
    Ok(())
}

/// `airlock compare TASK [--json]`.
pub async fn compare(project: &Path, task: String, json: bool) -> Result<()> {
    let mut client = connect(project).await?;
    let c = match call(&mut client, Request::Compare { task }).await? {
        Response::Comparison(c) => c,
        other => return Err(unexpected(&other)),
    };
    if json {
        return print_json(&c);
    }
    print!("{}", table(&c));
    Ok(())
}

/// The comparison as text: one line per attempt.
fn table(c: &Comparison) -> String {
    let mut out = format!("task {}: {}\n", c.task.id, c.task.task);
    for (i, a) in c.attempts.iter().enumerate() {
        let test = match &a.test {
            None if c.task.test.is_none() => "-".to_string(),
            None => "not run".to_string(),
            Some(t) => match t.state {
                TestState::Running => "running".into(),
                TestState::Passed => "passed".into(),
                TestState::Failed => match t.exit_code {
                    Some(code) => format!("failed ({code})"),
                    None => "failed".into(),
                },
            },
        };
        let gone = if a.gone { "  (removed)" } else { "" };
        out.push_str(&format!(
            "{}  {}  {}  files {}  +{} -{}  test {test}{gone}\n",
            i + 1,
            a.session,
            a.name,
            a.files,
            a.added,
            a.removed
        ));
    }
    out
}
