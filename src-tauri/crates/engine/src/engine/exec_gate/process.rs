//! Processes as the exec gate sees them: a process's start time and parent
//! (from `/proc`), and the processes whose children are trusted.

use std::sync::Mutex;

use super::Trusted;

/// A process's start time and parent, from `/proc/<pid>/stat`.
pub(super) fn stat(pid: u32) -> Option<(u64, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything: split after it.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // Fields from "state" (3rd in the file): ppid is the 4th, starttime the 22nd.
    let parent = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((start, parent))
}

/// Trusts `pid` with what it starts, from now.
pub(super) fn trust(trusted: &Mutex<Trusted>, pid: u32) {
    let now = airlock_sandbox::sys::boot_ticks();
    if let Ok(mut t) = trusted.lock() {
        if t.len() >= 4096 {
            // Keep the processes still running.
            t.retain(|pid, since| stat(*pid).is_some_and(|(start, _)| start <= *since));
        }
        t.insert(pid, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_stat_line_gives_its_parent_and_start() {
        let (start, parent) = stat(std::process::id()).expect("own stat");
        assert!(start > 0);
        assert_eq!(parent, std::os::unix::process::parent_id());
    }
}
