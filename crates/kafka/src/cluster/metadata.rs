//! Which broker leads each partition of a topic, from a Metadata request.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::{
    error::{ParseResponseErrorCode, ResponseError},
    messages::{metadata_request::MetadataRequestTopic, MetadataRequest, TopicName},
    protocol::StrBytes,
};

use super::{ClusterError, Result};
use crate::connection::Connection;

/// The highest Metadata version asked for: the newest tested on both local brokers.
pub(super) const METADATA_VERSION_CAP: i16 = 12;

/// Where a topic's partitions are led.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// node id → `host:port`.
    pub brokers: HashMap<i32, String>,
    /// partition → leader's node id, for partitions that have a leader.
    pub leaders: BTreeMap<i32, i32>,
    /// How many partitions the topic has, led or not.
    pub partitions: usize,
}

impl Layout {
    /// The address of the leader of `partition`, when it has one the cluster told us about.
    pub fn leader(&self, partition: i32) -> Option<(i32, &str)> {
        let node = *self.leaders.get(&partition)?;
        Some((node, self.brokers.get(&node)?.as_str()))
    }
}

/// Asks `connection`'s broker where `topic`'s partitions are led.
pub(super) async fn topic_layout(connection: &mut Connection, topic: &str) -> Result<Layout> {
    let name = TopicName(StrBytes::from_string(topic.to_string()));
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name))
        ]))
        .with_allow_auto_topic_creation(false);
    let response = connection.send(&request, METADATA_VERSION_CAP).await?;
    let brokers = response
        .brokers
        .iter()
        .map(|b| (b.node_id.0, format!("{}:{}", b.host, b.port)))
        .collect();
    let Some(described) = response
        .topics
        .iter()
        .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
    else {
        return Err(unknown_topic(topic));
    };
    match described.error_code.err() {
        None => {}
        Some(ResponseError::UnknownTopicOrPartition) => return Err(unknown_topic(topic)),
        Some(code) => {
            return Err(ClusterError::Refused {
                request: "Metadata",
                code,
                message: None,
            })
        }
    }
    let leaders = described
        .partitions
        .iter()
        .filter(|p| p.leader_id.0 >= 0)
        .map(|p| (p.partition_index, p.leader_id.0))
        .collect();
    Ok(Layout {
        brokers,
        leaders,
        partitions: described.partitions.len(),
    })
}

fn unknown_topic(topic: &str) -> ClusterError {
    ClusterError::UnknownTopic {
        topic: topic.to_string(),
        hint: "",
    }
}
