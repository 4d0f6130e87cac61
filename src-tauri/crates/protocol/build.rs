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
    // HEAD names the branch and lives in the checkout's own git folder; the
    // branch's ref (a loose file under refs/heads, a folder cargo scans, or a
    // line of packed-refs) moves with each commit and lives in the common
    // one (the same folder, except in a `git worktree`). Only paths that
    // exist: cargo reruns a build script on every build for a path that is
    // missing.
    let own = git(&["rev-parse", "--absolute-git-dir"]);
    let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]).or(own.clone());
    if let (Some(own), Some(common)) = (own, common) {
        let watch = [
            format!("{own}/HEAD"),
            format!("{common}/packed-refs"),
            format!("{common}/refs/heads"),
        ];
        for path in watch {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
