//! What the actor is sent: requests (with their reply channels) on the
//! calls mailbox, everything else on the backlog (see `mailbox`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use airlock_protocol::{IpcError, Request, Response};
use tokio::sync::oneshot;

use super::{intake, pairing, prepare};

/// One message for the actor.
pub(super) enum Msg {
    Call(
        Request,
        oneshot::Sender<std::result::Result<Response, IpcError>>,
    ),
    StageBatch {
        session: String,
        paths: BTreeSet<PathBuf>,
        /// Seen again after [`queue::SETTLE`]: a batch that only deleted
        /// is looked at once more before it is believed.
        settled: bool,
    },
    ProjectBatch {
        paths: BTreeSet<PathBuf>,
    },
    Enriched {
        session: String,
        change: String,
        enrichment: crate::review::Enrichment,
    },
    Tick,
    /// Paths read and diffed on the intake thread.
    Computed {
        session: String,
        results: Vec<intake::Computed>,
    },
    Gate {
        token: String,
        request: airlock_protocol::GateRequest,
        reply: oneshot::Sender<airlock_protocol::GateReply>,
    },
    /// A session's scrollback has new output (its coalescer put it there).
    Output(String),
    Exited {
        session: String,
        code: Option<i32>,
    },
    /// Something a chat session's agent said or asked.
    Agent {
        session: String,
        msg: Box<crate::acp::FromAgent>,
    },
    /// An agent's own word that its turn ended.
    TurnReport {
        token: String,
        report: airlock_protocol::TurnReport,
        reply: oneshot::Sender<std::result::Result<(), IpcError>>,
    },
    /// A chat's streamed text waiting to be announced.
    FlushChat(String),
    /// A chat's permission request was answered.
    Answered {
        session: String,
        tool: String,
        permission: airlock_protocol::Permission,
    },
    /// A program a session started waits for the user (the exec gate).
    ExecAsk {
        session: String,
        summary: String,
        cwd: String,
        risks: Vec<airlock_protocol::Risk>,
        suggested_rule: Option<String>,
        reply: oneshot::Sender<airlock_protocol::GateReply>,
    },
    /// The `model-only` proxy refused a connection.
    ProxyBlocked {
        session: String,
        host: String,
    },
    /// The exec gate refused a program, or has something to say.
    ExecNotice {
        session: String,
        message: String,
    },
    /// Renames paired off the actor, for the candidates they were asked for.
    Paired {
        session: String,
        candidates: pairing::Candidates,
        pairs: Vec<pairing::Pair>,
    },
    /// Work done off the actor: a stage made, an attempt tested.
    Prepared(Box<prepare::Done>),
    Shutdown(oneshot::Sender<()>),
}

impl Msg {
    /// Its kind, for the actor's trace.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Msg::Call(..) => "Call",
            Msg::StageBatch { .. } => "StageBatch",
            Msg::ProjectBatch { .. } => "ProjectBatch",
            Msg::Enriched { .. } => "Enriched",
            Msg::Tick => "Tick",
            Msg::Computed { .. } => "Computed",
            Msg::Gate { .. } => "Gate",
            Msg::Output(_) => "Output",
            Msg::Exited { .. } => "Exited",
            Msg::Agent { .. } => "Agent",
            Msg::TurnReport { .. } => "TurnReport",
            Msg::FlushChat(_) => "FlushChat",
            Msg::Answered { .. } => "Answered",
            Msg::ExecAsk { .. } => "ExecAsk",
            Msg::ProxyBlocked { .. } => "ProxyBlocked",
            Msg::ExecNotice { .. } => "ExecNotice",
            Msg::Paired { .. } => "Paired",
            Msg::Prepared(_) => "Prepared",
            Msg::Shutdown(_) => "Shutdown",
        }
    }
}
