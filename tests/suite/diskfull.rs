//! A full disk, for real: the project, then Airlock's data folder, on a
//! small tmpfs. A landing that cannot be written leaves the project as it
//! was and says why; the change stays pending; nothing half-written is left
//! behind; and once there is room again the same approval lands and the
//! journal agrees with the disk across a restart.
//!
//! Mounting a tmpfs needs root, which CI has (the test says so if not).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cli::{airlock, ok_json, serve};
use super::support::*;

/// A size-limited tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mounting a {size} tmpfs at {} failed (this test needs root, as CI has): {}",
            at.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A git project and a data folder under one temp folder, either of which
/// may be a tmpfs of `size`.
fn fixture(project_size: Option<&str>, home_size: Option<&str>) -> (Fixture, Vec<Tmpfs>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("project");
    let home = dir.path().join("home");
    let mut mounts = Vec::new();
    for (at, size) in [(&project, project_size), (&home, home_size)] {
        match size {
            Some(size) => mounts.push(Tmpfs::mount(at, size)),
            None => std::fs::create_dir_all(at).expect("mkdir"),
        }
    }
    std::fs::write(project.join("a.txt"), "a\n").expect("write");
    sh(
        &project,
        "git init -q && git config user.email t@example.com && git config user.name t && \
         git add -A && git commit -q -m init",
    );
    let project = std::fs::canonicalize(project).expect("canon");
    (Fixture { dir, project, home }, mounts)
}

/// Starts `script` (bash) as a staged session without the exec gate.
fn run(f: &Fixture, script: &str) -> String {
    super::sandbox::run(f, &[], script)
}

fn changes(f: &Fixture) -> Vec<Value> {
    ok_json(f, &["changes", "--json"])["changes"]
        .as_array()
        .expect("changes")
        .clone()
}

/// The pending change of `path`, once it is there.
fn wait_change(f: &Fixture, path: &str) -> Value {
    for _ in 0..500 {
        if let Some(c) = changes(f).into_iter().find(|c| c["path"] == path) {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no pending change for {path}: {:?}", changes(f));
}

/// The project's entries outside `.git`, names only.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read project")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".git")
        .collect();
    names.sort();
    names
}

fn id_of(change: &Value) -> String {
    change["id"].as_str().expect("id").to_string()
}

#[test]
fn a_landing_into_a_full_project_disk_changes_nothing_and_says_so() {
    let (f, _mounts) = fixture(Some("1m"), None);
    let _served = serve(&f);
    // 2 MB of text: more than the project's disk holds.
    run(
        &f,
        "head -c 1500000 /dev/urandom | base64 > big.txt && echo small > small.txt && echo b > a.txt",
    );
    let big = wait_change(&f, "big.txt");
    let edit = wait_change(&f, "a.txt");
    let before = entries(&f.project);

    let out = airlock(&f, &["approve", &id_of(&big)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a landing that cannot fit succeeded");
    eprintln!("full project: {}", err.trim());
    assert!(
        err.to_lowercase().contains("no space left"),
        "the error says why: {err}"
    );
    // Nothing new in the project, not even a temp file; still pending.
    assert_eq!(entries(&f.project), before);
    assert!(changes(&f).iter().any(|c| c["path"] == "big.txt"));

    // A change that fits still lands, with the disk as full as it is.
    ok_json(&f, &["approve", "--json", &id_of(&edit)]);
    assert_eq!(read(&f.project.join("a.txt")), "b\n");
    assert!(!changes(&f).iter().any(|c| c["path"] == "a.txt"));
    assert!(changes(&f).iter().any(|c| c["path"] == "big.txt"));
}

#[test]
fn a_full_data_folder_loses_nothing_and_the_journal_agrees_after_a_restart() {
    let (f, _mounts) = fixture(None, Some("24m"));
    let served = serve(&f);
    run(&f, "echo changed > a.txt && echo new > b.txt");
    let edit = wait_change(&f, "a.txt");
    wait_change(&f, "b.txt");
    // Fill the data folder (journal, stages, scrollback) to the last byte.
    let filler = f.home.join("filler");
    let fill = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", filler.display()))
        .output()
        .expect("dd");
    assert!(!fill.status.success(), "dd stops at a full disk");

    let out = airlock(&f, &["approve", &id_of(&edit)]);
    let landed_full = out.status.success();
    eprintln!(
        "full data folder: landed {landed_full}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    if landed_full {
        // SQLite had room in pages it already held: the landing is whole.
        assert_eq!(read(&f.project.join("a.txt")), "changed\n");
    } else {
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(
            err.contains("space") || err.contains("full"),
            "the error says the disk is full: {err}"
        );
        assert_eq!(read(&f.project.join("a.txt")), "a\n", "nothing half-landed");
        assert!(changes(&f).iter().any(|c| c["path"] == "a.txt"));
    }
    // The engine still answers, full disk or not.
    ok_json(&f, &["status", "--json"]);

    std::fs::remove_file(&filler).expect("free the disk");
    if !landed_full {
        ok_json(&f, &["approve", "--json", &id_of(&edit)]);
    }
    assert_eq!(read(&f.project.join("a.txt")), "changed\n");

    // After a restart the queue agrees with the disk: a.txt landed once,
    // b.txt still waits.
    drop(served);
    let _served = serve(&f);
    let pending: Vec<String> = changes(&f)
        .iter()
        .filter_map(|c| c["path"].as_str().map(str::to_string))
        .collect();
    assert!(!pending.contains(&"a.txt".to_string()), "{pending:?}");
    assert!(pending.contains(&"b.txt".to_string()), "{pending:?}");
    let new = wait_change(&f, "b.txt");
    ok_json(&f, &["approve", "--json", &id_of(&new)]);
    assert_eq!(read(&f.project.join("b.txt")), "new\n");
}

/// `airlock serve` limited to `files` open descriptors, killed when dropped.
struct Limited(std::process::Child);

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_limited(f: &Fixture, files: u32) -> Limited {
    use std::io::BufRead;
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -n {files} && exec \"$0\" serve --project \"$1\""
        ))
        .arg(airlock_bin())
        .arg(&f.project)
        .env("AIRLOCK_HOME", &f.home)
        .env("SHELL", "/bin/bash")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn airlock serve");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    assert!(
        first.starts_with("http://127.0.0.1:"),
        "first line: {first}"
    );
    Limited(child)
}

/// A landing holds no descriptor per file while it waits to rename them all:
/// 1,500 files land under a limit of 512 open files.
#[test]
fn a_landing_of_more_files_than_the_engine_may_open_lands_whole() {
    let (f, _mounts) = fixture(None, None);
    let _served = serve_limited(&f, 512);
    run(
        &f,
        "for d in $(seq 1 15); do mkdir -p d$d; for i in $(seq 1 100); do echo $d.$i > d$d/f$i.txt; done; done",
    );
    let started = std::time::Instant::now();
    while changes(&f).len() < 1500 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {} of 1,500 held",
            changes(&f).len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = airlock(&f, &["approve", "--all"]);
    assert!(
        out.status.success(),
        "approve --all: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (d, i) in [(1, 1), (7, 50), (15, 100)] {
        assert_eq!(
            read(&f.project.join(format!("d{d}/f{i}.txt"))),
            format!("{d}.{i}\n")
        );
    }
    assert!(changes(&f).is_empty());
}
