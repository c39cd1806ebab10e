//! Which batches of a read_committed answer belong to aborted transactions.
//!
//! The broker lists, with each answer, the transactions aborted in its range as
//! `(producer id, first offset)`. Going through the batches in offset order, a producer's
//! transactional batches are aborted from its transaction's first offset until the abort
//! marker (a control batch) of that producer, as Kafka's own consumer reads them.

use std::collections::{HashSet, VecDeque};

use crate::protocol::records::{ControlMarker, RecordBatch};

/// The aborted transactions of one answer, consumed as its batches go by.
#[derive(Debug, Default)]
pub(super) struct AbortedTransactions {
    /// `(producer id, first offset)`, by first offset, not reached yet.
    upcoming: VecDeque<(i64, i64)>,
    /// Producers whose aborted transaction is open at the current batch.
    open: HashSet<i64>,
}

impl AbortedTransactions {
    /// The answer's list of aborted transactions (empty under read_uncommitted).
    pub fn new(mut aborted: Vec<(i64, i64)>) -> AbortedTransactions {
        aborted.sort_by_key(|(_, first_offset)| *first_offset);
        AbortedTransactions {
            upcoming: aborted.into(),
            open: HashSet::new(),
        }
    }

    /// Whether `batch` is handed to the reader: not a control batch, and not part of an
    /// aborted transaction. Batches must come in offset order.
    pub fn keeps(&mut self, batch: &RecordBatch) -> bool {
        while let Some(&(producer, first_offset)) = self.upcoming.front() {
            if first_offset > batch.last_offset() {
                break;
            }
            self.open.insert(producer);
            self.upcoming.pop_front();
        }
        if batch.is_control() {
            if batch.control_marker() == Some(ControlMarker::Abort) {
                self.open.remove(&batch.producer_id);
            }
            return false;
        }
        !(batch.is_transactional() && self.open.contains(&batch.producer_id))
    }
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    use super::*;
    use crate::protocol::records::read_batches;

    /// One batch of `producer` at `offset`: a data record, or a marker (`Some(abort)`).
    fn batch(offset: i64, producer: i64, marker: Option<bool>) -> Bytes {
        let key = marker.map(|abort| Bytes::from(vec![0, 0, 0, u8::from(!abort)]));
        let record = Record {
            transactional: producer >= 0,
            control: marker.is_some(),
            partition_leader_epoch: 0,
            producer_id: producer,
            producer_epoch: 0,
            timestamp_type: TimestampType::Creation,
            offset,
            sequence: 0,
            timestamp: 0,
            key,
            value: Some(Bytes::from_static(b"v")),
            headers: Default::default(),
            delete_horizon: false,
        };
        let options = RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        };
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(&mut buf, [&record], &options).unwrap();
        buf.freeze()
    }

    /// The offsets of the batches kept from `batches` given the answer's aborted list.
    fn kept(batches: &[Bytes], aborted: Vec<(i64, i64)>) -> Vec<i64> {
        let all: Vec<u8> = batches.iter().flat_map(|b| b.to_vec()).collect();
        let mut filter = AbortedTransactions::new(aborted);
        read_batches(Bytes::from(all))
            .unwrap()
            .batches
            .iter()
            .filter(|b| filter.keeps(b))
            .map(|b| b.base_offset)
            .collect()
    }

    #[test]
    fn aborted_transactions_and_markers_are_left_out() {
        // Producer 1 commits (0, 1, marker 2); producer 2 aborts (3, 5, marker 6) while
        // producer 1's next transaction (4, marker 7) and a plain record (8) go by.
        let batches = [
            batch(0, 1, None),
            batch(1, 1, None),
            batch(2, 1, Some(false)),
            batch(3, 2, None),
            batch(4, 1, None),
            batch(5, 2, None),
            batch(6, 2, Some(true)),
            batch(7, 1, Some(false)),
            batch(8, -1, None),
        ];
        assert_eq!(kept(&batches, vec![(2, 3)]), [0, 1, 4, 8]);
        // read_uncommitted: no list, only the markers go.
        assert_eq!(kept(&batches, Vec::new()), [0, 1, 3, 4, 5, 8]);
    }

    #[test]
    fn a_producer_aborting_twice_is_skipped_only_inside_its_aborted_ranges() {
        let batches = [
            batch(0, 5, None),
            batch(1, 5, Some(true)),
            batch(2, 5, None),
            batch(3, 5, Some(false)),
            batch(4, 5, None),
            batch(5, 5, Some(true)),
        ];
        assert_eq!(kept(&batches, vec![(5, 4), (5, 0)]), [2]);
    }
}
