//! Records the commit this build came from, for [`VERSION`](crate::VERSION):
//! `git rev-parse` of the source tree, or "unknown" when it is not a git
//! checkout (a source archive). Rebuilt when the checked-out commit moves.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=AIRLOCK_COMMIT={commit}");
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        // HEAD names the branch; the branch's ref (a loose file under
        // refs/heads, a folder cargo scans, or a line of packed-refs) moves
        // with each commit. Only paths that exist: cargo reruns a build
        // script on every build for a path that is missing.
        let watch = [
            format!("{dir}/HEAD"),
            format!("{dir}/packed-refs"),
            format!("{dir}/refs/heads"),
        ];
        for path in watch {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
