//! Logs on stderr, so that stdout stays for reports and `--json`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter without `RUST_LOG`.
const DEFAULT_FILTER: &str = "info,rskafka=error";

/// Sends logs to stderr, filtered by `RUST_LOG`, `info` by default, coloured only on a terminal
/// (log files and `docker compose logs` get plain text). rskafka logs every
/// connection at info and warns when a producer is dropped with an empty batch: noise for
/// these services, so only its errors show unless `RUST_LOG` says otherwise. An empty
/// `RUST_LOG` counts as unset, as every empty variable does here.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|directives| !directives.trim().is_empty())
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
