//! What rskafka lacks, as a small Kafka client library for the pipeline's services, laid out as
//! the protocol stack it is. Each layer uses only the layers below it (a test,
//! `tests/layers.rs`, fails on any import that runs upwards), and has its own error type, which
//! the layer above lifts with `#[from]`:
//!
//! | layer | what it holds | its error |
//! |---|---|---|
//! | [`client`] | the clients: [`client::admin`], [`client::fetch`] (our read path), [`client::group`] (Kafka's classic consumer-group protocol), [`client::scan`], [`client::produce`] | [`client::Error`] (the crate's [`Error`]) |
//! | [`cluster`] | the cluster as a client sees it: bootstrap, brokers, partition leaders, group coordinators, the first contact ([`cluster::probe`]), rskafka's client | [`cluster::ClusterError`] |
//! | [`connection`] | one connection to one broker: transport, TLS, SASL, version negotiation, the security settings | [`connection::ConnectionError`] |
//! | [`protocol`] | bytes on the wire, no I/O: record batches, Kafka's naming rules | [`protocol::records::RecordsError`] |
//!
//! [`backoff`], the one retry policy, is used by every layer.
//!
//! rskafka still produces (through [`cluster::rskafka_client`]); everything else speaks Kafka through
//! our own [`connection`], on the `kafka-protocol` crate's message types.

pub mod backoff;
pub mod client;
pub mod cluster;
pub mod connection;
pub mod protocol;

pub use client::{Error, Result};
