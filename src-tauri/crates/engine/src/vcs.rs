//! The user's git, run as its own CLI (never a git of Airlock's making), so
//! their config, identity, signing and hooks apply as for a commit typed by
//! hand. [`Repo`] is the project's repository; [`Repo::commit`] commits
//! exactly the files given through a temporary index seeded from HEAD, so the
//! user's other uncommitted work, staged or not, stays as it was.
//! `draft` words messages and branch names; `plan` works out which landings
//! wait for a commit; `pr` pushes and opens a pull request with `gh`.
//!
//! Everything here blocks (a hook may run for seconds): the engine calls it
//! from its git thread, never from the actor.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use airlock_protocol::FileStatus;

use crate::error::{EngineError, IoContext, Result};

pub mod draft;
pub mod plan;
pub mod pr;

/// The project's git repository.
pub struct Repo {
    /// The project folder (git runs there; paths are relative to it).
    dir: PathBuf,
    /// The project's place inside the repository (`sub/dir/`, or empty):
    /// `git status --porcelain` names paths from the repository's top.
    prefix: String,
}

/// What [`Repo::commit`] made.
pub struct Made {
    /// The commit's id.
    pub sha: String,
    /// The branch it is on.
    pub branch: String,
    /// The branch was created for it.
    pub created: bool,
    /// What git and the hooks printed.
    pub output: String,
}

impl Repo {
    /// The repository `project` is in; a clear error when it is in none.
    pub fn open(project: &Path) -> Result<Repo> {
        let out = Command::new("git")
            .arg("-C")
            .arg(project)
            .args(["rev-parse", "--is-inside-work-tree", "--show-prefix"])
            .output()
            .context(|| "run git (is git installed?)".to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        if !out.status.success() || lines.next() != Some("true") {
            return Err(EngineError::BadRequest(format!(
                "{} is not a git repository: run `git init` there (and commit once) to commit what Airlock landed",
                project.display()
            )));
        }
        Ok(Repo {
            dir: project.to_path_buf(),
            prefix: lines.next().unwrap_or_default().to_string(),
        })
    }

    /// A `git` command run in the project.
    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::new("git");
        c.arg("-C").arg(&self.dir).arg("--literal-pathspecs");
        c.stdin(Stdio::null());
        c
    }

    /// Runs `git ARGS` with `input` on stdin; its output whatever the exit.
    pub(crate) fn output(
        &self,
        args: &[&str],
        env: &[(&str, &Path)],
        input: Option<&[u8]>,
    ) -> Result<Output> {
        let mut c = self.cmd();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            c.stdin(Stdio::piped());
        }
        let mut child = c
            .spawn()
            .context(|| "run git (is git installed?)".to_string())?;
        if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            // A hook that never reads is fine: the pipe just closes.
            let _ = stdin.write_all(bytes);
        }
        child
            .wait_with_output()
            .context(|| format!("wait for git {}", args.join(" ")))
    }

    /// Runs `git ARGS`; its stdout, or an error with what git said.
    pub(crate) fn run(&self, args: &[&str]) -> Result<String> {
        self.run_with(args, &[], None)
    }

    fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &Path)],
        input: Option<&[u8]>,
    ) -> Result<String> {
        let out = self.output(args, env, input)?;
        if !out.status.success() {
            return Err(EngineError::Git {
                args: args.join(" "),
                stderr: both(&out).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The branch HEAD is on (`None` when detached).
    pub fn branch(&self) -> Result<Option<String>> {
        let out = self.output(&["symbolic-ref", "-q", "--short", "HEAD"], &[], None)?;
        let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok((out.status.success() && !name.is_empty()).then_some(name))
    }

    /// HEAD's commit (`None` before the first commit).
    pub fn head(&self) -> Option<String> {
        self.run(&["rev-parse", "--verify", "-q", "HEAD"])
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The remotes, sorted.
    pub fn remotes(&self) -> Result<Vec<String>> {
        Ok(self.run(&["remote"])?.lines().map(str::to_string).collect())
    }

    /// Whether a local branch `name` exists.
    pub fn branch_exists(&self, name: &str) -> bool {
        let full = format!("refs/heads/{name}");
        self.output(&["show-ref", "--verify", "-q", &full], &[], None)
            .is_ok_and(|o| o.status.success())
    }

    /// Refuses a name git would not take for a branch.
    pub fn check_branch_name(&self, name: &str) -> Result<()> {
        let ok = !name.starts_with('-')
            && self
                .output(&["check-ref-format", "--branch", name], &[], None)
                .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(());
        }
        Err(EngineError::BadRequest(format!(
            "`{name}` is not a valid branch name (see `git check-ref-format`): pick another, say `airlock/my-change`"
        )))
    }

    /// Every file under the project that differs from HEAD (in the index
    /// or the work tree), relative to the project, sorted.
    pub fn changed(&self) -> Result<Vec<(String, FileStatus)>> {
        let out = self.run(&[
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--",
            ".",
        ])?;
        let mut files: std::collections::BTreeMap<String, FileStatus> = Default::default();
        for entry in out.split('\0').filter(|e| e.len() > 3) {
            let (x, y) = (entry.as_bytes()[0], entry.as_bytes()[1]);
            let Some(path) = entry[3..].strip_prefix(self.prefix.as_str()) else {
                continue;
            };
            let status = match (x, y) {
                // Added to the index and gone again: nothing against HEAD.
                (b'A', b'D') => continue,
                (b'?', b'?') | (b'A', _) => FileStatus::Added,
                (b'D', _) | (_, b'D') => FileStatus::Deleted,
                _ => FileStatus::Modified,
            };
            // Listed twice (removed from the index, still on disk): changed.
            files
                .entry(path.to_string())
                .and_modify(|s| *s = FileStatus::Modified)
                .or_insert(status);
        }
        Ok(files.into_iter().collect())
    }

    /// Commits exactly `paths` (as they are in the work tree) with
    /// `message`, on `branch` (created from HEAD unless HEAD is on it) or on
    /// the current branch. The commit is made by `git commit` on a temporary
    /// index seeded from HEAD, so hooks, signing and identity apply and the
    /// user's index keeps everything but `paths`, which afterwards match the
    /// commit (as `git commit -- paths` leaves them). A failure (a hook
    /// said no) commits nothing and leaves HEAD on the branch it was on.
    pub fn commit(&self, paths: &[String], message: &str, branch: Option<&str>) -> Result<Made> {
        for (what, name) in [
            ("merge", "MERGE_HEAD"),
            ("cherry-pick", "CHERRY_PICK_HEAD"),
            ("revert", "REVERT_HEAD"),
        ] {
            if self.head_file(name) {
                return Err(EngineError::BadRequest(format!(
                    "a {what} is in progress: finish or abort it first (a commit now would be part of it)"
                )));
            }
        }
        let current = self.branch()?;
        let head = self.head();
        let (branch, create) = match (branch, &current) {
            (Some(b), Some(c)) if b == c => (b.to_string(), false),
            (Some(b), _) => {
                self.check_branch_name(b)?;
                if self.branch_exists(b) {
                    return Err(EngineError::BadRequest(format!(
                        "a branch `{b}` already exists: switch to it first to commit on it, or pick another name"
                    )));
                }
                if head.is_none() {
                    return Err(EngineError::BadRequest(
                        "the repository has no commit yet: commit on the current branch first".into(),
                    ));
                }
                (b.to_string(), true)
            }
            (None, Some(c)) => (c.clone(), false),
            (None, None) => {
                return Err(EngineError::BadRequest(
                    "HEAD is detached (on no branch): commit on a new branch (`airlock commit --branch`), or check a branch out first".into(),
                ))
            }
        };
        let index = self.temporary_index()?;
        let result = self.commit_on(&index, paths, message, create.then_some(&branch[..]));
        let _ = std::fs::remove_file(&index);
        let output = match result {
            Ok(output) => output,
            Err(e) => {
                if create {
                    self.go_back(current.as_deref(), head.as_deref(), &branch);
                }
                return Err(e);
            }
        };
        let sha = self.head().unwrap_or_default();
        // The user's index takes the committed files as they now are in
        // HEAD (what `git commit -- paths` does to it); nothing else moves.
        self.run_with(
            &[
                "reset",
                "-q",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
            ],
            &[],
            Some(&nul_list(paths)),
        )?;
        Ok(Made {
            sha,
            branch,
            created: create,
            output,
        })
    }

    /// Stages `paths` in `index` (from HEAD) and runs `git commit` on it,
    /// after creating `new_branch` when given; what git printed.
    fn commit_on(
        &self,
        index: &Path,
        paths: &[String],
        message: &str,
        new_branch: Option<&str>,
    ) -> Result<String> {
        let env = [("GIT_INDEX_FILE", index)];
        match self.head() {
            Some(_) => self.run_with(&["read-tree", "HEAD"], &env, None)?,
            None => self.run_with(&["read-tree", "--empty"], &env, None)?,
        };
        self.run_with(
            &["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
            &env,
            Some(&nul_list(paths)),
        )?;
        if self.head().is_some() {
            let same = self.output(&["diff", "--cached", "--quiet", "HEAD"], &env, None)?;
            if same.status.success() {
                return Err(EngineError::BadRequest(
                    "nothing to commit: the chosen files are as HEAD has them".into(),
                ));
            }
        }
        if let Some(b) = new_branch {
            // The work tree and the user's index come along unchanged.
            self.run(&["switch", "-q", "-c", b])?;
        }
        let out = self.output(&["commit", "-F", "-"], &env, Some(message.as_bytes()))?;
        if !out.status.success() {
            return Err(EngineError::Git {
                args: "commit".into(),
                stderr: format!(
                    "nothing was committed (a hook may have refused it); git said:\n{}",
                    both(&out).trim()
                ),
            });
        }
        Ok(both(&out))
    }

    /// After a failed commit on a new branch: HEAD back where it was and the
    /// new branch gone (it points at the same commit, so the work tree stays).
    fn go_back(&self, branch: Option<&str>, head: Option<&str>, created: &str) {
        if self.branch().ok().flatten().as_deref() != Some(created) {
            return;
        }
        let back = match (branch, head) {
            (Some(b), _) => self.run(&["switch", "-q", b]),
            (None, Some(h)) => self.run(&["switch", "-q", "--detach", h]),
            (None, None) => return,
        };
        if back.is_ok() {
            let _ = self.run(&["branch", "-q", "-D", created]);
        }
    }

    /// Whether `.git/NAME` (a merge's `MERGE_HEAD`, …) exists.
    fn head_file(&self, name: &str) -> bool {
        self.run(&["rev-parse", "--git-path", name])
            .is_ok_and(|rel| self.dir.join(rel.trim()).exists())
    }

    /// A fresh index file's path inside the repository's git folder.
    fn temporary_index(&self) -> Result<PathBuf> {
        let name = format!("airlock-index-{}", &crate::home::random_token()[..12]);
        let rel = self.run(&["rev-parse", "--git-path", &name])?;
        Ok(self.dir.join(rel.trim()))
    }
}

/// Paths as `--pathspec-from-file --pathspec-file-nul` reads them.
fn nul_list(paths: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in paths {
        out.extend_from_slice(p.as_bytes());
        out.push(0);
    }
    out
}

/// stdout then stderr, as one text.
pub(crate) fn both(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    if !s.is_empty() && !err.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&err);
    s
}
