//! The `sandbox-exec` helper: `--spec JSON -- CMD ARGS…` parsed, the process
//! confined, then replaced by the command.

use std::ffi::OsString;
#[cfg(unix)]
use std::os::unix::process::CommandExt;
#[cfg(unix)]
use std::process::Command;

#[cfg(all(unix, not(target_os = "macos")))]
use crate::confine_self;
use crate::{Error, Spec};

#[cfg(target_os = "linux")]
use crate::gate::{connect, hand_over};

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
fn connect(_gate: &crate::ExecGate) -> Result<(), String> {
    Err("the exec gate exists only on Linux".into())
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
fn hand_over(_sock: (), _gate: &crate::ExecGate) -> Result<(), String> {
    Err("the exec gate exists only on Linux".into())
}

/// A parsed helper command line.
#[derive(Debug)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) struct Invocation {
    pub(crate) spec: Spec,
    pub(crate) command: OsString,
    pub(crate) args: Vec<OsString>,
}

/// Parses `--spec JSON -- CMD ARGS…` (also `--spec=JSON`). Everything after
/// `--` belongs to the command, so its own flags are never taken for ours.
pub(crate) fn parse(args: Vec<OsString>) -> Result<Invocation, Error> {
    let mut args = args.into_iter();
    let mut json: Option<OsString> = None;
    loop {
        let Some(arg) = args.next() else {
            return Err(Error::Usage("missing `--` before the command".into()));
        };
        if arg == "--" {
            break;
        }
        if arg == "--spec" {
            let value = args
                .next()
                .ok_or_else(|| Error::Usage("--spec needs a JSON value".into()))?;
            json = Some(value);
            continue;
        }
        match arg.to_str().and_then(|a| a.strip_prefix("--spec=")) {
            Some(value) => json = Some(value.into()),
            None => return Err(Error::Usage(format!("unexpected argument {arg:?}"))),
        }
    }
    let json = json.ok_or_else(|| Error::Usage("missing --spec JSON".into()))?;
    let json = json
        .into_string()
        .map_err(|_| Error::Usage("--spec is not valid UTF-8".into()))?;
    let spec: Spec = serde_json::from_str(&json)?;
    let command = args
        .next()
        .ok_or_else(|| Error::Usage("missing the command after `--`".into()))?;
    Ok(Invocation {
        spec,
        command,
        args: args.collect(),
    })
}

/// See [`crate::exec_entry`].
pub(crate) fn entry(args: Vec<OsString>) -> Error {
    let invocation = match parse(args) {
        Ok(invocation) => invocation,
        Err(e) => return e,
    };
    #[cfg(target_os = "macos")]
    return seatbelt_exec(invocation);
    #[cfg(all(unix, not(target_os = "macos")))]
    return confine_and_exec(invocation);
    #[cfg(not(unix))]
    {
        drop(invocation);
        Error::Unsupported {
            why: "this OS has no sandbox Airlock can apply (Landlock on Linux, Seatbelt on macOS)"
                .into(),
        }
    }
}

/// Linux: the process confines itself (Landlock), hands its exec gate over,
/// then becomes the command.
#[cfg(all(unix, not(target_os = "macos")))]
fn confine_and_exec(invocation: Invocation) -> Error {
    // The gate's socket is reached before confinement: the session's view
    // of the file system does not show it.
    let gate = match invocation.spec.exec_gate.as_ref().map(connect).transpose() {
        Ok(sock) => sock,
        Err(e) => return Error::ExecGate(e),
    };
    if let Err(e) = confine_self(&invocation.spec) {
        return e;
    }
    if let (Some(sock), Some(spec)) = (gate, &invocation.spec.exec_gate) {
        if let Err(e) = hand_over(sock, spec) {
            return Error::ExecGate(e);
        }
    }
    // `exec` replaces this process (PATH is searched, as execvp does) and only
    // returns on failure; the domain just applied carries over.
    let source = Command::new(&invocation.command)
        .args(&invocation.args)
        .exec();
    Error::Exec {
        command: invocation.command,
        source,
    }
}

/// macOS: a process cannot confine itself there, so the command runs under
/// Apple's `sandbox-exec` with the spec as a Seatbelt profile (paths
/// resolved: Seatbelt matches `/private/tmp`, not `/tmp`). There is no exec
/// gate on macOS; the engine does not ask for one.
#[cfg(target_os = "macos")]
fn seatbelt_exec(invocation: Invocation) -> Error {
    if invocation.spec.exec_gate.is_some() {
        return Error::ExecGate("the exec gate exists only on Linux".into());
    }
    if let crate::Support::None { why } = crate::support() {
        return Error::Unsupported { why };
    }
    let mut spec = invocation.spec;
    for path in spec
        .write
        .iter_mut()
        .chain(spec.hidden.iter_mut())
        .chain(spec.read.iter_mut())
    {
        if let Ok(real) = std::fs::canonicalize(&*path) {
            *path = real;
        }
    }
    let source = Command::new(crate::SEATBELT)
        .arg("-p")
        .arg(crate::seatbelt_profile(&spec))
        .arg("--")
        .arg(&invocation.command)
        .args(&invocation.args)
        .exec();
    Error::Exec {
        command: crate::SEATBELT.into(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Network;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_spec_and_command_with_its_own_flags() {
        let got = parse(os(&[
            "--spec",
            r#"{"write":["/s"],"network":{"mode":"off"}}"#,
            "--",
            "sh",
            "-c",
            "--spec",
        ]))
        .expect("parse");
        assert_eq!(got.spec.network, Network::Off);
        assert_eq!(got.spec.write, vec![std::path::PathBuf::from("/s")]);
        assert_eq!(got.command, "sh");
        assert_eq!(got.args, os(&["-c", "--spec"]));

        let got = parse(os(&[r#"--spec={"network":{"mode":"on"}}"#, "--", "true"])).expect("parse");
        assert_eq!(got.spec.network, Network::On);
    }

    fn usage(args: &[&str]) -> String {
        match parse(os(args)) {
            Err(e @ Error::Usage(_)) => e.to_string(),
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_command_lines_say_what_is_wrong() {
        assert!(usage(&["--spec", "{}", "sh"]).contains("unexpected argument \"sh\""));
        assert!(usage(&["--spec", r#"{"network":{"mode":"on"}}"#]).contains("missing `--`"));
        assert!(usage(&["--spec", r#"{"network":{"mode":"on"}}"#, "--"])
            .contains("missing the command after `--`"));
        assert!(usage(&["--", "true"]).contains("missing --spec JSON"));
        assert!(usage(&["--spec"]).contains("--spec needs a JSON value"));
        assert!(usage(&[]).contains("usage: airlock sandbox-exec --spec JSON -- COMMAND"));
        match parse(os(&["--spec", "{not json", "--", "true"])) {
            Err(e @ Error::Spec(_)) => assert!(e.to_string().contains("--spec JSON is malformed")),
            other => panic!("expected a spec error, got {other:?}"),
        }
    }
}
