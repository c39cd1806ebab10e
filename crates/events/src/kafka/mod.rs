//! Kafka settings and plumbing shared by every service: connection flags, a client that gives up
//! in bounded time, topic creation, the key partitioner and reading a partition to its end.

pub mod partitioner;
pub mod wire;

use std::{sync::Arc, time::Duration};

use anyhow::{anyhow, bail, Context, Result};
use kafka_protocol::{
    error::ParseResponseErrorCode,
    messages::{
        create_topics_request::CreatableTopic, metadata_request::MetadataRequestTopic,
        CreateTopicsRequest, MetadataRequest, TopicName,
    },
    protocol::StrBytes,
};
use rskafka::{
    client::{
        partition::{OffsetAt, PartitionClient, UnknownTopicHandling},
        Client, ClientBuilder,
    },
    record::RecordAndOffset,
    BackoffConfig,
};

/// Connection flags common to every service.
#[derive(Debug, Clone, clap::Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, comma-separated `host:port`.
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub brokers: String,

    /// Topic carrying the events.
    #[arg(long, env = "KAFKA_TOPIC", default_value = "evenements")]
    pub topic: String,
}

impl KafkaArgs {
    /// The bootstrap brokers as a list.
    pub fn broker_list(&self) -> Vec<String> {
        self.brokers
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(String::from)
            .collect()
    }
}

/// How long the first contact with the cluster may take before a service gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request is retried (with backoff) on transient errors.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// A failure to reach the cluster at all: services exit with code 2 on it.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach Kafka at {brokers} within {}s: {reason} (is the broker running?)", CONNECT_TIMEOUT.as_secs())]
pub struct Unreachable {
    /// The bootstrap list tried.
    pub brokers: String,
    /// The last error seen.
    pub reason: String,
}

/// Connects an rskafka client, retrying for at most [`CONNECT_TIMEOUT`].
pub async fn connect(args: &KafkaArgs, client_id: &str) -> Result<Arc<Client>> {
    let brokers = args.broker_list();
    if brokers.is_empty() {
        bail!("--brokers is empty: give at least one host:port");
    }
    let backoff = BackoffConfig {
        init_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        base: 2.0,
        deadline: Some(REQUEST_DEADLINE),
    };
    let build = ClientBuilder::new(brokers)
        .client_id(client_id.to_string())
        .backoff_config(backoff)
        .build();
    let unreachable = |reason: String| Unreachable {
        brokers: args.brokers.clone(),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, build).await {
        Ok(Ok(client)) => Ok(Arc::new(client)),
        Ok(Err(e)) => Err(unreachable(e.to_string()).into()),
        Err(_) => Err(unreachable("no answer".into()).into()),
    }
}

/// The number of partitions of `topic`, or `None` when it does not exist.
pub async fn partition_count(client: &Client, topic: &str) -> Result<Option<usize>> {
    let topics = client.list_topics().await.context("listing topics")?;
    Ok(topics
        .into_iter()
        .find(|t| t.name == topic)
        .map(|t| t.partitions.len()))
}

/// Makes sure `topic` exists, creating it with `partitions` partitions when missing, and returns
/// its partition count.
///
/// Creation goes through our own CreateTopics request to a bootstrap broker rather than
/// rskafka's controller client: some Kafka-compatible brokers (librdkafka's mock cluster) name a
/// controller their metadata does not list, which rskafka cannot reach, while every KRaft-era
/// broker accepts CreateTopics and forwards it to its controller. A broker without CreateTopics
/// (librdkafka's mock cluster again) gets the topic auto-created with its default partition
/// count, and a warning says so.
pub async fn ensure_topic(
    client: &Client,
    args: &KafkaArgs,
    topic: &str,
    partitions: usize,
) -> Result<usize> {
    if let Some(count) = partition_count(client, topic).await? {
        return Ok(count);
    }
    create_topic(args, topic, partitions).await?;
    // Metadata can lag behind creation for a moment.
    for _ in 0..50 {
        if let Some(count) = partition_count(client, topic).await? {
            tracing::info!(topic, partitions = count, "created topic");
            return Ok(count);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("topic {topic} was created but does not show in the metadata")
}

async fn create_topic(args: &KafkaArgs, topic: &str, partitions: usize) -> Result<()> {
    let broker = args.broker_list().into_iter().next().unwrap_or_default();
    let mut connection = wire::Connection::connect(&broker, "topic-admin").await?;
    if !connection.supports::<CreateTopicsRequest>() {
        return auto_create_topic(&mut connection, topic, partitions).await;
    }
    let version = connection.version::<CreateTopicsRequest>(5)?;
    // Replication -1 (the broker's default, KIP-464) exists from v4; older brokers need a number.
    let replication = if version >= 4 { -1 } else { 1 };
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_num_partitions(i32::try_from(partitions)?)
            .with_replication_factor(replication)]);
    let response = connection.send(&request, version).await?;
    let result = response
        .topics
        .first()
        .ok_or_else(|| anyhow!("CreateTopics answer names no topic"))?;
    match result.error_code.err() {
        None => Ok(()),
        Some(kafka_protocol::error::ResponseError::TopicAlreadyExists) => Ok(()),
        Some(error) => {
            let message = result.error_message.as_ref().map(|m| m.to_string());
            bail!(
                "cannot create topic {topic}: {error:?}{}; create it with {partitions} partitions by hand",
                message.map(|m| format!(" ({m})")).unwrap_or_default()
            )
        }
    }
}

/// Asks for the topic's metadata with auto-creation on: the broker creates it with its defaults.
async fn auto_create_topic(
    connection: &mut wire::Connection,
    topic: &str,
    partitions: usize,
) -> Result<()> {
    tracing::warn!(
        topic,
        broker = connection.address(),
        "the broker cannot create topics on request: relying on its auto-creation, with its own \
         partition count instead of {partitions}"
    );
    let request = MetadataRequest::default()
        .with_allow_auto_topic_creation(true)
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(
            TopicName(StrBytes::from_string(topic.to_string())),
        ))]));
    connection.send(&request, 9).await?;
    Ok(())
}

/// One rskafka client per partition of `topic`, in partition order.
pub async fn partition_clients(
    client: &Client,
    topic: &str,
    partitions: usize,
) -> Result<Vec<Arc<PartitionClient>>> {
    let mut clients = Vec::with_capacity(partitions);
    for partition in 0..i32::try_from(partitions)? {
        let partition_client = client
            .partition_client(topic, partition, UnknownTopicHandling::Retry)
            .await
            .with_context(|| format!("no leader for {topic}/{partition}"))?;
        clients.push(Arc::new(partition_client));
    }
    Ok(clients)
}

/// Bytes a scan asks for per partition fetch (librdkafka's default `max.partition.fetch.bytes`).
pub const SCAN_FETCH_MAX_BYTES: i32 = 1024 * 1024;

/// How long a scan's fetch may wait on the broker: not at all, since everything below the high
/// watermark taken at the start is there to be read. A longer wait costs nothing on Kafka, which
/// answers as soon as it has a record, but tansu 0.6 sleeps for the whole wait (up to half of it
/// past 250 ms) on every fetch, records or not: with 500 ms, 200k events took 3.7 s to scan.
pub const SCAN_MAX_WAIT_MS: i32 = 0;

/// Reads `partition` from its earliest offset up to the high watermark taken at the start, so
/// that the scan ends even while producers keep writing. Hands over the records one fetch at a
/// time, in offset order.
pub async fn scan_partition<F, Done>(partition: &PartitionClient, mut each_batch: F) -> Result<()>
where
    F: FnMut(Vec<RecordAndOffset>) -> Done,
    Done: std::future::Future<Output = ()>,
{
    let mut offset = partition.get_offset(OffsetAt::Earliest).await?;
    let end = partition.get_offset(OffsetAt::Latest).await?;
    let mut empty_fetches = 0;
    let mut fetches = 0u64;
    while offset < end {
        fetches += 1;
        let (records, _high_watermark) = partition
            .fetch_records(offset, 1..SCAN_FETCH_MAX_BYTES, SCAN_MAX_WAIT_MS)
            .await
            .with_context(|| format!("fetching {}/{}", partition.topic(), partition.partition()))?;
        let Some(last) = records.last().map(|r| r.offset) else {
            // Only control records or an empty batch below the watermark: a few retries, then
            // the rest of the range holds nothing readable. The scan's fetches do not wait on
            // the broker, so the retries do (0.1, 0.2, 0.4 s): a broker that answers empty for
            // a moment (busy, or changing leader) is not taken for a lost range.
            empty_fetches += 1;
            tokio::time::sleep(Duration::from_millis(100 << (empty_fetches - 1))).await;
            if empty_fetches > 3 {
                tracing::warn!(
                    partition = partition.partition(),
                    offset,
                    end,
                    "nothing readable before the end"
                );
                break;
            }
            continue;
        };
        empty_fetches = 0;
        each_batch(records).await;
        offset = last + 1;
    }
    tracing::debug!(partition = partition.partition(), fetches, end, "scanned");
    Ok(())
}
