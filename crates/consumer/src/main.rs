//! The `consumer` binary: parses the flags and runs a group member until Ctrl+C or SIGTERM.

use std::process::ExitCode;

use consumer::Args;
use service::{exit, Shutdown};

#[tokio::main]
async fn main() -> ExitCode {
    match service::start::<Args>() {
        Ok(args) => exit::exit_code(consumer::run(args, Shutdown::listen()).await),
        Err(code) => code,
    }
}
