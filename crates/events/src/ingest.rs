//! Counting one record read from the topic, the same way for every reader (the consumer's live
//! statistics and the verifier's full scan): the delivery audit notes its tag, the strict check
//! decides whether it is an event, and the statistics count it as valid or invalid.

use crate::{
    audit::DeliveryAudit,
    event::{Checked, DecodeError},
    stats::Stats,
};

/// A record as a reader hands it over: where it was, its key, its audit tag and its value.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// The record's partition.
    pub partition: i32,
    /// The record's key.
    pub key: Option<&'a [u8]>,
    /// Its audit tag `(run_id, seq)`, `None` for a record without audit headers.
    pub tag: Option<(&'a str, u64)>,
    /// The record's value.
    pub value: Option<&'a [u8]>,
}

/// What every reader counts: events by type and user, invalid records, the audit of seqs seen.
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// Counts of valid events by type and user, and of invalid records.
    pub stats: Stats,
    /// The audit tags seen, per producer run.
    pub audit: DeliveryAudit,
}

impl Ingest {
    /// Counts one record; returns the event's checked parts, or why it is not an event (the
    /// reader decides what to show of it).
    pub fn count<'a>(&mut self, record: RecordView<'a>) -> Result<Checked<'a>, DecodeError> {
        self.audit
            .observe_parts(record.partition, record.key, record.tag);
        let checked = match record.value {
            Some(value) => Checked::from_json(value),
            None => Err(DecodeError::Malformed("empty record (no value)".into())),
        };
        match &checked {
            Ok(event) => self.stats.record_parts(event.event_type, &event.user_id),
            Err(_) => self.stats.record_invalid(),
        }
        checked
    }

    /// Records counted, valid or not.
    pub fn total(&self) -> u64 {
        self.stats.total()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventType;

    const GOOD: &[u8] = br#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user1","event_type":"connexion","session_id":"session_1000"}"#;

    fn view<'a>(value: Option<&'a [u8]>, tag: Option<(&'a str, u64)>) -> RecordView<'a> {
        RecordView {
            partition: 0,
            key: Some(b"user1"),
            tag,
            value,
        }
    }

    #[test]
    fn valid_invalid_and_unaudited_records_are_each_counted_once() {
        let mut ingest = Ingest::default();
        let event = ingest.count(view(Some(GOOD), Some(("r", 0)))).unwrap();
        assert_eq!(event.event_type, EventType::Connexion);
        assert!(ingest
            .count(view(Some(b"garbage"), Some(("r", 1))))
            .is_err());
        assert!(ingest.count(view(None, None)).is_err());
        ingest.count(view(Some(GOOD), None)).unwrap();
        assert_eq!((ingest.stats.events, ingest.stats.invalid), (2, 2));
        assert_eq!(ingest.total(), 4);
        assert_eq!(ingest.audit.unaudited, 2);
        assert_eq!(ingest.audit.seen()["r"], vec![[0, 1]]);
    }
}
