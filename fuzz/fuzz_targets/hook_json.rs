//! Any hook input an agent sends (Claude Code's PreToolUse JSON): its tool
//! and input judged by the default policy, as the engine judges them.
#![no_main]

use std::path::PathBuf;

use airlock_policy::{decide, Action, Policy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(hook) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let action = Action {
        tool: hook["tool_name"].as_str().unwrap_or("").to_string(),
        input: hook["tool_input"].clone(),
        cwd: PathBuf::from(hook["cwd"].as_str().unwrap_or("")),
        project: PathBuf::from("/p"),
    };
    let _ = decide(&action, &Policy::default());
});
