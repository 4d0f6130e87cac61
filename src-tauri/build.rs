fn main() {
    // Only our own four commands exist for the window; capabilities/ grants them.
    let attributes =
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
            "call_engine",
            "subscribe_events",
            "ack_output",
            "read_scrollback",
        ]));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build failed: {e:#}");
    }
}
