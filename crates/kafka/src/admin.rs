//! Topic and group administration: partition counts, creating a topic that is missing, and
//! deleting topics and groups (what a smoke test leaves behind).

use std::time::Duration;

use kafka_protocol::{
    error::{ParseResponseErrorCode, ResponseError},
    messages::{
        create_topics_request::CreatableTopic, metadata_request::MetadataRequestTopic,
        CreateTopicsRequest, DeleteGroupsRequest, DeleteTopicsRequest, GroupId, MetadataRequest,
        TopicName,
    },
};
use rskafka::client::Client;

use crate::{
    backoff::Backoff,
    connection::Connection,
    group::{
        requests::{find_coordinator, text},
        Cause, GroupError,
    },
    security::Security,
    Error, Result,
};

/// How long a created topic may take to show in the metadata.
const CREATED_TOPIC_VISIBLE_WITHIN: Duration = Duration::from_secs(5);

/// How long a group whose last member just left may still count as non-empty.
const LEFT_GROUP_EMPTY_WITHIN: Duration = Duration::from_secs(10);

/// How long the broker may take to delete topics (DeleteTopics' `timeout_ms`).
const DELETE_TOPICS_TIMEOUT_MS: i32 = 30_000;

/// The number of partitions of `topic`, or `None` when it does not exist.
pub async fn partition_count(client: &Client, topic: &str) -> Result<Option<usize>> {
    let topics = client
        .list_topics()
        .await
        .map_err(Error::client("listing topics"))?;
    Ok(topics
        .into_iter()
        .find(|t| t.name == topic)
        .map(|t| t.partitions.len()))
}

/// Makes sure `topic` exists, creating it with `partitions` partitions when missing, and returns
/// its partition count. `brokers` are the bootstrap brokers, where CreateTopics is sent over a
/// connection secured as `security` says.
///
/// Creation goes through our own CreateTopics request to a bootstrap broker rather than
/// rskafka's controller client: some Kafka-compatible brokers name a controller their metadata
/// does not list, which rskafka cannot reach, while every KRaft-era broker accepts CreateTopics
/// and forwards it to its controller. A broker without CreateTopics gets the topic auto-created
/// with its default partition count, and a warning says so.
pub async fn ensure_topic(
    client: &Client,
    brokers: &[String],
    topic: &str,
    partitions: usize,
    security: &Security,
) -> Result<usize> {
    if let Some(count) = partition_count(client, topic).await? {
        return Ok(count);
    }
    let broker = brokers.first().ok_or(Error::NoBrokers)?;
    create_topic(broker, topic, partitions, security).await?;
    // Metadata can lag behind creation for a moment.
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(500));
    let deadline = tokio::time::Instant::now() + CREATED_TOPIC_VISIBLE_WITHIN;
    while tokio::time::Instant::now() < deadline {
        if let Some(count) = partition_count(client, topic).await? {
            tracing::info!(topic, partitions = count, "created topic");
            return Ok(count);
        }
        backoff.wait().await;
    }
    Err(Error::UnknownTopic {
        topic: topic.to_string(),
        hint: " in the metadata, although it was created",
    })
}

async fn create_topic(
    broker: &str,
    topic: &str,
    partitions: usize,
    security: &Security,
) -> Result<()> {
    let mut connection = Connection::connect(broker, "topic-admin", security).await?;
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
        return Err(Error::Protocol {
            broker: broker.to_string(),
            reason: "CreateTopics answer names no topic".into(),
        });
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
pub async fn delete_topics(
    brokers: &[String],
    client_id: &str,
    topics: &[String],
    security: &Security,
) -> Result<()> {
    let broker = brokers.first().ok_or(Error::NoBrokers)?;
    let mut connection = Connection::connect(broker, client_id, security).await?;
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
pub async fn delete_group(
    brokers: &[String],
    client_id: &str,
    group_id: &str,
    security: &Security,
) -> Result<()> {
    let broker = brokers.first().ok_or(Error::NoBrokers)?;
    let mut bootstrap = Connection::connect(broker, client_id, security).await?;
    let coordinator = find_coordinator(&mut bootstrap, group_id)
        .await
        .map_err(|e| group_error(e, broker))?;
    let mut connection = Connection::connect(&coordinator, client_id, security).await?;
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
        other => Error::Protocol {
            broker: broker.to_string(),
            reason: other.to_string(),
        },
    }
}
