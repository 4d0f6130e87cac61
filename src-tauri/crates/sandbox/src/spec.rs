//! [`Spec`]: what a session may do, as the engine passes it to the
//! `sandbox-exec` entry (serde, camelCase), with the parts it is made of.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What a session may do. Serialisable (serde, camelCase) so the engine can
/// pass it on the helper's command line.
///
/// Every path must be absolute; they are resolved (symlinks followed) before
/// use, so a symlinked home folder is still matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// Read-write hierarchies: the session root, its private `TMPDIR`, the
    /// agent's state folders. A path may be a single file (`~/.claude.json`);
    /// paths that do not exist are skipped. A write path may lie inside a
    /// hidden one (the stage lives inside Airlock's data folder) and stays
    /// writable there.
    #[serde(default)]
    pub write: Vec<PathBuf>,
    /// Unreadable and unwritable paths: credentials and Airlock's own data
    /// folder. A hidden path may not lie inside a write path (Landlock cannot
    /// carve it out again; [`confine_self`](crate::confine_self) refuses such a spec).
    #[serde(default)]
    pub hidden: Vec<PathBuf>,
    /// Read-only paths that may lie inside hidden ones: what the session must
    /// read from Airlock's data folder (its agent's hook settings) and nothing
    /// else there. Missing paths are skipped.
    #[serde(default)]
    pub read: Vec<PathBuf>,
    /// What the session may do on the network.
    pub network: Network,
    /// Where to hand the exec gate over, when every program the session
    /// starts must be judged by the engine first (Linux only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_gate: Option<ExecGate>,
    /// The session's own view of the file system (Linux: user and mount
    /// namespaces), applied before Landlock: see [`Isolate`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<Isolate>,
}

/// What a session sees differently from the user (Linux only; the engine
/// asks for it where [`can_isolate`](crate::can_isolate) says yes). Closes what Landlock up to
/// ABI 7 leaves open: pathname Unix sockets of other programs, and agents'
/// state folders shared with the user's own runs of the same agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Isolate {
    /// Folders shown empty and read-only ([`default_masked`](crate::default_masked) plus Airlock's
    /// data folder); the spec's own paths inside them are shown again.
    #[serde(default)]
    pub mask: Vec<PathBuf>,
    /// Pathname Unix sockets that stay reachable (the engine's socket, for
    /// the hook). Every other socket under `/tmp`, `/var/tmp`, `/dev/shm`,
    /// `/run` and the [`Isolate::scan`] folders when the session starts is
    /// hidden.
    #[serde(default)]
    pub sockets: Vec<PathBuf>,
    /// More folders to look for sockets in, after the system's (the user's
    /// home: ssh's control sockets, Docker Desktop's, editors').
    #[serde(default)]
    pub scan: Vec<PathBuf>,
    /// Folders seen through an overlay: the user's files read, the session's
    /// writes kept in its own folder.
    #[serde(default)]
    pub layers: Vec<Layer>,
    /// Files the session sees as its own copy.
    #[serde(default)]
    pub copies: Vec<FileCopy>,
    /// Paths that stay read-only although they lie inside a write path
    /// (Landlock cannot take back part of a writable folder; a read-only
    /// bind mount can): for a gated session, the project's `.git/config`,
    /// `.git/hooks` and `.airlock`. Missing paths are skipped.
    #[serde(default)]
    pub read_only: Vec<PathBuf>,
}

/// A folder the session sees with its writes kept apart (an overlay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Layer {
    /// The folder as the session sees it (`~/.claude`); skipped if missing.
    pub at: PathBuf,
    /// Where the session's writes go (an empty folder at first).
    pub upper: PathBuf,
    /// overlayfs's scratch folder, on the same file system as `upper`.
    pub work: PathBuf,
}

/// A file the session sees as its own copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileCopy {
    /// The file as the session sees it (`~/.claude.json`); skipped if missing.
    pub at: PathBuf,
    /// The copy shown there instead.
    pub copy: PathBuf,
}

/// Where the `sandbox-exec` entry hands its exec gate over: the engine's gate
/// socket and the session's one-time token for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecGate {
    /// The engine's gate socket.
    pub socket: PathBuf,
    /// The session's one-time token: the engine accepts one listener for it.
    pub token: String,
}

/// The session's network mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "camelCase")]
pub enum Network {
    /// Unrestricted.
    On,
    /// No TCP connect and no TCP bind (UDP is not filtered by Landlock).
    Off,
    /// TCP connects only to `port` (meant for Airlock's proxy on 127.0.0.1;
    /// Landlock filters by port only, not by address), and no TCP bind.
    Proxy {
        /// The proxy's TCP port.
        port: u16,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_json_is_camel_case_and_tagged() {
        let spec = Spec {
            write: vec!["/s".into()],
            hidden: vec!["/h".into()],
            read: Vec::new(),
            network: Network::Proxy { port: 3128 },
            exec_gate: None,
            isolate: None,
        };
        let json = serde_json::to_string(&spec).expect("serialise");
        assert_eq!(
            json,
            r#"{"write":["/s"],"hidden":["/h"],"read":[],"network":{"mode":"proxy","port":3128}}"#
        );
        let back: Spec = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, spec);
        let off: Spec = serde_json::from_str(r#"{"network":{"mode":"off"}}"#).expect("parse");
        assert_eq!(off.network, Network::Off);
        assert!(off.write.is_empty() && off.hidden.is_empty());
    }

    #[test]
    fn unknown_spec_fields_are_refused() {
        let err = serde_json::from_str::<Spec>(r#"{"network":{"mode":"on"},"writes":[]}"#);
        assert!(
            err.is_err(),
            "a misspelt field must not silently widen access"
        );
    }
}
