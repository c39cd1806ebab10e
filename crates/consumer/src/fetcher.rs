//! Fetching owned partitions with rskafka: one task per partition, each pushing its batches into
//! one channel that the consumer loop drains. Aborting the tasks gives the partitions up.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use events::audit;
use kafka::{
    backoff::Backoff,
    fetch_size::{Answer, FetchSize},
};
use rskafka::{
    client::{
        error::{Error as ClientError, ProtocolError},
        partition::{OffsetAt, PartitionClient},
    },
    record::RecordAndOffset,
};
use tokio::{sync::mpsc, task::JoinSet};

/// Bytes asked for per partition fetch: half of librdkafka's default, for memory, since rskafka
/// decodes a fetch into records several times its size (docs/benchmarks.md weighs the trade).
const FETCH_MAX_BYTES: i32 = 512 * 1024;

/// One record as the consumer keeps it: rskafka's record without its header map, whose audit
/// tag is read on the fetch task. A decoded header map costs several times the rest of a
/// record: dropping it before the record is queued keeps memory low, and spares the consumer's
/// main task its parsing and freeing.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedRecord {
    /// The record's offset.
    pub offset: i64,
    /// The record's timestamp.
    pub timestamp: DateTime<Utc>,
    /// The record's key.
    pub key: Option<Vec<u8>>,
    /// The record's value.
    pub value: Option<Vec<u8>>,
    /// The audit tag `(run_id, seq)` of its headers, `None` for an unaudited record.
    pub tag: Option<(Arc<str>, u64)>,
}

impl FetchedRecord {
    /// Keeps what the consumer needs of rskafka's records; consecutive records of one producer
    /// run share one `run_id`.
    pub fn from_records(records: Vec<RecordAndOffset>) -> Vec<FetchedRecord> {
        let mut run_id: Option<Arc<str>> = None;
        records
            .into_iter()
            .map(|RecordAndOffset { record, offset }| {
                let tag = audit::parse_headers(&record.headers).map(|(id, seq)| {
                    let id = match &run_id {
                        Some(last) if **last == *id => Arc::clone(last),
                        _ => Arc::clone(run_id.insert(Arc::from(id))),
                    };
                    (id, seq)
                });
                FetchedRecord {
                    offset,
                    timestamp: record.timestamp,
                    key: record.key,
                    value: record.value,
                    tag,
                }
            })
            .collect()
    }
}

/// One fetch's worth of records.
pub struct Fetched {
    /// The partition.
    pub partition: i32,
    /// Records in offset order (possibly none).
    pub records: Vec<FetchedRecord>,
    /// The partition's high watermark at the fetch.
    pub high_watermark: i64,
}

/// The fetch tasks of one generation.
pub struct Fetchers {
    tasks: JoinSet<()>,
    /// Batches from every owned partition.
    pub batches: mpsc::Receiver<Fetched>,
}

impl Fetchers {
    /// Starts fetching each partition from its offset; `reset` is where to go when an offset
    /// is out of range (retention removed it, or it is past the end); a fetch waits at most
    /// `max_wait` on the broker for new records, and grows up to `max_bytes` for a record
    /// larger than the usual fetch.
    pub fn start(
        partitions: BTreeMap<i32, (Arc<PartitionClient>, i64)>,
        reset: OffsetAt,
        max_wait: Duration,
        max_bytes: i32,
    ) -> Fetchers {
        let max_wait_ms = i32::try_from(max_wait.as_millis()).unwrap_or(i32::MAX);
        // One batch per partition waiting while the next is fetched: fetching overlaps
        // processing, and memory stays bounded (see FETCH_MAX_BYTES).
        let (tx, batches) = mpsc::channel(partitions.len().max(1));
        let mut tasks = JoinSet::new();
        for (partition, (client, offset)) in partitions {
            let limits = Limits {
                reset,
                max_wait_ms,
                max_bytes,
            };
            tasks.spawn(fetch_partition(
                partition,
                client,
                offset,
                limits,
                tx.clone(),
            ));
        }
        Fetchers { tasks, batches }
    }

    /// Stops every fetch task at once; batches not yet received are dropped (never counted).
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }

    /// Stops taking batches and lets each task's fetch in flight come back (within the fetch's
    /// `max_wait`) before ending the tasks, for at most `limit`. What those fetches bring is
    /// dropped, never counted.
    pub async fn drain(mut self, limit: Duration) {
        drop(self.batches); // each task ends at its next send
        let all_done = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(limit, all_done).await.is_err() {
            self.tasks.abort_all();
        }
    }
}

/// How a partition is fetched.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Where to go when the offset is out of range.
    reset: OffsetAt,
    /// How long a fetch may wait on the broker.
    max_wait_ms: i32,
    /// The largest fetch, for a record larger than the usual one.
    max_bytes: i32,
}

async fn fetch_partition(
    partition: i32,
    client: Arc<PartitionClient>,
    mut offset: i64,
    limits: Limits,
    tx: mpsc::Sender<Fetched>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(2));
    let mut size = FetchSize::new(FETCH_MAX_BYTES, limits.max_bytes);
    // The offset a stall was reported at: said once, loudly, not at every retry.
    let mut reported_stuck_at = None;
    loop {
        match client
            .fetch_records(offset, 1..size.bytes(), limits.max_wait_ms)
            .await
        {
            Ok((records, high_watermark)) => {
                match size.after(offset, !records.is_empty(), high_watermark) {
                    Answer::Records => backoff.reset(),
                    Answer::Grown(bytes) => tracing::info!(
                        partition,
                        offset,
                        bytes,
                        "no record fits the fetch: asking for more bytes"
                    ),
                    Answer::Stuck => {
                        if reported_stuck_at.replace(offset) != Some(offset) {
                            tracing::error!(
                                partition,
                                offset,
                                high_watermark,
                                max_bytes = size.bytes(),
                                "stuck: the record at this offset is larger than \
                                 --fetch-max-bytes (or the broker withholds it); raise \
                                 --fetch-max-bytes"
                            );
                        }
                        tokio::time::sleep(backoff.next_wait()).await;
                    }
                }
                if let Some(last) = records.last() {
                    offset = last.offset + 1;
                }
                let fetched = Fetched {
                    partition,
                    records: FetchedRecord::from_records(records),
                    high_watermark,
                };
                if tx.send(fetched).await.is_err() {
                    return;
                }
            }
            Err(ClientError::ServerError {
                protocol_error: ProtocolError::OffsetOutOfRange,
                ..
            }) => match client.get_offset(limits.reset).await {
                Ok(start) => {
                    tracing::warn!(
                        partition,
                        offset,
                        reset_to = start,
                        "offset out of range, resetting"
                    );
                    offset = start;
                }
                Err(error) => retry_later(partition, &error, &mut backoff).await,
            },
            Err(error) => retry_later(partition, &error, &mut backoff).await,
        }
    }
}

async fn retry_later(partition: i32, error: &ClientError, backoff: &mut Backoff) {
    let wait = backoff.next_wait();
    tracing::warn!(partition, %error, retry_in = ?wait, "fetch failed, retrying");
    tokio::time::sleep(wait).await;
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use events::audit::AuditTag;
    use rskafka::record::Record;

    use super::*;

    #[test]
    fn records_keep_their_fields_and_share_run_ids() {
        let rskafka_record = |offset, run_id: &str| RecordAndOffset {
            record: Record {
                key: Some(b"user1".to_vec()),
                value: Some(b"{}".to_vec()),
                headers: AuditTag::headers(run_id, offset as u64),
                timestamp: Utc::now(),
            },
            offset,
        };
        let mut unaudited = rskafka_record(3, "b");
        unaudited.record.headers.clear();
        let records = vec![
            rskafka_record(0, "a"),
            rskafka_record(1, "a"),
            rskafka_record(2, "b"),
            unaudited,
        ];
        let fetched = FetchedRecord::from_records(records.clone());
        for (kept, original) in fetched.iter().zip(&records) {
            assert_eq!(kept.offset, original.offset);
            assert_eq!(kept.timestamp, original.record.timestamp);
            assert_eq!(kept.key, original.record.key);
            assert_eq!(kept.value, original.record.value);
        }
        let tags: Vec<Option<(&str, u64)>> = fetched
            .iter()
            .map(|r| r.tag.as_ref().map(|(id, seq)| (&**id, *seq)))
            .collect();
        assert_eq!(tags, [Some(("a", 0)), Some(("a", 1)), Some(("b", 2)), None]);
        let (first, second) = (&fetched[0].tag, &fetched[1].tag);
        assert!(Arc::ptr_eq(
            &first.as_ref().unwrap().0,
            &second.as_ref().unwrap().0
        ));
    }
}
