//! Commit and pull request requests. The actor only gathers what it owns
//! (the landings, which of them Airlock committed, the sessions' names and a
//! chat's prompts); git runs on the engine's git thread, one job after
//! another, and the answer goes back from there: a hook may take seconds,
//! and the actor never waits on it. A commit is recorded in the journal
//! through a connection of the git thread's own (SQLite's WAL lets both write).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use airlock_protocol::{
    ChatEntry, CommitOutcome, CommitParams, CommitPlan, FileStatus, IpcError, LandingInfo, Request,
    Response,
};
use tokio::sync::oneshot;

use super::Actor;
use crate::error::{EngineError, Result};
use crate::journal::Journal;
use crate::vcs::{draft, plan, Repo};

/// What the git thread needs from the actor.
struct Inputs {
    landings: Vec<LandingInfo>,
    committed: HashSet<i64>,
    names: plan::Names,
    journal: PathBuf,
}

impl Actor {
    /// Answers [`Request::CommitPlan`], [`Request::Commit`] and
    /// [`Request::OpenPullRequest`] from the git thread.
    pub(super) fn vcs_request(
        &mut self,
        request: Request,
        reply: oneshot::Sender<std::result::Result<Response, IpcError>>,
    ) {
        let inputs = match self.commit_inputs() {
            Ok(inputs) => inputs,
            Err(e) => {
                let _ = reply.send(Err(e.into()));
                return;
            }
        };
        let project = self.project.clone();
        self.git.run(move || {
            let _ = reply.send(answer(request, &project, inputs).map_err(IpcError::from));
        });
    }

    fn commit_inputs(&self) -> Result<Inputs> {
        let names = self
            .sessions
            .values()
            .map(|s| {
                let prompts = s
                    .chat
                    .iter()
                    .flat_map(|c| c.transcript.iter())
                    .filter_map(|e| match e {
                        ChatEntry::User { text } => Some(text.clone()),
                        _ => None,
                    })
                    .collect();
                (s.info.id.clone(), (s.info.name.clone(), prompts))
            })
            .collect();
        Ok(Inputs {
            landings: self.journal.landings()?,
            committed: self.journal.committed_landings()?,
            names,
            journal: self.home.journal(),
        })
    }
}

/// Runs on the git thread.
fn answer(request: Request, project: &Path, inputs: Inputs) -> Result<Response> {
    let repo = Repo::open(project)?;
    match request {
        Request::CommitPlan { session } => Ok(Response::CommitPlan(plan_for(
            &repo,
            &inputs,
            session.as_deref(),
        )?)),
        Request::Commit(params) => Ok(Response::Committed(commit(&repo, &inputs, params)?)),
        Request::OpenPullRequest(params) => {
            let journal = Journal::open(&inputs.journal)?;
            let outcome = repo.pull_request(&params, |branch| journal.commits_on(branch))?;
            Ok(Response::PullRequest(outcome))
        }
        other => Err(EngineError::Internal(format!(
            "{} reached the git thread",
            other.op()
        ))),
    }
}

/// What waits to be committed (of `session` only, when given).
fn plan_for(repo: &Repo, inputs: &Inputs, session: Option<&str>) -> Result<CommitPlan> {
    if let Some(id) = session {
        let known =
            inputs.names.contains_key(id) || inputs.landings.iter().any(|l| l.session == id);
        if !known {
            return Err(EngineError::UnknownId {
                what: "session",
                id: id.to_string(),
            });
        }
    }
    let changed = repo.changed()?;
    let sessions = plan::waiting(
        &inputs.landings,
        &inputs.committed,
        &inputs.names,
        &changed,
        session,
    );
    let files = plan::files(&sessions, &changed);
    let landed: Vec<(String, FileStatus)> = files
        .iter()
        .filter(|f| f.landed)
        .map(|f| (f.path.clone(), f.status))
        .collect();
    let branch = repo.branch()?;
    let base = draft::branch_name(sessions.first().map_or("changes", |s| s.name.as_str()));
    let mut suggested = base.clone();
    for n in 2.. {
        if branch.as_deref() == Some(suggested.as_str()) || !repo.branch_exists(&suggested) {
            break;
        }
        suggested = format!("{base}-{n}");
    }
    let mut remotes = repo.remotes()?;
    let first = repo.pick_remote(None, branch.as_deref().unwrap_or("")).ok();
    remotes.sort_by_key(|r| Some(r) != first.as_ref());
    Ok(CommitPlan {
        branch,
        suggested_branch: suggested,
        message: draft::message(&sessions, &landed),
        sessions,
        files,
        remotes,
    })
}

/// Commits what [`CommitParams`] asks, and records it.
fn commit(repo: &Repo, inputs: &Inputs, params: CommitParams) -> Result<CommitOutcome> {
    let plan = plan_for(repo, inputs, params.session.as_deref())?;
    let paths = match params.paths {
        Some(paths) => paths,
        None => plan
            .files
            .iter()
            .filter(|f| f.landed)
            .map(|f| f.path.clone())
            .collect(),
    };
    if paths.is_empty() {
        return Err(EngineError::BadRequest(
            "nothing to commit: every file Airlock landed is committed, undone or as HEAD has it (name files to commit others)".into(),
        ));
    }
    if let Some(p) = paths
        .iter()
        .find(|p| !plan.files.iter().any(|f| &f.path == *p))
    {
        return Err(EngineError::BadRequest(format!(
            "`{p}` has no change to commit: it is as HEAD has it, or not in the project"
        )));
    }
    let message = params.message.unwrap_or(plan.message);
    if message.trim().is_empty() {
        return Err(EngineError::BadRequest(
            "the commit message is empty: write one".into(),
        ));
    }
    let made = repo.commit(&paths, &message, params.branch.as_deref())?;
    let landings = plan::held(&plan.sessions, &inputs.landings, &paths);
    let sessions: Vec<_> = plan
        .sessions
        .into_iter()
        .filter(|s| s.paths.iter().any(|p| paths.contains(p)))
        .collect();
    let mut output = made.output;
    let recorded = Journal::open(&inputs.journal)
        .and_then(|mut j| j.record_commit(&made.sha, &made.branch, &message, &sessions, &landings));
    if let Err(e) = recorded {
        output.push_str(&format!(
            "\nAirlock could not record this commit ({e}): its landings may be offered again"
        ));
    }
    Ok(CommitOutcome {
        commit: made.sha,
        branch: made.branch,
        created_branch: made.created,
        paths,
        message,
        landings,
        output,
    })
}
