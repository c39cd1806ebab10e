//! Reading a topic from its earliest offsets to the end offsets taken at the start, so that a
//! scan ends even while producers keep writing.

use std::time::Duration;

use rskafka::{
    client::partition::{OffsetAt, PartitionClient},
    record::RecordAndOffset,
};

use crate::{
    backoff::Backoff,
    fetch::{FetchConfig, IsolationLevel, OffsetReset, Reader, StartAt},
    fetch_size::{self, Answer, FetchSize},
    Error, Result,
};

/// Bytes a scan asks for per partition fetch (librdkafka's default `max.partition.fetch.bytes`).
pub const SCAN_FETCH_MAX_BYTES: i32 = 1024 * 1024;

/// How long a scan's fetch may wait on the broker: not at all, since everything below the high
/// watermark taken at the start is there to be read (and some brokers hold a fetch for its whole
/// wait: docs/brokers.md).
pub const SCAN_MAX_WAIT_MS: i32 = 0;

/// Reads `partitions` of `topic` from their earliest offsets to their end offsets taken at the
/// start, through our own fetch path ([`crate::fetch`]); the [`Reader`] ends once every
/// partition was read to its end.
pub fn scan_topic(
    bootstrap: Vec<String>,
    client_id: &str,
    topic: &str,
    partitions: impl IntoIterator<Item = i32>,
    isolation: IsolationLevel,
) -> Reader {
    let config = FetchConfig {
        bootstrap,
        client_id: client_id.to_string(),
        topic: topic.to_string(),
        max_wait: Duration::ZERO,
        partition_max_bytes: SCAN_FETCH_MAX_BYTES,
        max_bytes: fetch_size::DEFAULT_MAX_BYTES,
        isolation,
        reset: OffsetReset::Earliest,
        until_end: true,
    };
    let starts = partitions
        .into_iter()
        .map(|p| (p, StartAt::Reset))
        .collect();
    Reader::start(config, starts)
}

/// How many empty answers in a row below the watermark end a scan of the partition.
const EMPTY_FETCHES_GIVEN_UP_AFTER: u32 = 5;

/// Reads `partition` from its earliest offset up to the high watermark taken at the start.
/// Hands over the records one fetch at a time, in offset order.
pub async fn scan_partition<F, Done>(partition: &PartitionClient, mut each_batch: F) -> Result<()>
where
    F: FnMut(Vec<RecordAndOffset>) -> Done,
    Done: std::future::Future<Output = ()>,
{
    let name = || format!("{}/{}", partition.topic(), partition.partition());
    let mut offset = partition
        .get_offset(OffsetAt::Earliest)
        .await
        .map_err(Error::client(format!("earliest offset of {}", name())))?;
    let end = partition
        .get_offset(OffsetAt::Latest)
        .await
        .map_err(Error::client(format!("high watermark of {}", name())))?;
    // Only control records or an empty answer below the watermark: retried a few times (the
    // fetches do not wait on the broker, so the retries do), then the rest of the range holds
    // nothing readable. A broker busy or changing leader for a moment is not taken for a loss.
    let mut empty = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
    let mut size = FetchSize::new(SCAN_FETCH_MAX_BYTES, fetch_size::DEFAULT_MAX_BYTES);
    while offset < end {
        let (records, _high_watermark) = partition
            .fetch_records(offset, 1..size.bytes(), SCAN_MAX_WAIT_MS)
            .await
            .map_err(Error::client(format!("fetching {}", name())))?;
        // Against the watermark taken at the start: what is below it is there to be read.
        if let Answer::Grown(_) = size.after(offset, !records.is_empty(), end) {
            continue;
        }
        let Some(last) = records.last().map(|r| r.offset) else {
            if empty.attempts() + 1 >= EMPTY_FETCHES_GIVEN_UP_AFTER {
                tracing::error!(
                    partition = partition.partition(),
                    offset,
                    end,
                    max_bytes = size.bytes(),
                    "nothing readable before the end, even in a fetch of max_bytes: a record \
                     larger than that, or one the broker withholds"
                );
                break;
            }
            empty.wait().await;
            continue;
        };
        empty.reset();
        each_batch(records).await;
        offset = last + 1;
    }
    Ok(())
}
