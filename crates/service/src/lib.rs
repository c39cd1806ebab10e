//! Process plumbing shared by the producer, consumer and verifier binaries: the Kafka connection
//! flags ([`args`]), duration flags ([`duration`]), logging ([`logging`]), the one exit-code
//! table ([`exit`]) and stopping on Ctrl+C or SIGTERM ([`shutdown`]).
//!
//! Nothing here knows about events or the group protocol: a binary's `main` wires these to its
//! service's library.

pub mod args;
pub mod duration;
pub mod exit;
pub mod logging;
pub mod shutdown;

pub use args::KafkaArgs;
pub use exit::{Outcome, EXIT_CODES};
pub use shutdown::Shutdown;
