//! `airlock commit` and `airlock pr` against a real git repository with a
//! local bare remote: only what Airlock landed is committed while the user's
//! own work stays uncommitted (staged or not), a new branch carries that work
//! along, a failing hook commits nothing and its words are shown, the branch
//! is pushed, and `gh` (a script on PATH that records its arguments) is run
//! with exactly the pull request's command line.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::cli::{airlock, fails_with, ok_json, ok_line, serve_with, wait_changes, Served};
use super::support::*;

/// `git ARGS` in `dir`; its trimmed stdout, or a panic with what git said.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A project on `main` with a bare remote `origin`, the user's own work in
/// it (`mine.txt` changed, `staged.txt` staged at one text and changed
/// again), and an engine whose PATH starts with `bin`.
struct Repo {
    f: Fixture,
    remote: PathBuf,
    bin: PathBuf,
    _served: Served,
}

fn repo(with_remote: bool) -> Repo {
    let f = Fixture::git(&[
        ("notes.txt", "a\nb\nc\n"),
        ("mine.txt", "mine\n"),
        ("staged.txt", "one\n"),
    ]);
    sh(&f.project, "git branch -M main");
    let remote = f.dir.path().join("remote.git");
    if with_remote {
        git(f.dir.path(), &["init", "-q", "--bare", "remote.git"]);
        git(
            &f.project,
            &["remote", "add", "origin", remote.to_str().expect("utf-8")],
        );
        git(&f.project, &["push", "-q", "origin", "main"]);
    }
    sh(
        &f.project,
        "printf 'mine, changed\\n' > mine.txt && printf 'two\\n' > staged.txt && git add staged.txt && \
         printf 'three\\n' > staged.txt",
    );
    let bin = f.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let served = serve_with(&f, &[("PATH", &path)]);
    Repo {
        f,
        remote,
        bin,
        _served: served,
    }
}

/// A session named `writer` that adds `landed.txt` and changes `notes.txt`;
/// both approved, so both land in the project.
fn land(r: &Repo) -> String {
    let session = ok_line(
        &r.f,
        &[
            "run",
            "--name",
            "writer",
            "--no-exec-gate",
            "--",
            "bash",
            "-c",
            "printf 'landed\\n' > landed.txt; printf 'a\\nB\\nc\\n' > notes.txt; sleep 60",
        ],
    );
    wait_changes(&r.f, 2);
    ok_line(&r.f, &["approve", "--all"]);
    poll_until(10, 20, "both files landed", || {
        r.f.project.join("landed.txt").exists()
            && read(&r.f.project.join("notes.txt")) == "a\nB\nc\n"
    });
    session
}

/// `git status --porcelain` of the project, one entry a line.
fn status(r: &Repo) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(&r.f.project)
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .expect("git status");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The user's work as they left it: `mine.txt` changed and unstaged,
/// `staged.txt` staged at `two` with `three` in the work tree.
fn assert_user_work_untouched(r: &Repo) {
    let st = status(r);
    assert!(st.contains(" M mine.txt"), "{st}");
    assert!(st.contains("MM staged.txt"), "{st}");
    assert_eq!(git(&r.f.project, &["show", ":staged.txt"]), "two");
    assert_eq!(read(&r.f.project.join("staged.txt")), "three\n");
    assert_eq!(read(&r.f.project.join("mine.txt")), "mine, changed\n");
}

fn committed_files(r: &Repo, rev: &str) -> Vec<String> {
    let out = git(&r.f.project, &["show", "--name-only", "--format=", rev]);
    out.lines().map(str::to_string).collect()
}

#[test]
fn commit_takes_only_the_landed_files() {
    let r = repo(true);
    let session = land(&r);
    let before = git(&r.f.project, &["rev-parse", "HEAD"]);

    let plan = ok_json(&r.f, &["commit", "--dry-run", "--json"]);
    assert_eq!(plan["branch"], "main");
    assert_eq!(plan["suggestedBranch"], "airlock/writer");
    assert_eq!(plan["sessions"][0]["id"], session.as_str());
    assert_eq!(plan["sessions"][0]["name"], "writer");
    assert_eq!(
        plan["sessions"][0]["paths"],
        serde_json::json!(["landed.txt", "notes.txt"])
    );
    let ticked: Vec<(String, bool)> = plan["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["landed"] == true,
            )
        })
        .collect();
    assert_eq!(
        ticked,
        vec![
            ("landed.txt".into(), true),
            ("notes.txt".into(), true),
            ("mine.txt".into(), false),
            ("staged.txt".into(), false),
        ]
    );
    let drafted = plan["message"].as_str().expect("message");
    assert!(
        drafted.starts_with("writer: update landed.txt and notes.txt\n"),
        "{drafted}"
    );

    let done = ok_json(&r.f, &["commit", "--json"]);
    assert_eq!(done["branch"], "main");
    assert_eq!(done["createdBranch"], false);
    let head = git(&r.f.project, &["rev-parse", "HEAD"]);
    assert_eq!(done["commit"], head.as_str());
    assert_eq!(git(&r.f.project, &["rev-parse", "HEAD~1"]), before);
    assert_eq!(committed_files(&r, "HEAD"), vec!["landed.txt", "notes.txt"]);
    assert_eq!(
        git(&r.f.project, &["log", "-1", "--format=%B"]),
        drafted.trim_end()
    );
    // The repository's own identity made it.
    assert_eq!(
        git(&r.f.project, &["log", "-1", "--format=%ae"]),
        "t@example.com"
    );
    // The landed files are clean (index and work tree as HEAD); the user's are as they were.
    let st = status(&r);
    assert!(
        !st.contains("landed.txt") && !st.contains("notes.txt"),
        "{st}"
    );
    assert_user_work_untouched(&r);

    // Committed landings are not offered again.
    let plan = ok_json(&r.f, &["commit", "--dry-run", "--json"]);
    assert_eq!(plan["sessions"], serde_json::json!([]));
    fails_with(&r.f, &["commit"], "nothing to commit");
    // A file of the user's when named: exactly it.
    let out = ok_line(&r.f, &["commit", "--include", "mine.txt", "-m", "mine too"]);
    assert!(
        out.starts_with("committed ") && out.contains("on main: 1 file(s)"),
        "{out}"
    );
    assert_eq!(committed_files(&r, "HEAD"), vec!["mine.txt"]);
    assert!(status(&r).contains("MM staged.txt"));
}

#[test]
fn commit_on_a_new_branch_carries_the_user_s_work_along() {
    let r = repo(true);
    land(&r);
    let main = git(&r.f.project, &["rev-parse", "main"]);
    fails_with(
        &r.f,
        &["commit", "--branch", "bad..name"],
        "not a valid branch name",
    );
    git(&r.f.project, &["branch", "other"]);
    fails_with(&r.f, &["commit", "--branch", "other"], "already exists");
    fails_with(&r.f, &["commit", "--session", "s-nope"], "unknown session");

    let out = ok_line(
        &r.f,
        &["commit", "--branch", "-m", "Land the writer's work"],
    );
    assert!(
        out.contains("on airlock/writer (new branch): 2 file(s)"),
        "{out}"
    );
    assert_eq!(
        git(&r.f.project, &["branch", "--show-current"]),
        "airlock/writer"
    );
    assert_eq!(
        git(&r.f.project, &["rev-parse", "main"]),
        main,
        "main did not move"
    );
    assert_eq!(git(&r.f.project, &["rev-parse", "HEAD~1"]), main);
    assert_eq!(
        git(&r.f.project, &["log", "-1", "--format=%s"]),
        "Land the writer's work"
    );
    assert_eq!(committed_files(&r, "HEAD"), vec!["landed.txt", "notes.txt"]);
    assert_user_work_untouched(&r);

    // In the middle of a merge, a commit would be the merge's: refused.
    let merge_head = r.f.project.join(".git/MERGE_HEAD");
    std::fs::write(&merge_head, format!("{main}\n")).expect("MERGE_HEAD");
    sh(&r.f.project, "printf 'y\\n' > notes.txt");
    fails_with(
        &r.f,
        &["commit", "--include", "notes.txt"],
        "a merge is in progress",
    );
    std::fs::remove_file(&merge_head).expect("rm MERGE_HEAD");
    // Detached HEAD: only a new branch will do.
    sh(
        &r.f.project,
        "git checkout -q --detach HEAD && printf 'x\\n' > notes.txt",
    );
    fails_with(
        &r.f,
        &["commit", "--include", "notes.txt"],
        "HEAD is detached",
    );
}

#[test]
fn a_failing_hook_commits_nothing_and_its_output_is_shown() {
    let r = repo(true);
    land(&r);
    executable(
        &r.f.project.join(".git/hooks/pre-commit"),
        "#!/bin/sh\necho \"lint: landed.txt is not formatted\" >&2\nexit 1\n",
    );
    let head = git(&r.f.project, &["rev-parse", "HEAD"]);
    let index_before = git(&r.f.project, &["diff", "--cached", "--name-status"]);
    for args in [&["commit"][..], &["commit", "--branch"][..]] {
        let out = airlock(&r.f, args);
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("nothing was committed"), "{err}");
        assert!(err.contains("lint: landed.txt is not formatted"), "{err}");
        assert_eq!(git(&r.f.project, &["rev-parse", "HEAD"]), head);
        assert_eq!(git(&r.f.project, &["branch", "--show-current"]), "main");
        assert_eq!(git(&r.f.project, &["branch", "--list", "airlock/*"]), "");
        assert_eq!(
            git(&r.f.project, &["diff", "--cached", "--name-status"]),
            index_before,
            "the user's index is as it was"
        );
        assert_user_work_untouched(&r);
    }
    // The hook sees exactly the files being committed (the temporary index).
    executable(
        &r.f.project.join(".git/hooks/pre-commit"),
        "#!/bin/sh\ngit diff --cached --name-only > \"$(git rev-parse --git-dir)/hook-saw\"\n",
    );
    ok_line(&r.f, &["commit"]);
    assert_eq!(
        read(&r.f.project.join(".git/hook-saw")),
        "landed.txt\nnotes.txt\n"
    );
}

/// A stand-in `gh` in `bin`: `auth status` exits `auth`; `pr create` writes
/// its arguments (one a line, NUL-separated) to `gh.args` and prints a URL.
fn fake_gh(r: &Repo, auth: i32) -> PathBuf {
    let log = r.f.dir.path().join("gh.args");
    executable(
        &r.bin.join("gh"),
        &format!(
            "#!/bin/sh\nif [ \"$1\" = auth ]; then exit {auth}; fi\nprintf '%s\\0' \"$@\" > '{}'\necho https://github.example/o/r/pull/7\n",
            log.display()
        ),
    );
    log
}

fn args_of(log: &Path) -> Vec<String> {
    let bytes = std::fs::read(log).expect("gh ran");
    String::from_utf8_lossy(&bytes)
        .split_terminator('\0')
        .map(str::to_string)
        .collect()
}

#[test]
fn push_and_open_a_pull_request_with_gh() {
    let r = repo(true);
    land(&r);
    let log = fake_gh(&r, 0);
    let done = ok_json(&r.f, &["commit", "--branch", "--json"]);
    let message = done["message"].as_str().expect("message");
    let pr = ok_json(&r.f, &["pr", "--base", "main", "--draft", "--json"]);
    assert_eq!(pr["url"], "https://github.example/o/r/pull/7");
    assert_eq!(pr["remote"], "origin");
    assert_eq!(pr["branch"], "airlock/writer");
    assert_eq!(pr["note"], Value::Null);
    // Pushed: the remote has the branch at the commit.
    assert_eq!(
        git(&r.remote, &["rev-parse", "airlock/writer"]),
        done["commit"].as_str().expect("sha")
    );
    assert_eq!(
        git(
            &r.f.project,
            &["rev-parse", "--abbrev-ref", "airlock/writer@{upstream}"]
        ),
        "origin/airlock/writer"
    );
    let title = message.lines().next().expect("subject");
    let body = pr["body"].as_str().expect("body");
    assert!(body.contains("## Sessions\n\n- **writer** (`s-"), "{body}");
    assert!(
        body.contains("Files:\n  A landed.txt\n  M notes.txt"),
        "{body}"
    );
    assert_eq!(
        args_of(&log),
        [
            "pr",
            "create",
            "--head",
            "airlock/writer",
            "--base",
            "main",
            "--title",
            title,
            "--body",
            body,
            "--draft"
        ]
    );
    // Text output names the address.
    let text = ok_line(&r.f, &["pr", "--remote", "origin"]);
    assert_eq!(
        text,
        "pushed airlock/writer to origin; pull request: https://github.example/o/r/pull/7"
    );
    assert_eq!(
        args_of(&log),
        [
            "pr",
            "create",
            "--head",
            "airlock/writer",
            "--title",
            title,
            "--body",
            body
        ]
    );
    fails_with(
        &r.f,
        &["pr", "--remote", "upstream"],
        "there is no remote `upstream`",
    );
}

#[test]
fn no_remote_no_gh_or_no_login_say_so_and_do_nothing() {
    let r = repo(false);
    land(&r);
    ok_line(&r.f, &["commit", "--branch"]);
    fails_with(&r.f, &["pr"], "this repository has no remote to push to");

    git(r.f.dir.path(), &["init", "-q", "--bare", "remote.git"]);
    git(
        &r.f.project,
        &["remote", "add", "origin", r.remote.to_str().expect("utf-8")],
    );
    let out = ok_line(&r.f, &["pr", "--base", "main"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "gh (GitHub's command line tool) is not installed: get it from https://cli.github.com: nothing was pushed. Run these commands yourself:"
    );
    assert_eq!(lines[1], "git push --set-upstream origin airlock/writer");
    assert!(
        lines[2].starts_with("gh pr create --head airlock/writer --base main --title 'writer: update landed.txt and notes.txt' --body '"),
        "{out}"
    );
    let pushed = Command::new("git")
        .arg("-C")
        .arg(&r.remote)
        .args(["rev-parse", "--verify", "-q", "airlock/writer"])
        .output()
        .expect("git");
    assert!(!pushed.status.success(), "nothing was pushed");

    let log = fake_gh(&r, 1);
    let out = ok_line(&r.f, &["pr"]);
    assert!(
        out.starts_with("gh is not logged in: run `gh auth login`: nothing was pushed."),
        "{out}"
    );
    assert!(!log.exists(), "gh pr create did not run");

    let plain = Fixture::plain(&[("a.txt", "a\n")]);
    let _served = serve_with(&plain, &[]);
    fails_with(&plain, &["commit", "--dry-run"], "is not a git repository");
}
