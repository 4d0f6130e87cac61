//! The gate a gated session's hook reaches (`Engine::gate`, what `airlock
//! hook claude` asks over the socket): notebook edits reviewed like any
//! other, the user's own edit merged into a waiting edit rather than written
//! over, deny rules for edits, and a broken policy that allows nothing.
//!
//! The session runs a stand-in named `claude` (gated mode is for Claude
//! Code) that records the environment Airlock gave it, so the tests ask with
//! the session's real token, as the hook does.

use std::path::Path;
use std::time::Duration;

use airlock_engine::{Engine, EngineConfig};
use airlock_protocol::{
    GateDecision, GateReply, GateRequest, Request, Response, RiskKind, SessionMode,
    StartSessionParams,
};
use serde_json::{json, Value};

use super::support::*;

struct Gated {
    engine: Engine,
    session: String,
    token: String,
}

/// A gated session of a stand-in `claude`, and the token its hook would show.
async fn gated(f: &Fixture) -> Gated {
    // Sandboxed, the stand-in may write only to the project and its own
    // temp folder: its environment goes there.
    let claude = f.dir.path().join("bin/claude");
    executable(
        &claude,
        "#!/bin/sh\nenv > \"$TMPDIR/claude.env.tmp\" && mv \"$TMPDIR/claude.env.tmp\" \"$TMPDIR/claude.env\"\nexec sleep 600\n",
    );
    let engine = Engine::open(EngineConfig {
        home: Some(f.home.clone()),
        hook_program: Some(airlock_bin()),
        ..EngineConfig::new(&f.project)
    })
    .await
    .expect("open engine");
    let Response::Session(s) = call(
        &engine,
        Request::StartSession(StartSessionParams {
            command: Some(vec![claude.display().to_string()]),
            mode: Some(SessionMode::Gated),
            // The hook is what these tests try; the exec gate has its own.
            exec_gate: Some(false),
            ..Default::default()
        }),
    )
    .await
    else {
        panic!("not a session")
    };
    let env_file = engine
        .project_home()
        .dir
        .join("tmp")
        .join(&s.id)
        .join("claude.env");
    let env = eventually(10, "the stand-in's environment", || {
        let p = env_file.clone();
        async move { std::fs::read_to_string(p).ok() }
    })
    .await;
    let token = env
        .lines()
        .find_map(|l| l.strip_prefix("AIRLOCK_TOKEN="))
        .expect("AIRLOCK_TOKEN in the session's environment")
        .to_string();
    Gated {
        engine,
        session: s.id,
        token,
    }
}

impl Gated {
    /// Asks the gate in the background, as a hook blocked on its answer.
    fn ask(&self, tool: &str, input: Value) -> tokio::task::JoinHandle<GateReply> {
        let engine = self.engine.clone();
        let (token, session) = (self.token.clone(), self.session.clone());
        let (tool, project) = (
            tool.to_string(),
            self.engine.project().display().to_string(),
        );
        tokio::spawn(async move {
            engine
                .gate(
                    &token,
                    GateRequest {
                        session,
                        agent: "claude".into(),
                        tool,
                        input,
                        cwd: project,
                        agent_session: None,
                    },
                )
                .await
        })
    }

    async fn pending(&self, path: &str) -> airlock_protocol::Change {
        let engine = self.engine.clone();
        let path = path.to_string();
        eventually(10, "the gated edit in the queue", move || {
            let (engine, path) = (engine.clone(), path.clone());
            async move {
                changes(&engine, None)
                    .await
                    .into_iter()
                    .find(|c| c.path == path)
            }
        })
        .await
    }

    /// The first action card, once there is one.
    async fn action(&self) -> airlock_protocol::Action {
        let engine = self.engine.clone();
        eventually(10, "an action card", move || {
            let engine = engine.clone();
            async move {
                match call(&engine, Request::Status).await {
                    Response::Status(s) => s.actions.into_iter().next(),
                    _ => None,
                }
            }
        })
        .await
    }

    /// Denies an action card and checks the waiting agent is told no.
    async fn deny(&self, action: airlock_protocol::Action, h: tokio::task::JoinHandle<GateReply>) {
        self.engine
            .call(Request::Reject {
                versions: None,
                ids: vec![action.id],
                reason: None,
            })
            .await
            .expect("deny");
        assert_eq!(answer(h).await.decision, GateDecision::Deny);
    }

    async fn approve(&self, ids: Vec<String>) -> Result<Response, airlock_protocol::IpcError> {
        self.engine
            .call(Request::Approve {
                versions: None,
                ids,
                always: None,
            })
            .await
    }
}

async fn answer(h: tokio::task::JoinHandle<GateReply>) -> GateReply {
    tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .expect("the gate answered")
        .expect("join")
}

fn abs(f: &Fixture, rel: &str) -> String {
    f.project.join(rel).display().to_string()
}

fn numbered(n: u32, changed: &[(u32, &str)]) -> String {
    (1..=n)
        .map(|i| {
            changed
                .iter()
                .find(|(at, _)| *at == i)
                .map_or(format!("line {i}\n"), |(_, t)| format!("{t}\n"))
        })
        .collect()
}

const NOTEBOOK: &str = r##"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "c1",
   "metadata": {},
   "outputs": [],
   "source": "print(1)"
  }
 ],
 "metadata": {},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notebook_edit_waits_for_review_and_is_approved_whole() {
    let f = Fixture::git(&[("nb.ipynb", NOTEBOOK)]);
    let g = gated(&f).await;
    let input = json!({
        "notebook_path": abs(&f, "nb.ipynb"),
        "cell_id": "c1",
        "new_source": "print(2)",
        "edit_mode": "replace",
    });
    let h = g.ask("NotebookEdit", input.clone());
    let change = g.pending("nb.ipynb").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!h.is_finished(), "the notebook edit waits for the user");
    let d = whole_diff(&g.engine, &change.id).await;
    let added: String = d
        .hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == airlock_protocol::LineKind::Added)
        .map(|l| l.text.clone())
        .collect();
    assert!(
        added.contains("print(2)"),
        "the diff shows the new source: {added}"
    );
    assert!(
        added.contains("null"),
        "and the cleared execution count: {added}"
    );
    // Editing the text first cannot be written by the tool: refused, still waiting.
    let hunk = change.hunks[0].id.clone();
    let err = g
        .engine
        .call(Request::ApproveEdited {
            hunk: hunk.clone(),
            text: "\"print(3)\"".into(),
        })
        .await
        .expect_err("an edited notebook edit is refused");
    assert!(
        err.message.contains("approved or rejected whole"),
        "{}",
        err.message
    );
    assert!(
        !h.is_finished(),
        "a refused decision leaves the agent waiting"
    );
    g.approve(vec![change.id.clone()]).await.expect("approve");
    let reply = answer(h).await;
    assert_eq!(reply.decision, GateDecision::Allow, "{reply:?}");
    assert_eq!(reply.updated_input, None, "the tool runs as it asked");
    let Response::Changes { changes } = call(
        &g.engine,
        Request::ListChanges {
            session: None,
            decided: Some(true),
        },
    )
    .await
    else {
        panic!("changes")
    };
    let states: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.state)).collect();
    assert_eq!(
        states,
        vec![("nb.ipynb", airlock_protocol::ChangeState::Approved)],
        "approved for the agent to write, and no longer pending"
    );
    assert_eq!(
        std::fs::read_to_string(f.project.join("nb.ipynb")).expect("read"),
        NOTEBOOK,
        "Airlock itself writes nothing: the agent does, once allowed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notebook_edit_that_cannot_apply_is_denied_with_why() {
    let f = Fixture::git(&[("nb.ipynb", NOTEBOOK)]);
    let g = gated(&f).await;
    let reply = answer(g.ask(
        "NotebookEdit",
        json!({"notebook_path": abs(&f, "nb.ipynb"), "cell_id": "nope", "new_source": "x"}),
    ))
    .await;
    assert_eq!(reply.decision, GateDecision::Deny);
    assert!(
        reply
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("no cell with id `nope`"),
        "{reply:?}"
    );
    let reply = answer(g.ask(
        "Edit",
        json!({"file_path": abs(&f, "nb.ipynb"), "old_string": "not in the file", "new_string": "x"}),
    ))
    .await;
    assert_eq!(
        reply.decision,
        GateDecision::Deny,
        "nothing to review is nothing to allow"
    );
    assert!(
        reply.reason.as_deref().unwrap_or("").contains("old_string"),
        "{reply:?}"
    );
    assert!(changes(&g.engine, None).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_edit_while_a_write_waits_is_merged_not_written_over() {
    let base = numbered(20, &[]);
    let f = Fixture::git(&[("a.txt", &base)]);
    let g = gated(&f).await;
    let agent = numbered(20, &[(3, "agent three")]);
    let h = g.ask(
        "Write",
        json!({"file_path": abs(&f, "a.txt"), "content": agent}),
    );
    let change = g.pending("a.txt").await;
    // The user saves line 17 in their editor meanwhile.
    let user = numbered(20, &[(17, "user seventeen")]);
    std::fs::write(f.project.join("a.txt"), &user).expect("user edit");
    g.approve(vec![change.id.clone()]).await.expect("approve");
    let reply = answer(h).await;
    assert_eq!(reply.decision, GateDecision::Allow, "{reply:?}");
    let content = reply
        .updated_input
        .as_ref()
        .and_then(|u| u["content"].as_str())
        .expect("the merged text replaces the agent's, which would drop the user's line");
    assert_eq!(
        content,
        numbered(20, &[(3, "agent three"), (17, "user seventeen")])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_over_the_users_lines_is_a_conflict_that_cannot_be_approved() {
    let f = Fixture::git(&[("a.txt", &numbered(20, &[]))]);
    let g = gated(&f).await;
    let h = g.ask(
        "Edit",
        json!({"file_path": abs(&f, "a.txt"), "old_string": "line 3\n", "new_string": "agent three\n"}),
    );
    let change = g.pending("a.txt").await;
    std::fs::write(f.project.join("a.txt"), numbered(20, &[(3, "user three")])).expect("user edit");
    let err = g
        .approve(vec![change.id.clone()])
        .await
        .expect_err("a conflict is not approved as it is");
    assert!(
        err.message.contains("overlaps lines you changed"),
        "{}",
        err.message
    );
    let c = g.pending("a.txt").await;
    assert!(c.hunks.iter().any(|h| h.conflict), "{c:?}");
    assert!(!h.is_finished(), "the agent still waits");
    call(
        &g.engine,
        Request::Reject {
            versions: None,
            ids: vec![change.id],
            reason: Some("keep mine".into()),
        },
    )
    .await;
    let reply = answer(h).await;
    assert_eq!(reply.decision, GateDecision::Deny);
    assert_eq!(reply.reason.as_deref(), Some("keep mine"));
    assert_eq!(
        std::fs::read_to_string(f.project.join("a.txt")).expect("read"),
        numbered(20, &[(3, "user three")])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_rules_hold_for_edits_and_a_broken_policy_allows_nothing() {
    let f = Fixture::git(&[("secret/key.txt", "k\n"), ("ok.txt", "ok\n")]);
    write_policy(&f.project, "[permissions]\ndeny = [\"Edit(secret/**)\"]\n");
    let g = gated(&f).await;
    let reply = answer(g.ask(
        "Edit",
        json!({"file_path": abs(&f, "secret/key.txt"), "old_string": "k", "new_string": "leak"}),
    ))
    .await;
    assert_eq!(reply.decision, GateDecision::Deny, "{reply:?}");
    assert!(
        reply
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("Edit(secret/**)"),
        "{reply:?}"
    );
    // `ls` is allowed by the default policy; with a broken file it waits as a card.
    write_policy(&f.project, "[permissions\nallow = oops");
    let h = g.ask("Bash", json!({"command": "ls"}));
    let action = g.action().await;
    assert_eq!(action.summary, "ls");
    assert!(
        action
            .risks
            .iter()
            .any(|r| r.kind == RiskKind::Policy && r.why.contains("does not load")),
        "{action:?}"
    );
    assert!(
        !h.is_finished(),
        "nothing is allowed while the policy is broken"
    );
    g.deny(action, h).await;
}

fn write_policy(project: &Path, body: &str) {
    std::fs::create_dir_all(project.join(".airlock")).expect("mkdir");
    std::fs::write(project.join(".airlock/policy.toml"), body).expect("policy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gated_write_that_leaves_the_project_is_never_allowed_unseen() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let outside = f.dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside");
    std::os::unix::fs::symlink(&outside, f.project.join("link")).expect("symlink");
    let g = gated(&f).await;
    // Through `..`: not a project edit, so the policy holds it as an action.
    let escaping = format!("{}/../outside/x.txt", f.project.display());
    let h = g.ask("Write", json!({"file_path": escaping, "content": "x\n"}));
    let action = g.action().await;
    assert_eq!(action.tool, "Write");
    assert!(
        !h.is_finished(),
        "a write outside the project waits for the user"
    );
    g.deny(action, h).await;
    // Through a symlinked folder inside the project: refused outright.
    let reply = answer(g.ask(
        "Write",
        json!({"file_path": abs(&f, "link/x.txt"), "content": "x\n"}),
    ))
    .await;
    assert_eq!(reply.decision, GateDecision::Deny, "{reply:?}");
    assert!(!outside.join("x.txt").exists());
    assert!(changes(&g.engine, None).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_sent_to_gated_claude_is_the_answer_to_its_waiting_edit() {
    let base = numbered(10, &[]);
    let f = Fixture::git(&[("a.txt", &base)]);
    let g = gated(&f).await;
    let h = g.ask(
        "Write",
        json!({"file_path": abs(&f, "a.txt"), "content": numbered(10, &[(4, "agent four")])}),
    );
    let change = g.pending("a.txt").await;
    let Response::Comments { comments } = call(
        &g.engine,
        Request::Comment {
            target: change.hunks[0].id.clone(),
            line: Some(4),
            text: "call it four_items, not agent four".into(),
        },
    )
    .await
    else {
        panic!("comments")
    };
    assert_eq!(comments.len(), 1);
    assert!(comments[0].place.starts_with("@@ -"), "{:?}", comments[0]);
    let Response::ReviewSent {
        via,
        comments,
        message,
    } = call(
        &g.engine,
        Request::SendReview {
            session: g.session.clone(),
        },
    )
    .await
    else {
        panic!("sent")
    };
    assert_eq!(via, airlock_protocol::ReviewDelivery::Hook);
    assert_eq!(comments, 1);
    let reply = answer(h).await;
    assert_eq!(
        reply.decision,
        GateDecision::Deny,
        "the edit goes back with the review"
    );
    let reason = reply.reason.expect("reason");
    assert_eq!(reason, message);
    assert!(
        reason.contains("a.txt:\n- line 4: call it four_items, not agent four"),
        "{reason}"
    );
    assert_eq!(read(&f.project.join("a.txt")), base, "nothing written");
    assert!(
        changes(&g.engine, None).await.is_empty(),
        "the edit left the queue with its answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_gated_write_is_a_landing_in_history_and_undoable() {
    let f = Fixture::git(&[("a.txt", "one\n")]);
    let g = gated(&f).await;
    let h = g.ask(
        "Write",
        json!({ "file_path": abs(&f, "a.txt"), "content": "two\n" }),
    );
    let change = g.pending("a.txt").await;
    g.approve(vec![change.id.clone()]).await.expect("approve");
    assert_eq!(answer(h).await.decision, GateDecision::Allow);
    // Claude Code writes what it was allowed to.
    std::fs::write(f.project.join("a.txt"), "two\n").expect("the agent writes");
    let landing = eventually(10, "the landing in History", || async {
        let Response::Landings { landings } = call(&g.engine, Request::ListLandings).await else {
            return None;
        };
        landings.into_iter().find(|l| l.paths == ["a.txt"])
    })
    .await;
    assert_eq!(landing.session, g.session);
    call(
        &g.engine,
        Request::Undo {
            landing: Some(landing.id),
        },
    )
    .await;
    assert_eq!(
        read(&f.project.join("a.txt")),
        "one\n",
        "undone: the text from before the approval"
    );
}
