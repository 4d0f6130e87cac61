//! Errors, replies and the binary output frames on the wire.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Response;

/// Why a request failed, in a form a program can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The request could not be read, or asked for something that makes no sense.
    BadRequest,
    /// An id or path that the engine does not know.
    NotFound,
    /// A token that is missing or wrong.
    Unauthorized,
    /// A path that would leave the project.
    Forbidden,
    /// The command to run could not be found or started.
    SpawnFailed,
    /// The file system said no.
    Io,
    /// The engine is not running or stopped answering.
    Unavailable,
    /// A fault of the engine's own.
    Internal,
    /// The user's text would be overwritten, or a held change approved.
    Conflict,
    /// A change moved on since the user looked at it: nothing was decided.
    Changed,
}

/// A failed request: a code and a one-line message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened and what to do next.
    pub message: String,
}

/// The first byte of a binary output frame (and its layout's version).
pub const OUTPUT_FRAME: u8 = 1;

/// Terminal output as one binary message, for transports that carry bytes
/// (the browser's WebSocket): the raw bytes, without the base64 and JSON that
/// [`Event::Output`] costs both ends. Layout, every number little-endian:
///
/// | bytes | what |
/// |---|---|
/// | 1 | [`OUTPUT_FRAME`] |
/// | 8 | offset of the first data byte in the session's whole output (u64) |
/// | 1 | length `n` of the session id |
/// | n | the session id (ASCII) |
/// | rest | the data |
///
/// A session id longer than 255 bytes (the engine makes none) is cut there.
pub fn output_frame(session: &str, offset: u64, data: &[u8]) -> Vec<u8> {
    let mut out = output_frame_head(session, offset, data.len());
    out.extend_from_slice(data);
    out
}

/// The start of an [`output_frame`], with room for `data_len` bytes of data
/// to be appended: for a writer that has the data elsewhere and would rather
/// copy it once.
pub fn output_frame_head(session: &str, offset: u64, data_len: usize) -> Vec<u8> {
    let id = &session.as_bytes()[..session.len().min(255)];
    let mut out = Vec::with_capacity(output_frame_head_len(session) + data_len);
    out.push(OUTPUT_FRAME);
    out.extend_from_slice(&offset.to_le_bytes());
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out
}

/// How many bytes come before the data in an [`output_frame`] for `session`.
pub fn output_frame_head_len(session: &str) -> usize {
    10 + session.len().min(255)
}

/// Reads a frame [`output_frame`] wrote: `(session, offset, data)`, or `None`
/// for anything else.
pub fn parse_output_frame(frame: &[u8]) -> Option<(&str, u64, &[u8])> {
    let (&kind, rest) = frame.split_first()?;
    if kind != OUTPUT_FRAME || rest.len() < 9 {
        return None;
    }
    let offset = u64::from_le_bytes(rest[..8].try_into().ok()?);
    let n = rest[8] as usize;
    let id = rest.get(9..9 + n)?;
    Some((std::str::from_utf8(id).ok()?, offset, &rest[9 + n..]))
}

impl IpcError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IpcError {}

/// A [`Response`] or an [`IpcError`]: `{"ok": …}` or `{"error": …}` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
// A reply is built once and serialized at once; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Reply {
    /// It worked.
    Ok(Response),
    /// It did not.
    Error(IpcError),
}

impl From<Result<Response, IpcError>> for Reply {
    fn from(result: Result<Response, IpcError>) -> Self {
        match result {
            Ok(response) => Reply::Ok(response),
            Err(error) => Reply::Error(error),
        }
    }
}

impl From<Reply> for Result<Response, IpcError> {
    fn from(reply: Reply) -> Self {
        match reply {
            Reply::Ok(response) => Ok(response),
            Reply::Error(error) => Err(error),
        }
    }
}
