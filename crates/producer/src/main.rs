//! The `producer` binary: parses the flags and runs one producer run.

use std::process::ExitCode;

use producer::{config, Args};
use service::{exit, Shutdown};

/// The producer allocates through mimalloc: each event costs several small allocations (the
/// record, its headers, key and value; rskafka's request encoding), many freed on another thread
/// than the one that made them, where glibc's malloc is slow. The consumer, with its memory
/// target, keeps glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match service::start::<Args>() {
        Ok(args) => {
            let config = config::from_args(&args);
            exit::exit_code(producer::run(config, Shutdown::listen()).await)
        }
        Err(code) => code,
    }
}
