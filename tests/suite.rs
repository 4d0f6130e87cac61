pub mod cli;
pub mod crash;
pub mod gate;
pub mod pty;
pub mod review;
pub mod scenarios;
pub mod sessions;
pub mod support;
