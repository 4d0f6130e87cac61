//! Any line an ACP agent could send: parsed as the ACP library parses a
//! session update or a permission request, then through every translation
//! the engine applies (transcript entries, the gate's question, the answer
//! to the agent). Never a panic, and never an allow where the user said no.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    airlock_engine::fuzz_acp_frame(data);
});
