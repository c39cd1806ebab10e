//! What the consumer has processed: statistics, the audit of seqs seen, positions and lag,
//! end-to-end latency and the read rate.

use std::{collections::BTreeMap, time::Instant};

use chrono::{DateTime, Utc};
use events::ingest::{Ingest, RecordView};

use crate::{fetcher::FetchedRecord, latency::LatencyHistogram};

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
    pub fn process(&mut self, partition: i32, record: &FetchedRecord) {
        let now = Utc::now();
        let age = now.signed_duration_since(record.timestamp);
        self.latency.record(age.to_std().unwrap_or_default());
        self.span = Some((self.span.map_or(now, |(first, _)| first), now));
        let view = RecordView {
            partition,
            key: record.key.as_deref(),
            tag: record.tag.as_ref().map(|(run_id, seq)| (&**run_id, *seq)),
            value: record.value.as_deref(),
        };
        if let Err(reason) = self.ingest.count(view) {
            self.log_invalid(partition, record.offset, &reason.to_string());
        }
        self.positions.insert(partition, record.offset + 1);
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
    use chrono::Utc;
    use events::audit::AuditTag;
    use rskafka::record::{Record, RecordAndOffset};

    use super::*;

    /// A record as the fetch task hands it over, from an rskafka one.
    fn record(offset: i64, value: &[u8], seq: Option<u64>) -> FetchedRecord {
        let headers = seq
            .map(|seq| {
                AuditTag {
                    run_id: "r".into(),
                    seq,
                }
                .to_headers()
            })
            .unwrap_or_default();
        let record = RecordAndOffset {
            record: Record {
                key: Some(b"user1".to_vec()),
                value: Some(value.to_vec()),
                headers,
                timestamp: Utc::now(),
            },
            offset,
        };
        FetchedRecord::from_records(vec![record]).remove(0)
    }

    #[test]
    fn invalid_records_are_counted_and_skipped_positions_always_advance() {
        let mut tally = Tally::default();
        let good = br#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user1","event_type":"connexion","session_id":"session_1000"}"#;
        tally.process(2, &record(10, good, Some(0)));
        tally.process(2, &record(11, b"garbage", Some(1)));
        tally.process(2, &record(12, good, None));
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
    }

    #[test]
    fn latency_is_measured_from_the_record_timestamp() {
        let mut tally = Tally::default();
        let good = br#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user1","event_type":"connexion","session_id":"session_1000"}"#;
        let mut old = record(0, good, Some(0));
        old.timestamp = Utc::now() - chrono::Duration::milliseconds(250);
        tally.process(0, &old);
        let summary = tally.latency.summary().unwrap();
        assert_eq!(summary.count, 1);
        assert!((250.0..1_000.0).contains(&summary.p50_ms), "{summary:?}");
        assert_eq!(tally.read_rate(), 0.0, "one record gives no rate");
    }
}
