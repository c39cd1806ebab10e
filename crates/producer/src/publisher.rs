//! Publishing events with batching and acknowledgement tracking.
//!
//! Each partition gathers its records into a batch; a batch goes out as one produce request
//! (acks=all) as soon as its partition has no request in flight, or when it is full, with at most
//! `MAX_REQUESTS_PER_PARTITION` requests in flight per partition. So a slow trickle of events
//! is sent at once (no linger timer: lowest latency), and a flood batches itself while earlier
//! requests are on the wire. Events are counted as acked or failed only when the broker answers
//! their request: nothing is counted as acked on hope.

use std::{collections::HashMap, mem, pin::Pin, sync::Arc, time::Instant};

use events::{
    audit::{AuditTag, SeqRanges},
    stats::Stats,
    Event,
};
use futures::{stream::FuturesUnordered, Future, FutureExt, StreamExt};
use kafka::client::produce::partitioner::partition_for_key;

use crate::metrics::Metrics;
use rskafka::{
    client::partition::{Compression, PartitionClient},
    record::Record,
};

/// A batch is sent once its records reach this size, even with requests in flight.
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Produce requests in flight per partition at most; past this, batches wait (and fill up).
const MAX_REQUESTS_PER_PARTITION: usize = 4;

/// Events in flight at most; past this the generator waits for acknowledgements.
const MAX_IN_FLIGHT: usize = 100_000;

/// Bytes a record adds to a batch besides its key, value and headers (Kafka's record framing,
/// roughly): enough to keep batches under [`MAX_BATCH_BYTES`] on the wire.
const RECORD_OVERHEAD: usize = 24;

/// Records of one partition not sent yet, with what is needed to count them once answered.
#[derive(Default)]
struct Batch {
    records: Vec<Record>,
    bytes: usize,
    seqs: Vec<u64>,
    counts: Stats,
}

/// A batch on the wire, with what is needed to count it once answered.
struct InFlight {
    partition: usize,
    seqs: Vec<u64>,
    counts: Stats,
}

/// The broker's answer to one request: its id, and whether it acknowledged the batch.
struct Answer {
    request: u64,
    acked: bool,
}

type Request = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// Counts of a run so far.
#[derive(Debug, Default)]
pub struct Tally {
    /// Events handed to the client.
    pub sent: u64,
    /// Acked events, by type and user.
    pub acked: Stats,
    /// Seqs that failed for good.
    pub failed: SeqRanges,
    /// Seqs still unanswered when the run stopped waiting ([`Publisher::abandon`]).
    pub unconfirmed: SeqRanges,
}

/// Publishes events of one run to the partitions of one topic.
pub struct Publisher {
    run_id: String,
    compression: Compression,
    partitions: Vec<Arc<PartitionClient>>,
    batches: Vec<Batch>,
    requests_per_partition: Vec<usize>,
    requests: FuturesUnordered<Request>,
    /// The batches of the requests in `requests`, by request id.
    on_the_wire: HashMap<u64, InFlight>,
    next_request: u64,
    in_flight: usize,
    /// The running counts.
    pub tally: Tally,
    /// The metrics, with `--http`.
    metrics: Option<Arc<Metrics>>,
}

impl Publisher {
    /// A publisher writing to `partitions` (one client per partition, in order), its batches
    /// compressed with `compression`.
    pub fn new(
        run_id: String,
        partitions: Vec<Arc<PartitionClient>>,
        compression: Compression,
    ) -> Publisher {
        let count = partitions.len();
        Publisher {
            run_id,
            compression,
            partitions,
            batches: (0..count).map(|_| Batch::default()).collect(),
            requests_per_partition: vec![0; count],
            requests: FuturesUnordered::new(),
            on_the_wire: HashMap::new(),
            next_request: 0,
            in_flight: 0,
            tally: Tally::default(),
            metrics: None,
        }
    }

    /// Counts what it sends and what is answered in `metrics` too.
    pub fn with_metrics(mut self, metrics: Option<Arc<Metrics>>) -> Publisher {
        self.metrics = metrics;
        self
    }

    /// Hands `event` to the partition of its user; it is tagged with the next seq.
    pub fn send(&mut self, event: &Event) {
        let seq = self.tally.sent;
        self.tally.sent += 1;
        self.in_flight += 1;
        let record = Record {
            key: Some(event.user_id.as_bytes().to_vec()),
            value: Some(event.to_json()),
            headers: AuditTag::headers(&self.run_id, seq),
            timestamp: event.timestamp,
        };
        let partition = partition_for_key(event.user_id.as_bytes(), self.partitions.len());
        let batch = &mut self.batches[partition];
        batch.bytes += RECORD_OVERHEAD
            + record.key.as_ref().map_or(0, Vec::len)
            + record.value.as_ref().map_or(0, Vec::len)
            + record
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>();
        batch.records.push(record);
        batch.seqs.push(seq);
        batch.counts.record(event);
        let full = batch.bytes >= MAX_BATCH_BYTES;
        let idle = self.requests_per_partition[partition] == 0;
        if idle || full {
            self.try_send_batch(partition);
        }
    }

    /// Sends the batch of `partition` if it has records and the partition has room.
    fn try_send_batch(&mut self, partition: usize) {
        if self.batches[partition].records.is_empty()
            || self.requests_per_partition[partition] >= MAX_REQUESTS_PER_PARTITION
        {
            return;
        }
        let Batch {
            records,
            seqs,
            counts,
            ..
        } = mem::take(&mut self.batches[partition]);
        self.requests_per_partition[partition] += 1;
        let request = self.next_request;
        self.next_request += 1;
        let client = Arc::clone(&self.partitions[partition]);
        let compression = self.compression;
        let events = records.len();
        let metrics = self.metrics.clone();
        if let Some(metrics) = &metrics {
            metrics.sent.inc_by(events as u64);
            metrics.batch_size.observe(events as f64);
        }
        self.requests.push(Box::pin(async move {
            let sent = Instant::now();
            let result = client.produce(records, compression).await;
            if let Some(metrics) = metrics {
                metrics
                    .request_latency
                    .observe(sent.elapsed().as_secs_f64());
            }
            if let Err(error) = &result {
                tracing::warn!(partition, events, %error, "batch not acknowledged");
            }
            Answer {
                request,
                acked: result.is_ok(),
            }
        }));
        self.on_the_wire.insert(
            request,
            InFlight {
                partition,
                seqs,
                counts,
            },
        );
    }

    /// Whether another event may be sent now: not too many in flight, and no full batch waiting
    /// for its partition's requests to be answered.
    pub fn has_room(&self) -> bool {
        self.in_flight < MAX_IN_FLIGHT && self.batches.iter().all(|b| b.bytes < MAX_BATCH_BYTES)
    }

    /// Events sent and not yet answered (batched or on the wire).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Waits for one answer, if any request is in flight, and counts it; sends the batch waiting
    /// for its partition.
    pub async fn settle_one(&mut self) {
        if self.requests.is_empty() {
            self.flush_batches();
        }
        if let Some(answer) = self.requests.next().await {
            self.count(answer);
        }
    }

    /// Counts every answer that is already there, without waiting.
    pub fn settle_ready(&mut self) {
        while let Some(Some(answer)) = self.requests.next().now_or_never() {
            self.count(answer);
        }
    }

    /// Sends every waiting batch that has room, then waits until every event is answered.
    pub async fn settle_all(&mut self) {
        while self.in_flight > 0 {
            self.flush_batches();
            self.settle_one().await;
        }
    }

    fn flush_batches(&mut self) {
        for partition in 0..self.batches.len() {
            self.try_send_batch(partition);
        }
    }

    fn count(&mut self, answer: Answer) {
        let batch = self
            .on_the_wire
            .remove(&answer.request)
            .expect("every request's batch is on the wire until answered");
        self.in_flight -= batch.seqs.len();
        self.requests_per_partition[batch.partition] -= 1;
        if let Some(metrics) = &self.metrics {
            let counter = if answer.acked {
                &metrics.acked
            } else {
                &metrics.failed
            };
            counter.inc_by(batch.seqs.len() as u64);
        }
        if answer.acked {
            self.tally.acked.merge(&batch.counts);
        } else {
            for seq in batch.seqs {
                self.tally.failed.insert(seq);
            }
        }
        self.try_send_batch(batch.partition);
    }

    /// Stops waiting: every event not answered yet, batched or on the wire, counts as
    /// unconfirmed (it may or may not have been written), and its request is dropped.
    /// Returns how many there were.
    pub fn abandon(&mut self) -> usize {
        self.requests = FuturesUnordered::new();
        let waiting = self.batches.iter_mut().map(mem::take);
        let sent = self.on_the_wire.drain().map(|(_, batch)| batch.seqs);
        for seq in waiting.map(|batch| batch.seqs).chain(sent).flatten() {
            self.tally.unconfirmed.insert(seq);
        }
        self.requests_per_partition.fill(0);
        mem::take(&mut self.in_flight)
    }
}
