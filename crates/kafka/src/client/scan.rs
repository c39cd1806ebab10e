//! Reading a topic from its earliest offsets to the end offsets taken at the start, so that a
//! scan ends even while producers keep writing.

use std::time::Duration;

use crate::{
    client::fetch::{size, FetchConfig, IsolationLevel, OffsetReset, Reader, StartAt},
    cluster::Cluster,
};

/// Bytes a scan asks for per partition fetch (librdkafka's default `max.partition.fetch.bytes`).
pub const SCAN_FETCH_MAX_BYTES: i32 = 1024 * 1024;

/// How long a scan's fetch may wait on the broker: not at all, since everything below the end
/// offset taken at the start is there to be read (and some brokers hold a fetch for its whole
/// wait: docs/brokers.md).
pub const SCAN_MAX_WAIT: Duration = Duration::ZERO;

/// Reads `partitions` of `topic` from their earliest offsets to their end offsets taken at the
/// start, through our own fetch path ([`crate::client::fetch`]) on `cluster`; the [`Reader`] ends
/// once every partition was read to its end.
pub fn scan_topic(
    cluster: &Cluster,
    topic: &str,
    partitions: impl IntoIterator<Item = i32>,
    isolation: IsolationLevel,
) -> Reader {
    let config = FetchConfig {
        topic: topic.to_string(),
        max_wait: SCAN_MAX_WAIT,
        partition_max_bytes: SCAN_FETCH_MAX_BYTES,
        max_bytes: size::DEFAULT_MAX_BYTES,
        isolation,
        reset: OffsetReset::Earliest,
        until_end: true,
    };
    let starts = partitions
        .into_iter()
        .map(|p| (p, StartAt::Reset))
        .collect();
    Reader::start(cluster.clone(), config, starts)
}
