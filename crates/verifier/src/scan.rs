//! Reading a whole topic and taking stock of every record: statistics, the delivery audit,
//! invalid records and samples.

use std::{collections::BTreeMap, sync::Arc};

use events::{
    audit::{self, RunManifest},
    ingest::{Ingest, RecordView},
    Event, EventType,
};
use kafka::scan::scan_partition;
use rskafka::{client::partition::PartitionClient, record::RecordAndOffset};
use tokio::sync::mpsc;

/// How many invalid records are kept to be shown.
pub const INVALID_SHOWN: usize = 10;

/// A record that is not a valid event, and where it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InvalidRecord {
    /// Partition of the record.
    pub partition: i32,
    /// Offset of the record.
    pub offset: i64,
    /// Why it is invalid.
    pub reason: String,
}

/// Everything learned from one pass over the topic.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Counts of valid and invalid events, audit tags seen.
    pub ingest: Ingest,
    /// The first invalid records.
    pub invalid: Vec<InvalidRecord>,
    /// Up to N sample events per type, in the order read.
    pub samples: BTreeMap<EventType, Vec<Event>>,
    /// Records read per partition.
    pub per_partition: BTreeMap<i32, u64>,
    samples_per_type: usize,
}

impl Inventory {
    fn new(samples_per_type: usize) -> Inventory {
        Inventory {
            samples_per_type,
            ..Inventory::default()
        }
    }

    /// Records read in all.
    pub fn total(&self) -> u64 {
        self.ingest.total()
    }

    fn take(&mut self, partition: i32, record: RecordAndOffset) {
        *self.per_partition.entry(partition).or_default() += 1;
        let r = &record.record;
        let value = r.value.as_deref();
        let view = RecordView {
            partition,
            key: r.key.as_deref(),
            tag: audit::parse_headers(&r.headers),
            value,
        };
        match self.ingest.count(view) {
            Ok(checked) => {
                let samples = self.samples.entry(checked.event_type).or_default();
                if samples.len() < self.samples_per_type {
                    // Only samples are decoded in full (checked: it cannot fail).
                    if let Some(event) = value.and_then(|v| Event::from_json(v).ok()) {
                        samples.push(event);
                    }
                }
            }
            Err(reason) => {
                if self.invalid.len() < INVALID_SHOWN {
                    self.invalid.push(InvalidRecord {
                        partition,
                        offset: record.offset,
                        reason: reason.to_string(),
                    });
                }
            }
        }
    }
}

/// Reads every partition from its earliest offset to its high watermark at start, all
/// partitions at once, and takes stock of each record.
pub async fn scan_topic(
    partitions: Vec<Arc<PartitionClient>>,
    samples_per_type: usize,
) -> Result<Inventory, kafka::Error> {
    // Fetching runs in one task per partition; decoding and counting in this one, so that the
    // audit sees every record of every partition (a duplicate may sit on another partition).
    // One decoded fetch waiting per partition or so: fetching overlaps decoding, and memory
    // stays bounded.
    let (batches, mut received) = mpsc::channel::<(i32, Vec<RecordAndOffset>)>(3);
    let mut fetchers = tokio::task::JoinSet::new();
    for partition in partitions {
        let batches = batches.clone();
        fetchers.spawn(async move {
            let id = partition.partition();
            scan_partition(&partition, |batch| {
                let batches = batches.clone();
                async move {
                    let _ = batches.send((id, batch)).await;
                }
            })
            .await
        });
    }
    drop(batches);
    let mut inventory = Inventory::new(samples_per_type);
    while let Some((partition, batch)) = received.recv().await {
        for record in batch {
            inventory.take(partition, record);
        }
    }
    while let Some(fetched) = fetchers.join_next().await {
        fetched.expect("scan tasks do not panic")?;
    }
    Ok(inventory)
}

/// The manifests of runs that wrote to `topic`, read from the runs topic. Unreadable entries
/// are skipped with a warning: they come from something else than our producer.
pub async fn read_manifests(
    runs: &PartitionClient,
    topic: &str,
) -> Result<Vec<RunManifest>, kafka::Error> {
    let mut manifests = Vec::new();
    scan_partition(runs, |batch| {
        for record in batch {
            let value = record.record.value.unwrap_or_default();
            match serde_json::from_slice::<RunManifest>(&value) {
                Ok(manifest) if manifest.topic == topic => manifests.push(manifest),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(offset = record.offset, %error, "skipping unreadable run manifest")
                }
            }
        }
        std::future::ready(())
    })
    .await?;
    Ok(manifests)
}
