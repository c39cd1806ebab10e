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
    check_array_lengths(metadata, Payload::Subscription).map_err(|reason| CodecError {
        what: "subscription",
        reason,
    })?;
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
    check_array_lengths(payload, Payload::Assignment).map_err(|reason| CodecError {
        what: "assignment",
        reason,
    })?;
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

/// The two payloads, for [`check_array_lengths`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Payload {
    Subscription,
    Assignment,
}

/// Walks a payload's layout and checks that no array claims more elements than bytes are left.
///
/// kafka-protocol 0.18 sizes an array's `Vec` from the length on the wire before it reads an
/// element, so a few bytes claiming two billion elements make it ask for tens of gigabytes and
/// abort the process. These payloads come from other members of the group: their arrays are
/// checked here first (every element takes at least a byte), and a payload that passes decodes
/// within memory bounded by its size.
fn check_array_lengths(payload: &[u8], kind: Payload) -> std::result::Result<(), String> {
    let mut walk = Walk(payload);
    let version = walk.i16()?;
    match kind {
        Payload::Subscription => {
            walk.array(|w| w.string())?;
            walk.bytes()?;
            if version >= 1 {
                walk.array(|w| {
                    w.string()?;
                    w.array(|w| w.i32().map(drop))
                })?;
            }
        }
        Payload::Assignment => {
            walk.array(|w| {
                w.string()?;
                w.array(|w| w.i32().map(drop))
            })?;
        }
    }
    Ok(())
}

/// A cursor over a payload that only checks lengths.
struct Walk<'a>(&'a [u8]);

impl Walk<'_> {
    fn take(&mut self, count: usize) -> std::result::Result<&[u8], String> {
        if count > self.0.len() {
            return Err(format!(
                "{count} bytes claimed, {} left in the payload",
                self.0.len()
            ));
        }
        let (taken, rest) = self.0.split_at(count);
        self.0 = rest;
        Ok(taken)
    }

    fn i16(&mut self) -> std::result::Result<i16, String> {
        let bytes = self.take(2)?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn i32(&mut self) -> std::result::Result<i32, String> {
        let bytes = self.take(4)?;
        Ok(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A string (int16 length; -1: null).
    fn string(&mut self) -> std::result::Result<(), String> {
        let length = self.i16()?;
        self.take(usize::try_from(length).unwrap_or(0)).map(drop)
    }

    /// Nullable bytes (int32 length; -1: null).
    fn bytes(&mut self) -> std::result::Result<(), String> {
        let length = self.i32()?;
        self.take(usize::try_from(length).unwrap_or(0)).map(drop)
    }

    /// An array (int32 count; -1: null) of elements each read by `element`.
    fn array(
        &mut self,
        mut element: impl FnMut(&mut Self) -> std::result::Result<(), String>,
    ) -> std::result::Result<(), String> {
        let count = usize::try_from(self.i32()?).unwrap_or(0);
        if count > self.0.len() {
            return Err(format!(
                "an array of {count} elements in {} bytes",
                self.0.len()
            ));
        }
        (0..count).try_for_each(|_| element(self))
    }
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

    #[test]
    fn an_array_longer_than_its_payload_is_refused_before_decoding() {
        // A version, then an array claiming i32::MAX topics in no bytes.
        let claim = Bytes::from_static(&[0, 0, 0x7f, 0xff, 0xff, 0xff]);
        let error = decode_subscription(&claim).unwrap_err();
        assert!(
            error.reason.contains("2147483647 elements in 0 bytes"),
            "{error}"
        );
        assert!(decode_assignment(&claim).is_err());
    }

    proptest::proptest! {
        /// Whatever a member or coordinator sends as a subscription or assignment, decoding
        /// answers Ok or Err, never panics.
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)
        ) {
            let bytes = Bytes::from(bytes);
            let _ = decode_subscription(&bytes);
            let _ = decode_assignment(&bytes);
        }
    }
}
