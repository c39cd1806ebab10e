//! Topic and group administration: partition counts, creating a topic that is missing, and
//! deleting topics and groups (what a smoke test leaves behind).

use std::time::Duration;

use crate::{
    backoff::Backoff,
    client::{
        group::{requests::find_coordinator, Cause, GroupError},
        Error, Result,
    },
    cluster::{Cluster, ClusterError},
    connection::{Connection, ConnectionError},
    protocol::text,
};
use kafka_protocol::{
    error::{ParseResponseErrorCode, ResponseError},
    messages::{
        create_topics_request::CreatableTopic, metadata_request::MetadataRequestTopic,
        CreateTopicsRequest, DeleteGroupsRequest, DeleteTopicsRequest, GroupId, MetadataRequest,
        TopicName,
    },
};

/// How long a created topic may take to show in the metadata.
const CREATED_TOPIC_VISIBLE_WITHIN: Duration = Duration::from_secs(5);

/// How long a group whose last member just left may still count as non-empty.
const LEFT_GROUP_EMPTY_WITHIN: Duration = Duration::from_secs(10);

/// How long the broker may take to delete topics (DeleteTopics' `timeout_ms`).
const DELETE_TOPICS_TIMEOUT_MS: i32 = 30_000;

/// Makes sure `topic` exists, creating it with `partitions` partitions when missing, and returns
/// its partition count. CreateTopics is sent to a bootstrap broker of `cluster`.
///
/// Creation goes through our own CreateTopics request to a bootstrap broker rather than
/// rskafka's controller client: some Kafka-compatible brokers name a controller their metadata
/// does not list, which rskafka cannot reach, while every KRaft-era broker accepts CreateTopics
/// and forwards it to its controller. A broker without CreateTopics gets the topic auto-created
/// with its default partition count, and a warning says so.
pub async fn ensure_topic(cluster: &Cluster, topic: &str, partitions: usize) -> Result<usize> {
    if let Some(count) = cluster.partition_count(topic).await? {
        return Ok(count);
    }
    create_topic(cluster, topic, partitions).await?;
    // Metadata can lag behind creation for a moment.
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(500));
    let deadline = tokio::time::Instant::now() + CREATED_TOPIC_VISIBLE_WITHIN;
    while tokio::time::Instant::now() < deadline {
        if let Some(count) = cluster.partition_count(topic).await? {
            tracing::info!(topic, partitions = count, "created topic");
            return Ok(count);
        }
        backoff.wait().await;
    }
    Err(ClusterError::UnknownTopic {
        topic: topic.to_string(),
        hint: " in the metadata, although it was created",
    }
    .into())
}

async fn create_topic(cluster: &Cluster, topic: &str, partitions: usize) -> Result<()> {
    let broker = cluster.bootstrap().first().ok_or(ClusterError::NoBrokers)?;
    let mut connection = cluster.connect(broker).await?;
    if !connection.supports::<CreateTopicsRequest>() {
        return auto_create_topic(&mut connection, topic, partitions).await;
    }
    let version = connection.version::<CreateTopicsRequest>(5)?;
    // Replication -1 (the broker's default, KIP-464) exists from v4; older brokers need a number.
    let replication = if version >= 4 { -1 } else { 1 };
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(text(topic)))
            .with_num_partitions(i32::try_from(partitions).unwrap_or(i32::MAX))
            .with_replication_factor(replication)]);
    let response = connection.send(&request, version).await?;
    let Some(result) = response.topics.first() else {
        return Err(ConnectionError::Protocol {
            broker: broker.to_string(),
            reason: "CreateTopics answer names no topic".into(),
        }
        .into());
    };
    match result.error_code.err() {
        None | Some(ResponseError::TopicAlreadyExists) => Ok(()),
        Some(code) => Err(Error::Broker {
            request: "CreateTopics",
            code,
            message: Some(format!(
                "{}create topic {topic} with {partitions} partitions by hand",
                result
                    .error_message
                    .as_ref()
                    .map(|m| format!("{m}; "))
                    .unwrap_or_default()
            )),
        }),
    }
}

/// Asks for the topic's metadata with auto-creation on: the broker creates it with its defaults.
async fn auto_create_topic(
    connection: &mut Connection,
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
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(TopicName(text(topic))))
        ]));
    connection.send(&request, 9).await?;
    Ok(())
}

/// Deletes `topics` through a bootstrap broker (which forwards to the controller, as for
/// CreateTopics). A topic that does not exist counts as deleted: a cleanup may run after a
/// failure that came before the topic was made.
pub async fn delete_topics(cluster: &Cluster, topics: &[String]) -> Result<()> {
    let mut connection = cluster.connect_bootstrap().await?;
    // v1-v5 name the topics in `topic_names`; v6 moves them into `topics` with ids.
    let request = DeleteTopicsRequest::default()
        .with_timeout_ms(DELETE_TOPICS_TIMEOUT_MS)
        .with_topic_names(topics.iter().map(|t| TopicName(text(t))).collect());
    let response = connection.send(&request, 5).await?;
    for result in response.responses {
        match result.error_code.err() {
            None | Some(ResponseError::UnknownTopicOrPartition) => {}
            Some(code) => {
                let name = result.name.map(|n| n.0.to_string()).unwrap_or_default();
                return Err(refused("DeleteTopics", code, &format!("topic {name}")));
            }
        }
    }
    Ok(())
}

/// Deletes the consumer group `group_id` and its committed offsets, on its coordinator. A group
/// that does not exist counts as deleted; one that still has members is asked again for a few
/// seconds, the time a member that just left takes to be gone everywhere.
pub async fn delete_group(cluster: &Cluster, group_id: &str) -> Result<()> {
    let mut bootstrap = cluster.connect_bootstrap().await?;
    let coordinator = find_coordinator(&mut bootstrap, group_id)
        .await
        .map_err(|e| group_error(e, bootstrap.address()))?;
    let mut connection = cluster.connect(&coordinator).await?;
    let request = DeleteGroupsRequest::default().with_groups_names(vec![GroupId(text(group_id))]);
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
    let deadline = tokio::time::Instant::now() + LEFT_GROUP_EMPTY_WITHIN;
    loop {
        let response = connection.send(&request, 2).await?;
        let code = response.results.first().and_then(|r| r.error_code.err());
        match code {
            None | Some(ResponseError::GroupIdNotFound) => return Ok(()),
            Some(ResponseError::NonEmptyGroup) if tokio::time::Instant::now() < deadline => {
                backoff.wait().await;
            }
            Some(code) => return Err(refused("DeleteGroups", code, &format!("group {group_id}"))),
        }
    }
}

/// A request of `request` refused for `what` with `code`.
fn refused(request: &'static str, code: ResponseError, what: &str) -> Error {
    Error::Broker {
        request,
        code,
        message: Some(what.to_string()),
    }
}

/// The failure of a group request to `broker` as a connection-layer error.
fn group_error(error: GroupError, broker: &str) -> Error {
    match error.cause {
        Cause::Transport(error) => *error,
        Cause::Refused(code) => refused("FindCoordinator", code, "the group's coordinator"),
        other => ConnectionError::Protocol {
            broker: broker.to_string(),
            reason: other.to_string(),
        }
        .into(),
    }
}
