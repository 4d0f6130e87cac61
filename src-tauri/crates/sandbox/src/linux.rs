//! Landlock confinement: ABI detection, the ruleset built from a [`Spec`], and
//! its enforcement on the calling thread.
//!
//! Every ruleset is built with [`CompatLevel::HardRequirement`], so a right
//! the kernel cannot enforce is an error rather than silently dropped.

use std::path::{Path, PathBuf};

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, PathFd,
    RestrictionStatus, Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus,
    Scope, ABI,
};

use crate::walk::{read_grants, resolve};
use crate::{Enforced, Error, Network, Spec, Support};

/// The ABIs this crate knows, newest first, with their numbers (the crate's
/// `ABI` is non-exhaustive and cannot be cast).
///
/// It stops at 7, the newest ABI it was tested on. That is deliberate beyond
/// testing: ABI 9 makes `connect()` to a pathname Unix socket a filesystem
/// right, which would cut the agent's hook off from Airlock's socket inside
/// the hidden data folder.
const KNOWN: [(ABI, u32); 7] = [
    (ABI::V7, 7),
    (ABI::V6, 6),
    (ABI::V5, 5),
    (ABI::V4, 4),
    (ABI::V3, 3),
    (ABI::V2, 2),
    (ABI::V1, 1),
];

/// Below ABI 3 truncation is not a Landlock right, so a session could empty
/// any file outside its root: that is not confinement worth the name.
const MIN_FS: u32 = 3;
/// TCP port rules arrived with ABI 4.
const MIN_NET: u32 = 4;
/// Signal and abstract Unix socket scoping arrived with ABI 6.
const MIN_SCOPE: u32 = 6;

/// Character devices a terminal session needs to open for reading and writing.
const DEVICES: [&str; 7] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
];

/// Probes the kernel: the newest known ABI whose every feature it accepts.
///
/// Uses the landlock crate's own compatibility checks instead of a raw
/// syscall, which keeps this crate free of `unsafe`. Creating a ruleset
/// without enforcing it has no effect on the process.
fn detect() -> Option<(ABI, u32)> {
    KNOWN.into_iter().find(|(abi, _)| accepts(*abi))
}

fn accepts(abi: ABI) -> bool {
    let probe = || -> Result<(), landlock::RulesetError> {
        let mut ruleset = Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(abi))?;
        let net = AccessNet::from_all(abi);
        if !net.is_empty() {
            ruleset = ruleset.handle_access(net)?;
        }
        let scopes = Scope::from_all(abi);
        if !scopes.is_empty() {
            ruleset = ruleset.scope(scopes)?;
        }
        let created = ruleset.create()?;
        if abi >= ABI::V7 {
            // ABI 7's addition is audit-log control; asking for it is the test.
            created.log_new_exec(true)?;
        }
        Ok(())
    };
    probe().is_ok()
}

/// What this kernel can do; see [`crate::support`].
pub(crate) fn support() -> Support {
    let Some((_, abi)) = detect() else {
        return Support::None {
            why: "the kernel has no Landlock (needs Linux 5.13+ built with it and `lsm=…,landlock` at boot)".into(),
        };
    };
    if abi < MIN_FS {
        return Support::None {
            why: format!("Landlock ABI {abi} cannot stop truncating files outside the session (needs ABI {MIN_FS}, Linux 6.2)"),
        };
    }
    let mut missing = Vec::new();
    if abi < MIN_NET {
        missing.push("TCP rules (ABI 4, Linux 6.7): network off or proxy cannot be enforced");
    }
    if abi < 5 {
        missing.push("device ioctl control (ABI 5, Linux 6.10)");
    }
    if abi < MIN_SCOPE {
        missing.push("signal and abstract-socket scoping (ABI 6, Linux 6.12): the session can signal the user's other processes");
    }
    if !crate::can_isolate() {
        missing.push("unprivileged user namespaces are off: other programs' Unix sockets (D-Bus, ssh-agent, tmux) stay reachable and agents' state folders are shared with your own runs");
    }
    if missing.is_empty() {
        Support::Full { abi }
    } else {
        Support::Partial {
            abi,
            missing: missing.join("; "),
        }
    }
}

/// One rule to add: a path and the rights on it.
struct Grant {
    path: PathBuf,
    access: BitFlags<AccessFs>,
    /// Whether failing to open the path must fail the confinement.
    required: bool,
}

/// Applies `spec` to the calling thread; see [`crate::confine_self`].
pub(crate) fn confine(spec: &Spec) -> Result<Enforced, Error> {
    let Some((abi, number)) = detect() else {
        return Err(Error::Unsupported {
            why: "the kernel has no Landlock".into(),
        });
    };
    if number < MIN_FS {
        return Err(Error::Unsupported {
            why: format!("Landlock ABI {number} is too old (needs {MIN_FS})"),
        });
    }
    let net_mode = match spec.network {
        Network::On => None,
        Network::Off => Some("off"),
        Network::Proxy { .. } => Some("proxy"),
    };
    if let (Some(mode), true) = (net_mode, number < MIN_NET) {
        return Err(Error::NetworkUnsupported { mode, abi: number });
    }
    // The private view first: Landlock forbids mounting once it applies, and
    // its rules must attach to what the session will see.
    let isolated = match &spec.isolate {
        Some(iso) => {
            let done = crate::ns::isolate(spec, iso)?;
            Some((done.masked, done.covered))
        }
        None => None,
    };

    let Plan {
        grants,
        write,
        skipped,
        read_rules,
    } = plan(spec, abi)?;

    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(abi))?;
    if net_mode.is_some() {
        ruleset = ruleset.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)?;
    }
    let scoped = number >= MIN_SCOPE;
    if scoped {
        ruleset = ruleset.scope(Scope::AbstractUnixSocket | Scope::Signal)?;
    }
    let mut created = ruleset.create()?;
    for grant in grants {
        created = add(created, &grant)?;
    }
    if let Network::Proxy { port } = spec.network {
        created = created.add_rule(NetPort::new(port, AccessNet::ConnectTcp))?;
    }
    check(created.restrict_self()?)?;
    Ok(Enforced {
        abi: number,
        network: spec.network,
        scoped,
        write,
        skipped,
        read_rules,
        isolated,
    })
}

/// Adds one rule. A read or device path that cannot be opened (it vanished
/// since it was listed, or is not ours to open) is left without a rule, which
/// only narrows access; a write path that cannot be opened is an error, since
/// the session would start without its own folder.
fn add(created: RulesetCreated, grant: &Grant) -> Result<RulesetCreated, Error> {
    let fd = match PathFd::new(&grant.path) {
        Ok(fd) => fd,
        Err(e) if grant.required => return Err(Error::OpenRule(e)),
        Err(_) => return Ok(created),
    };
    Ok(created.add_rule(PathBeneath::new(fd, grant.access))?)
}

/// The rules for a spec, and what to report about them.
struct Plan {
    /// Read grants from the walk, the devices, then the write paths.
    grants: Vec<Grant>,
    /// The write paths that exist, resolved.
    write: Vec<PathBuf>,
    /// The write paths that do not exist.
    skipped: Vec<PathBuf>,
    /// How many of `grants` came from the read walk.
    read_rules: usize,
}

/// Resolves the spec's paths and lists its rules: the read walk around the
/// hidden paths, the devices, the write paths, then the extra read paths.
fn plan(spec: &Spec, abi: ABI) -> Result<Plan, Error> {
    let all = AccessFs::from_all(abi);
    let read = AccessFs::from_read(abi);
    let file = AccessFs::from_file(abi);

    let hidden = spec
        .hidden
        .iter()
        .map(|p| resolve(p))
        .collect::<Result<Vec<_>, _>>()?;
    let (write, skipped) = write_paths(&spec.write)?;
    refuse_hidden_inside_write(&hidden, &write)?;

    // `/dev` is kept out of the blanket read grant and opened up piece by piece.
    let mut walk_hidden = hidden;
    walk_hidden.push(PathBuf::from("/dev"));
    let reads = read_grants(&walk_hidden);
    let read_rules = reads.len();
    let mut grants: Vec<Grant> = reads
        .into_iter()
        .map(|path| Grant {
            access: fitted(&path, read, file),
            path,
            required: false,
        })
        .collect();
    grants.extend(device_grants(all, file));
    grants.extend(write.iter().map(|path| Grant {
        path: path.clone(),
        access: fitted(path, all, file),
        required: true,
    }));
    grants.extend(extra_read_grants(&spec.read, read, file)?);
    Ok(Plan {
        grants,
        write,
        skipped,
        read_rules,
    })
}

/// The write paths resolved, and apart the ones that do not exist.
fn write_paths(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Error> {
    let mut write = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        if !path.is_absolute() {
            return Err(Error::RelativePath { path: path.clone() });
        }
        match std::fs::canonicalize(path) {
            Ok(real) => write.push(real),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => skipped.push(path.clone()),
            Err(source) => {
                return Err(Error::Path {
                    path: path.clone(),
                    source,
                })
            }
        }
    }
    Ok((write, skipped))
}

/// A hidden path inside a write path cannot be hidden: Landlock grants the
/// whole hierarchy below a rule.
fn refuse_hidden_inside_write(hidden: &[PathBuf], write: &[PathBuf]) -> Result<(), Error> {
    for w in write {
        if let Some(h) = hidden.iter().find(|h| h.starts_with(w)) {
            return Err(Error::HiddenInsideWrite {
                write: w.clone(),
                hidden: h.clone(),
            });
        }
    }
    Ok(())
}

/// `/dev` listable, the [`DEVICES`] and `/dev/pts` readable and writable,
/// `/dev/shm` writable: never executable.
fn device_grants(all: BitFlags<AccessFs>, file: BitFlags<AccessFs>) -> Vec<Grant> {
    let device = file & !AccessFs::Execute;
    let mut grants = vec![Grant {
        path: "/dev".into(),
        access: AccessFs::ReadDir.into(),
        required: false,
    }];
    grants.extend(DEVICES.iter().map(|d| Grant {
        path: (*d).into(),
        access: device,
        required: false,
    }));
    grants.push(Grant {
        path: "/dev/pts".into(),
        access: device | AccessFs::ReadDir,
        required: false,
    });
    grants.push(Grant {
        path: "/dev/shm".into(),
        access: all & !AccessFs::Execute,
        required: false,
    });
    grants
}

/// Read rules for [`Spec::read`] paths (which may lie inside hidden ones);
/// missing ones are skipped.
fn extra_read_grants(
    paths: &[PathBuf],
    read: BitFlags<AccessFs>,
    file: BitFlags<AccessFs>,
) -> Result<Vec<Grant>, Error> {
    let mut grants = Vec::new();
    for path in paths {
        if !path.is_absolute() {
            return Err(Error::RelativePath { path: path.clone() });
        }
        if let Ok(real) = std::fs::canonicalize(path) {
            grants.push(Grant {
                access: fitted(&real, read, file),
                path: real,
                required: false,
            });
        }
    }
    Ok(grants)
}

/// Directory-only rights are invalid on a file rule; drop them for files.
fn fitted(path: &Path, access: BitFlags<AccessFs>, file: BitFlags<AccessFs>) -> BitFlags<AccessFs> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => access & file,
        _ => access,
    }
}

/// Refuses anything short of full enforcement, including a missing
/// `no_new_privs` (which would let a setuid program shed the domain's intent).
fn check(status: RestrictionStatus) -> Result<(), Error> {
    if status.ruleset == RulesetStatus::FullyEnforced && status.no_new_privs {
        Ok(())
    } else {
        Err(Error::NotEnforced {
            status: format!("{:?}, no_new_privs={}", status.ruleset, status.no_new_privs),
        })
    }
}
