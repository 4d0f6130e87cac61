//! The CLI's side of the engine's socket ([`crate::server`]): connecting
//! with the token `engine.json` holds, one request at a time, or a stream of
//! events.

use std::path::Path;

use airlock_protocol::{ErrorCode, Event, IpcError, Reply, Request, Response};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::UnixStream;

use crate::home::{self, ProjectHome};
use crate::server::{read_info, write_line, EngineInfo, SocketRequest};

/// A connection to a running engine.
pub struct Client {
    lines: tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
    write: tokio::net::unix::OwnedWriteHalf,
    token: String,
    /// What the engine wrote about itself.
    pub info: EngineInfo,
}

fn not_running(project: &Path) -> IpcError {
    IpcError::new(
        ErrorCode::Unavailable,
        format!(
            "no Airlock engine is running for {}: start one with `airlock serve --project {}` or open the app there",
            project.display(),
            project.display()
        ),
    )
}

impl Client {
    /// Finds and connects to the engine for `project` under `home`
    /// (`$AIRLOCK_HOME` when `None`).
    pub async fn connect(
        home: Option<&Path>,
        project: &Path,
    ) -> std::result::Result<Client, IpcError> {
        let project = home::canonical_project(project).map_err(IpcError::from)?;
        let root = home
            .map(Path::to_path_buf)
            .unwrap_or_else(home::airlock_home);
        let root = std::fs::canonicalize(&root).map_err(|_| not_running(&project))?;
        let ph = ProjectHome::new(&root, &project);
        let info = read_info(&ph).map_err(|_| not_running(&project))?;
        let stream = UnixStream::connect(&info.socket)
            .await
            .map_err(|_| not_running(&project))?;
        let (read, write) = stream.into_split();
        Ok(Client {
            lines: BufReader::new(read).lines(),
            write,
            token: info.token.clone(),
            info,
        })
    }

    /// Performs one operation.
    pub async fn call(&mut self, request: Request) -> std::result::Result<Response, IpcError> {
        let line = SocketRequest {
            token: self.token.clone(),
            request: Some(request),
            subscribe: false,
            gate: None,
            turn: None,
        };
        let lost = || {
            IpcError::new(
                ErrorCode::Unavailable,
                "the engine closed the connection; is it still running?",
            )
        };
        write_line(&mut self.write, &line)
            .await
            .map_err(|_| lost())?;
        let reply = self
            .lines
            .next_line()
            .await
            .map_err(|_| lost())?
            .ok_or_else(lost)?;
        let reply: Reply = serde_json::from_str(&reply)
            .map_err(|e| IpcError::new(ErrorCode::Internal, format!("unreadable reply: {e}")))?;
        reply.into()
    }

    /// Turns this connection into an event stream.
    pub async fn subscribe(mut self) -> std::result::Result<EventStream, IpcError> {
        let line = SocketRequest {
            token: self.token.clone(),
            request: None,
            subscribe: true,
            gate: None,
            turn: None,
        };
        write_line(&mut self.write, &line).await.map_err(|_| {
            IpcError::new(ErrorCode::Unavailable, "the engine closed the connection")
        })?;
        Ok(EventStream {
            lines: self.lines,
            _write: self.write,
        })
    }
}

/// Events from a subscribed connection.
pub struct EventStream {
    lines: tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
    _write: tokio::net::unix::OwnedWriteHalf,
}

impl EventStream {
    /// The next event, or `None` when the engine went away.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            let line = self.lines.next_line().await.ok()??;
            if let Ok(event) = serde_json::from_str(&line) {
                return Some(event);
            }
        }
    }
}
