//! From landings to a commit and a pull request: what is waiting to be
//! committed ([`CommitPlan`]), what committing takes ([`CommitParams`]) and
//! gives ([`CommitOutcome`]), and the same for a pull request.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::SessionId;

/// What is waiting to be committed: the landings since the last commit,
/// grouped by session, and every changed file of the work tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct CommitPlan {
    /// The branch HEAD is on; `None` when HEAD is detached (commit on a new branch then).
    pub branch: Option<String>,
    /// A new branch's name to offer: `airlock/<session name>`, made a valid
    /// ref name and not yet taken.
    pub suggested_branch: String,
    /// The drafted message: from the sessions' names, a chat's prompts and
    /// the changed files.
    pub message: String,
    /// Sessions whose landings wait to be committed, oldest first.
    pub sessions: Vec<CommitSession>,
    /// Every changed file under the project (against HEAD), the landed ones first.
    pub files: Vec<CommitFile>,
    /// The repository's remotes, the one to offer first at the head.
    pub remotes: Vec<String>,
}

/// A session's landings since the last commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitSession {
    /// The session's id (`undo` for undos of committed landings).
    pub id: SessionId,
    /// Its name (its id when the session was removed).
    pub name: String,
    /// What the user asked a chat session, oldest first.
    pub prompts: Vec<String>,
    /// Its landings, oldest first.
    #[ts(type = "number[]")]
    pub landings: Vec<i64>,
    /// The files they changed that still differ from HEAD, sorted.
    pub paths: Vec<String>,
}

/// A changed file of the work tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitFile {
    /// Relative to the project.
    pub path: String,
    /// How it differs from HEAD.
    pub status: FileStatus,
    /// Airlock landed it (ticked by default); otherwise it is the user's own
    /// uncommitted work (unticked by default).
    pub landed: bool,
}

/// How a file differs from HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum FileStatus {
    /// New (tracked or not).
    Added,
    /// Changed.
    Modified,
    /// Gone.
    Deleted,
}

/// What to commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct CommitParams {
    /// Only this session's landings (default: every session's).
    #[serde(default)]
    #[ts(optional)]
    pub session: Option<SessionId>,
    /// The message (default: the drafted one).
    #[serde(default)]
    #[ts(optional)]
    pub message: Option<String>,
    /// Commit on this branch: created from HEAD (the work tree and index
    /// carried along) unless HEAD is on it already. Default: the current branch.
    #[serde(default)]
    #[ts(optional)]
    pub branch: Option<String>,
    /// Exactly the files to commit, relative to the project (default: the
    /// landed ones). Nothing else is staged for the commit.
    #[serde(default)]
    #[ts(optional)]
    pub paths: Option<Vec<String>>,
}

/// A commit that was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitOutcome {
    /// The new commit's id.
    pub commit: String,
    /// The branch it is on.
    pub branch: String,
    /// The branch was created for it.
    pub created_branch: bool,
    /// The files committed.
    pub paths: Vec<String>,
    /// The message as given to git.
    pub message: String,
    /// The landings it holds all of.
    #[ts(type = "number[]")]
    pub landings: Vec<i64>,
    /// What git and the hooks printed.
    pub output: String,
}

/// What to push and open a pull request for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct PullRequestParams {
    /// The remote to push to (default: the branch's upstream remote, else
    /// `origin`, else the only one).
    #[serde(default)]
    #[ts(optional)]
    pub remote: Option<String>,
    /// The branch to merge into (default: the remote repository's default branch).
    #[serde(default)]
    #[ts(optional)]
    pub base: Option<String>,
    /// Open it as a draft.
    #[serde(default)]
    #[ts(optional)]
    pub draft: Option<bool>,
    /// The branch to push (default: the current one).
    #[serde(default)]
    #[ts(optional)]
    pub branch: Option<String>,
}

/// A pull request opened, or the commands that would open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PullRequestOutcome {
    /// The branch.
    pub branch: String,
    /// The remote.
    pub remote: String,
    /// The title.
    pub title: String,
    /// The body: the message, the sessions and their prompts.
    pub body: String,
    /// The pull request's address, when `gh` opened one.
    pub url: Option<String>,
    /// Why nothing was done (`gh` missing or logged out), when so.
    pub note: Option<String>,
    /// The commands, shell-quoted: what was run, or what to run by hand.
    pub commands: Vec<String>,
    /// What git and `gh` printed.
    pub output: String,
}

/// The TypeScript declarations of this module's types.
pub(crate) fn decls(cfg: &ts_rs::Config) -> [String; 8] {
    [
        CommitPlan::decl(cfg),
        CommitSession::decl(cfg),
        CommitFile::decl(cfg),
        FileStatus::decl(cfg),
        CommitParams::decl(cfg),
        CommitOutcome::decl(cfg),
        PullRequestParams::decl(cfg),
        PullRequestOutcome::decl(cfg),
    ]
}
