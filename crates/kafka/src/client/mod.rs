//! The top of the stack: the clients a service uses, each on the [`crate::cluster`] and
//! [`crate::connection`] layers.
//! - [`admin`]: topic creation and deletion, group deletion;
//! - [`fetch`]: our own read path: one Fetch per broker for all the partitions it leads,
//!   leader changes followed, isolation levels;
//! - [`scan`]: reading a partition from its earliest offset to its high watermark;
//! - [`group`]: Kafka's classic consumer-group protocol (membership, coordinator requests,
//!   subscription codec, assignors);
//! - [`produce`]: what producing needs of our own (the records go through rskafka).
//!
//! Their errors are one type, [`Error`], into which the lower layers' lift.

pub mod admin;
mod error;
pub mod fetch;
pub mod group;
pub mod produce;
pub mod scan;

pub use error::{Error, Result};
