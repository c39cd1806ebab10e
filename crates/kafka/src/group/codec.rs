//! The consumer protocol's embedded messages: a member's subscription (JoinGroup metadata) and
//! its assignment (SyncGroup payload), each a version (int16) followed by the struct at that
//! version, exactly as Kafka's `ConsumerProtocol` writes them so other clients can read ours.

use std::collections::{BTreeMap, BTreeSet};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::{
    messages::{
        consumer_protocol_assignment::TopicPartition as AssignedTopic, ConsumerProtocolAssignment,
        ConsumerProtocolSubscription, TopicName,
    },
    protocol::{Decodable, Encodable, Message, StrBytes},
};

/// A consumer-protocol payload that does not encode or decode.
#[derive(Debug, thiserror::Error)]
#[error("bad {what}: {reason}")]
pub struct CodecError {
    /// What was being read or written: subscription or assignment.
    pub what: &'static str,
    /// Why it failed.
    pub reason: String,
}

type Result<T> = std::result::Result<T, CodecError>;

/// The version we write: every client reads it.
const WRITE_VERSION: i16 = 0;

/// Encodes a subscription to `topics`.
pub fn encode_subscription(topics: &[String]) -> Result<Bytes> {
    let subscription = ConsumerProtocolSubscription::default().with_topics(
        topics
            .iter()
            .map(|t| StrBytes::from_string(t.clone()))
            .collect(),
    );
    with_version(&subscription, "subscription")
}

/// Decodes another member's subscription into its topics.
pub fn decode_subscription(metadata: &Bytes) -> Result<BTreeSet<String>> {
    let subscription: ConsumerProtocolSubscription = versioned(metadata, "subscription")?;
    Ok(subscription.topics.iter().map(|t| t.to_string()).collect())
}

/// Encodes an assignment of topic → partitions.
pub fn encode_assignment(partitions: &BTreeMap<String, Vec<i32>>) -> Result<Bytes> {
    let assignment = ConsumerProtocolAssignment::default().with_assigned_partitions(
        partitions
            .iter()
            .map(|(topic, partitions)| {
                AssignedTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(partitions.clone())
            })
            .collect(),
    );
    with_version(&assignment, "assignment")
}

/// Decodes our assignment; an empty payload (no partitions for us) is an empty map.
pub fn decode_assignment(payload: &Bytes) -> Result<BTreeMap<String, Vec<i32>>> {
    if payload.is_empty() {
        return Ok(BTreeMap::new());
    }
    let assignment: ConsumerProtocolAssignment = versioned(payload, "assignment")?;
    Ok(assignment
        .assigned_partitions
        .into_iter()
        .map(|t| (t.topic.0.to_string(), t.partitions))
        .collect())
}

fn with_version<M: Encodable>(message: &M, what: &'static str) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    buf.put_i16(WRITE_VERSION);
    message
        .encode(&mut buf, WRITE_VERSION)
        .map_err(|e| CodecError {
            what,
            reason: format!("{e:#}"),
        })?;
    Ok(buf.freeze())
}

/// Reads the version prefix, then the struct. Newer versions only append fields, so a version
/// above what we know is read as the newest we know, as Kafka's own readers do.
fn versioned<M: Decodable + Message>(payload: &Bytes, what: &'static str) -> Result<M> {
    let error = |reason: String| CodecError { what, reason };
    let mut buf = payload.clone();
    if buf.remaining() < 2 {
        return Err(error(format!(
            "payload of {} bytes has no version",
            buf.remaining()
        )));
    }
    let version = buf.get_i16().clamp(M::VERSIONS.min, M::VERSIONS.max);
    M::decode(&mut buf, version).map_err(|e| error(format!("{e:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_round_trips_and_matches_kafkas_bytes() {
        let bytes = encode_subscription(&["evenements".to_string()]).unwrap();
        // version 0, one topic (int32 count), string "evenements", null user data
        let mut expected = vec![0, 0, 0, 0, 0, 1, 0, 10];
        expected.extend_from_slice(b"evenements");
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&bytes[..], &expected[..]);
        assert_eq!(
            decode_subscription(&bytes).unwrap(),
            BTreeSet::from(["evenements".to_string()])
        );
    }

    #[test]
    fn assignment_round_trips_and_empty_means_nothing() {
        let owned = BTreeMap::from([("t".to_string(), vec![0, 2])]);
        assert_eq!(
            decode_assignment(&encode_assignment(&owned).unwrap()).unwrap(),
            owned
        );
        assert!(decode_assignment(&Bytes::new()).unwrap().is_empty());
    }

    #[test]
    fn newer_subscription_versions_are_read() {
        let subscription = ConsumerProtocolSubscription::default()
            .with_topics(vec![StrBytes::from_static_str("t")])
            .with_generation_id(4);
        let mut buf = BytesMut::new();
        buf.put_i16(3);
        subscription.encode(&mut buf, 3).unwrap();
        assert_eq!(
            decode_subscription(&buf.freeze()).unwrap(),
            BTreeSet::from(["t".to_string()])
        );
        assert!(decode_subscription(&Bytes::from_static(&[0])).is_err());
    }
}
