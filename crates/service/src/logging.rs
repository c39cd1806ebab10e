//! Logs on stderr, so that stdout stays for reports and `--json`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Sends logs to stderr, filtered by `RUST_LOG`, `info` by default, coloured only on a terminal
/// (log files and `docker compose logs` get plain text). rskafka logs every
/// connection at info and warns when a producer is dropped with an empty batch: noise for
/// these services, so only its errors show unless `RUST_LOG` says otherwise.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rskafka=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
