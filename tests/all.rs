//! Airlock's integration tests: one binary, one module per area.
//!
//! Everything here runs the real engine on real temporary git projects, real
//! PTYs and, for the CLI, the real `airlock` binary.

mod suite;
