//! The Fetch and ListOffsets requests of one broker's partitions, and what their answers say
//! per partition.

use bytes::Bytes;
use kafka_protocol::{
    error::{ParseResponseErrorCode, ResponseError},
    messages::{
        fetch_request::{FetchPartition, FetchTopic},
        list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic},
        BrokerId, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, TopicName,
    },
    protocol::StrBytes,
};

use super::{IsolationLevel, OffsetReset};

/// The highest Fetch version asked for: v11 has every field a reader needs (isolation level,
/// aborted transactions, last stable offset). v12 and later (flexible versions; topic ids from
/// v13) add nothing we use, and tansu's v12 answers do not decode (docs/brokers.md).
pub(super) const FETCH_VERSION_CAP: i16 = 11;

/// The highest ListOffsets version asked for: the newest tested on both local brokers.
pub(super) const LIST_OFFSETS_VERSION_CAP: i16 = 7;

/// ListOffsets' timestamp for the earliest offset.
const EARLIEST_TIMESTAMP: i64 = -2;

/// ListOffsets' timestamp for the end offset (the last stable offset under read_committed).
const LATEST_TIMESTAMP: i64 = -1;

/// One partition of a Fetch request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FetchPosition {
    /// The partition.
    pub partition: i32,
    /// The offset to read from.
    pub offset: i64,
    /// Bytes asked for.
    pub max_bytes: i32,
}

/// The shape of one request, shared by every Fetch of a reader.
#[derive(Debug, Clone, Copy)]
pub(super) struct FetchShape {
    /// Milliseconds the broker may wait for `min_bytes`.
    pub max_wait_ms: i32,
    /// Bytes for the whole answer.
    pub max_bytes: i32,
    /// Which records the broker answers with.
    pub isolation: IsolationLevel,
}

/// A Fetch of `positions` of `topic`, without a fetch session.
pub(super) fn fetch_request(
    topic: &str,
    shape: FetchShape,
    positions: &[FetchPosition],
) -> FetchRequest {
    let partitions = positions
        .iter()
        .map(|p| {
            FetchPartition::default()
                .with_partition(p.partition)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(p.offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(p.max_bytes)
        })
        .collect();
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(shape.max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(shape.max_bytes)
        .with_isolation_level(shape.isolation.code())
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(topic))
            .with_partitions(partitions)])
}

/// What a Fetch answer says about one partition.
#[derive(Debug, Clone)]
pub(super) struct PartitionAnswer {
    /// The partition.
    pub partition: i32,
    /// Kafka's error for the partition, if any.
    pub error: Option<ResponseError>,
    /// The partition's high watermark.
    pub high_watermark: i64,
    /// The last stable offset (read_committed reads stop there), -1 when not given.
    pub last_stable_offset: i64,
    /// `(producer id, first offset)` of the transactions aborted in the answer's range.
    pub aborted: Vec<(i64, i64)>,
    /// The record batches, undecoded (slices of the answer).
    pub records: Bytes,
}

impl PartitionAnswer {
    /// The offset below which records can be read now: the high watermark, or the last stable
    /// offset under read_committed when the broker names one.
    pub fn readable_end(&self, isolation: IsolationLevel) -> i64 {
        match isolation {
            IsolationLevel::ReadCommitted if self.last_stable_offset >= 0 => {
                self.last_stable_offset.min(self.high_watermark)
            }
            _ => self.high_watermark,
        }
    }
}

/// The answer's partitions of `topic`, or the error of the whole answer.
pub(super) fn partition_answers(
    response: FetchResponse,
    topic: &str,
) -> Result<Vec<PartitionAnswer>, ResponseError> {
    if let Some(error) = response.error_code.err() {
        return Err(error);
    }
    let answers = response
        .responses
        .into_iter()
        .filter(|t| t.topic.0.as_str() == topic)
        .flat_map(|t| t.partitions)
        .map(|p| PartitionAnswer {
            partition: p.partition_index,
            error: p.error_code.err(),
            high_watermark: p.high_watermark,
            last_stable_offset: p.last_stable_offset,
            aborted: p
                .aborted_transactions
                .unwrap_or_default()
                .iter()
                .map(|t| (t.producer_id.0, t.first_offset))
                .collect(),
            records: p.records.unwrap_or_default(),
        })
        .collect();
    Ok(answers)
}

/// A ListOffsets asking where `partitions` of `topic` begin or end.
pub(super) fn list_offsets_request(
    topic: &str,
    partitions: &[i32],
    at: OffsetReset,
    isolation: IsolationLevel,
) -> ListOffsetsRequest {
    let timestamp = match at {
        OffsetReset::Earliest => EARLIEST_TIMESTAMP,
        OffsetReset::Latest => LATEST_TIMESTAMP,
    };
    let partitions = partitions
        .iter()
        .map(|p| {
            ListOffsetsPartition::default()
                .with_partition_index(*p)
                .with_current_leader_epoch(-1)
                .with_timestamp(timestamp)
        })
        .collect();
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(isolation.code())
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(partitions)])
}

/// The offset of each partition of `topic` in a ListOffsets answer, or its error.
pub(super) fn listed_offsets(
    response: ListOffsetsResponse,
    topic: &str,
) -> Vec<(i32, Result<i64, ResponseError>)> {
    response
        .topics
        .into_iter()
        .filter(|t| t.name.0.as_str() == topic)
        .flat_map(|t| t.partitions)
        .map(|p| {
            let offset = match p.error_code.err() {
                Some(error) => Err(error),
                None => Ok(p.offset),
            };
            (p.partition_index, offset)
        })
        .collect()
}

fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use kafka_protocol::{
        messages::fetch_response::{AbortedTransaction, FetchableTopicResponse, PartitionData},
        messages::ProducerId,
        protocol::{Decodable, Encodable},
    };

    use super::*;

    /// Every version we may speak encodes the request, and the broker's answer decodes with
    /// the records as they were sent.
    #[test]
    fn fetch_round_trips_at_every_version_we_speak() {
        let shape = FetchShape {
            max_wait_ms: 500,
            max_bytes: 1 << 20,
            isolation: IsolationLevel::ReadCommitted,
        };
        let position = FetchPosition {
            partition: 2,
            offset: 40,
            max_bytes: 4096,
        };
        let request = fetch_request("t", shape, &[position]);
        let records = Bytes::from_static(b"batches");
        let response =
            FetchResponse::default().with_responses(vec![FetchableTopicResponse::default()
                .with_topic(topic_name("t"))
                .with_partitions(vec![PartitionData::default()
                    .with_partition_index(2)
                    .with_high_watermark(50)
                    .with_last_stable_offset(45)
                    .with_aborted_transactions(Some(vec![AbortedTransaction::default()
                        .with_producer_id(ProducerId(7))
                        .with_first_offset(41)]))
                    .with_records(Some(records.clone()))])]);
        for version in 4..=FETCH_VERSION_CAP {
            let mut buf = BytesMut::new();
            request.encode(&mut buf, version).unwrap();
            let decoded = FetchRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(decoded.topics[0].partitions[0].fetch_offset, 40);
            assert_eq!(decoded.isolation_level, 1);

            let mut buf = BytesMut::new();
            response.encode(&mut buf, version).unwrap();
            let decoded = FetchResponse::decode(&mut buf.freeze(), version).unwrap();
            let answers = partition_answers(decoded, "t").unwrap();
            assert_eq!(answers.len(), 1, "v{version}");
            let answer = &answers[0];
            assert_eq!(answer.aborted, [(7, 41)]);
            assert_eq!(answer.records, records);
            assert_eq!(answer.readable_end(IsolationLevel::ReadCommitted), 45);
            assert_eq!(answer.readable_end(IsolationLevel::ReadUncommitted), 50);
        }
    }

    #[test]
    fn an_answer_error_is_the_whole_answers() {
        let response = FetchResponse::default().with_error_code(70);
        assert_eq!(
            partition_answers(response, "t").unwrap_err(),
            ResponseError::FetchSessionIdNotFound
        );
    }
}
