//! The shop's domain, shared by the producer, consumer and verifier: the event model and its
//! JSON ([`event`]), the seedable generator ([`generator`]), statistics tables ([`stats`]), the
//! delivery audit ([`audit`]: headers, run manifests, seq ranges, per-run verdicts) and counting
//! one record read back ([`ingest`]). No Kafka and no process plumbing: those live in the
//! `kafka` and `service` crates.

pub mod audit;
pub mod event;
pub mod generator;
pub mod ingest;
pub mod stats;

pub use event::{Action, Event, EventType};
