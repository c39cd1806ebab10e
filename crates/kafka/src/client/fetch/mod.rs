//! Reading partitions with our own Fetch requests: one request per broker for every partition
//! it leads for us, the records decoded without copying ([`crate::protocol::records`]).
//!
//! How it works:
//! - A [`Reader`] learns each partition's leader with a Metadata request and hands every
//!   partition to the task of its leader broker; all the tasks feed one channel of
//!   [`Fetched`] answers, which the caller drains.
//! - A broker task sends one Fetch for all its partitions, each with its own byte limit
//!   (`max.partition.fetch.bytes`) under the request's (`fetch.max.bytes`). The answer's
//!   batches are checked and decompressed on that task, and the next offset of each partition
//!   is read from the batch headers; the next Fetch is then in flight while the caller counts
//!   the records of the last one.
//! - A partition whose leader moved (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, a
//!   fenced epoch) or whose broker broke the connection goes back to the reader, which asks for
//!   metadata again and hands it to its new leader, from the same position. An offset out of
//!   range goes to the reset policy (Kafka's `auto.offset.reset`). Other retriable errors are
//!   retried on the same broker after a backoff.
//! - A record larger than a partition's byte limit never stalls it: the limit grows
//!   ([`crate::client::fetch::size`]) up to `fetch.max.bytes`, and beyond that the partition, offset
//!   and size are logged as an error.
//! - Under `read_committed` the broker answers up to the last stable offset with the list of
//!   aborted transactions, whose records are skipped. Control batches
//!   (transaction markers) are never handed over, in either isolation level.
//!
//! - Connections are secured as the [`crate::cluster::Cluster`]'s settings say. A security error (credentials
//!   refused, a certificate not trusted, a listener of the other kind) ends the read at once
//!   with that error: retrying cannot fix it.
//!
//! Fetch sessions (KIP-227) are not used: they save resending the partition list, which is
//! short for the few partitions a member of this pipeline owns.

mod broker;
mod ends;
mod link;

mod partition;
mod reader;
mod requests;
pub mod size;
mod transactions;

#[cfg(test)]
mod reader_tests;

use std::time::Duration;

pub use ends::end_offsets;
pub use reader::Reader;

use crate::protocol::records::{Record, RecordBatch, RecordsError};

/// Which records a read sees (Kafka's `isolation.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Every record written, also those of transactions still open or aborted (Kafka's default).
    #[default]
    ReadUncommitted,
    /// Only records of committed transactions (and non-transactional ones), up to the last
    /// stable offset.
    ReadCommitted,
}

impl IsolationLevel {
    /// The protocol's value of the level.
    fn code(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

/// Where a partition without a position starts, and where one whose offset is out of range
/// goes (Kafka's `auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetReset {
    /// The partition's earliest offset.
    #[default]
    Earliest,
    /// The partition's end: only records written from now on.
    Latest,
}

/// Where a partition's reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// At this offset.
    Offset(i64),
    /// Where the reset policy says.
    Reset,
}

/// How a [`Reader`] fetches (the brokers, client id and security are its [`crate::cluster::Cluster`]'s).
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// The topic read.
    pub topic: String,
    /// How long a fetch may wait on the broker for new records.
    pub max_wait: Duration,
    /// Bytes asked for per partition (Kafka's `max.partition.fetch.bytes`).
    pub partition_max_bytes: i32,
    /// Bytes asked for per request, and the most a partition's limit grows to for a large
    /// record (Kafka's `fetch.max.bytes`).
    pub max_bytes: i32,
    /// Which records are seen.
    pub isolation: IsolationLevel,
    /// Where a partition without a position, or out of range, starts.
    pub reset: OffsetReset,
    /// Whether reading ends at each partition's end offset taken at the start (a scan), or
    /// goes on as records arrive (a consumer).
    pub until_end: bool,
}

impl FetchConfig {
    /// Kafka's default `max.partition.fetch.bytes`.
    pub const DEFAULT_PARTITION_MAX_BYTES: i32 = 1024 * 1024;
}

/// One partition's part of a Fetch answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The partition.
    pub partition: i32,
    /// Its record batches, control batches and aborted transactions left out.
    batches: Vec<RecordBatch>,
    /// The offset fetched from: a batch may begin before it (a compressed batch is always sent
    /// whole), and its records below it were handed over already.
    from: i64,
    /// Where the partition's next fetch starts: past every batch of the answer, also those
    /// left out (control batches, aborted transactions). What a consumer may commit once it
    /// processed the records.
    pub next_offset: i64,
    /// The partition's high watermark at the fetch.
    pub high_watermark: i64,
}

impl Fetched {
    /// The records from the fetched offset on, in offset order, decoded as they are iterated.
    pub fn records(&self) -> impl Iterator<Item = Result<Record<'_>, RecordsError>> + '_ {
        self.batches
            .iter()
            .filter(|batch| batch.last_offset() >= self.from)
            .flat_map(|batch| batch.records())
            .filter(|record| record.as_ref().map_or(true, |r| r.offset >= self.from))
    }

    /// The error for a record of this answer that does not decode, read from `topic`.
    pub fn corrupt(&self, topic: &str, source: RecordsError) -> crate::client::Error {
        crate::client::Error::Records {
            topic: topic.to_string(),
            partition: self.partition,
            offset: self.from,
            source,
        }
    }
}
