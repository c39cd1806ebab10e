//! What rskafka lacks, as a small Kafka client library for the pipeline's services.
//!
//! rskafka produces, reads partitions and lists metadata; this crate adds the rest:
//! - [`connection`]: a raw protocol connection (framing, version negotiation, TLS and SASL) on
//!   the `kafka-protocol` crate's message types, for the requests rskafka does not make;
//! - [`client`]: an rskafka client that gives up in bounded time, and partition clients;
//! - [`admin`]: topic creation and partition counts;
//! - [`fetch`]: our own read path: one Fetch per broker for all the partitions it leads,
//!   leader changes followed, isolation levels;
//! - [`scan`]: reading a partition from its earliest offset to its high watermark;
//! - [`fetch_size`]: how much a partition's next fetch asks for, growing past a large record;
//! - [`probe`]: a service's first contact with the cluster, which names what the security
//!   settings get wrong at once;
//! - [`names`]: Kafka's rules for topic names, checked before connecting;
//! - [`partitioner`]: Kafka's default key partitioner (murmur2), as Java and librdkafka hash;
//! - [`records`]: record batches decoded without copying (CRC, the four codecs, control batches);
//! - [`backoff`]: the one retry policy every retry loop uses;
//! - [`security`]: how connections are secured (`security.protocol`, SASL, TLS);
//! - [`tls`]: the one TLS configuration (rustls) that rskafka's connections and ours share;
//! - [`group`]: Kafka's classic consumer-group protocol (membership, coordinator requests,
//!   subscription codec, assignors).
//!
//! Errors are typed per layer: [`Error`] for connections and requests, [`group::GroupError`]
//! for group requests, with what a member does about each.

pub mod admin;
pub mod backoff;
pub mod client;
pub mod connection;
mod error;
pub mod fetch;
pub mod fetch_size;
pub mod group;
pub mod names;
pub mod partitioner;
pub mod probe;
pub mod records;
pub mod scan;
pub mod security;
pub mod tls;

pub use error::{Error, Mismatch, Result};
