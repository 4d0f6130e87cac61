//! Chat sessions' translation between ACP's types and Airlock's: session
//! updates into transcript entries, permission requests into the gate's
//! questions, the gate's answers into permission outcomes, prompts with
//! `@path` mentions into content blocks. Pure functions, unit-tested here.

use airlock_protocol::GateDecision;
use std::path::Path;

use agent_client_protocol::v1::schema::{
    self as acp, ContentBlock, PermissionOptionKind, RequestPermissionOutcome,
    SelectedPermissionOutcome,
};
use airlock_protocol::{
    ChatChoice, ChatConfig, GateReply, GateRequest, PermissionOutcome, StopReason, ToolCall,
    ToolContent, ToolKind, ToolLocation, ToolStatus,
};
use serde_json::{json, Value};

use crate::fsx;

/// What a prompt's `@path` words become: links, or the files' text when the agent takes it.
pub(super) fn prompt_blocks(text: &str, root: &Path, embed: bool) -> Vec<ContentBlock> {
    let mut blocks = vec![ContentBlock::Text(acp::TextContent::new(text))];
    for word in text.split_whitespace() {
        let Some(rel) = word.strip_prefix('@') else {
            continue;
        };
        let rel = rel.trim_end_matches([',', '.', ';', ':', ')']);
        let Ok(path) = fsx::safe_join(root, rel) else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        let uri = format!("file://{}", path.display());
        let text = embed
            .then(|| std::fs::read(&path).ok())
            .flatten()
            .filter(|b| b.len() <= 1024 * 1024)
            .and_then(|b| String::from_utf8(b).ok());
        blocks.push(match text {
            Some(t) => ContentBlock::Resource(acp::EmbeddedResource::new(
                acp::EmbeddedResourceResource::TextResourceContents(
                    acp::TextResourceContents::new(t, uri),
                ),
            )),
            None => ContentBlock::ResourceLink(acp::ResourceLink::new(rel, uri)),
        });
    }
    blocks
}

pub(super) fn block_text(block: &ContentBlock) -> String {
    match block {
        ContentBlock::Text(t) => t.text.clone(),
        ContentBlock::ResourceLink(l) => format!("[{}]({})", l.name, l.uri),
        ContentBlock::Image(_) => "[image]".into(),
        ContentBlock::Audio(_) => "[audio]".into(),
        ContentBlock::Resource(_) => "[resource]".into(),
        _ => String::new(),
    }
}

pub(super) fn tool_kind(kind: &acp::ToolKind) -> ToolKind {
    match kind {
        acp::ToolKind::Read => ToolKind::Read,
        acp::ToolKind::Edit => ToolKind::Edit,
        acp::ToolKind::Delete => ToolKind::Delete,
        acp::ToolKind::Move => ToolKind::Move,
        acp::ToolKind::Search => ToolKind::Search,
        acp::ToolKind::Execute => ToolKind::Execute,
        acp::ToolKind::Think => ToolKind::Think,
        acp::ToolKind::Fetch => ToolKind::Fetch,
        acp::ToolKind::SwitchMode => ToolKind::SwitchMode,
        _ => ToolKind::Other,
    }
}

pub(super) fn tool_status(status: &acp::ToolCallStatus) -> ToolStatus {
    match status {
        acp::ToolCallStatus::Pending => ToolStatus::Pending,
        acp::ToolCallStatus::InProgress => ToolStatus::InProgress,
        acp::ToolCallStatus::Completed => ToolStatus::Completed,
        _ => ToolStatus::Failed,
    }
}

pub(super) fn stop_reason(r: &acp::StopReason) -> StopReason {
    match r {
        acp::StopReason::EndTurn => StopReason::EndTurn,
        acp::StopReason::MaxTokens => StopReason::MaxTokens,
        acp::StopReason::MaxTurnRequests => StopReason::MaxTurnRequests,
        acp::StopReason::Refusal => StopReason::Refusal,
        acp::StopReason::Cancelled => StopReason::Cancelled,
        _ => StopReason::Failed,
    }
}

pub(super) fn shown_path(root: &Path, path: &Path) -> String {
    fsx::rel_path(root, path).unwrap_or_else(|| path.display().to_string())
}

pub(super) fn tool_content(root: &Path, content: &[acp::ToolCallContent]) -> Vec<ToolContent> {
    content
        .iter()
        .filter_map(|c| match c {
            acp::ToolCallContent::Content(c) => Some(ToolContent::Text {
                text: block_text(&c.content),
            }),
            acp::ToolCallContent::Diff(d) => Some(ToolContent::Diff {
                path: shown_path(root, &d.path),
                old_text: d.old_text.clone(),
                new_text: d.new_text.clone(),
            }),
            acp::ToolCallContent::Terminal(t) => Some(ToolContent::Terminal {
                terminal_id: t.terminal_id.to_string(),
            }),
            _ => None,
        })
        .collect()
}

pub(super) fn locations(root: &Path, locs: &[acp::ToolCallLocation]) -> Vec<ToolLocation> {
    locs.iter()
        .map(|l| ToolLocation {
            path: shown_path(root, &l.path),
            line: l.line,
        })
        .collect()
}

/// Applies an update's fields to a call (a new call starts from `fields` alone).
pub(super) fn apply_fields(call: &mut ToolCall, root: &Path, f: &acp::ToolCallUpdateFields) {
    if let Some(t) = &f.title {
        call.title = t.clone();
    }
    if let Some(k) = &f.kind {
        call.kind = tool_kind(k);
    }
    if let Some(s) = &f.status {
        call.status = tool_status(s);
    }
    if let Some(l) = &f.locations {
        call.locations = locations(root, l);
    }
    if let Some(c) = &f.content {
        call.content = tool_content(root, c);
    }
}

pub(super) fn blank_call(id: String) -> ToolCall {
    ToolCall {
        id,
        title: String::new(),
        kind: ToolKind::Other,
        status: ToolStatus::Pending,
        locations: Vec::new(),
        content: Vec::new(),
        permission: None,
    }
}

/// An agent's settings as the UI shows them; a switch is a choice of `true` / `false`.
pub(super) fn config_options(opts: &[acp::SessionConfigOption]) -> Vec<ChatConfig> {
    opts.iter()
        .filter_map(|o| {
            let (current, values) = match &o.kind {
                acp::SessionConfigKind::Select(s) => {
                    let flat: Vec<&acp::SessionConfigSelectOption> = match &s.options {
                        acp::SessionConfigSelectOptions::Ungrouped(v) => v.iter().collect(),
                        acp::SessionConfigSelectOptions::Grouped(g) => {
                            g.iter().flat_map(|g| g.options.iter()).collect()
                        }
                        _ => Vec::new(),
                    };
                    (
                        s.current_value.to_string(),
                        flat.into_iter()
                            .map(|v| ChatChoice {
                                id: v.value.to_string(),
                                description: Some(v.name.clone()),
                            })
                            .collect(),
                    )
                }
                acp::SessionConfigKind::Boolean(b) => (
                    b.current_value.to_string(),
                    ["true", "false"]
                        .map(|v| ChatChoice {
                            id: v.into(),
                            description: None,
                        })
                        .to_vec(),
                ),
                _ => return None,
            };
            Some(ChatConfig {
                id: o.id.to_string(),
                name: o.name.clone(),
                category: o.category.as_ref().and_then(|c| {
                    serde_json::to_value(c)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                }),
                current,
                values,
            })
        })
        .collect()
}

/// The gate question a permission request asks, in the terms the policy knows.
pub(super) fn gate_question(session: &str, cwd: &Path, call: &acp::ToolCallUpdate) -> GateRequest {
    let f = &call.fields;
    let raw = f.raw_input.clone().unwrap_or(Value::Null);
    let title = f.title.clone().unwrap_or_default();
    let first_path = f
        .locations
        .as_ref()
        .and_then(|l| l.first())
        .map(|l| l.path.display().to_string());
    let text = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match raw.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(a)) => Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        })
    };
    let (tool, input) = match f.kind.as_ref().map(tool_kind) {
        Some(ToolKind::Execute) => (
            "Bash",
            json!({ "command": text(&["command", "cmd"]).unwrap_or(title) }),
        ),
        Some(ToolKind::Read | ToolKind::Search) => (
            "Read",
            json!({ "file_path": first_path.or_else(|| text(&["file_path", "path", "abs_path"])).unwrap_or(title) }),
        ),
        Some(ToolKind::Fetch) => (
            "WebFetch",
            json!({ "url": text(&["url", "query"]).unwrap_or(title) }),
        ),
        Some(ToolKind::Edit | ToolKind::Delete | ToolKind::Move) => (
            "Write",
            json!({ "file_path": first_path.or_else(|| text(&["file_path", "path", "abs_path"])).unwrap_or(title) }),
        ),
        _ => ("Other", json!({ "title": title, "input": raw })),
    };
    GateRequest {
        session: session.to_string(),
        agent: "acp".into(),
        tool: tool.into(),
        input,
        cwd: cwd.display().to_string(),
        agent_session: None,
    }
}

/// The option that says `allow` (or `deny`), narrowest first; `None` when the
/// agent offers none, so only `cancelled` can say no.
pub(super) fn pick_option(
    options: &[acp::PermissionOption],
    allow: bool,
) -> Option<acp::PermissionOptionId> {
    let kinds: &[PermissionOptionKind] = if allow {
        &[
            PermissionOptionKind::AllowOnce,
            PermissionOptionKind::AllowAlways,
        ]
    } else {
        &[
            PermissionOptionKind::RejectOnce,
            PermissionOptionKind::RejectAlways,
        ]
    };
    kinds.iter().find_map(|k| {
        options
            .iter()
            .find(|o| o.kind == *k)
            .map(|o| o.option_id.clone())
    })
}

pub(super) fn permission_answer(
    options: &[acp::PermissionOption],
    reply: Option<&GateReply>,
) -> (RequestPermissionOutcome, PermissionOutcome) {
    let selected = |id| RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(id));
    match reply {
        Some(r) if r.decision == GateDecision::Allow => match pick_option(options, true) {
            Some(id) => (selected(id), PermissionOutcome::Allowed),
            None => (
                RequestPermissionOutcome::Cancelled,
                PermissionOutcome::Cancelled,
            ),
        },
        Some(_) => match pick_option(options, false) {
            Some(id) => (selected(id), PermissionOutcome::Rejected),
            // No way to say no but `cancelled`: never an allow by default.
            None => (
                RequestPermissionOutcome::Cancelled,
                PermissionOutcome::Rejected,
            ),
        },
        None => (
            RequestPermissionOutcome::Cancelled,
            PermissionOutcome::Cancelled,
        ),
    }
}

/// One line an ACP agent could send, put through every translation the
/// engine applies to it — the fuzz target `acp_frame` (fuzz/). Must never
/// panic, and a "no" from the user must never come out as an allow.
#[doc(hidden)]
pub fn fuzz_acp_frame(line: &[u8]) {
    let root = Path::new("/stage/s-1");
    if let Ok(n) = serde_json::from_slice::<acp::SessionNotification>(line) {
        match &n.update {
            acp::SessionUpdate::AgentMessageChunk(c)
            | acp::SessionUpdate::AgentThoughtChunk(c)
            | acp::SessionUpdate::UserMessageChunk(c) => {
                let _ = block_text(&c.content);
            }
            acp::SessionUpdate::ToolCall(tc) => {
                let _ = (
                    tool_kind(&tc.kind),
                    tool_status(&tc.status),
                    locations(root, &tc.locations),
                    tool_content(root, &tc.content),
                );
            }
            acp::SessionUpdate::ToolCallUpdate(u) => {
                let mut call = blank_call(u.tool_call_id.to_string());
                apply_fields(&mut call, root, &u.fields);
                let _ = gate_question("s-1", root, u);
            }
            acp::SessionUpdate::ConfigOptionUpdate(u) => {
                let _ = config_options(&u.config_options);
            }
            _ => {}
        }
    }
    if let Ok(r) = serde_json::from_slice::<acp::RequestPermissionRequest>(line) {
        let _ = gate_question("s-1", root, &r.tool_call);
        for decision in [GateDecision::Deny, GateDecision::Ask] {
            let reply = GateReply {
                decision,
                reason: None,
                updated_input: None,
            };
            let (outcome, shown) = permission_answer(&r.options, Some(&reply));
            assert_ne!(
                shown,
                PermissionOutcome::Allowed,
                "{decision:?} shown as allowed"
            );
            if let RequestPermissionOutcome::Selected(s) = outcome {
                let kind = r
                    .options
                    .iter()
                    .find(|o| o.option_id == s.option_id)
                    .map(|o| o.kind);
                assert!(
                    !matches!(
                        kind,
                        Some(PermissionOptionKind::AllowOnce | PermissionOptionKind::AllowAlways)
                    ),
                    "{decision:?} picked an allow option"
                );
            }
        }
        let (_, shown) = permission_answer(&r.options, None);
        assert_ne!(
            shown,
            PermissionOutcome::Allowed,
            "no answer shown as allowed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target's seeds (fuzz/seeds/acp_frame) go through it here
    /// too, so its invariants run with every test run.
    #[test]
    fn the_fuzz_seeds_translate_without_a_panic() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fuzz/seeds/acp_frame");
        let mut n = 0;
        for entry in std::fs::read_dir(&seeds).expect("seeds").flatten() {
            fuzz_acp_frame(&std::fs::read(entry.path()).expect("seed"));
            n += 1;
        }
        assert!(n >= 6, "{n} seeds in {}", seeds.display());
        // The seeds parse as what they stand for, or they test nothing.
        let tool: acp::SessionNotification =
            serde_json::from_slice(&std::fs::read(seeds.join("tool_call.json")).expect("seed"))
                .expect("a session update");
        assert!(matches!(tool.update, acp::SessionUpdate::ToolCall(_)));
        let asked: acp::RequestPermissionRequest = serde_json::from_slice(
            &std::fs::read(seeds.join("permission_allow_only.json")).expect("seed"),
        )
        .expect("a permission request");
        let deny = GateReply {
            decision: GateDecision::Deny,
            reason: None,
            updated_input: None,
        };
        assert_eq!(
            permission_answer(&asked.options, Some(&deny)).1,
            PermissionOutcome::Rejected
        );
    }

    fn call(kind: acp::ToolKind, raw: Value, paths: &[&str]) -> acp::ToolCallUpdate {
        let mut f = acp::ToolCallUpdateFields::new()
            .kind(kind)
            .title("the title".to_string())
            .raw_input(raw);
        if !paths.is_empty() {
            f = f.locations(
                paths
                    .iter()
                    .map(|p| acp::ToolCallLocation::new(*p))
                    .collect::<Vec<_>>(),
            );
        }
        acp::ToolCallUpdate::new("t-1", f)
    }

    fn option(id: &str, kind: PermissionOptionKind) -> acp::PermissionOption {
        acp::PermissionOption::new(id.to_string(), id.to_string(), kind)
    }

    fn reply(decision: GateDecision) -> GateReply {
        GateReply {
            decision,
            reason: None,
            updated_input: None,
        }
    }

    #[test]
    fn permission_requests_become_the_questions_the_policy_knows() {
        let cwd = Path::new("/stage");
        let q = gate_question(
            "s",
            cwd,
            &call(acp::ToolKind::Execute, json!({"command": "rm -rf x"}), &[]),
        );
        assert_eq!(
            (q.tool.as_str(), &q.input),
            ("Bash", &json!({"command": "rm -rf x"}))
        );
        // Codex sends its command as an argv array.
        let q = gate_question(
            "s",
            cwd,
            &call(
                acp::ToolKind::Execute,
                json!({"command": ["git", "push", "-f"]}),
                &[],
            ),
        );
        assert_eq!(q.input, json!({"command": "git push -f"}));
        // No command at all: the title is what the user sees and the policy judges.
        let q = gate_question("s", cwd, &call(acp::ToolKind::Execute, Value::Null, &[]));
        assert_eq!(q.input, json!({"command": "the title"}));
        let q = gate_question(
            "s",
            cwd,
            &call(acp::ToolKind::Read, Value::Null, &["/etc/passwd"]),
        );
        assert_eq!(
            (q.tool.as_str(), &q.input),
            ("Read", &json!({"file_path": "/etc/passwd"}))
        );
        let q = gate_question(
            "s",
            cwd,
            &call(acp::ToolKind::Fetch, json!({"url": "https://x.test"}), &[]),
        );
        assert_eq!(
            (q.tool.as_str(), &q.input),
            ("WebFetch", &json!({"url": "https://x.test"}))
        );
        let q = gate_question(
            "s",
            cwd,
            &call(acp::ToolKind::Delete, Value::Null, &["/stage/a"]),
        );
        assert_eq!(q.tool, "Write");
        let q = gate_question("s", cwd, &call(acp::ToolKind::Other, json!({"x": 1}), &[]));
        assert_eq!(q.tool, "Other");
        assert_eq!(q.agent, "acp");
        assert_eq!(q.cwd, "/stage");
    }

    #[test]
    fn answers_pick_the_narrowest_option_and_never_allow_by_default() {
        let all = [
            option("always", PermissionOptionKind::AllowAlways),
            option("once", PermissionOptionKind::AllowOnce),
            option("never", PermissionOptionKind::RejectAlways),
            option("no", PermissionOptionKind::RejectOnce),
        ];
        let picked = |o: RequestPermissionOutcome| match o {
            RequestPermissionOutcome::Selected(s) => s.option_id.to_string(),
            _ => "cancelled".into(),
        };
        let (o, out) = permission_answer(&all, Some(&reply(GateDecision::Allow)));
        assert_eq!(
            (picked(o).as_str(), out),
            ("once", PermissionOutcome::Allowed)
        );
        let (o, out) = permission_answer(&all, Some(&reply(GateDecision::Deny)));
        assert_eq!(
            (picked(o).as_str(), out),
            ("no", PermissionOutcome::Rejected)
        );
        // Only `always` on offer: a one-time allow by the user still allows.
        let (o, _) = permission_answer(&all[..1], Some(&reply(GateDecision::Allow)));
        assert_eq!(picked(o), "always");
        // No reject option: a denial is `cancelled`, never the first option.
        let (o, out) = permission_answer(&all[..2], Some(&reply(GateDecision::Deny)));
        assert_eq!(
            (picked(o).as_str(), out),
            ("cancelled", PermissionOutcome::Rejected)
        );
        // The card dropped (cancel, session ended): cancelled.
        let (o, out) = permission_answer(&all, None);
        assert_eq!(
            (picked(o).as_str(), out),
            ("cancelled", PermissionOutcome::Cancelled)
        );
        // "ask" (the gate could not decide) is not an allow.
        let (o, _) = permission_answer(&all, Some(&reply(GateDecision::Ask)));
        assert_eq!(picked(o), "no");
    }

    #[test]
    fn mentions_become_links_or_contents_and_never_leave_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.rs"), "fn a() {}\n").expect("write");
        std::fs::write(dir.path().join("bin"), [0u8, 159, 146, 150]).expect("write");
        let blocks = prompt_blocks(
            "look at @a.rs, @bin and @../etc/passwd @missing",
            dir.path(),
            true,
        );
        assert_eq!(
            blocks.len(),
            3,
            "text, a.rs embedded, bin linked: {blocks:?}"
        );
        assert!(matches!(&blocks[1], ContentBlock::Resource(_)));
        assert!(matches!(&blocks[2], ContentBlock::ResourceLink(l) if l.name == "bin"));
        let blocks = prompt_blocks("@a.rs", dir.path(), false);
        assert!(matches!(&blocks[1], ContentBlock::ResourceLink(l) if l.uri.ends_with("/a.rs")));
    }

    #[test]
    fn updates_change_only_the_fields_they_carry() {
        let root = Path::new("/stage");
        let mut c = blank_call("t".into());
        apply_fields(
            &mut c,
            root,
            &acp::ToolCallUpdateFields::new()
                .title("Write a".to_string())
                .kind(acp::ToolKind::Edit)
                .locations(vec![acp::ToolCallLocation::new("/stage/src/a.rs").line(3)]),
        );
        apply_fields(
            &mut c,
            root,
            &acp::ToolCallUpdateFields::new().status(acp::ToolCallStatus::Completed),
        );
        assert_eq!(c.title, "Write a");
        assert_eq!(c.kind, ToolKind::Edit);
        assert_eq!(c.status, ToolStatus::Completed);
        assert_eq!(c.locations[0].path, "src/a.rs");
        assert_eq!(c.locations[0].line, Some(3));
    }
}
