//! Airlock's own writes, recognised when the watcher reports them back: a
//! landing in the project, a user's edit mirrored into a stage, a reject's
//! revert. Each write's file is stamped (its inode, size, times) right
//! after it is made; a watcher path whose file still has that stamp is the
//! echo of that write, already taken into account, and is not read or
//! diffed again. Anything written after (by the user, by the agent) changes
//! the stamp and is taken in as usual.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a write is remembered: the watcher reports within a second.
const KEPT: Duration = Duration::from_secs(10);

/// What a file looked like right after Airlock wrote it; `None` for a file
/// Airlock removed.
type Stamp = Option<(u64, u64, u64, i64, i64, i64, i64, u32)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::symlink_metadata(path).ok()?;
    Some((
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
        m.mode(),
    ))
}

/// Writes of Airlock's own that the watchers have yet to report.
#[derive(Default)]
pub(super) struct Echoes {
    written: HashMap<PathBuf, (Stamp, Instant)>,
}

impl Echoes {
    /// Airlock just wrote (or removed) `path`.
    pub(super) fn wrote(&mut self, path: &Path) {
        self.written
            .insert(path.to_path_buf(), (stamp(path), Instant::now()));
    }

    /// Whether the watcher's report of `path` is the echo of Airlock's own
    /// write: the file is as Airlock left it.
    pub(super) fn is_echo(&self, path: &Path) -> bool {
        self.written
            .get(path)
            .is_some_and(|(s, at)| at.elapsed() < KEPT && *s == stamp(path))
    }

    /// Forgets writes the watchers have surely reported by now.
    pub(super) fn expire(&mut self) {
        self.written.retain(|_, (_, at)| at.elapsed() < KEPT);
    }
}

/// Whether `rel` is one of Airlock's own temp files (`.name.airlock-…`,
/// made beside a file and renamed over it), gone from both sides: the
/// stage watcher's report of it is an echo. A file of that name the agent
/// keeps is reviewed like any other.
pub(super) fn temp_gone(stage: &Path, project: &Path, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.starts_with('.')
        && name.contains(".airlock-")
        && std::fs::symlink_metadata(stage.join(rel)).is_err()
        && std::fs::symlink_metadata(project.join(rel)).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_as_airlock_left_it_is_an_echo_and_any_later_write_is_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "landed\n").expect("write");
        let mut echoes = Echoes::default();
        assert!(!echoes.is_echo(&file), "nothing written by Airlock yet");
        echoes.wrote(&file);
        assert!(echoes.is_echo(&file));
        assert!(
            echoes.is_echo(&file),
            "still the same file when reported twice"
        );
        // The user saves over it (same size, even): no longer Airlock's write.
        std::thread::sleep(Duration::from_millis(5));
        std::fs::write(&file, "edited\n").expect("write");
        assert!(!echoes.is_echo(&file));
    }

    #[test]
    fn a_removal_is_an_echo_until_the_file_comes_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("gone.txt");
        let mut echoes = Echoes::default();
        echoes.wrote(&file);
        assert!(echoes.is_echo(&file));
        std::fs::write(&file, "back\n").expect("write");
        assert!(!echoes.is_echo(&file));
        echoes.expire();
        assert!(!echoes.written.is_empty(), "kept for a while");
    }
}
