//! `airlock`: the headless face of Airlock.
//!
//! `airlock serve` runs the engine for a project and serves the web UI on
//! 127.0.0.1; every other command talks to the running engine for its project
//! over the engine's local socket (found through `$AIRLOCK_HOME`).

mod attempts;
mod chat;
mod commands;
mod hook;
mod serve;
mod vcs;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "airlock",
    version = airlock_protocol::VERSION,
    about = "Review every change an AI agent makes before it reaches your project"
)]
struct Cli {
    /// The project folder (default: the current folder).
    #[arg(long, global = true, value_name = "DIR")]
    project: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine and the web UI; the first line of output is the URL.
    Serve {
        /// Address to listen on; only loopback addresses are accepted.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// The built UI to serve (default: the ui/dist beside the sources, or $AIRLOCK_UI_DIR).
        #[arg(long, value_name = "DIR")]
        ui: Option<PathBuf>,
        /// Scrollback kept per session, in MiB (default 10, or $AIRLOCK_SCROLLBACK_MB).
        #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u16).range(1..=1024))]
        scrollback_mb: Option<u16>,
    },
    /// Start a session in the running engine and print its id.
    Run {
        #[command(flatten)]
        opts: commands::RunOpts,
        /// The command and its arguments (default: $SHELL).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Sessions and what waits for you.
    Status {
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Pending changes with their hunk ids.
    Changes {
        /// Only this session's.
        #[arg(long)]
        session: Option<String>,
        /// Also what was decided since the engine started (landed, approved, rejected).
        #[arg(long)]
        all: bool,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show a change's diff (by change id or path; all when omitted).
    Diff {
        /// A change id or a project-relative path.
        target: Option<String>,
    },
    /// Land hunks or whole changes in the project.
    Approve {
        /// Hunk ids and change ids.
        ids: Vec<String>,
        /// Every pending change.
        #[arg(long)]
        all: bool,
        /// With --all: only this session's.
        #[arg(long)]
        session: Option<String>,
        /// For actions: also add their rule to .airlock/policy.toml, so they pass from now on.
        #[arg(long)]
        always: bool,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Stop, restart or remove a session.
    Session {
        /// `stop`, `restart` or `remove`.
        action: String,
        /// The session's id.
        id: String,
        /// With `remove`: discard its pending changes too.
        #[arg(long)]
        force: bool,
    },
    /// Stages left behind by a crash, with their disk use.
    Orphans {
        /// Delete them.
        #[arg(long)]
        clean: bool,
    },
    /// Claude Code's PreToolUse hook: hook JSON on stdin, decision JSON on stdout.
    Hook {
        /// The agent (`claude`).
        agent: String,
    },
    /// Revert a landing (the newest not yet undone when no id is given).
    Undo {
        /// The landing's id (see `airlock history`).
        landing: Option<i64>,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Commit what Airlock landed (and nothing else of yours), with your git and hooks.
    Commit {
        #[command(flatten)]
        opts: vcs::CommitOpts,
    },
    /// Push the branch and open a pull request with gh (or print the commands to run).
    Pr {
        #[command(flatten)]
        opts: vcs::PrOpts,
    },
    /// One task in N staged sessions at once; prints the task id and the sessions.
    Attempts {
        #[command(flatten)]
        opts: attempts::AttemptsOpts,
    },
    /// A task's attempts side by side: files, lines added and removed, test result.
    Compare {
        /// The task's id.
        task: String,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// What has landed, newest first.
    History {
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send a chat session's agent a prompt; waits for the turn and prints the reply.
    Prompt {
        /// The chat session's id.
        session: String,
        /// What to say (`@path` attaches a file of the session's folder).
        /// (Flags may come anywhere; put words that start with `-` after `--`.)
        #[arg(required = true)]
        text: Vec<String>,
        /// Print the prompt's transcript index and return at once.
        #[arg(long)]
        no_wait: bool,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A chat session's conversation.
    Transcript {
        /// The chat session's id.
        session: String,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Comment on a pending change or hunk without deciding it (sent with `airlock send-review`).
    Comment {
        /// A change id or a hunk id.
        target: String,
        /// What to tell the agent.
        #[arg(required = true)]
        text: Vec<String>,
        /// The new-side line it is about.
        #[arg(long)]
        line: Option<u32>,
    },
    /// Send a session's comments to its agent as one message.
    SendReview {
        /// The session's id.
        session: String,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a chat session's running turn.
    Cancel {
        /// The chat session's id.
        session: String,
    },
    /// Revert hunks or whole changes in their stage.
    Reject {
        /// Hunk ids and change ids.
        ids: Vec<String>,
        /// Every pending change.
        #[arg(long)]
        all: bool,
        /// With --all: only this session's.
        #[arg(long)]
        session: Option<String>,
        /// Why (recorded; shown to the agent where it can read it).
        #[arg(long)]
        reason: Option<String>,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    quiet_on_a_closed_stdout();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    answer_without_clap(&args);
    let cli = Cli::parse();
    let project = cli
        .project
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("airlock: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(dispatch(project, cli.command)) {
        eprintln!("airlock: {e}");
        std::process::exit(1);
    }
}

/// Output piped into a reader that stopped early (`airlock changes | head
/// -1`, `| grep -q`) ends the command quietly with 141, as SIGPIPE ends a C
/// tool, instead of `println!`'s panic ("failed printing to stdout").
fn quiet_on_a_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// The two entries that exit before clap parses anything: `hook` and
/// `sandbox-exec`. Returns only when `args` is neither.
fn answer_without_clap(args: &[std::ffi::OsString]) {
    // The hook runs on every tool call of an agent: answer it without clap or
    // an async runtime, with std alone.
    if args.first().is_some_and(|a| a == "hook") {
        let agent = args.get(1).and_then(|a| a.to_str());
        let arg = args.get(2).and_then(|a| a.to_str());
        std::process::exit(hook::run(agent, arg));
    }
    // The engine starts every sandboxed session as `airlock sandbox-exec
    // --spec JSON -- CMD…`: confine this process, then become the command.
    if args.first().is_some_and(|a| a == "sandbox-exec") {
        let error = airlock_sandbox::exec_entry(args[1..].to_vec());
        eprintln!("airlock: {error}");
        std::process::exit(126);
    }
}

/// Runs one parsed command against `project`.
async fn dispatch(project: PathBuf, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            listen,
            ui,
            scrollback_mb,
        } => serve::run(project, listen, ui, scrollback_mb).await,
        Command::Run { opts, command } => commands::run(&project, opts, command).await,
        Command::Status { json } => commands::status(&project, json).await,
        Command::Changes { session, all, json } => {
            commands::changes(&project, session, all, json).await
        }
        Command::Diff { target } => commands::diff(&project, target).await,
        Command::Undo { landing, json } => commands::undo(&project, landing, json).await,
        Command::History { json } => commands::history(&project, json).await,
        Command::Commit { opts } => vcs::commit(&project, opts).await,
        Command::Pr { opts } => vcs::pr(&project, opts).await,
        Command::Attempts { opts } => attempts::attempts(&project, opts).await,
        Command::Compare { task, json } => attempts::compare(&project, task, json).await,
        Command::Approve {
            ids,
            all,
            session,
            always,
            json,
        } => commands::decide(&project, approval(ids, all, session, always, json)).await,
        // Answered in `answer_without_clap` before parsing.
        Command::Hook { .. } => Ok(()),
        Command::Session { action, id, force } => {
            commands::session(&project, &action, id, force).await
        }
        Command::Orphans { clean } => commands::orphans(&project, clean).await,
        Command::Prompt {
            session,
            text,
            no_wait,
            json,
        } => chat::prompt(&project, session, text, no_wait, json).await,
        Command::Transcript { session, json } => chat::transcript(&project, session, json).await,
        Command::Cancel { session } => chat::cancel(&project, session).await,
        Command::Comment { target, text, line } => {
            chat::comment(&project, target, line, text.join(" ")).await
        }
        Command::SendReview { session, json } => chat::send_review(&project, session, json).await,
        Command::Reject {
            ids,
            all,
            session,
            reason,
            json,
        } => commands::decide(&project, rejection(ids, all, session, reason, json)).await,
    }
}

/// What `airlock approve` was asked to do.
fn approval(
    ids: Vec<String>,
    all: bool,
    session: Option<String>,
    always: bool,
    json: bool,
) -> commands::Decide {
    commands::Decide {
        approve: true,
        ids,
        all,
        session,
        reason: None,
        always,
        json,
    }
}

/// What `airlock reject` was asked to do.
fn rejection(
    ids: Vec<String>,
    all: bool,
    session: Option<String>,
    reason: Option<String>,
    json: bool,
) -> commands::Decide {
    commands::Decide {
        approve: false,
        ids,
        all,
        session,
        reason,
        always: false,
        json,
    }
}
