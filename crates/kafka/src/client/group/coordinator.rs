//! The group coordinator as a member sees it: the [`Coordinator`] trait, the seam between the
//! membership state machine and the network, and [`CoordinatorLink`], its implementation over a
//! connection to whichever broker coordinates the group now.

use std::{collections::BTreeMap, fmt, time::Duration};

use bytes::Bytes;

use super::{
    describe::{self, GroupDescription},
    error::{GroupError, GroupRequest, Recovery},
    requests::{self, JoinAnswer, JoinParams, Joined, REQUEST_TIMEOUT},
};
use crate::{
    client::Error,
    cluster::{Cluster, ClusterError},
    connection::Connection,
};

/// The group requests a member makes, each to the group's current coordinator. Implemented by
/// [`CoordinatorLink`]; unit tests of the membership script their own.
// Members run on one task: the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Coordinator {
    /// JoinGroup.
    async fn join_group(&mut self, params: &JoinParams<'_>) -> Result<JoinAnswer, GroupError>;
    /// SyncGroup, with the assignments when leader; returns our assignment payload.
    async fn sync_group(
        &mut self,
        joined: &Joined,
        assignments: Vec<(String, Bytes)>,
    ) -> Result<Bytes, GroupError>;
    /// Heartbeat in `generation_id`.
    async fn heartbeat(&mut self, generation_id: i32, member_id: &str) -> Result<(), GroupError>;
    /// OffsetFetch: the committed offsets of `partitions` of `topic`.
    async fn fetch_offsets(
        &mut self,
        topic: &str,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError>;
    /// OffsetCommit of `offsets` (partition → next offset) in `generation_id`.
    async fn commit_offsets(
        &mut self,
        generation_id: i32,
        member_id: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<(), GroupError>;
    /// LeaveGroup, bounded by `timeout`.
    async fn leave_group(&mut self, member_id: &str, timeout: Duration) -> Result<(), GroupError>;
    /// The partition count of `topic` (0: it does not exist), for the leader's assignment.
    async fn partition_count(&mut self, topic: &str) -> Result<i32, GroupError>;
    /// Forgets the coordinator: the next request finds it again.
    fn rediscover(&mut self);
}

/// A [`Coordinator`] of group `group_id` over one connection to its coordinator, found through
/// the cluster's bootstrap brokers and opened when missing; partition counts come from the
/// cluster's metadata.
pub struct CoordinatorLink {
    cluster: Cluster,
    group_id: String,
    connection: Option<Connection>,
}

impl CoordinatorLink {
    /// A link to the coordinator of `group_id` that connects on its first request.
    pub fn new(cluster: Cluster, group_id: String) -> CoordinatorLink {
        CoordinatorLink {
            cluster,
            group_id,
            connection: None,
        }
    }

    /// The coordinator connection, found and opened when missing.
    async fn connection(&mut self, request: GroupRequest) -> Result<&mut Connection, GroupError> {
        if let Some(connection) = self.connection.as_mut().filter(|c| !c.is_usable()) {
            // A request on it was cut short (a stop, a timeout): read its answer rather than
            // close the connection under the broker; a new one if that fails.
            let settled =
                tokio::time::timeout(REQUEST_TIMEOUT, connection.discard_pending_answer()).await;
            if !matches!(settled, Ok(Ok(()))) {
                self.connection = None;
            }
        }
        if self.connection.is_none() {
            let address = self.find_coordinator().await?;
            let connection = self
                .cluster
                .connect(&address)
                .await
                .map_err(|e| GroupError::new(request, e))?;
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("just set"))
    }

    /// DescribeGroups: the group's state and members, with their assignments.
    pub async fn describe_group(&mut self) -> Result<GroupDescription, GroupError> {
        let group_id = self.group_id.clone();
        let connection = self.connection(GroupRequest::DescribeGroups).await?;
        let described = describe::describe_group(connection, &group_id).await;
        if described
            .as_ref()
            .is_err_and(|e| e.recovery() == Recovery::Rediscover)
        {
            self.rediscover();
        }
        described
    }

    async fn find_coordinator(&self) -> Result<String, GroupError> {
        let mut last_error =
            GroupError::new(GroupRequest::FindCoordinator, ClusterError::NoBrokers);
        for broker in self.cluster.bootstrap() {
            let attempt = async {
                let mut connection = self
                    .cluster
                    .connect(broker)
                    .await
                    .map_err(|e| GroupError::new(GroupRequest::FindCoordinator, e))?;
                requests::find_coordinator(&mut connection, &self.group_id).await
            };
            match attempt.await {
                Ok(address) => return Ok(address),
                // The other brokers would refuse the same settings.
                Err(error) if error.is_fatal() => return Err(error),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }
}

impl fmt::Debug for CoordinatorLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoordinatorLink")
            .field("group_id", &self.group_id)
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl Coordinator for CoordinatorLink {
    async fn join_group(&mut self, params: &JoinParams<'_>) -> Result<JoinAnswer, GroupError> {
        let connection = self.connection(GroupRequest::JoinGroup).await?;
        requests::join_group(connection, params).await
    }

    async fn sync_group(
        &mut self,
        joined: &Joined,
        assignments: Vec<(String, Bytes)>,
    ) -> Result<Bytes, GroupError> {
        let group_id = self.group_id.clone();
        let connection = self.connection(GroupRequest::SyncGroup).await?;
        requests::sync_group(connection, &group_id, joined, assignments).await
    }

    async fn heartbeat(&mut self, generation_id: i32, member_id: &str) -> Result<(), GroupError> {
        let group_id = self.group_id.clone();
        let connection = self.connection(GroupRequest::Heartbeat).await?;
        requests::heartbeat(connection, &group_id, generation_id, member_id).await
    }

    async fn fetch_offsets(
        &mut self,
        topic: &str,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
        let group_id = self.group_id.clone();
        let connection = self.connection(GroupRequest::OffsetFetch).await?;
        requests::fetch_offsets(connection, &group_id, topic, partitions).await
    }

    async fn commit_offsets(
        &mut self,
        generation_id: i32,
        member_id: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<(), GroupError> {
        let group_id = self.group_id.clone();
        let connection = self.connection(GroupRequest::OffsetCommit).await?;
        requests::commit_offsets(
            connection,
            &group_id,
            generation_id,
            member_id,
            topic,
            offsets,
        )
        .await
    }

    async fn leave_group(&mut self, member_id: &str, timeout: Duration) -> Result<(), GroupError> {
        let group_id = self.group_id.clone();
        let connection = self.connection(GroupRequest::LeaveGroup).await?;
        requests::leave_group(connection, &group_id, member_id, timeout).await
    }

    async fn partition_count(&mut self, topic: &str) -> Result<i32, GroupError> {
        let count = self
            .cluster
            .partition_count(topic)
            .await
            .map_err(|e| GroupError::new(GroupRequest::Metadata, Error::from(e)))?;
        Ok(count.map_or(0, |c| i32::try_from(c).unwrap_or(i32::MAX)))
    }

    fn rediscover(&mut self) {
        self.connection = None;
    }
}
