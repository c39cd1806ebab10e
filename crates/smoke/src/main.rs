//! The `smoke` binary: parses the flags and smoke-tests the cluster once.

use std::process::ExitCode;

use service::{exit, Shutdown};
use smoke::{config, Args};

/// The producer and verifier phases allocate as their own binaries do (see theirs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match service::start::<Args>() {
        Ok(args) => {
            let config = config::from_args(&args);
            exit::exit_code(smoke::run(config, Shutdown::listen()).await)
        }
        Err(code) => code,
    }
}
