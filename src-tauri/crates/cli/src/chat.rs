//! The chat commands: `prompt`, `transcript`, `cancel`.

use std::path::Path;

use airlock_engine::server::{Client, EventStream};
use airlock_protocol::{ChatEntry, Event, PlanStatus, Request, Response, StopReason, ToolCall};
use anyhow::{bail, Result};

use crate::commands::{call, connect, print_json, subscribe, unexpected};

async fn transcript_from(project: &Path, session: &str, from: u32) -> Result<Vec<ChatEntry>> {
    let mut client = connect(project).await?;
    let response = call(
        &mut client,
        Request::Transcript {
            session: session.to_string(),
            from: Some(from),
        },
    )
    .await?;
    let Response::Transcript { entries, .. } = response else {
        return Err(unexpected(&response));
    };
    Ok(entries)
}

fn stop_text(r: StopReason) -> &'static str {
    match r {
        StopReason::EndTurn => "end of turn",
        StopReason::MaxTokens => "the model's token limit",
        StopReason::MaxTurnRequests => "the agent's request limit",
        StopReason::Refusal => "the model refused",
        StopReason::Cancelled => "cancelled",
        StopReason::Failed => "failed",
    }
}

/// One entry as a line (or a few) of text.
fn entry_text(e: &ChatEntry) -> String {
    match e {
        ChatEntry::User { text } => format!("you: {text}"),
        ChatEntry::Agent { text } => format!("agent: {text}"),
        ChatEntry::Thought { text } => format!("thought: {text}"),
        ChatEntry::Plan { items } => {
            let mut out = String::from("plan:");
            for i in items {
                let mark = match i.status {
                    PlanStatus::Completed => "[x]",
                    PlanStatus::InProgress => "[~]",
                    PlanStatus::Pending => "[ ]",
                };
                out.push_str(&format!("\n  {mark} {}", i.content));
            }
            out
        }
        ChatEntry::Tool { call } => {
            let mut out = format!(
                "tool [{}] {} — {}",
                serde_json::to_value(call.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                call.title,
                serde_json::to_value(call.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            );
            if let Some(p) = &call.permission {
                let outcome = p
                    .outcome
                    .and_then(|o| serde_json::to_value(o).ok())
                    .and_then(|v| v.as_str().map(str::to_string));
                match (outcome, &p.action) {
                    (Some(o), _) => out.push_str(&format!(" (permission: {o})")),
                    (None, Some(a)) => out.push_str(&format!(
                        " (waits for you: airlock approve {a} / airlock reject {a})"
                    )),
                    (None, None) => {}
                }
            }
            for l in &call.locations {
                out.push_str(&format!("\n  {}", l.path));
            }
            out
        }
        ChatEntry::TurnEnded { stop_reason } => format!("— {}", stop_text(*stop_reason)),
        ChatEntry::Notice { text } => format!("note: {text}"),
    }
}

/// `airlock transcript SESSION [--json]`.
pub async fn transcript(project: &Path, session: String, json: bool) -> Result<()> {
    let entries = transcript_from(project, &session, 0).await?;
    if json {
        return print_json(&entries);
    }
    for e in &entries {
        println!("{}", entry_text(e));
    }
    Ok(())
}

/// `airlock comment TARGET TEXT… [--line N]`: prints the comment's id.
pub async fn comment(
    project: &Path,
    target: String,
    line: Option<u32>,
    text: String,
) -> Result<()> {
    let mut client = connect(project).await?;
    let response = call(&mut client, Request::Comment { target, line, text }).await?;
    let Response::Comments { comments } = response else {
        return Err(unexpected(&response));
    };
    if let Some(c) = comments.last() {
        println!("{}", c.id);
    }
    Ok(())
}

/// `airlock send-review SESSION [--json]`.
pub async fn send_review(project: &Path, session: String, json: bool) -> Result<()> {
    let mut client = connect(project).await?;
    let response = call(&mut client, Request::SendReview { session }).await?;
    let Response::ReviewSent {
        via,
        comments,
        message,
    } = response
    else {
        return Err(unexpected(&response));
    };
    if json {
        return print_json(
            &serde_json::json!({ "via": via, "comments": comments, "message": message }),
        );
    }
    let how = match via {
        airlock_protocol::ReviewDelivery::Prompt => "as a prompt",
        airlock_protocol::ReviewDelivery::Terminal => "into its terminal",
        airlock_protocol::ReviewDelivery::Hook => "in the answer to its waiting edit",
    };
    println!("sent {comments} comment(s) {how}");
    Ok(())
}

/// `airlock cancel SESSION`.
pub async fn cancel(project: &Path, session: String) -> Result<()> {
    let mut client = connect(project).await?;
    call(&mut client, Request::Cancel { session }).await?;
    Ok(())
}

/// `airlock prompt SESSION TEXT… [--no-wait] [--json]`: sends the prompt and,
/// unless told not to, waits for the turn to end and prints the reply.
pub async fn prompt(
    project: &Path,
    session: String,
    text: Vec<String>,
    no_wait: bool,
    json: bool,
) -> Result<()> {
    let text = text.join(" ");
    if text.trim().is_empty() {
        bail!("nothing to say: give the prompt's text after the session id");
    }
    // Subscribed before the prompt goes out, so no event of its turn is missed.
    let events = if no_wait {
        None
    } else {
        Some(subscribe(project).await?)
    };
    let mut client = connect(project).await?;
    let index = send_prompt(&mut client, &session, text).await?;
    let Some(mut events) = events else {
        if json {
            return print_json(&serde_json::json!({ "index": index }));
        }
        println!("{index}");
        return Ok(());
    };
    let ended = wait_turn_end(&mut events, &session, index, json).await?;
    let entries = transcript_from(project, &session, index + 1).await?;
    if json {
        return print_json(&serde_json::json!({
            "index": index,
            "stopReason": ended,
            "entries": entries,
        }));
    }
    print_reply(&entries, ended);
    if ended == StopReason::Failed {
        bail!("the turn failed");
    }
    Ok(())
}

/// Sends the prompt; its index in the transcript.
async fn send_prompt(client: &mut Client, session: &str, text: String) -> Result<u32> {
    let response = call(
        client,
        Request::Prompt {
            session: session.to_string(),
            text,
        },
    )
    .await?;
    let Response::Prompted { index } = response else {
        return Err(unexpected(&response));
    };
    Ok(index)
}

/// Follows the turn after entry `index` to its end (a session that exits
/// ends it as failed), telling the user once about each tool call that
/// waits for them unless the output is JSON.
async fn wait_turn_end(
    events: &mut EventStream,
    session: &str,
    index: u32,
    json: bool,
) -> Result<StopReason> {
    let mut told = std::collections::HashSet::new();
    loop {
        let Some(event) = events.next().await else {
            bail!("the engine went away during the turn");
        };
        match event {
            Event::Chat {
                session: s,
                index: i,
                entry,
            } if s == session && i > index => match entry {
                ChatEntry::TurnEnded { stop_reason } => return Ok(stop_reason),
                ChatEntry::Tool { call } => {
                    if let Some(a) = waiting_action(&call) {
                        if told.insert(a.clone()) && !json {
                            eprintln!(
                                "airlock: {} waits for you: airlock approve {a} (or airlock reject {a} --reason …)",
                                call.title
                            );
                        }
                    }
                }
                _ => {}
            },
            Event::SessionExited { session: s, .. } if s == session => {
                return Ok(StopReason::Failed)
            }
            _ => {}
        }
    }
}

/// The action card a tool call's open permission request waits on.
fn waiting_action(call: &ToolCall) -> Option<String> {
    call.permission
        .as_ref()
        .filter(|p| p.outcome.is_none())
        .and_then(|p| p.action.clone())
}

/// The agent's reply on stdout; notices and how the turn ended on stderr.
fn print_reply(entries: &[ChatEntry], ended: StopReason) {
    let reply: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Agent { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    println!("{}", reply.join("\n"));
    for e in entries {
        if let ChatEntry::Notice { text } = e {
            eprintln!("airlock: {text}");
        }
    }
    eprintln!("airlock: {}", stop_text(ended));
}
