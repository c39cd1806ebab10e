//! Everything the producer, consumer and verifier share: the event model and its JSON, the
//! generator, statistics, the delivery audit, a latency histogram and the Kafka plumbing.

pub mod audit;
pub mod cli;
pub mod event;
pub mod generator;
pub mod kafka;
pub mod latency;
pub mod shutdown;
pub mod stats;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use event::{Action, Event, EventType};
