//! Any `policy.toml`: parsed, and when it parses, used to judge a few
//! actions. A bad file is an error, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use airlock_policy::{decide, Action, Policy};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text, Path::new("/p/.airlock/policy.toml")) else {
        return;
    };
    for (tool, input) in [
        ("Bash", json!({ "command": "npm test && rm -rf build" })),
        ("Write", json!({ "file_path": "/p/src/main.rs" })),
        ("Read", json!({ "file_path": "/home/u/.ssh/id_rsa" })),
        ("WebFetch", json!({ "url": "https://example.com/" })),
    ] {
        let _ = decide(
            &Action {
                tool: tool.into(),
                input,
                cwd: PathBuf::from("/p"),
                project: PathBuf::from("/p"),
            },
            &policy,
        );
    }
});
