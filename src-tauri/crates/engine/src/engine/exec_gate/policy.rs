//! The policy as the exec gate reads it: once, and again only when one of
//! its files changes (a stat of each per exec, no parse).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use airlock_policy::Policy;

use super::super::gate::policy_files;

/// A policy read once and again only when its files change.
pub(super) struct PolicyCache {
    files: (PathBuf, PathBuf),
    stamp: Option<[Option<(SystemTime, u64)>; 2]>,
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
            policy: Policy::default(),
            broken: None,
            generation: 0,
        }
    }

    /// Reads the policy again if one of its files changed.
    pub(super) fn refresh(&mut self) {
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
        }
    }
}
