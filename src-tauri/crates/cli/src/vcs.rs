//! `airlock commit` and `airlock pr`: what Airlock landed becomes a commit
//! (the user's git, hooks and all), then a pushed branch and a pull request.

use std::path::Path;

use airlock_protocol::{
    CommitParams, CommitPlan, FileStatus, PullRequestParams, Request, Response,
};
use anyhow::Result;

use crate::commands::{call, connect, print_json, unexpected};

/// What `airlock commit` was asked to do.
#[derive(clap::Args)]
pub struct CommitOpts {
    /// Only this session's landings.
    #[arg(long)]
    pub session: Option<String>,
    /// Commit on a new branch (default name `airlock/<session name>`), or on
    /// this branch if HEAD is on it already.
    #[arg(long, value_name = "BRANCH", num_args = 0..=1, default_missing_value = "")]
    pub branch: Option<String>,
    /// The message (default: drafted from the sessions, prompts and files).
    #[arg(short, long)]
    pub message: Option<String>,
    /// Also commit this file of your own (repeat for more).
    #[arg(long, value_name = "PATH")]
    pub include: Vec<String>,
    /// Show what would be committed, and the drafted message; commit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

async fn plan(project: &Path, session: Option<String>) -> Result<CommitPlan> {
    let mut client = connect(project).await?;
    match call(&mut client, Request::CommitPlan { session }).await? {
        Response::CommitPlan(plan) => Ok(plan),
        other => Err(unexpected(&other)),
    }
}

fn letter(s: FileStatus) -> char {
    match s {
        FileStatus::Added => 'A',
        FileStatus::Modified => 'M',
        FileStatus::Deleted => 'D',
    }
}

fn print_plan(plan: &CommitPlan) {
    if plan.sessions.is_empty() {
        println!("no landing waits for a commit");
    }
    for s in &plan.sessions {
        let ids: Vec<String> = s.landings.iter().map(|l| format!("#{l}")).collect();
        println!("{} ({})  landings {}", s.name, s.id, ids.join(" "));
        for p in &s.prompts {
            println!("  prompt: {}", p.lines().next().unwrap_or_default());
        }
    }
    println!("\nfiles ([x] committed by default; name others with --include):");
    for f in &plan.files {
        let tick = if f.landed { "[x]" } else { "[ ]" };
        println!("  {tick} {} {}", letter(f.status), f.path);
    }
    match &plan.branch {
        Some(b) => println!("\nbranch: {b} (or --branch for {})", plan.suggested_branch),
        None => println!(
            "\nHEAD is detached: commit with --branch ({})",
            plan.suggested_branch
        ),
    }
    println!("\nmessage:\n{}", plan.message.trim_end());
}

pub async fn commit(project: &Path, o: CommitOpts) -> Result<()> {
    let needs_plan = o.dry_run || o.branch.as_deref() == Some("") || !o.include.is_empty();
    let plan = match needs_plan {
        true => Some(plan(project, o.session.clone()).await?),
        false => None,
    };
    if let (true, Some(plan)) = (o.dry_run, &plan) {
        return match o.json {
            true => print_json(plan),
            false => {
                print_plan(plan);
                Ok(())
            }
        };
    }
    let branch = match (o.branch, &plan) {
        (Some(b), Some(plan)) if b.is_empty() => Some(plan.suggested_branch.clone()),
        (b, _) => b,
    };
    let paths = plan.as_ref().filter(|_| !o.include.is_empty()).map(|plan| {
        let mut paths: Vec<String> = plan
            .files
            .iter()
            .filter(|f| f.landed)
            .map(|f| f.path.clone())
            .collect();
        paths.extend(o.include.iter().cloned());
        paths
    });
    let mut client = connect(project).await?;
    let request = Request::Commit(CommitParams {
        session: o.session,
        message: o.message,
        branch,
        paths,
    });
    let Response::Committed(done) = call(&mut client, request).await? else {
        anyhow::bail!("the engine answered something unexpected to commit");
    };
    if o.json {
        return print_json(&done);
    }
    let short = done.commit.get(..12).unwrap_or(&done.commit);
    let new = if done.created_branch {
        " (new branch)"
    } else {
        ""
    };
    println!(
        "committed {short} on {}{new}: {} file(s)",
        done.branch,
        done.paths.len()
    );
    for p in &done.paths {
        println!("  {p}");
    }
    Ok(())
}

/// What `airlock pr` was asked to do.
#[derive(clap::Args)]
pub struct PrOpts {
    /// The remote to push to (default: the branch's upstream, else origin, else the only one).
    #[arg(long)]
    pub remote: Option<String>,
    /// The branch to merge into (default: the repository's default branch).
    #[arg(long)]
    pub base: Option<String>,
    /// Open it as a draft.
    #[arg(long)]
    pub draft: bool,
    /// The branch to push (default: the current one).
    #[arg(long)]
    pub branch: Option<String>,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn pr(project: &Path, o: PrOpts) -> Result<()> {
    let mut client = connect(project).await?;
    let request = Request::OpenPullRequest(PullRequestParams {
        remote: o.remote,
        base: o.base,
        draft: Some(o.draft),
        branch: o.branch,
    });
    let Response::PullRequest(done) = call(&mut client, request).await? else {
        anyhow::bail!("the engine answered something unexpected to openPullRequest");
    };
    if o.json {
        return print_json(&done);
    }
    match (&done.url, &done.note) {
        (_, Some(note)) => {
            println!("{note}");
            for c in &done.commands {
                println!("{c}");
            }
        }
        (Some(url), None) => println!(
            "pushed {} to {}; pull request: {url}",
            done.branch, done.remote
        ),
        (None, None) => println!(
            "pushed {} to {}; gh said:\n{}",
            done.branch,
            done.remote,
            done.output.trim()
        ),
    }
    Ok(())
}
