//! The `consumer` binary: parses the flags and runs a group member until Ctrl+C or SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use consumer::Args;
use service::{exit, logging, Shutdown};

#[tokio::main]
async fn main() -> ExitCode {
    logging::init();
    let args = Args::parse();
    if let Err(message) = args.validate() {
        return exit::usage_error(&message);
    }
    exit::exit_code(consumer::run(args, Shutdown::listen()).await)
}
