//! The bottom of the stack: what travels on the wire, with no I/O. Record batches decoded
//! without copying ([`records`]), and Kafka's rules for names ([`names`]). Request and response
//! messages themselves are the `kafka-protocol` crate's types; [`text`] makes their strings.

pub mod names;
pub mod records;

use kafka_protocol::protocol::StrBytes;

/// A protocol string (topic, group, member id) from ours.
pub fn text(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}
