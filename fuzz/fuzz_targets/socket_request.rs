//! Any line sent to the engine's socket: parsed as the server parses it.
//! What parses must serialise again and parse to the same request.
#![no_main]

use airlock_engine::server::SocketRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<SocketRequest>(data) else {
        return;
    };
    if let Some(op) = &request.request {
        let text = serde_json::to_string(op).expect("a parsed request serialises");
        let again: airlock_protocol::Request =
            serde_json::from_str(&text).expect("a serialised request parses");
        assert_eq!(
            serde_json::to_value(&again).expect("serialise"),
            serde_json::to_value(op).expect("serialise")
        );
    }
});
