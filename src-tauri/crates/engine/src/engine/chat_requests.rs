//! A chat session's requests from people: a prompt, a cancel, a mode or a
//! setting, the transcript (the rest of the chat part is in `chat.rs`).

use airlock_protocol::{ChatEntry, Event, SessionKind, SessionState};

use super::chat_wire::prompt_blocks;
use super::Actor;
use crate::acp::ToAgent;
use crate::error::{EngineError, Result};

impl Actor {
    /// [`airlock_protocol::Request::Prompt`].
    pub(super) fn prompt(&mut self, session: &str, text: String) -> Result<u32> {
        let s = self.session_mut(session)?;
        if s.info.kind != SessionKind::Chat {
            return Err(EngineError::BadRequest(format!(
                "session {session} is a terminal: type into it instead"
            )));
        }
        if s.info.state == SessionState::Exited {
            return Err(EngineError::BadRequest(format!(
                "session {session}'s agent has exited; start a new chat"
            )));
        }
        let Some(info) = s.info.chat.as_ref() else {
            return Err(EngineError::BadRequest(format!(
                "session {session}'s agent has not finished starting; try again in a moment"
            )));
        };
        if info.busy {
            return Err(EngineError::BadRequest(format!(
                "session {session} is in the middle of a turn: wait for it to end, or cancel it"
            )));
        }
        if text.trim().is_empty() {
            return Err(EngineError::BadRequest("the prompt is empty".into()));
        }
        let blocks = prompt_blocks(&text, &s.stage, info.embedded_context);
        let sent = s
            .chat
            .as_ref()
            .and_then(|c| c.agent.as_ref())
            .is_some_and(|a| a.send(ToAgent::Prompt(blocks)));
        if !sent {
            return Err(EngineError::BadRequest(format!(
                "session {session}'s agent is not connected"
            )));
        }
        let index = self
            .push_entry(session, ChatEntry::User { text })
            .unwrap_or_default();
        self.chat_info_changed(session, |c| c.busy = true);
        self.update_turn(session);
        Ok(index as u32)
    }

    /// [`airlock_protocol::Request::Cancel`]: the agent is told, and every
    /// open permission request of the session is answered `cancelled`.
    pub(super) fn cancel(&mut self, session: &str) -> Result<()> {
        let chat = self.chat_mut(session)?;
        if let Some(agent) = &chat.agent {
            agent.send(ToAgent::Cancel);
        }
        let s = self.session_mut(session)?;
        // Dropping the cards' reply channels answers their requests `cancelled`.
        let dropped: Vec<String> = std::mem::take(&mut s.gate.actions).into_keys().collect();
        for id in dropped {
            self.emit(Event::ActionResolved {
                action: id,
                outcome: airlock_protocol::ActionOutcome::Gone,
                rule: None,
            });
        }
        self.update_turn(session);
        Ok(())
    }

    /// [`airlock_protocol::Request::SetChatMode`].
    pub(super) fn set_chat_mode(&mut self, session: &str, mode: String) -> Result<()> {
        let s = self.session_mut(session)?;
        let offered = s
            .info
            .chat
            .as_ref()
            .is_some_and(|c| c.modes.iter().any(|m| m.id == mode));
        if !offered {
            return Err(EngineError::BadRequest(format!(
                "the agent of session {session} offers no mode `{mode}`"
            )));
        }
        let chat = self.chat_mut(session)?;
        if !chat
            .agent
            .as_ref()
            .is_some_and(|a| a.send(ToAgent::SetMode(mode)))
        {
            return Err(EngineError::BadRequest(format!(
                "session {session}'s agent is not connected"
            )));
        }
        Ok(())
    }

    /// [`airlock_protocol::Request::SetChatConfig`].
    pub(super) fn set_chat_config(
        &mut self,
        session: &str,
        config: String,
        value: String,
    ) -> Result<()> {
        let s = self.session_mut(session)?;
        let offered = s
            .info
            .chat
            .as_ref()
            .and_then(|c| c.config.iter().find(|o| o.id == config));
        let Some(option) = offered else {
            return Err(EngineError::BadRequest(format!(
                "the agent of session {session} has no setting `{config}`"
            )));
        };
        if !option.values.iter().any(|v| v.id == value) {
            return Err(EngineError::BadRequest(format!(
                "`{value}` is not a value of {}: choose one of {}",
                option.name,
                option
                    .values
                    .iter()
                    .map(|v| v.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let chat = self.chat_mut(session)?;
        if !chat
            .agent
            .as_ref()
            .is_some_and(|a| a.send(ToAgent::SetConfig(config, value)))
        {
            return Err(EngineError::BadRequest(format!(
                "session {session}'s agent is not connected"
            )));
        }
        Ok(())
    }

    /// [`airlock_protocol::Request::Transcript`].
    pub(super) fn transcript(&mut self, session: &str, from: u32) -> Result<Vec<ChatEntry>> {
        // What the answer holds is announced first, so no later event repeats it.
        self.flush_text(session);
        let chat = self.chat_mut(session)?;
        Ok(chat
            .transcript
            .get(from as usize..)
            .map(<[ChatEntry]>::to_vec)
            .unwrap_or_default())
    }
}
