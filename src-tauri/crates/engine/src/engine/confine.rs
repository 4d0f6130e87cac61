//! What confines a session's processes: its sandbox planned from the start
//! parameters, its exec gate registered, its `model-only` proxy started.

use std::path::{Path, PathBuf};

use airlock_protocol::{Event, NetworkMode, StartSessionParams};
use tokio::sync::mpsc;

use super::{exec_gate, gate, sandbox, Actor, Msg};
use crate::error::{EngineError, Result};
use crate::pty;

impl Actor {
    /// A session's sandbox, as its start parameters ask.
    pub(super) fn plan_sandbox(
        &self,
        id: &str,
        root: &Path,
        gated: bool,
        command: &[String],
        params: &StartSessionParams,
    ) -> Result<sandbox::Sandbox> {
        let exec_gate = params
            .exec_gate
            .unwrap_or_else(|| !interactive_shell(command));
        let tmp = self.session_tmp(id)?;
        let settings = self.claude_settings(id);
        let socket = self.home.hook_socket();
        let state = self.session_state(id);
        sandbox::Sandbox::plan(
            params.sandbox.unwrap_or_default(),
            params.network.unwrap_or_default(),
            sandbox::Room {
                helper: self.hook_program.as_deref(),
                root,
                tmp: &tmp,
                airlock_home: &self.home_root,
                socket: &socket,
                state: &state,
                reads: vec![settings],
                staged: !gated,
                exec_gate,
            },
        )
    }

    /// The session's command wrapped in its sandbox: its exec gate
    /// registered and its `model-only` proxy started when it has them.
    pub(super) async fn confine(
        &mut self,
        id: &str,
        sandbox: &sandbox::Sandbox,
        command: Vec<String>,
        root: &Path,
    ) -> Result<Confined> {
        let (proxy, env) = if sandbox.confined() && sandbox.info.network == NetworkMode::ModelOnly {
            let (project_file, global_file) = gate::policy_files(&self.project, &self.home_root);
            let proxy =
                start_proxy(project_file, global_file, self.tx.clone(), id.to_string()).await?;
            let env = proxy
                .env()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            (Some(proxy), env)
        } else {
            (None, Vec::new())
        };
        let port = proxy.as_ref().map(airlock_proxy::Proxy::port);
        if !sandbox.info.exec_gate {
            return Ok(Confined {
                command: sandbox.wrap(command, None, port)?,
                exec_gate: None,
                proxy,
                env,
            });
        }
        let server = self.exec_gates.as_ref().map_err(|why| {
            EngineError::BadRequest(format!(
                "{why}; start the session with --no-exec-gate to run it without the gate"
            ))
        })?;
        let program = command.first().and_then(|c| pty::resolve_program(c));
        let (spec, handle) = server
            .register(exec_gate::Ctx {
                session: id.to_string(),
                root: root.to_path_buf(),
                writable: sandbox.writable(),
                project: self.project.clone(),
                airlock_home: self.home_root.clone(),
                launcher: program.as_deref().is_some_and(exec_gate::shell_script_file),
                program: program.and_then(|p| std::fs::canonicalize(p).ok()),
                airlock: self
                    .hook_program
                    .as_ref()
                    .and_then(|p| std::fs::canonicalize(p).ok()),
                tx: self.tx.clone(),
            })
            .map_err(|e| EngineError::io("register the exec gate".to_string(), e))?;
        Ok(Confined {
            command: sandbox.wrap(command, Some(spec), port)?,
            exec_gate: Some(handle),
            proxy,
            env,
        })
    }

    /// Counts a connection the proxy refused and says so.
    pub(super) fn proxy_blocked(&mut self, session: &str, host: String) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        let Some(sb) = s.info.sandbox.as_mut() else {
            return;
        };
        sb.blocked += 1;
        sb.last_blocked = Some(host.clone());
        let info = s.info.clone();
        self.emit(Event::SessionUpdated { session: info });
        self.problem(
            Some(session),
            format!("blocked a connection to {host}: not among this session's allowed hosts (network: model-only)"),
        );
    }

    /// Remembers a Bash command the policy or the user allowed through a
    /// hook or an ACP permission, so its exec is not asked about again.
    pub(super) fn remember_for_exec(&self, session: &str, tool: &str, input: &serde_json::Value) {
        if tool != "Bash" {
            return;
        }
        let command = input.get("command").and_then(serde_json::Value::as_str);
        if let (Some(command), Some(gate)) = (
            command,
            self.sessions
                .get(session)
                .and_then(|s| s.gate.exec.as_ref()),
        ) {
            gate.remember(command);
        }
    }
}

/// Whether `command` is the user's own interactive shell (a shell with no
/// script): confined, but its commands are the user's, not an agent's.
pub(super) fn interactive_shell(command: &[String]) -> bool {
    let Some(program) = command.first() else {
        return true;
    };
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shells = [
        "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh", "nu",
    ];
    shells.contains(&name.as_str())
        && !command[1..].iter().any(|a| {
            a.starts_with('-') && !a.starts_with("--") && a.contains('c') || !a.starts_with('-')
        })
}

/// What `Actor::confine` gives a session's spawn.
pub(super) struct Confined {
    pub(super) command: Vec<String>,
    pub(super) exec_gate: Option<exec_gate::Handle>,
    pub(super) proxy: Option<airlock_proxy::Proxy>,
    /// Environment for the session (the proxy's address).
    pub(super) env: Vec<(String, String)>,
}

/// The hosts network mode `model-only` lets through when the policy names
/// none: the model APIs of the agents Airlock knows, and their sign-in hosts.
pub(super) const MODEL_HOSTS: [&str; 6] = [
    "api.anthropic.com",
    "api.openai.com",
    "chatgpt.com",
    "generativelanguage.googleapis.com",
    "cloudcode-pa.googleapis.com",
    "oauth2.googleapis.com",
];

/// A session's `model-only` proxy, letting through the policy's
/// `[network] hosts` (the model APIs when it names none); each refused
/// connection is counted on the session and shown.
pub(super) async fn start_proxy(
    project_file: PathBuf,
    global_file: PathBuf,
    tx: mpsc::Sender<Msg>,
    session: String,
) -> Result<airlock_proxy::Proxy> {
    let policy = airlock_policy::Policy::load(Some(&project_file), Some(&global_file))
        .map_err(|e| EngineError::BadRequest(format!("policy: {e}")))?;
    let hosts: Vec<String> = if policy.network_hosts.is_empty() {
        MODEL_HOSTS.iter().map(|h| h.to_string()).collect()
    } else {
        policy.network_hosts
    };
    let rules = hosts
        .iter()
        .map(|h| airlock_proxy::HostRule::parse(h))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| EngineError::BadRequest(format!("policy [network] hosts: {e}")))?;
    let (events, mut rx) = mpsc::unbounded_channel();
    let proxy = airlock_proxy::Proxy::start_with(
        rules,
        airlock_proxy::Options {
            events: Some(events),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| EngineError::io("start the model-only proxy".to_string(), e))?;
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let airlock_proxy::ProxyEvent::Blocked { host, port, .. } = event {
                let blocked = Msg::ProxyBlocked {
                    session: session.clone(),
                    host: format!("{host}:{port}"),
                };
                if tx.send(blocked).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(proxy)
}

/// A terminal session's own environment: its hook token and what its
/// sandbox adds (the proxy's address).
pub(super) fn session_env(token: &str, mut extra: Vec<(String, String)>) -> Vec<(String, String)> {
    extra.insert(0, ("AIRLOCK_TOKEN".into(), token.to_string()));
    extra
}
