//! Stages an agent can build in: ignored paths brought in from
//! `.airlock/stage.toml` (copies the stage owns), its setup command run in
//! the session's terminal before the agent, and a stage started from
//! another branch.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use airlock_engine::Engine;
use airlock_protocol::{Request, Response, SessionInfo, StageConfig, StartSessionParams};
use base64::Engine as _;

use crate::suite::support::*;

async fn start_from(
    engine: &Engine,
    command: &str,
    base: Option<&str>,
) -> Result<SessionInfo, String> {
    let params = StartSessionParams {
        command: Some(vec!["bash".into(), "-c".into(), command.into()]),
        base: base.map(str::to_string),
        ..Default::default()
    };
    match engine.call(Request::StartSession(params)).await {
        Ok(Response::Session(s)) => Ok(s),
        Ok(other) => panic!("expected a session, got {other:?}"),
        Err(e) => Err(e.message),
    }
}

async fn scrollback(engine: &Engine, session: &str) -> String {
    let Response::Scrollback { data, .. } = call(
        engine,
        Request::ReadScrollback {
            session: session.to_string(),
        },
    )
    .await
    else {
        panic!("not a scrollback")
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("b64");
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn set_config(engine: &Engine, bring: &[&str], setup: Option<&str>) {
    let config = StageConfig {
        bring: bring.iter().map(|s| s.to_string()).collect(),
        setup: setup.map(str::to_string),
    };
    let Response::StageConfig(back) = call(engine, Request::SetStageConfig(config.clone())).await
    else {
        panic!("not a stage config")
    };
    assert_eq!(back, config);
    let Response::StageConfig(read) = call(engine, Request::GetStageConfig).await else {
        panic!("not a stage config")
    };
    assert_eq!(read, config);
}

#[tokio::test(flavor = "multi_thread")]
async fn ignored_files_are_brought_in_as_copies_the_stage_owns() {
    let f = Fixture::git(&[(".gitignore", "node_modules/\n.env\n"), ("a.txt", "a\n")]);
    for i in 0..300 {
        let p = f
            .project
            .join(format!("node_modules/pkg{}/index.js", i % 30));
        std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
        std::fs::write(p.with_file_name(format!("f{i}.js")), "x").expect("write");
    }
    std::fs::write(f.project.join("node_modules/pkg0/index.js"), "orig").expect("write");
    std::fs::write(f.project.join(".env"), "TOKEN=1\n").expect("write");
    let engine = f.engine().await;
    set_config(&engine, &["node_modules", ".env", "not-there"], None).await;
    assert!(read(&f.project.join(".airlock/stage.toml")).contains("node_modules"));
    let s = start_from(
        &engine,
        "cat node_modules/pkg0/index.js .env > seen.txt; printf changed > node_modules/pkg0/index.js; sleep 30",
        None,
    )
    .await
    .expect("start");
    let stage = Path::new(&s.cwd).to_path_buf();
    wait_for_path(&engine, "the agent read what was brought in", "seen.txt").await;
    assert_eq!(read(&stage.join("seen.txt")), "origTOKEN=1\n");
    poll_until(10, 20, "the agent's write", || {
        std::fs::read_to_string(stage.join("node_modules/pkg0/index.js"))
            .ok()
            .as_deref()
            == Some("changed")
    });
    // The write in the stage did not reach the project: a copy, not a link.
    assert_eq!(read(&f.project.join("node_modules/pkg0/index.js")), "orig");
    let (a, b) = (
        std::fs::metadata(f.project.join("node_modules/pkg1/f1.js")).expect("project"),
        std::fs::symlink_metadata(stage.join("node_modules/pkg1/f1.js")).expect("stage"),
    );
    assert!(b.is_file(), "a file, not a symlink");
    assert_ne!((a.dev(), a.ino()), (b.dev(), b.ino()), "not a hard link");
    assert_eq!(
        crate::suite::support::tree(&stage.join("node_modules")).len(),
        301
    );
    // Ignored, so nothing of it is offered for review.
    let changes = changes(&engine, Some(&s.id)).await;
    assert_eq!(
        changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
        ["seen.txt"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_setup_command_runs_in_the_terminal_and_its_failure_is_shown() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let engine = f.engine().await;
    set_config(&engine, &[], Some("echo SETUP-SAYS-$((20+1)); exit 3")).await;
    let s = start_from(&engine, "echo AGENT-RUNS; sleep 30", None)
        .await
        .expect("a failing setup still starts the session");
    let text = eventually(10, "the setup's and the agent's output", || async {
        let t = scrollback(&engine, &s.id).await;
        t.contains("AGENT-RUNS").then_some(t)
    })
    .await;
    let said = text.find("SETUP-SAYS-21").expect("the setup's output");
    let failed = text
        .find("the stage setup failed (exit 3)")
        .expect("the failure shown");
    let agent = text.find("AGENT-RUNS").expect("the agent ran");
    assert!(said < failed && failed < agent, "{text}");
    // A setup that succeeds says nothing of failing.
    set_config(&engine, &[], Some("touch made-by-setup")).await;
    let s = start_from(&engine, "echo AGENT-TWO; sleep 30", None)
        .await
        .expect("start");
    let text = eventually(10, "the second agent", || async {
        let t = scrollback(&engine, &s.id).await;
        t.contains("AGENT-TWO").then_some(t)
    })
    .await;
    assert!(!text.contains("failed"), "{text}");
    assert!(Path::new(&s.cwd).join("made-by-setup").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stage_starts_from_the_branch_picked() {
    let f = Fixture::git(&[("a.txt", "main\n")]);
    sh(
        &f.project,
        "git checkout -q -b other && printf 'other\\n' > a.txt && printf 'b\\n' > b.txt && \
         git add -A && git commit -qm other && git checkout -q - && printf 'mine\\n' > a.txt",
    );
    let engine = f.engine().await;
    let s = start_from(&engine, "sleep 30", Some("other"))
        .await
        .expect("start");
    let stage = Path::new(&s.cwd);
    assert_eq!(read(&stage.join("a.txt")), "other\n");
    assert_eq!(read(&stage.join("b.txt")), "b\n");
    // From HEAD (the default) the stage has the user's uncommitted text.
    let s = start_from(&engine, "sleep 30", None).await.expect("start");
    assert_eq!(read(&Path::new(&s.cwd).join("a.txt")), "mine\n");
    assert!(!Path::new(&s.cwd).join("b.txt").exists());
    let e = start_from(&engine, "sleep 30", Some("no-such-branch"))
        .await
        .expect_err("an unknown branch");
    assert!(
        e.contains("`no-such-branch` is not a branch or commit"),
        "{e}"
    );
}
