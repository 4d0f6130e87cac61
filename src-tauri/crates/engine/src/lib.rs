//! Airlock's engine: everything but the windows.
//!
//! An [`Engine`] holds one project. Front ends drive it with
//! [`airlock_protocol::Request`]s through [`Engine::call`] and follow it with
//! [`Engine::subscribe`]; the Tauri shell, `airlock serve` and the tests all
//! do exactly that, and [`server`] exposes the same calls on a local socket
//! for the CLI, beside a second socket where agents' hooks ask the gate.
//!
//! Inside, one actor owns every session, and a session is parts: its
//! terminal (or, for an ACP agent, its chat), its review queue, its gate and
//! its sandbox. The review queue's rules are pure functions; the actor reads
//! the files and performs what they return. Its mailboxes are bounded, and
//! what takes long (reading and diffing, pairing renames, labels, git,
//! highlighting) runs on threads the engine owns and that end with it.
//! `ARCHITECTURE.md` follows an edit and a gate question through the files,
//! hop by hop.
//!
//! The modules, in the order a change flows through them:
//! - [`pty`] runs a session's command in a pseudo-terminal; [`scrollback`]
//!   keeps its output.
//! - [`stage`] makes the session's private working copy (a git clone that
//!   borrows the project's objects).
//! - [`watch`] sees the agent's writes there.
//! - [`review`] turns each file's difference into a proposal with hunks
//!   ([`diff`]) and plans what a decision writes: approving lands hunks in the
//!   project ([`fsx`]'s atomic writes), rejecting reverts them in the stage.
//! - [`highlight`] colours the lines for the UI; [`subscription`] hands every
//!   event and each session's output to each follower.
//! - [`journal`] records sessions, decisions and landings in SQLite.
//! - [`acp`] speaks the Agent Client Protocol to a chat session's agent.
//! - [`notebook`] works out what a gated notebook edit will write, for review.
#![deny(missing_docs)]

pub mod acp;
pub mod client;
pub mod diff;
mod engine;
pub mod error;
pub mod fsx;
pub mod highlight;
pub mod home;
pub mod journal;
pub mod notebook;
pub mod pty;
pub mod review;
pub mod scrollback;
pub mod server;
pub mod stage;
pub mod subscription;
pub mod vcs;
pub mod watch;
pub mod words;

#[doc(hidden)]
pub use engine::fuzz_acp_frame;
pub use engine::{
    scrollback_from_env, Engine, EngineConfig, DEFAULT_SCROLLBACK_BYTES, FIRST_WINDOW_HUNKS,
};
pub use error::{EngineError, Result};
pub use subscription::{Frame, Output, Subscription};
