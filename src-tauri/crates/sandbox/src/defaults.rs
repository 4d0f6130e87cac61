//! The default paths a session hides, masks and may write, under a home.

use std::path::{Path, PathBuf};

/// The folders where other programs keep their Unix sockets, shown empty
/// to an isolated session ([`Isolate::mask`](crate::Isolate::mask)): `/run/user` (D-Bus session
/// bus, ssh-agent, gpg-agent, Wayland, editor IPC, rootless docker), the
/// system bus, screen's, X11's, docker's and podman's folders.
pub fn default_masked() -> Vec<PathBuf> {
    [
        "/run/user",
        "/run/dbus",
        "/var/run/dbus",
        "/run/screen",
        "/run/docker",
        "/run/podman",
        "/run/containerd",
        "/tmp/.X11-unix",
        "/tmp/.ICE-unix",
    ]
    .iter()
    .map(PathBuf::from)
    .collect()
}

/// Credential paths under `home` that no session should read: SSH, AWS, GnuPG
/// and GitHub CLI folders, `.netrc`, git's stored credentials, Docker's
/// login file, and the browsers' profiles (their cookies are logins to
/// everything, and their history holds `airlock serve`'s links). The engine
/// adds Airlock's own data folder to these.
pub fn default_hidden(home: &Path) -> Vec<PathBuf> {
    [
        ".ssh",
        ".aws",
        ".gnupg",
        ".config/gh",
        ".netrc",
        ".git-credentials",
        ".docker/config.json",
        ".config/google-chrome",
        ".config/chromium",
        ".config/BraveSoftware",
        ".config/microsoft-edge",
        ".config/vivaldi",
        ".mozilla",
        ".var/app/org.mozilla.firefox",
        ".var/app/com.google.Chrome",
        "snap/firefox",
        "snap/chromium",
        "Library/Application Support/Google/Chrome",
        "Library/Application Support/Firefox",
        "Library/Cookies",
    ]
    .iter()
    .map(|p| home.join(p))
    .collect()
}

/// The agents' own state under `home`, which they must write to work:
/// `~/.claude`, `~/.claude.json`, `~/.codex`, `~/.gemini`, `~/.cache`, `~/.npm`.
pub fn default_state_folders(home: &Path) -> Vec<PathBuf> {
    [
        ".claude",
        ".claude.json",
        ".codex",
        ".gemini",
        ".cache",
        ".npm",
    ]
    .iter()
    .map(|p| home.join(p))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_under_home() {
        let home = Path::new("/home/u");
        let hidden = default_hidden(home);
        assert!(hidden.contains(&home.join(".ssh")));
        assert!(hidden.contains(&home.join(".docker/config.json")));
        assert!(hidden.contains(&home.join(".config/google-chrome")));
        assert!(hidden.contains(&home.join(".mozilla")));
        assert_eq!(hidden.len(), 20);
        let state = default_state_folders(home);
        assert_eq!(state.len(), 6);
        assert!(state.contains(&home.join(".claude.json")));
        assert!(!state.iter().any(|p| p.ends_with(".config/gcloud")));
    }
}
