//! Process plumbing shared by the producer, consumer and verifier binaries: the Kafka connection
//! flags ([`args`]), duration flags ([`duration`]), logging ([`logging`]), the one exit-code
//! table ([`exit`]) and stopping on Ctrl+C or SIGTERM ([`shutdown`]).
//!
//! Nothing here knows about events or the group protocol: a binary's `main` wires these to its
//! service's library.

use std::process::ExitCode;

pub mod args;
pub mod duration;
pub mod exit;
pub mod logging;
pub mod shutdown;

pub use args::{KafkaArgs, RunsArgs};
pub use exit::{Outcome, EXIT_CODES};
pub use shutdown::Shutdown;

/// A binary's flags: parsed by clap, then checked for what clap cannot check (relations
/// between flags).
pub trait Flags: clap::Parser {
    /// Checks the flags together; the message names the flags at fault.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// What every binary does first: logs on stderr, then its flags parsed and checked. A bad flag
/// ends the process here, with one line and exit code 2 ([`exit::USER_ERROR`]).
pub fn start<F: Flags>() -> Result<F, ExitCode> {
    logging::init();
    let flags = F::parse();
    flags
        .validate()
        .map_err(|message| exit::usage_error(&message))?;
    Ok(flags)
}
