//! The `producer` binary: parses the flags and runs one producer run.

use std::process::ExitCode;

use clap::Parser;
use producer::Args;
use service::{exit, logging, Shutdown};

/// The producer allocates through mimalloc: each event costs several small allocations (the
/// record, its headers, key and value; rskafka's request encoding), many freed on another thread
/// than the one that made them, where glibc's malloc is slow. The consumer, with its memory
/// target, keeps glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    logging::init();
    let args = Args::parse();
    if let Err(message) = args.validate() {
        return exit::usage_error(&message);
    }
    exit::exit_code(producer::run(args, Shutdown::listen()).await)
}
