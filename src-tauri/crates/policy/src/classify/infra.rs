//! Containers, clusters and infrastructure as code: `docker`/`podman`,
//! `kubectl`, `terraform`/`tofu` — what deletes, what talks to a registry
//! or changes infrastructure, and which queries only read.

use super::words::{positionals, Word};
use super::{Assessment, RiskKind};

/// The rules for a container, cluster or infrastructure tool; `None` for
/// any other program. Adds risks to `a` and returns whether the command only
/// reads.
pub(super) fn classify(name: &str, args: &[Word], label: &str, a: &mut Assessment) -> Option<bool> {
    use RiskKind::*;
    let sub = positionals(args).first().map(|w| w.text);
    Some(match name {
        "docker" | "podman" => {
            match sub {
                Some("push" | "pull" | "login") => {
                    a.risk(Network, format!("`{label}` talks to a container registry"));
                }
                Some("rm" | "rmi") => {
                    a.risk(Delete, format!("`{label}` deletes containers or images"));
                }
                Some("system" | "volume" | "image" | "container" | "network")
                    if args.iter().any(|w| matches!(w.text, "prune" | "rm")) =>
                {
                    a.risk(Delete, format!("`{label}` deletes Docker data"));
                }
                _ => {}
            }
            matches!(
                sub,
                Some("ps" | "images" | "version" | "info" | "inspect" | "logs")
            )
        }
        "kubectl" => {
            if sub == Some("delete") {
                a.risk(Delete, format!("`{label}` deletes cluster resources"));
            }
            matches!(sub, Some("get" | "describe" | "logs" | "version"))
        }
        "terraform" | "tofu" => {
            if sub == Some("destroy") {
                a.risk(Delete, format!("`{label}` destroys infrastructure"));
            } else if sub == Some("apply") {
                a.risk(Network, format!("`{label}` changes infrastructure"));
            }
            false
        }
        _ => return None,
    })
}
