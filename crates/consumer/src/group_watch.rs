//! The whole group for the dashboard, looked at every few seconds beside the member's loop (so
//! that it never holds a heartbeat up): its members and their partitions (DescribeGroups), the
//! group's committed offsets (OffsetFetch) and the partitions' ends (ListOffsets), hence the
//! group's lag on every partition. Every replica shows the same, whichever one a user reaches.

use std::{collections::BTreeMap, time::Duration};

use kafka::{
    backoff::Backoff,
    client::{
        fetch::end_offsets,
        group::{Coordinator, CoordinatorLink, GroupDescription},
    },
    cluster::Cluster,
};
use service::Shutdown;

use crate::dashboard::{Dashboard, GroupMember, GroupPartition, GroupView};

/// How often the group is looked at.
const INTERVAL: Duration = Duration::from_secs(3);

/// The longest wait between looks, after failures.
const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// How long one look may take before it counts as failed.
const LOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// What a look at the group needs.
pub struct GroupWatch {
    /// The group's coordinator, on a connection of its own.
    pub coordinator: CoordinatorLink,
    /// The cluster, for the partitions' ends.
    pub cluster: Cluster,
    /// The topic the group consumes.
    pub topic: String,
}

impl GroupWatch {
    /// Looks at the group every few seconds and hands what it saw to `dashboard`, until
    /// `shutdown`. After a failed look the next waits longer, up to a minute: a broker that
    /// refuses the requests is not asked every few seconds.
    pub async fn run(mut self, dashboard: Dashboard, mut shutdown: Shutdown) {
        let mut after_failure = Backoff::new(INTERVAL, MAX_INTERVAL);
        loop {
            let look = tokio::time::timeout(LOOK_TIMEOUT, self.look()).await;
            let seen = look.unwrap_or_else(|_| Err("no answer within 5 s".into()));
            let wait = if seen.is_ok() {
                after_failure.reset();
                INTERVAL
            } else {
                after_failure.next_wait()
            };
            dashboard.publish_group(seen);
            tokio::select! {
                _ = shutdown.requested() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One look: the members, then the committed offsets and ends of every partition.
    async fn look(&mut self) -> Result<GroupView, String> {
        let described = self
            .coordinator
            .describe_group()
            .await
            .map_err(|e| e.to_string())?;
        let ends = end_offsets(&self.cluster, &self.topic)
            .await
            .map_err(|e| e.to_string())?;
        let partitions: Vec<i32> = ends.keys().copied().collect();
        let committed = self
            .coordinator
            .fetch_offsets(&self.topic, &partitions)
            .await
            .map_err(|e| e.to_string())?;
        Ok(view_of(&described, &self.topic, &committed, &ends))
    }
}

/// The group view from what the coordinator and the partitions said.
fn view_of(
    described: &GroupDescription,
    topic: &str,
    committed: &BTreeMap<i32, Option<i64>>,
    ends: &BTreeMap<i32, Option<i64>>,
) -> GroupView {
    let members: Vec<GroupMember> = described
        .members
        .iter()
        .map(|member| GroupMember {
            client_id: member.client_id.clone(),
            client_host: member.client_host.clone(),
            member_id: member.member_id.clone(),
            partitions: member.partitions.get(topic).cloned().unwrap_or_default(),
        })
        .collect();
    let partitions = ends
        .iter()
        .map(|(partition, end)| GroupPartition {
            partition: *partition,
            committed: committed.get(partition).copied().flatten(),
            end: *end,
        })
        .collect();
    GroupView {
        state: described.state.clone(),
        members,
        partitions,
    }
}

#[cfg(test)]
mod tests {
    use kafka::client::group::MemberDescription;

    use super::*;

    #[test]
    fn each_partition_gets_its_owner_committed_offset_and_lag() {
        let described = GroupDescription {
            state: "Stable".into(),
            members: vec![MemberDescription {
                member_id: "m-1".into(),
                client_id: "consumer-a".into(),
                client_host: "/10.0.0.2".into(),
                partitions: BTreeMap::from([("evenements".to_string(), vec![1])]),
            }],
        };
        let view = view_of(
            &described,
            "evenements",
            &BTreeMap::from([(0, None), (1, Some(40))]),
            &BTreeMap::from([(0, Some(10)), (1, Some(50))]),
        );
        assert_eq!(view.members[0].partitions, vec![1]);
        let lags: Vec<_> = view.partitions.iter().map(GroupPartition::lag).collect();
        assert_eq!(lags, vec![Some(10), Some(10)]);
        assert!(view.owner_of(0).is_none());
        assert_eq!(view.owner_of(1).map(GroupMember::label), Some("consumer-a"));
    }
}
