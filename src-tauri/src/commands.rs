//! The window's commands, one module per area.

pub mod engine;
