//! What the engine's benchmarks share: a git project to open, and a session
//! that only sleeps, whose stage the bench writes into as an agent would.

use std::path::{Path, PathBuf};
use std::process::Command;

use airlock_engine::{Engine, EngineConfig};
use airlock_protocol::{Request, Response, SessionInfo, StartSessionParams};

/// A git project with one commit under `dir`, canonical.
pub fn git_project(dir: &Path) -> PathBuf {
    let project = dir.join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    let ok = Command::new("bash")
        .arg("-c")
        .arg("git init -q && git config user.email b@b && git config user.name b && printf 'x\\n' > README.md && git add -A && git commit -qm i")
        .current_dir(&project)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git init");
    std::fs::canonicalize(project).expect("canon")
}

/// Commits everything in `project`.
#[allow(dead_code)] // Not every bench adds files of its own.
pub fn commit_all(project: &Path) {
    let ok = Command::new("bash")
        .arg("-c")
        .arg("git add -A && git commit -qm files")
        .current_dir(project)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git commit");
}

/// A staged session running `sleep 3600`.
pub async fn sleeper(engine: &Engine) -> SessionInfo {
    match engine
        .call(Request::StartSession(StartSessionParams {
            command: Some(vec!["sleep".into(), "3600".into()]),
            ..Default::default()
        }))
        .await
        .expect("start")
    {
        Response::Session(s) => s,
        other => panic!("{other:?}"),
    }
}

/// An engine on `project` with its state under `dir/home`.
pub async fn open(project: &Path, dir: &Path) -> Engine {
    Engine::open(EngineConfig {
        home: Some(dir.join("home")),
        ..EngineConfig::new(project)
    })
    .await
    .expect("engine")
}
