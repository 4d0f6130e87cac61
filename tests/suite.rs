pub mod cli;
pub mod pty;
pub mod scenarios;
pub mod support;
