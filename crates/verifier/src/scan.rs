//! Reading a whole topic and taking stock of every record: statistics, the delivery audit,
//! invalid records and samples.

use std::collections::BTreeMap;

use events::{
    audit::{self, RunManifest},
    ingest::{Ingest, RecordView},
    Event, EventType,
};
use kafka::{
    client::fetch::{IsolationLevel, Reader},
    cluster::Cluster,
    protocol::records::Record,
};

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

    fn take(&mut self, partition: i32, record: Record<'_>) {
        *self.per_partition.entry(partition).or_default() += 1;
        let value = record.value;
        let view = RecordView {
            partition,
            key: record.key,
            tag: audit::tag_of(
                record.header(audit::RUN_ID_HEADER.as_bytes()),
                record.header(audit::SEQ_HEADER.as_bytes()),
            ),
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

/// Reads every partition from its earliest offset to its end offset at the start, all
/// partitions at once, and takes stock of each record.
pub async fn scan_topic(
    source: &Source<'_>,
    partitions: usize,
    samples_per_type: usize,
) -> Result<Inventory, kafka::Error> {
    let partitions = (0..partitions).map(|p| i32::try_from(p).expect("partition counts fit i32"));
    // Fetching and decompressing run on one task per broker; counting in this one, so that
    // the audit sees every record of every partition (a duplicate may sit on another one).
    let mut reader = source.scan(source.topic, partitions);
    let mut inventory = Inventory::new(samples_per_type);
    while let Some(fetched) = reader.next().await {
        let fetched = fetched?;
        for record in fetched.records() {
            let record = record.map_err(|error| fetched.corrupt(source.topic, error))?;
            inventory.take(fetched.partition, record);
        }
    }
    Ok(inventory)
}

/// The manifests of runs that wrote to the source's topic, read from `runs_topic`. Unreadable
/// entries are skipped with a warning: they come from something else than our producer.
pub async fn read_manifests(
    source: &Source<'_>,
    runs_topic: &str,
) -> Result<Vec<RunManifest>, kafka::Error> {
    let mut manifests = Vec::new();
    let mut reader = source.scan(runs_topic, [0]);
    while let Some(fetched) = reader.next().await {
        let fetched = fetched?;
        for record in fetched.records() {
            let record = record.map_err(|error| fetched.corrupt(runs_topic, error))?;
            match serde_json::from_slice::<RunManifest>(record.value.unwrap_or_default()) {
                Ok(manifest) if manifest.topic == source.topic => manifests.push(manifest),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(offset = record.offset, %error, "skipping unreadable run manifest")
                }
            }
        }
    }
    Ok(manifests)
}

/// Where the verifier reads: the cluster, the topic, and how.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// The cluster read.
    pub cluster: &'a Cluster,
    /// The event topic.
    pub topic: &'a str,
    /// Which records are read.
    pub isolation: IsolationLevel,
}

impl Source<'_> {
    fn scan(&self, topic: &str, partitions: impl IntoIterator<Item = i32>) -> Reader {
        kafka::client::scan::scan_topic(self.cluster, topic, partitions, self.isolation)
    }
}
