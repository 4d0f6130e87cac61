//! Any command line an agent sends: split by the shell parser, then every
//! simple command classified. Must never panic, overflow the stack or hang.
#![no_main]

use std::path::Path;

use airlock_policy::{classify_all, split_command, ClassifyContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(command) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(commands) = split_command(command) {
        let ctx = ClassifyContext {
            cwd: Path::new("/p/sub"),
            project: Path::new("/p"),
            home: Some(Path::new("/home/u")),
        };
        let risks = classify_all(&commands, &ctx);
        assert_eq!(risks.len(), commands.len());
    }
});
