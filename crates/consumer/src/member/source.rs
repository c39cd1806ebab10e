//! Where the member's records come from: the [`RecordSource`] trait (the topic's size, and a
//! [`Read`] of a generation's partitions), the seam between the member's loop and kafka's
//! [`Reader`], so that the loop is tested without a broker. [`ClusterSource`] is the real one.

use std::{collections::BTreeMap, time::Duration};

use kafka::{
    client::fetch::{FetchConfig, Fetched, Reader, StartAt},
    cluster::Cluster,
    protocol::records::{Record, RecordsError},
};

/// The topic's records for the member: how many partitions it has, and reads of a
/// generation's partitions.
// The member runs on one task: the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait RecordSource {
    /// A read of some partitions, started by [`RecordSource::start`].
    type Read: Read;

    /// Starts reading each of `partitions` from where it says (a reset policy places those
    /// without an offset, and those whose offset is out of range).
    fn start(&mut self, partitions: BTreeMap<i32, StartAt>) -> Self::Read;

    /// The topic's partition count; `Ok(None)` when the topic does not exist.
    async fn partition_count(&self) -> Result<Option<usize>, kafka::Error>;
}

/// A read in progress: one partition's answer after another.
#[allow(async_fn_in_trait)]
pub trait Read {
    /// One partition's answer.
    type Answer: Answer;

    /// The next answer, or an error that ends the read (the read retries the others itself);
    /// `None` once the read ended.
    async fn next(&mut self) -> Option<Result<Self::Answer, kafka::Error>>;

    /// Stops at once; answers not taken yet are dropped.
    fn stop(self);

    /// Stops taking answers and lets the fetches in flight come back, for at most `limit`.
    async fn drain(self, limit: Duration);
}

/// One partition's answer: its records and where the partition goes on.
pub trait Answer {
    /// The partition.
    fn partition(&self) -> i32;
    /// The partition's high watermark at the fetch.
    fn high_watermark(&self) -> i64;
    /// Where the partition's next fetch starts: what may be committed once the records are
    /// processed.
    fn next_offset(&self) -> i64;
    /// The records, in offset order, decoded as they are iterated.
    fn records(&self) -> impl Iterator<Item = Result<Record<'_>, RecordsError>> + '_;
    /// The error for a record of this answer that does not decode, read from `topic`.
    fn corrupt(&self, topic: &str, error: RecordsError) -> kafka::Error;
}

/// The topic's records on the cluster, read with kafka's [`Reader`].
#[derive(Debug, Clone)]
pub struct ClusterSource {
    cluster: Cluster,
    config: FetchConfig,
}

impl ClusterSource {
    /// The records of `config`'s topic on `cluster`, fetched as `config` says.
    pub fn new(cluster: Cluster, config: FetchConfig) -> ClusterSource {
        ClusterSource { cluster, config }
    }
}

impl RecordSource for ClusterSource {
    type Read = Reader;

    fn start(&mut self, partitions: BTreeMap<i32, StartAt>) -> Reader {
        Reader::start(self.cluster.clone(), self.config.clone(), partitions)
    }

    async fn partition_count(&self) -> Result<Option<usize>, kafka::Error> {
        Ok(self.cluster.partition_count(&self.config.topic).await?)
    }
}

impl Read for Reader {
    type Answer = Fetched;

    async fn next(&mut self) -> Option<Result<Fetched, kafka::Error>> {
        Reader::next(self).await
    }

    fn stop(self) {
        Reader::stop(self);
    }

    async fn drain(self, limit: Duration) {
        Reader::drain(self, limit).await;
    }
}

impl Answer for Fetched {
    fn partition(&self) -> i32 {
        self.partition
    }

    fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    fn next_offset(&self) -> i64 {
        self.next_offset
    }

    fn records(&self) -> impl Iterator<Item = Result<Record<'_>, RecordsError>> + '_ {
        Fetched::records(self)
    }

    fn corrupt(&self, topic: &str, error: RecordsError) -> kafka::Error {
        Fetched::corrupt(self, topic, error)
    }
}
