//! The end offsets (high watermarks) of a topic's partitions, asked of each partition's leader:
//! one ListOffsets per leader broker, for views of a group's lag that read nothing.

use std::collections::{BTreeMap, HashMap};

use super::{
    link::BrokerLink,
    requests::{list_offsets_request, listed_offsets},
    IsolationLevel, OffsetReset,
};
use crate::{client::Result, cluster::Cluster};

/// Every partition of `topic` with its end offset, `None` where its leader is unknown or did
/// not answer.
pub async fn end_offsets(cluster: &Cluster, topic: &str) -> Result<BTreeMap<i32, Option<i64>>> {
    let layout = cluster.topic_layout(topic).await?;
    let mut ends: BTreeMap<i32, Option<i64>> = (0..layout.partitions)
        .filter_map(|p| i32::try_from(p).ok())
        .map(|p| (p, None))
        .collect();
    let mut by_leader: HashMap<&str, Vec<i32>> = HashMap::new();
    for partition in ends.keys() {
        if let Some((_, address)) = layout.leader(*partition) {
            by_leader.entry(address).or_default().push(*partition);
        }
    }
    for (address, partitions) in by_leader {
        let request = list_offsets_request(
            topic,
            &partitions,
            OffsetReset::Latest,
            IsolationLevel::ReadUncommitted,
        );
        let answer = match cluster.connect(address).await {
            Ok(mut connection) => connection.list_offsets(&request).await,
            Err(error) => Err(error),
        };
        match answer {
            Ok(response) => {
                for (partition, offset) in listed_offsets(response, topic) {
                    ends.insert(partition, offset.ok());
                }
            }
            Err(error) => tracing::debug!(broker = address, %error, "no end offsets"),
        }
    }
    Ok(ends)
}
