//! Programs that reach other hosts: downloaders (`curl`, `wget`, …), remote
//! shells and file transfer (`ssh`, `scp`, `nc`, …), the cloud and forge
//! command-line tools, and `rsync` to or from another host.

use super::words::{positionals, Word};
use super::{Assessment, RiskKind};

/// Programs that fetch what a URL holds; piped into a shell, it runs.
const DOWNLOADERS: [&str; 7] = ["curl", "wget", "fetch", "aria2c", "http", "https", "xh"];

/// The rules for a network tool; `None` for any other program. Adds risks
/// to `a` and returns whether the command only reads.
pub(super) fn classify(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> Option<bool> {
    use RiskKind::*;
    Some(match name {
        n if DOWNLOADERS.contains(&n) => {
            a.downloads = true;
            a.risk(
                Network,
                format!("`{label}` downloads from the network ({n})"),
            );
            false
        }
        "ssh" | "scp" | "sftp" | "nc" | "ncat" | "netcat" | "telnet" | "ftp" | "socat" | "mosh"
        | "gh" | "aws" | "gcloud" | "az" => {
            a.risk(Network, format!("`{label}` reaches the network ({name})"));
            name == "ssh" && ssh_auth_check(args)
        }
        "rsync" => {
            let remote = positionals(args).iter().any(|w| {
                w.text.starts_with("rsync://")
                    || w.text.find(':').is_some_and(|c| {
                        !w.text.starts_with('/') && w.text.find('/').is_none_or(|s| c < s)
                    })
            });
            if remote {
                a.risk(Network, format!("`{label}` copies to or from another host"));
            }
            if args.iter().any(|w| w.text.starts_with("--delete")) {
                a.risk(
                    Delete,
                    format!("`{label}` deletes files missing from the source"),
                );
            }
            false
        }
        _ => return None,
    })
}

/// `ssh -T [-o …] git@github.com` with no remote command: the check of one's
/// SSH key with a git host (Claude Code runs it at start). The host answers
/// with a greeting and closes; no command runs anywhere.
fn ssh_auth_check(args: &[Word]) -> bool {
    let mut i = 0;
    let mut host = None;
    while i < args.len() {
        let w = args[i].text;
        match w {
            "-T" | "-q" | "-4" | "-6" => i += 1,
            "-o" => {
                let value = args.get(i + 1).map_or("", |v| v.text);
                let key = value.split('=').next().unwrap_or("").to_ascii_lowercase();
                if !matches!(
                    key.as_str(),
                    "batchmode" | "connecttimeout" | "stricthostkeychecking" | "loglevel"
                ) {
                    return false;
                }
                i += 2;
            }
            _ if w.starts_with('-') => return false,
            _ if host.is_none() => {
                host = Some(w);
                i += 1;
            }
            // A remote command.
            _ => return false,
        }
    }
    matches!(
        host,
        Some("git@github.com" | "git@gitlab.com" | "git@bitbucket.org")
    )
}
