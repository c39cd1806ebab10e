//! The `verifier` binary: parses the flags, verifies the topic, exits with the verdict.

use std::process::ExitCode;

use service::exit;
use verifier::{config, Args};

/// The verifier allocates through mimalloc: every record read costs several small allocations
/// made on the fetch tasks' threads and freed on the scan's, where glibc's malloc is slow.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match service::start::<Args>() {
        Ok(args) => exit::exit_code(verifier::run(config::from_args(&args)).await),
        Err(code) => code,
    }
}
