//! What the consumer has processed: statistics, the audit of seqs seen, positions and lag,
//! end-to-end latency and the read rate.

use std::{collections::BTreeMap, time::Instant};

use chrono::{DateTime, Utc};
use events::{
    audit,
    ingest::{Ingest, RecordView},
};
use kafka::protocol::records::Record;

use crate::latency::LatencyHistogram;

/// How many invalid records are logged one by one before logging turns to one line a second.
const INVALID_LOGGED_IN_FULL: u64 = 5;

/// Everything processed so far, across generations.
#[derive(Debug, Default)]
pub struct Tally {
    /// Counts by type and user, invalid records, seqs seen per producer run.
    pub ingest: Ingest,
    /// partition → next offset to process: what may be committed.
    pub positions: BTreeMap<i32, i64>,
    /// partition → high watermark at the last fetch.
    pub high_watermarks: BTreeMap<i32, i64>,
    /// Record timestamp → counted here, for every record.
    pub latency: LatencyHistogram,
    /// When the first and the latest records were counted.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    last_invalid_log: Option<Instant>,
}

impl Tally {
    /// Counts one record of `partition`. Invalid payloads are counted, logged at a bounded
    /// rate, and skipped.
    pub fn process(&mut self, partition: i32, record: &Record<'_>) {
        let now = Utc::now();
        let age_ms = now.timestamp_millis().saturating_sub(record.timestamp);
        self.latency.record(std::time::Duration::from_millis(
            age_ms.max(0).unsigned_abs(),
        ));
        self.span = Some((self.span.map_or(now, |(first, _)| first), now));
        let view = RecordView {
            partition,
            key: record.key,
            tag: audit::tag_of(
                record.header(audit::RUN_ID_HEADER.as_bytes()),
                record.header(audit::SEQ_HEADER.as_bytes()),
            ),
            value: record.value,
        };
        if let Err(reason) = self.ingest.count(view) {
            self.log_invalid(partition, record.offset, &reason.to_string());
        }
        self.positions.insert(partition, record.offset + 1);
    }

    /// Moves `partition`'s position to `next`, past batches that held nothing to count
    /// (transaction markers, aborted transactions), so that commits go past them too.
    pub fn advance(&mut self, partition: i32, next: i64) {
        let position = self.positions.entry(partition).or_insert(next);
        *position = (*position).max(next);
    }

    /// Logs an invalid record, one line each for the first few, then at most one a second.
    fn log_invalid(&mut self, partition: i32, offset: i64, reason: &str) {
        let invalid = self.ingest.stats.invalid;
        let quiet = invalid > INVALID_LOGGED_IN_FULL
            && self
                .last_invalid_log
                .is_some_and(|at| at.elapsed().as_secs() < 1);
        if !quiet {
            self.last_invalid_log = Some(Instant::now());
            tracing::warn!(
                partition,
                offset,
                reason,
                total_invalid = invalid,
                "invalid record skipped"
            );
        }
    }

    /// Lag of each partition in `owned`: high watermark − position.
    pub fn lag(&self, owned: &[i32]) -> BTreeMap<i32, i64> {
        owned
            .iter()
            .map(|p| {
                let position = self.positions.get(p).copied().unwrap_or(0);
                let end = self.high_watermarks.get(p).copied().unwrap_or(position);
                (*p, (end - position).max(0))
            })
            .collect()
    }

    /// Records counted per second, from the first record to the latest (0 before two records).
    pub fn read_rate(&self) -> f64 {
        let Some((first, last)) = self.span else {
            return 0.0;
        };
        let seconds = last.signed_duration_since(first).as_seconds_f64();
        let counted = self.ingest.total();
        if seconds > 0.0 {
            (counted - 1) as f64 / seconds
        } else {
            0.0
        }
    }

    /// The positions of `owned` partitions, to commit.
    pub fn positions_of(&self, owned: &[i32]) -> BTreeMap<i32, i64> {
        owned
            .iter()
            .filter_map(|p| self.positions.get(p).map(|o| (*p, *o)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use events::audit::AuditTag;
    use kafka::protocol::records::read_batches;
    use kafka_protocol::{
        indexmap::IndexMap,
        protocol::StrBytes,
        records::{Compression, RecordBatchEncoder, RecordEncodeOptions, TimestampType},
    };

    use super::*;

    const GOOD: &[u8] = br#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user1","event_type":"connexion","session_id":"session_1000"}"#;

    /// Records as a broker sends them: `(offset, value, seq, age)` encoded in one batch.
    fn batch(records: &[(i64, &[u8], Option<u64>, i64)]) -> bytes::Bytes {
        let now = Utc::now().timestamp_millis();
        let records: Vec<kafka_protocol::records::Record> = records
            .iter()
            .map(|(offset, value, seq, age_ms)| {
                let headers: IndexMap<StrBytes, Option<bytes::Bytes>> = seq
                    .map(|seq| {
                        AuditTag {
                            run_id: "r".into(),
                            seq,
                        }
                        .to_headers()
                    })
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (StrBytes::from_string(k), Some(v.into())))
                    .collect();
                kafka_protocol::records::Record {
                    transactional: false,
                    control: false,
                    partition_leader_epoch: 0,
                    producer_id: -1,
                    producer_epoch: -1,
                    timestamp_type: TimestampType::Creation,
                    offset: *offset,
                    sequence: -1,
                    timestamp: now - age_ms,
                    key: Some(bytes::Bytes::from_static(b"user1")),
                    value: Some(bytes::Bytes::copy_from_slice(value)),
                    headers,
                    delete_horizon: false,
                }
            })
            .collect();
        let options = RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        };
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(&mut buf, &records, &options).unwrap();
        buf.freeze()
    }

    fn process_all(tally: &mut Tally, partition: i32, records: bytes::Bytes) {
        for batch in read_batches(records).unwrap().batches {
            for record in batch.records() {
                tally.process(partition, &record.unwrap());
            }
        }
    }

    #[test]
    fn invalid_records_are_counted_and_skipped_positions_always_advance() {
        let mut tally = Tally::default();
        let records = batch(&[
            (10, GOOD, Some(0), 0),
            (11, b"garbage", Some(1), 0),
            (12, GOOD, None, 0),
        ]);
        process_all(&mut tally, 2, records);
        assert_eq!(
            (
                tally.ingest.stats.events,
                tally.ingest.stats.invalid,
                tally.ingest.audit.unaudited
            ),
            (2, 1, 1)
        );
        assert_eq!(tally.positions_of(&[2, 3]), BTreeMap::from([(2, 13)]));
        tally.high_watermarks.insert(2, 20);
        assert_eq!(tally.lag(&[2]), BTreeMap::from([(2, 7)]));
        assert_eq!(tally.ingest.audit.seen()["r"], vec![[0, 1]]);
        tally.advance(2, 15);
        tally.advance(2, 14);
        assert_eq!(tally.positions_of(&[2]), BTreeMap::from([(2, 15)]));
    }

    #[test]
    fn latency_is_measured_from_the_record_timestamp() {
        let mut tally = Tally::default();
        process_all(&mut tally, 0, batch(&[(0, GOOD, Some(0), 250)]));
        let summary = tally.latency.summary().unwrap();
        assert_eq!(summary.count, 1);
        assert!((250.0..1_000.0).contains(&summary.p50_ms), "{summary:?}");
        assert_eq!(tally.read_rate(), 0.0, "one record gives no rate");
    }
}
