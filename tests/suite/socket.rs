//! The agents' socket (`hook.sock`) under a hostile client: it serves only
//! a session's own questions, holds a bounded number of connections, hangs
//! up on one that sends nothing, and bounds the bytes it reads before a
//! line is whole — while the user's socket keeps answering.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::{engine_info, ok_json, serve};
use super::support::*;

fn hook_socket(f: &Fixture) -> PathBuf {
    let (info_path, _) = engine_info(f);
    info_path.parent().expect("project home").join("hook.sock")
}

fn reply(stream: &UnixStream) -> Value {
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("read");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
}

#[test]
fn the_agents_socket_answers_nothing_but_an_agents_own_questions() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let (_, info) = engine_info(&f);
    // Even with the engine's own token: the agents' door decides nothing.
    for request in [
        serde_json::json!({"token": info["token"], "request": {"op": "approveAll"}}),
        serde_json::json!({"token": info["token"], "request": {"op": "status"}}),
        serde_json::json!({"token": info["token"], "subscribe": true}),
    ] {
        let mut s = UnixStream::connect(hook_socket(&f)).expect("connect");
        s.write_all(format!("{request}\n").as_bytes())
            .expect("write");
        let r = reply(&s);
        assert_eq!(r["error"]["code"], "unauthorized", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("agents' socket"),
            "{r}"
        );
    }
    // The user's socket is unchanged.
    ok_json(&f, &["status", "--json"]);
}

#[test]
fn a_flood_of_connections_and_bytes_is_bounded_and_the_user_is_still_answered() {
    let f = Fixture::git(&[("a.txt", "a\n")]);
    let _served = serve(&f);
    let hook = hook_socket(&f);

    // 300 connections that say nothing: past 256 each is told why and closed.
    let mut idle = Vec::new();
    let mut refused = 0;
    for _ in 0..300 {
        let s = UnixStream::connect(&hook).expect("connect");
        idle.push(s);
    }
    for s in &idle[256..] {
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let r = reply(s);
        if r["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("too many connections")
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 44, "every connection past the limit is refused");
    // The user's own socket does not count against the agents' limit.
    ok_json(&f, &["status", "--json"]);
    // One that never sends a line is hung up on, saying why.
    let first = &idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let started = Instant::now();
    let r = reply(first);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no request within"),
        "{r}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    drop(idle);

    // Six clients each sending 50 MiB with no end of line: the engine holds
    // at most 256 MiB of them; the rest are told it is busy.
    // Nobody ends their line until all have sent what they can: the engine
    // holds them all at once, however slowly it reads.
    let chunk = vec![b'x'; 1024 * 1024];
    let all_sent = std::sync::Arc::new(std::sync::Barrier::new(6));
    let writers: Vec<_> = (0..6)
        .map(|_| {
            let hook = hook.clone();
            let chunk = chunk.clone();
            let all_sent = all_sent.clone();
            std::thread::spawn(move || {
                let mut s = UnixStream::connect(&hook).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(60)))
                    .expect("timeout");
                let _ = s.write_all(b"{\"token\":\"");
                for _ in 0..50 {
                    if s.write_all(&chunk).is_err() {
                        break;
                    }
                }
                all_sent.wait();
                let _ = s.shutdown(std::net::Shutdown::Write);
                let mut line = String::new();
                let _ = BufReader::new(&s).read_line(&mut line);
                line
            })
        })
        .collect();
    // While they write, the user is answered.
    ok_json(&f, &["status", "--json"]);
    let answers: Vec<String> = writers
        .into_iter()
        .map(|w| w.join().expect("writer"))
        .collect();
    let busy = answers.iter().filter(|a| a.contains("busy")).count();
    assert!(busy >= 1, "past 256 MiB the engine refuses: {answers:?}");
    ok_json(&f, &["status", "--json"]);
}
