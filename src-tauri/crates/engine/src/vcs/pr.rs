//! Push a branch and open a pull request with GitHub's `gh`, when it is
//! installed and logged in; otherwise answer the exact commands to run, and
//! do nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use airlock_protocol::{PullRequestOutcome, PullRequestParams};

use super::{both, draft, Repo};
use crate::error::{EngineError, IoContext, Result};
use crate::journal::RecordedCommit;

impl Repo {
    /// The remote to push `branch` to: the one asked for, else the branch's
    /// upstream, else `origin`, else the only one.
    pub fn pick_remote(&self, asked: Option<&str>, branch: &str) -> Result<String> {
        let remotes = self.remotes()?;
        if remotes.is_empty() {
            return Err(EngineError::BadRequest(
                "this repository has no remote to push to: add one with `git remote add origin URL`, then try again".into(),
            ));
        }
        let listed = || remotes.join(", ");
        if let Some(r) = asked {
            return match remotes.iter().any(|x| x == r) {
                true => Ok(r.to_string()),
                false => Err(EngineError::BadRequest(format!(
                    "there is no remote `{r}`: the remotes are {}",
                    listed()
                ))),
            };
        }
        let upstream = self
            .run(&["config", "--get", &format!("branch.{branch}.remote")])
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|r| remotes.contains(r));
        if let Some(r) = upstream {
            return Ok(r);
        }
        if remotes.iter().any(|r| r == "origin") {
            return Ok("origin".into());
        }
        match &remotes[..] {
            [only] => Ok(only.clone()),
            _ => Err(EngineError::BadRequest(format!(
                "pick the remote to push to (`airlock pr --remote NAME`): the remotes are {}",
                listed()
            ))),
        }
    }

    /// Pushes and opens the pull request (see the module's guide).
    /// `commits`: what Airlock committed on the branch, newest first.
    pub fn pull_request(
        &self,
        params: &PullRequestParams,
        commits: impl FnOnce(&str) -> Result<Vec<RecordedCommit>>,
    ) -> Result<PullRequestOutcome> {
        let branch = match &params.branch {
            Some(b) => {
                if !self.branch_exists(b) {
                    return Err(EngineError::BadRequest(format!(
                        "there is no branch `{b}`: commit on it first (`airlock commit --branch {b}`)"
                    )));
                }
                b.clone()
            }
            None => self.branch()?.ok_or_else(|| {
                EngineError::BadRequest(
                    "HEAD is detached (on no branch): check out the branch to push, or pass it"
                        .into(),
                )
            })?,
        };
        if params.base.as_deref() == Some(branch.as_str()) {
            return Err(EngineError::BadRequest(format!(
                "`{branch}` is the base too: a pull request needs a branch of its own (commit on a new branch first)"
            )));
        }
        let remote = self.pick_remote(params.remote.as_deref(), &branch)?;
        let (title, body) = draft::pull_request(&commits(&branch)?, self.last_message(&branch));
        let push: Vec<String> = ["git", "push", "--set-upstream", &remote, &branch]
            .map(String::from)
            .to_vec();
        let mut create: Vec<String> = ["gh", "pr", "create", "--head", &branch]
            .map(String::from)
            .to_vec();
        if let Some(base) = &params.base {
            create.extend(["--base".into(), base.clone()]);
        }
        create.extend([
            "--title".into(),
            title.clone(),
            "--body".into(),
            body.clone(),
        ]);
        if params.draft.unwrap_or(false) {
            create.push("--draft".into());
        }
        let commands = vec![draft::shell_line(&push), draft::shell_line(&create)];
        let mut outcome = PullRequestOutcome {
            branch,
            remote,
            title,
            body,
            url: None,
            note: None,
            commands,
            output: String::new(),
        };
        if let Some(why) = gh_unusable(&self.dir) {
            outcome.note = Some(format!(
                "{why}: nothing was pushed. Run these commands yourself:"
            ));
            return Ok(outcome);
        }
        outcome.output = self.run(&push[1..].iter().map(String::as_str).collect::<Vec<_>>())?;
        let out = gh(&self.dir)?
            .args(&create[1..])
            .output()
            .context(|| "run gh pr create".to_string())?;
        outcome.output.push_str(&both(&out));
        if !out.status.success() {
            return Err(EngineError::BadRequest(format!(
                "the branch was pushed to {}, but `gh pr create` failed: {}",
                outcome.remote,
                both(&out).trim()
            )));
        }
        outcome.url = String::from_utf8_lossy(&out.stdout)
            .lines()
            .rev()
            .find(|l| l.starts_with("http"))
            .map(|l| l.trim().to_string());
        Ok(outcome)
    }

    /// The subject and body of `branch`'s newest commit.
    fn last_message(&self, branch: &str) -> (String, String) {
        let text = self
            .run(&["log", "-1", "--format=%s%x00%b", branch, "--"])
            .unwrap_or_default();
        let (subject, body) = text.split_once('\0').unwrap_or((&text, ""));
        (subject.trim().to_string(), body.trim().to_string())
    }
}

/// `gh` found on PATH.
fn gh_path() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("gh"))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// `gh` set to run in `dir` without ever asking a question.
fn gh(dir: &Path) -> Result<Command> {
    let path = gh_path().ok_or_else(|| EngineError::BadRequest("gh is not installed".into()))?;
    let mut c = Command::new(path);
    c.current_dir(dir)
        .env("GH_PROMPT_DISABLED", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    Ok(c)
}

/// Why `gh` cannot open the pull request, if it cannot.
fn gh_unusable(dir: &Path) -> Option<String> {
    if gh_path().is_none() {
        return Some(
            "gh (GitHub's command line tool) is not installed: get it from https://cli.github.com"
                .into(),
        );
    }
    let logged_in = gh(dir)
        .ok()?
        .args(["auth", "status"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!logged_in).then(|| "gh is not logged in: run `gh auth login`".into())
}
