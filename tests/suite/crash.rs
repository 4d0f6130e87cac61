//! Crash safety: `airlock serve` lands a many-file change and is killed with
//! SIGKILL at a random moment aimed at the landing; after a restart every
//! file is fully old or fully new, the landing is all or nothing, and the
//! queue agrees with the disk. At least a quarter of the kills must fall
//! mid-landing (some files replaced, some not), or the test fails.
//!
//! CI runs 20 kills; `scripts/soak-crash.sh` runs 200 (`AIRLOCK_CRASH_RUNS`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airlock_protocol::{Request, Response};
use serde_json::Value;

use super::support::*;

const FILES: usize = 40;

fn old_text(i: usize) -> String {
    (0..40).map(|l| format!("old {i} line {l}\n")).collect()
}

fn new_text(i: usize) -> String {
    (0..40).map(|l| format!("NEW {i} line {l}\n")).collect()
}

/// A cheap pseudo-random number (no extra dependency): xorshift on the clock.
fn random_below(n: u64, state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state % n.max(1)
}

fn json_out(f: &Fixture, args: &[&str]) -> Value {
    let out = Command::new(airlock_bin())
        .args(args)
        .env("AIRLOCK_HOME", &f.home)
        .current_dir(&f.project)
        .output()
        .expect("airlock");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// A file in the project's folder under `$AIRLOCK_HOME/projects/`.
fn project_file(f: &Fixture, name: &str) -> std::path::PathBuf {
    std::fs::read_dir(f.home.join("projects"))
        .expect("projects")
        .flatten()
        .map(|e| e.path().join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no {name} under {}", f.home.display()))
}

#[test]
fn landings_are_all_or_nothing_across_sigkill() {
    let runs: usize = std::env::var("AIRLOCK_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut seed = Instant::now().elapsed().as_nanos() as u64 | 1;
    seed ^= std::process::id() as u64 * 0x9E37_79B9;
    let mut tally = Tally::default();
    let mut aim = Aim { lo: 0, hi: None };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for run in 0..runs {
        let files: Vec<(String, String)> = (0..FILES)
            .map(|i| (format!("f{i:02}.txt"), old_text(i)))
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let f = Fixture::git(&refs);
        let mut serve = serve_with_new_files_staged(&f, run);
        let delay = aim.next(&mut seed);
        land_and_kill_after(&f, &mut serve, delay);

        let new_count = (0..FILES)
            .filter(|i| {
                std::fs::read_to_string(f.project.join(format!("f{i:02}.txt"))).ok()
                    == Some(new_text(*i))
            })
            .count();
        // Mid-landing: the landing was journalled and not finished (some,
        // none or all of its files replaced) — what the restart must roll
        // forward.
        let journalled = project_file(&f, "journal.sqlite");
        let cut = !airlock_engine::journal::Journal::open(&journalled)
            .expect("journal")
            .pending_landings()
            .expect("pending landings")
            .is_empty();
        assert!(
            cut || new_count == 0 || new_count == FILES,
            "run {run}: {new_count} of {FILES} files replaced with no landing in the journal"
        );
        aim.record(&mut tally, cut, new_count, delay);
        // Restart: the engine rolls a journalled landing forward.
        rt.block_on(whole_after_restart(&f, run));
    }
    let Tally {
        before_any,
        partial,
        after_all,
        torn_visible,
    } = tally;
    let Aim { lo, hi } = aim;
    eprintln!("crash runs: {runs} (killed before the landing was journalled: {before_any}, mid-landing: {partial} ({torn_visible} with the project half replaced), after all: {after_all}; last aimed between {lo} and {hi:?} µs)");
    assert!(
        partial * 4 >= runs,
        "only {partial} of {runs} kills fell mid-landing (before it was journalled: {before_any}, after it finished: {after_all}): the test did not exercise a cut landing often enough"
    );
}

/// Where the kills fell.
#[derive(Default)]
struct Tally {
    /// Before the landing was journalled: nothing replaced.
    before_any: usize,
    /// Mid-landing: journalled and not finished.
    partial: usize,
    /// After the landing finished.
    after_all: usize,
    /// Of the kills mid-landing, those that left the project with some files
    /// replaced and some not.
    torn_visible: usize,
}

/// When to kill, in µs after asking for the landing: between `lo` and `hi`.
struct Aim {
    lo: u64,
    hi: Option<u64>,
}

impl Aim {
    fn next(&self, seed: &mut u64) -> u64 {
        match self.hi {
            // No kill has come too late yet: reach further each time.
            None => self.lo + random_below(self.lo + 40_000, seed),
            Some(hi) => self.lo + random_below(hi - self.lo + 1, seed),
        }
    }

    /// Counts where the kill at `delay` fell, and aims the next one between
    /// the latest that came before the landing was journalled and the
    /// earliest that came after it finished, so most kills fall inside it
    /// whatever this machine's speed. The bracket widens a little each
    /// time, so one early or late outlier cannot close it for good.
    fn record(&mut self, tally: &mut Tally, cut: bool, new_count: usize, delay: u64) {
        match (cut, new_count) {
            (true, _) => {
                tally.partial += 1;
                if new_count > 0 && new_count < FILES {
                    tally.torn_visible += 1;
                }
            }
            (false, 0) => {
                tally.before_any += 1;
                self.lo = self.lo.max(delay);
            }
            (false, _) => {
                tally.after_all += 1;
                self.hi = Some(self.hi.map_or(delay, |hi| hi.min(delay)));
            }
        }
        if let Some(h) = self.hi {
            let gap = h.saturating_sub(self.lo).max(2_000);
            self.lo = self.lo.saturating_sub(gap / 10);
            self.hi = Some(self.lo + gap + gap / 5);
        }
    }
}

/// `airlock serve` on `f` with a session whose stage holds the new text of
/// every file, once the queue shows them all.
fn serve_with_new_files_staged(f: &Fixture, run: usize) -> Child {
    let mut serve = Command::new(airlock_bin())
        .args(["serve", "--project"])
        .arg(&f.project)
        .env("AIRLOCK_HOME", &f.home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("url");
    let out = Command::new(airlock_bin())
        .args(["run", "--", "sleep", "600"])
        .env("AIRLOCK_HOME", &f.home)
        .current_dir(&f.project)
        .output()
        .expect("run");
    assert!(out.status.success());
    let status = json_out(f, &["status", "--json"]);
    let stage = std::path::PathBuf::from(status["sessions"][0]["cwd"].as_str().expect("cwd"));
    for i in 0..FILES {
        std::fs::write(stage.join(format!("f{i:02}.txt")), new_text(i)).expect("agent write");
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while json_out(f, &["changes", "--json"])["changes"]
        .as_array()
        .map_or(0, Vec::len)
        < FILES
    {
        assert!(
            Instant::now() < deadline,
            "run {run}: the changes never all showed up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    serve
}

/// Asks for the landing over the socket, then kills the engine (SIGKILL)
/// `delay` µs later.
fn land_and_kill_after(f: &Fixture, serve: &mut Child, delay: u64) {
    let info: Value =
        serde_json::from_slice(&std::fs::read(project_file(f, "engine.json")).expect("read"))
            .expect("info");
    let mut sock =
        std::os::unix::net::UnixStream::connect(info["socket"].as_str().expect("socket"))
            .expect("connect");
    let request = serde_json::json!({ "token": info["token"], "request": { "op": "approveAll" } });
    writeln!(sock, "{request}").expect("send");
    std::thread::sleep(Duration::from_micros(delay));
    let _ = serve.kill(); // SIGKILL
    let _ = serve.wait();
}

/// After a restart every file is fully old or fully new, the landing is all
/// or nothing, no temp file is left, and the queue agrees with the disk.
async fn whole_after_restart(f: &Fixture, run: usize) {
    let engine = f.engine().await;
    let mut new_files = 0;
    for i in 0..FILES {
        let text = std::fs::read_to_string(f.project.join(format!("f{i:02}.txt"))).expect("file");
        assert!(
            text == old_text(i) || text == new_text(i),
            "run {run}: f{i:02}.txt is torn"
        );
        if text == new_text(i) {
            new_files += 1;
        }
    }
    assert!(
        new_files == 0 || new_files == FILES,
        "run {run}: {new_files} of {FILES} files landed: a landing must be all or nothing"
    );
    let stray: Vec<String> = std::fs::read_dir(&f.project)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".airlock-"))
        .collect();
    assert!(
        stray.is_empty(),
        "run {run}: temp files left in the project: {stray:?}"
    );
    let pending = eventually(10, "the queue to agree with the disk", || async {
        let c = changes(&engine, None).await;
        (c.len() == FILES - new_files).then_some(c)
    })
    .await;
    if new_files == 0 {
        let Response::Decided(d) = approve_all(&engine).await else {
            panic!("approve")
        };
        assert_eq!(d.paths.len(), pending.len());
    }
    engine.shutdown().await;
}

/// A landing cut short is rolled forward at the next start, except over a
/// file the user changed while Airlock was down: theirs stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_forward_finishes_a_landing_but_never_over_the_users_edit() {
    use airlock_engine::fsx::FileState;
    use airlock_engine::review::Write;
    let f = Fixture::git(&[
        ("a.txt", "old a\n"),
        ("b.txt", "old b\n"),
        ("c.txt", "old c\n"),
    ]);
    let file = |s: &str| FileState::File {
        bytes: s.as_bytes().to_vec().into(),
        mode: 0o644,
    };
    let writes: Vec<Write> = ["a", "b", "c"]
        .iter()
        .map(|n| Write {
            path: format!("{n}.txt"),
            before: file(&format!("old {n}\n")),
            after: file(&format!("new {n}\n")),
        })
        .collect();
    {
        // What a killed engine leaves: the landing journalled, a.txt already written.
        std::fs::create_dir_all(&f.home).expect("home");
        let home = std::fs::canonicalize(&f.home).expect("home");
        let ph = airlock_engine::home::ProjectHome::new(&home, &f.project);
        ph.create().expect("project home");
        let mut journal = airlock_engine::journal::Journal::open(&ph.journal()).expect("journal");
        journal
            .begin_landing("s-0000000000", &writes, None)
            .expect("begin");
    }
    std::fs::write(f.project.join("a.txt"), "new a\n").expect("a");
    std::fs::write(f.project.join("b.txt"), "mine b\n").expect("user edit of b");
    let engine = f.engine().await;
    let read = |n: &str| std::fs::read_to_string(f.project.join(n)).expect("read");
    assert_eq!(read("a.txt"), "new a\n");
    assert_eq!(
        read("b.txt"),
        "mine b\n",
        "the user's edit is never written over"
    );
    assert_eq!(
        read("c.txt"),
        "new c\n",
        "the rest of the landing is rolled forward"
    );
    let Response::Landings { landings } = call(&engine, Request::ListLandings).await else {
        panic!("landings")
    };
    assert_eq!(landings.len(), 1, "the landing is on record: {landings:?}");
}
