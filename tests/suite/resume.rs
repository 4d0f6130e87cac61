//! A terminal agent whose hooks said its conversation id is resumed by a
//! restart, even one of Airlock: Claude Code with `--resume ID`.

use airlock_engine::server::SocketServer;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_is_resumed_in_its_conversation_after_airlock_restarts() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let args = f.dir.path().join("args.txt");
    // Claude Code as far as Airlock sees it: a program named `claude` whose
    // Stop hook carries its session id. It notes how it was started.
    let claude = f.dir.path().join("bin/claude");
    executable(
        &claude,
        &format!(
            "#!/bin/bash\nprintf '%s\\n' \"$@\" -- >> '{args}'\n\
             printf '{{\"hook_event_name\":\"Stop\",\"session_id\":\"conv-42\"}}' | '{bin}' hook claude\n\
             printf '{{\"hook_event_name\":\"Stop\",\"session_id\":\"--evil\"}}' | '{bin}' hook claude\n",
            args = args.display(),
            bin = airlock_bin().display()
        ),
    );
    let engine = f.engine().await;
    // The agents' socket the hook reaches, as `airlock serve` and the window start it.
    let server = SocketServer::start(engine.clone(), None)
        .await
        .expect("sockets");
    let s = start(&engine, &[claude.to_str().expect("utf-8"), "--model", "x"]).await;
    let known = eventually(10, "the conversation id, and the exit", || async {
        let now = session(&engine, &s.id).await;
        (now.resume.is_some() && now.exit_code.is_some()).then_some(now)
    })
    .await;
    assert_eq!(
        known.resume.as_deref(),
        Some("conv-42"),
        "an id that reads as an option is not taken"
    );
    drop(server);
    engine.shutdown().await;

    let engine = f.engine().await;
    let restored = session(&engine, &s.id).await;
    assert_eq!(
        restored.resume.as_deref(),
        Some("conv-42"),
        "kept across a restart of Airlock"
    );
    restart(&engine, &s.id).await;
    let runs = eventually(10, "the second run", || async {
        let text = std::fs::read_to_string(&args).ok()?;
        let runs: Vec<Vec<String>> = text
            .split("--\n")
            .filter(|r| !r.is_empty())
            .map(|r| r.lines().map(str::to_string).collect())
            .collect();
        (runs.len() == 2).then_some(runs)
    })
    .await;
    assert_eq!(
        runs[0],
        ["--model", "x"],
        "the first run as the user started it"
    );
    assert_eq!(
        runs[1],
        ["--resume", "conv-42", "--model", "x"],
        "the second resumes the conversation"
    );
}
