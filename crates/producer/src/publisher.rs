//! Publishing events with batching and acknowledgement tracking.
//!
//! One rskafka `BatchProducer` per partition gathers records into batches (so `--rate 0` is
//! fast); every event's produce future stays in flight until the broker answers, and only then is
//! it counted as acked or failed. Nothing is counted as acked on hope.

use std::{pin::Pin, sync::Arc, time::Duration};

use chrono::Utc;
use events::{
    audit::{AuditTag, SeqRanges},
    kafka::partitioner::partition_for_key,
    stats::Stats,
    Event, EventType,
};
use futures::{stream::FuturesUnordered, Future, FutureExt, StreamExt};
use rskafka::{
    client::{
        partition::{Compression, PartitionClient},
        producer::{aggregator::RecordAggregator, BatchProducer, BatchProducerBuilder},
    },
    record::Record,
};

/// How long a partition's batch waits for more records before it is sent.
const LINGER: Duration = Duration::from_millis(5);

/// Largest batch sent in one request.
const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Events in flight at most; past this the generator waits for acknowledgements.
pub const MAX_IN_FLIGHT: usize = 100_000;

/// What happened to one event once the broker answered.
struct Outcome {
    seq: u64,
    event_type: EventType,
    user_id: String,
    acked: bool,
}

type InFlight = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Counts of a run so far.
#[derive(Debug, Default)]
pub struct Tally {
    /// Events handed to the client.
    pub sent: u64,
    /// Acked events, by type and user.
    pub acked: Stats,
    /// Seqs that failed for good.
    pub failed: SeqRanges,
}

/// Publishes events of one run to the partitions of one topic.
pub struct Publisher {
    run_id: String,
    producers: Vec<Arc<BatchProducer<RecordAggregator>>>,
    in_flight: FuturesUnordered<InFlight>,
    /// The running counts.
    pub tally: Tally,
}

impl Publisher {
    /// A publisher writing to `partitions` (one client per partition, in order).
    pub fn new(run_id: String, partitions: Vec<Arc<PartitionClient>>) -> Publisher {
        let producers = partitions
            .into_iter()
            .map(|client| {
                let builder = BatchProducerBuilder::new(client)
                    .with_linger(LINGER)
                    .with_compression(Compression::NoCompression);
                Arc::new(builder.build(RecordAggregator::new(MAX_BATCH_BYTES)))
            })
            .collect();
        Publisher {
            run_id,
            producers,
            in_flight: FuturesUnordered::new(),
            tally: Tally::default(),
        }
    }

    /// Hands `event` to the partition of its user; it is tagged with the next seq.
    pub fn send(&mut self, event: &Event) {
        let seq = self.tally.sent;
        self.tally.sent += 1;
        let tag = AuditTag {
            run_id: self.run_id.clone(),
            seq,
        };
        let record = Record {
            key: Some(event.user_id.as_bytes().to_vec()),
            value: Some(event.to_json()),
            headers: tag.to_headers(),
            timestamp: Utc::now(),
        };
        let partition = partition_for_key(event.user_id.as_bytes(), self.producers.len());
        let producer = Arc::clone(&self.producers[partition]);
        let (event_type, user_id) = (event.event_type(), event.user_id.clone());
        self.in_flight.push(Box::pin(async move {
            let result = producer.produce(record).await;
            if let Err(error) = &result {
                tracing::warn!(seq, partition, %error, "event not acknowledged");
            }
            Outcome {
                seq,
                event_type,
                user_id,
                acked: result.is_ok(),
            }
        }));
    }

    /// Events sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Waits for one answer, if any event is in flight, and counts it.
    pub async fn settle_one(&mut self) {
        if let Some(outcome) = self.in_flight.next().await {
            self.count(outcome);
        }
    }

    /// Counts every answer that is already there, without waiting.
    pub fn settle_ready(&mut self) {
        while let Some(Some(outcome)) = self.in_flight.next().now_or_never() {
            self.count(outcome);
        }
    }

    /// Waits until every event in flight is answered.
    pub async fn settle_all(&mut self) {
        while !self.in_flight.is_empty() {
            self.settle_one().await;
        }
        // Every record is answered; this only retires the producers' linger timers.
        for producer in &self.producers {
            if let Err(error) = producer.flush().await {
                tracing::debug!(%error, "final flush");
            }
        }
    }

    fn count(&mut self, outcome: Outcome) {
        if outcome.acked {
            self.tally
                .acked
                .record_parts(outcome.event_type, &outcome.user_id);
        } else {
            self.tally.failed.insert(outcome.seq);
        }
    }
}
