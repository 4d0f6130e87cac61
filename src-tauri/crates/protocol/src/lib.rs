//! Wire types of Airlock: what goes into the engine ([`Request`]), what comes back
//! ([`Response`] or [`IpcError`], wrapped in a [`Reply`]), and what the engine
//! announces on its own ([`Event`]).
//!
//! Every front end speaks these types: the Tauri shell over IPC, the browser over
//! HTTP and WebSocket, the CLI over the engine's local socket. Field names are
//! camelCase, enums are internally tagged, ids are strings. The TypeScript in
//! `ui/src/ipc/bindings.ts` is generated from this crate (see the `bindings` test)
//! and never written by hand.
#![deny(missing_docs)]

use ts_rs::TS;

mod attempts;
mod change;
mod chat;
mod commit;
mod event;
mod gate;
mod request;
mod session;
mod wire;
pub use attempts::*;
pub use change::*;
pub use chat::*;
pub use commit::*;
pub use event::*;
pub use gate::*;
pub use request::*;
pub use session::*;
pub use wire::*;

/// Airlock's version and the commit it was built from, `0.1.0 (0123456789ab)`
/// ("unknown" outside a git checkout): what `airlock --version` and the
/// window's About say.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("AIRLOCK_COMMIT"), ")");

/// How many hunks the review pane asks for first: the window the engine
/// highlights as soon as it proposes a change, and the one its first
/// replies carry.
pub const FIRST_WINDOW_HUNKS: u32 = 12;

/// A session's id, `s-` followed by hex.
pub type SessionId = String;

/// A change's id, `c-` followed by hex; stable for a session and path.
pub type ChangeId = String;

/// A hunk's id, `h-` followed by hex; a hash of the hunk's content and anchor,
/// so it survives a re-diff of the rest of the file.
pub type HunkId = String;

/// The TypeScript declarations of every wire type, as `ui/src/ipc/bindings.ts` holds them.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        SessionMode::decl(&cfg),
        SessionState::decl(&cfg),
        TurnState::decl(&cfg),
        Orphan::decl(&cfg),
        SessionInfo::decl(&cfg),
        SandboxState::decl(&cfg),
        NetworkMode::decl(&cfg),
        SandboxChoice::decl(&cfg),
        SandboxInfo::decl(&cfg),
        SessionKind::decl(&cfg),
        ChatEntry::decl(&cfg),
        PlanItem::decl(&cfg),
        PlanStatus::decl(&cfg),
        StopReason::decl(&cfg),
        ToolCall::decl(&cfg),
        ToolLocation::decl(&cfg),
        ToolContent::decl(&cfg),
        ToolKind::decl(&cfg),
        ToolStatus::decl(&cfg),
        Permission::decl(&cfg),
        PermissionOutcome::decl(&cfg),
        ChatInfo::decl(&cfg),
        ChatChoice::decl(&cfg),
        ChatConfig::decl(&cfg),
        ChatUsage::decl(&cfg),
        KnownAgent::decl(&cfg),
        ReviewComment::decl(&cfg),
        ReviewDelivery::decl(&cfg),
        ChangeKind::decl(&cfg),
        ChangeState::decl(&cfg),
        HunkKind::decl(&cfg),
        HunkHeader::decl(&cfg),
        HunkEnrichment::decl(&cfg),
        LandingInfo::decl(&cfg),
        Change::decl(&cfg),
        Badge::decl(&cfg),
        BadgeKind::decl(&cfg),
        WordRange::decl(&cfg),
        LineKind::decl(&cfg),
        DiffLine::decl(&cfg),
        HunkDiff::decl(&cfg),
        ChangeDiff::decl(&cfg),
        DecisionOutcome::decl(&cfg),
        Risk::decl(&cfg),
        RiskKind::decl(&cfg),
        Action::decl(&cfg),
        StatusInfo::decl(&cfg),
        StartSessionParams::decl(&cfg),
        Request::decl(&cfg),
        Response::decl(&cfg),
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        Reply::decl(&cfg),
        Event::decl(&cfg),
        AttentionKind::decl(&cfg),
        ActionOutcome::decl(&cfg),
        GateRequest::decl(&cfg),
        GateReply::decl(&cfg),
        GateDecision::decl(&cfg),
        TurnReport::decl(&cfg),
    ];
    let decls = decls
        .into_iter()
        .chain(commit::decls(&cfg))
        .chain(attempts::attempt_decls(&cfg));
    let mut out = String::from(
        "// Generated from src-tauri/crates/protocol by `UPDATE_BINDINGS=1 cargo test -p airlock-protocol`.\n// Do not edit by hand.\n\n",
    );
    out.push_str("export type SessionId = string;\nexport type ChangeId = string;\nexport type HunkId = string;\n\n");
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.push_str(&shared_constants());
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// What the UI shares with the engine: constants, and the reply type of
/// each request (so `call` returns the right [`Response`] variant).
fn shared_constants() -> String {
    let collapsed: Vec<String> = BadgeKind::COLLAPSED
        .iter()
        .filter_map(|k| serde_json::to_string(k).ok())
        .collect();
    let mut out = format!(
        "/** How many hunks the review pane asks for first (the engine highlights them ahead). */\n\
         export const FIRST_WINDOW_HUNKS = {FIRST_WINDOW_HUNKS};\n\n\
         /** Changes with these badges start collapsed. */\n\
         export const COLLAPSED_BADGES: readonly BadgeKind[] = [{}];\n\n\
         /** The reply to each request, by its `op`. */\n\
         export interface Replies {{\n",
        collapsed.join(", ")
    );
    for (op, reply) in REPLIES {
        out.push_str(&format!(
            "  {op}: Extract<Response, {{ type: \"{reply}\" }}>;\n"
        ));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_json_is_what_serde_writes() {
        let output = Event::Output {
            session: "s-0123456789".into(),
            data: "aGVsbG8gd29ybGQ+Pz8/".into(),
            offset: 1_234_567_890_123,
        };
        assert_eq!(
            output.to_json().expect("json"),
            serde_json::to_string(&output).expect("serde")
        );
        let odd = Event::Output {
            session: "s-\"quoted\"".into(),
            data: "x".into(),
            offset: 0,
        };
        assert_eq!(
            odd.to_json().expect("json"),
            serde_json::to_string(&odd).expect("serde"),
            "anything that needs escaping goes through serde"
        );
    }

    #[test]
    fn output_frames_round_trip() {
        let data = [0u8, 0xff, b'\n', 0xe2, 0x82];
        let frame = output_frame("s-0123", 1 << 40, &data);
        assert_eq!(frame[0], OUTPUT_FRAME);
        assert_eq!(frame.len(), 1 + 8 + 1 + 6 + data.len());
        assert_eq!(output_frame_head_len("s-0123"), frame.len() - data.len());
        assert_eq!(
            parse_output_frame(&frame),
            Some(("s-0123", 1 << 40, &data[..]))
        );
        assert_eq!(
            parse_output_frame(&frame[..9]),
            None,
            "cut inside the offset"
        );
        assert_eq!(parse_output_frame(&frame[..12]), None, "cut inside the id");
        assert_eq!(
            parse_output_frame(b"{\"type\":1}"),
            None,
            "not an output frame"
        );
        let empty = output_frame("s", 7, &[]);
        assert_eq!(parse_output_frame(&empty), Some(("s", 7, &[][..])));
    }

    use super::*;

    /// Fails when the committed TypeScript bindings drift from these types;
    /// `UPDATE_BINDINGS=1` rewrites them instead.
    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../ui/src/ipc/bindings.ts");
        let fresh = typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(path.parent().expect("invariant: has parent"))
                .expect("create ui/src/ipc");
            std::fs::write(&path, &fresh).expect("write bindings");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/ipc/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p airlock-protocol`"
        );
    }

    /// Every `op` the `Request` type has, and every `type` of `Response`,
    /// as its TypeScript declaration names them.
    fn tags(decl: &str, tag: &str) -> std::collections::BTreeSet<String> {
        decl.split(&format!("\"{tag}\": \""))
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_string))
            .collect()
    }

    #[test]
    fn every_request_has_one_reply_type_and_it_exists() {
        let cfg = ts_rs::Config::default();
        let ops = tags(&Request::decl(&cfg), "op");
        let types = tags(&Response::decl(&cfg), "type");
        assert!(ops.len() > 30 && types.len() > 15, "{ops:?} {types:?}");
        let listed: std::collections::BTreeSet<String> =
            REPLIES.iter().map(|(op, _)| op.to_string()).collect();
        assert_eq!(listed, ops, "REPLIES must name every request once");
        for (op, reply) in REPLIES {
            assert!(
                types.contains(reply),
                "{op} is answered by `{reply}`, which Response lacks"
            );
        }
        let done = Request::ListAgents;
        assert_eq!(done.op(), "listAgents");
        assert_eq!(done.reply_type(), "agents");
        assert_eq!(Response::Done.reply_type(), "done");
    }

    #[test]
    fn wire_shapes() {
        let req: Request =
            serde_json::from_str(r#"{"op":"approve","ids":["h-1","c-2"]}"#).expect("parse");
        assert_eq!(
            req,
            Request::Approve {
                ids: vec!["h-1".into(), "c-2".into()],
                always: None,
                versions: None,
            }
        );
        let req: Request =
            serde_json::from_str(r#"{"op":"startSession","command":["sh"]}"#).expect("parse");
        assert!(matches!(
            req,
            Request::StartSession(StartSessionParams {
                command: Some(_),
                ..
            })
        ));
        let reply = Reply::Error(IpcError::new(ErrorCode::NotFound, "no such change"));
        assert_eq!(
            serde_json::to_string(&reply).expect("ser"),
            r#"{"error":{"code":"notFound","message":"no such change"}}"#
        );
        let ev = Event::SessionExited {
            session: "s-1".into(),
            exit_code: Some(0),
        };
        assert_eq!(
            serde_json::to_string(&ev).expect("ser"),
            r#"{"type":"sessionExited","session":"s-1","exitCode":0}"#
        );
        assert!(serde_json::from_str::<Request>(r#"{"op":"nope"}"#).is_err());
    }
}
