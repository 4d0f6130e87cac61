//! Link-free writes and reads, against real files and links.

use super::*;

/// The engine is not confined: a folder a session swapped for a link
/// between Airlock's look and its write must not take the write (or a
/// removal) outside the tree. `mirror` works from folder descriptors
/// opened without following links, so the swap is seen at the write.
#[test]
fn mirror_never_writes_or_removes_through_a_linked_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("stage");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(root.join("sub")).expect("mkdir");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("x.txt"), "outside\n").expect("write");
    // The swap: `sub` is now a link out of the tree.
    std::fs::remove_dir(root.join("sub")).expect("rmdir");
    std::os::unix::fs::symlink(&outside, root.join("sub")).expect("link");
    let file = FileState::File {
        bytes: b"agent\n".to_vec().into(),
        mode: 0o644,
    };
    for state in [&file, &FileState::Missing] {
        let err = mirror(state, &root, &root.join("sub/x.txt")).expect_err("refused");
        assert!(matches!(err, EngineError::OutsideProject(_)), "{err:?}");
    }
    let link = FileState::Symlink {
        target: "/etc/passwd".into(),
    };
    assert!(mirror(&link, &root, &root.join("sub/y")).is_err());
    assert_eq!(
        std::fs::read_to_string(outside.join("x.txt")).expect("read"),
        "outside\n"
    );
    assert_eq!(std::fs::read_dir(&outside).expect("ls").count(), 1);
    // A file where a folder goes is an I/O error, not "outside".
    std::fs::write(root.join("plain"), "file\n").expect("write");
    let err = mirror(&file, &root, &root.join("plain/x.txt")).expect_err("refused");
    assert!(matches!(err, EngineError::Io { .. }), "{err:?}");
    // Missing folders are made, and emptied ones removed again.
    mirror(&file, &root, &root.join("a/b/c.txt")).expect("write");
    assert_eq!(
        std::fs::read(root.join("a/b/c.txt")).expect("read"),
        b"agent\n"
    );
    mirror(&FileState::Missing, &root, &root.join("a/b/c.txt")).expect("remove");
    assert!(!root.join("a").exists());
    // Nothing is left behind: no temp files.
    let names: Vec<String> = std::fs::read_dir(&root)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("airlock")), "{names:?}");
}

#[test]
fn safe_join_refuses_escapes() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    assert!(safe_join(root, "a/b.txt").is_ok());
    assert!(safe_join(root, "../x").is_err());
    assert!(safe_join(root, "a/../../x").is_err());
    assert!(safe_join(root, "/etc/passwd").is_err());
    assert!(safe_join(root, "").is_err());
    std::os::unix::fs::symlink("/tmp", root.join("link")).expect("symlink");
    assert!(safe_join(root, "link/x").is_err());
    assert!(
        safe_join(root, "link").is_ok(),
        "a link itself is replaced, never written through"
    );
}

#[test]
fn atomic_write_keeps_mode_and_creates_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("new/deep/run.sh");
    atomic_write(&p, b"#!/bin/sh\n", 0o755).expect("write");
    assert_eq!(
        FileState::read(&p).expect("read"),
        FileState::File {
            bytes: b"#!/bin/sh\n".to_vec().into(),
            mode: 0o755
        }
    );
    remove_file(dir.path(), &p).expect("rm");
    assert!(!dir.path().join("new").exists());
}

#[test]
fn git_folder_names_match_in_any_case() {
    use std::ffi::OsStr;
    for name in [".git", ".GIT", ".Git"] {
        assert!(is_git_dir(OsStr::new(name)), "{name}");
    }
    for name in ["git", ".github", ".gitignore", "x.git"] {
        assert!(!is_git_dir(OsStr::new(name)), "{name}");
    }
}

#[test]
fn setuid_setgid_and_sticky_bits_are_not_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("tool");
    std::fs::write(&p, b"x").expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o6755)).expect("chmod");
    assert_eq!(
        std::fs::metadata(&p).expect("stat").permissions().mode() & 0o7777,
        0o6755,
        "the file system kept the bits"
    );
    assert_eq!(FileState::read(&p).expect("read").mode(), Some(0o755));
}
