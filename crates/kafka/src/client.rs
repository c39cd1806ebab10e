//! rskafka clients that give up in bounded time: the cluster client every service starts with,
//! and one client per partition.

use std::{sync::Arc, time::Duration};

use rskafka::{
    client::{
        partition::{PartitionClient, UnknownTopicHandling},
        Client, ClientBuilder,
    },
    BackoffConfig,
};

use crate::{Error, Result};

/// How long the first contact with the cluster may take before a service gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request is retried (with backoff) on transient errors.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// Connects an rskafka client to the bootstrap `brokers`, retrying for at most
/// [`CONNECT_TIMEOUT`].
pub async fn connect(brokers: &[String], client_id: &str) -> Result<Arc<Client>> {
    if brokers.is_empty() {
        return Err(Error::NoBrokers);
    }
    let backoff = BackoffConfig {
        init_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        base: 2.0,
        deadline: Some(REQUEST_DEADLINE),
    };
    let build = ClientBuilder::new(brokers.to_vec())
        .client_id(client_id.to_string())
        .backoff_config(backoff)
        .build();
    let unreachable = |reason: String| Error::Unreachable {
        brokers: brokers.join(","),
        timeout: CONNECT_TIMEOUT,
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, build).await {
        Ok(Ok(client)) => Ok(Arc::new(client)),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable("no answer".into())),
    }
}

/// The rskafka client of one partition, waiting for a leader when there is none yet.
pub async fn partition_client(
    client: &Client,
    topic: &str,
    partition: i32,
) -> Result<Arc<PartitionClient>> {
    client
        .partition_client(topic, partition, UnknownTopicHandling::Retry)
        .await
        .map(Arc::new)
        .map_err(Error::client(format!("no leader for {topic}/{partition}")))
}

/// One rskafka client per partition of `topic`, in partition order.
pub async fn partition_clients(
    client: &Client,
    topic: &str,
    partitions: usize,
) -> Result<Vec<Arc<PartitionClient>>> {
    let mut clients = Vec::with_capacity(partitions);
    for partition in 0..partitions {
        let partition = i32::try_from(partition).expect("partition counts fit Kafka's i32");
        clients.push(partition_client(client, topic, partition).await?);
    }
    Ok(clients)
}
