//! The policy as the gates read it: once, and again only when one of its
//! files changes. The exec gate looks at the files (a stat of each, no
//! parse) at most every [`LOOK_EVERY`] while execs are allowed or refused,
//! and always before the user is asked; an agent's hook question looks
//! every time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How stale the policy may be for an allow or a refusal: a build's burst of
/// execs looks at the files a few times a second, not once per exec.
const LOOK_EVERY: Duration = Duration::from_millis(50);

use airlock_policy::Policy;

use super::gate::policy_files;

/// A policy read once and again only when its files change.
pub(super) struct PolicyCache {
    files: (PathBuf, PathBuf),
    stamp: Option<[Option<(SystemTime, u64)>; 2]>,
    looked: Option<Instant>,
    pub(super) policy: Policy,
    pub(super) broken: Option<String>,
    /// Goes up each time the policy is read again.
    pub(super) generation: u64,
}

impl PolicyCache {
    pub(super) fn new(project: &Path, airlock_home: &Path) -> PolicyCache {
        PolicyCache {
            files: policy_files(project, airlock_home),
            stamp: None,
            looked: None,
            policy: Policy::default(),
            broken: None,
            generation: 0,
        }
    }

    /// Reads the policy again if one of its files changed, looking at them
    /// only if [`LOOK_EVERY`] has passed since the last look.
    pub(super) fn refresh_soon(&mut self) {
        if self.looked.is_none_or(|at| at.elapsed() >= LOOK_EVERY) {
            self.refresh_now();
        }
    }

    /// Reads the policy again if one of its files changed; true if it did.
    pub(super) fn refresh_now(&mut self) -> bool {
        self.looked = Some(Instant::now());
        let stat = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        let now = [stat(&self.files.0), stat(&self.files.1)];
        if self.stamp != Some(now) {
            self.stamp = Some(now);
            self.generation += 1;
            match Policy::load(Some(&self.files.0), Some(&self.files.1)) {
                Ok(p) => {
                    self.policy = p;
                    self.broken = None;
                }
                Err(e) => {
                    self.policy = Policy::default();
                    self.broken = Some(e.to_string());
                }
            }
            return true;
        }
        false
    }
}
