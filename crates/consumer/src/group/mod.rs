//! Consumer-group membership on Kafka's classic group protocol, which rskafka does not have.
//!
//! [`Membership`] finds the coordinator, joins (electing a leader that runs the assignor),
//! syncs, and then heartbeats, fetches and commits offsets and leaves for the consumer loop.
//! Every coordinator error ends in a rejoin with backoff ([`coordinator::Recovery`]), never
//! in an exit and never in a busy loop.

pub mod assignor;
pub mod codec;
pub mod coordinator;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use anyhow::Result;
use events::kafka::wire::Connection;

use self::coordinator::{GroupError, JoinParams, Joined, Recovery};

/// Group settings.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// The group to join.
    pub group_id: String,
    /// Our client id.
    pub client_id: String,
    /// The topic we subscribe to.
    pub topic: String,
    /// Bootstrap brokers, to find the coordinator.
    pub brokers: Vec<String>,
    /// Past this without a heartbeat, the coordinator evicts us.
    pub session_timeout: Duration,
    /// How long the coordinator waits for members to rejoin.
    pub rebalance_timeout: Duration,
}

/// A generation of the group as this member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Generation id.
    pub id: i32,
    /// Our member id.
    pub member_id: String,
    /// Whether we lead it.
    pub leader: bool,
    /// The partitions of our topic assigned to us, sorted.
    pub partitions: Vec<i32>,
}

/// A member of a consumer group.
pub struct Membership {
    config: GroupConfig,
    connection: Option<Connection>,
    member_id: String,
    generation: Option<Generation>,
    /// The id of the last generation we completed (synced), kept across rejoins.
    last_completed: Option<i32>,
    backoff: Backoff,
}

impl Membership {
    /// A member that has not joined yet.
    pub fn new(config: GroupConfig) -> Membership {
        Membership {
            config,
            connection: None,
            member_id: String::new(),
            generation: None,
            last_completed: None,
            backoff: Backoff::default(),
        }
    }

    /// Our member id (empty before the first join).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.config.group_id
    }

    /// Joins (or rejoins) the group, retrying with backoff until it succeeds. `partition_count`
    /// gives the partitions of a topic, for when we lead.
    pub async fn join<F, Fut>(&mut self, partition_count: F) -> Result<Generation>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<i32>>,
    {
        self.generation = None;
        loop {
            match self.try_join(&partition_count).await {
                Ok(generation) => {
                    self.backoff.reset();
                    tracing::info!(
                        generation = generation.id,
                        member_id = %generation.member_id,
                        leader = generation.leader,
                        partitions = ?generation.partitions,
                        "joined group {}",
                        self.config.group_id
                    );
                    self.last_completed = Some(generation.id);
                    self.generation = Some(generation.clone());
                    return Ok(generation);
                }
                Err(error) => {
                    self.recover(&error)?;
                    let wait = self.backoff.next();
                    tracing::info!(%error, retry_in = ?wait, "group join did not complete");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Applies the recovery an error calls for; fails only on fatal errors. The generation is
    /// kept unless our member id is gone: during a rebalance the coordinator still accepts
    /// commits of the generation being left, which is how a member hands its partitions over
    /// without reprocessing.
    fn recover(&mut self, error: &GroupError) -> Result<()> {
        match error.recovery {
            Recovery::Rejoin => {}
            Recovery::NewMember => {
                self.member_id.clear();
                self.generation = None;
            }
            Recovery::Rediscover => self.connection = None,
            Recovery::Fatal => anyhow::bail!("group {}: {error}", self.config.group_id),
        }
        Ok(())
    }

    async fn try_join<F, Fut>(&mut self, partition_count: &F) -> Result<Generation, GroupError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<i32>>,
    {
        let subscription = codec::encode_subscription(std::slice::from_ref(&self.config.topic))
            .map_err(|e| fatal("JoinGroup", e))?;
        let protocols = assignor::PROTOCOLS
            .iter()
            .map(|p| (*p, subscription.clone()))
            .collect();
        let group_id = self.config.group_id.clone();
        let params = JoinParams {
            group_id: &group_id,
            member_id: &self.member_id.clone(),
            session_timeout: self.config.session_timeout,
            rebalance_timeout: self.config.rebalance_timeout,
            protocols,
        };
        let connection = self.connection().await?;
        let joined = match coordinator::join_group(connection, &params).await {
            Ok(joined) => joined,
            Err(Ok(assigned_id)) => {
                // KIP-394: the coordinator names our id; join again with it right away.
                self.member_id = assigned_id;
                let params = JoinParams {
                    member_id: &self.member_id.clone(),
                    ..params
                };
                let connection = self.connection().await?;
                coordinator::join_group(connection, &params)
                    .await
                    .map_err(|e| {
                        e.map_or_else(|error| error, |_| rejoin_error("member id required twice"))
                    })?
            }
            Err(Err(error)) => return Err(error),
        };
        self.member_id = joined.member_id.clone();
        if self.last_completed == Some(joined.generation_id) {
            return Err(self.force_new_generation(joined.generation_id).await);
        }
        let leader = joined.leader == joined.member_id;
        let assignments = if leader {
            self.assign(&joined, partition_count).await?
        } else {
            Vec::new()
        };
        let connection = self.connection().await?;
        let payload = coordinator::sync_group(connection, &group_id, &joined, assignments).await?;
        let assigned = codec::decode_assignment(&payload).map_err(|e| fatal("SyncGroup", e))?;
        let mut partitions = assigned
            .get(&self.config.topic)
            .cloned()
            .unwrap_or_default();
        partitions.sort_unstable();
        Ok(Generation {
            id: joined.generation_id,
            member_id: joined.member_id,
            leader,
            partitions,
        })
    }

    /// Leaves the group, to join again as a new member, when a rejoin was answered with the
    /// generation we already completed: the coordinator did not start a new one, so a member
    /// that died, or a topic that grew, would never be reassigned. tansu 0.6.0 does this after
    /// evicting a member whose session expired (its group stays formed, with the same
    /// generation, and the dead member's partitions, or its leadership, held by no one); Kafka
    /// does it to a follower that rejoins with an unchanged subscription. A LeaveGroup makes
    /// every coordinator start a new generation with the members still alive.
    async fn force_new_generation(&mut self, kept: i32) -> GroupError {
        tracing::info!(
            generation = kept,
            "the coordinator kept the generation: leaving to force a new one"
        );
        self.leave(coordinator::REQUEST_TIMEOUT).await;
        self.member_id.clear();
        self.last_completed = None;
        rejoin_error("the coordinator kept the generation we had")
    }

    /// As leader: decode every member's subscription, run the chosen assignor, encode.
    async fn assign<F, Fut>(
        &self,
        joined: &Joined,
        partition_count: &F,
    ) -> Result<Vec<(String, bytes::Bytes)>, GroupError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<i32>>,
    {
        let mut members = Vec::with_capacity(joined.members.len());
        for member in &joined.members {
            let topics =
                codec::decode_subscription(&member.metadata).map_err(|e| fatal("JoinGroup", e))?;
            members.push(assignor::Member {
                id: member.member_id.to_string(),
                topics,
            });
        }
        let topics: BTreeSet<String> = members
            .iter()
            .flat_map(|m| m.topics.iter().cloned())
            .collect();
        let mut partitions = BTreeMap::new();
        for topic in topics {
            let count = partition_count(topic.clone())
                .await
                .map_err(|e| transport_error("Metadata", e))?;
            partitions.insert(topic, count);
        }
        let assignment =
            assignor::assign(&joined.protocol, &members, &partitions).ok_or_else(|| {
                fatal(
                    "JoinGroup",
                    anyhow::anyhow!("coordinator chose unknown assignor {:?}", joined.protocol),
                )
            })?;
        tracing::info!(protocol = %joined.protocol, ?assignment, "assigned partitions as leader");
        assignment
            .iter()
            .map(|(member, owned)| {
                let payload = codec::encode_assignment(owned).map_err(|e| fatal("SyncGroup", e))?;
                Ok((member.clone(), payload))
            })
            .collect()
    }

    /// The coordinator connection, found and opened when missing.
    async fn connection(&mut self) -> Result<&mut Connection, GroupError> {
        if let Some(connection) = self.connection.as_mut().filter(|c| !c.is_usable()) {
            // A request on it was cut short (a stop, a timeout): read its answer rather than
            // close the connection under the broker; a new one if that fails.
            let settled = tokio::time::timeout(
                coordinator::REQUEST_TIMEOUT,
                connection.discard_pending_answer(),
            )
            .await;
            if !matches!(settled, Ok(Ok(()))) {
                self.connection = None;
            }
        }
        if self.connection.is_none() {
            let address = self.find_coordinator().await?;
            let connection = Connection::connect(&address, &self.config.client_id)
                .await
                .map_err(|e| transport_error("connect to coordinator", e))?;
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("just set"))
    }

    async fn find_coordinator(&self) -> Result<String, GroupError> {
        let mut last_error = None;
        for broker in &self.config.brokers {
            let attempt = async {
                let mut connection = Connection::connect(broker, &self.config.client_id)
                    .await
                    .map_err(|e| transport_error("FindCoordinator", e))?;
                coordinator::find_coordinator(&mut connection, &self.config.group_id).await
            };
            match attempt.await {
                Ok(address) => return Ok(address),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error
            .unwrap_or_else(|| transport_error("FindCoordinator", anyhow::anyhow!("no brokers"))))
    }

    /// Heartbeats in the current generation. An error means the member must rejoin (after
    /// committing, if the generation still allows it: see [`GroupError::recovery`]).
    pub async fn heartbeat(&mut self) -> Result<(), GroupError> {
        let Some(generation) = self.generation.clone() else {
            return Err(rejoin_error("no generation"));
        };
        let group_id = self.config.group_id.clone();
        let result = async {
            let connection = self.connection().await?;
            coordinator::heartbeat(connection, &group_id, generation.id, &generation.member_id)
                .await
        }
        .await;
        if let Err(error) = &result {
            self.recover(error).map_err(|e| fatal("Heartbeat", e))?;
        }
        result
    }

    /// The committed offsets of our partitions.
    pub async fn committed_offsets(
        &mut self,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
        let (group_id, topic) = (self.config.group_id.clone(), self.config.topic.clone());
        let result = async {
            let connection = self.connection().await?;
            coordinator::fetch_offsets(connection, &group_id, &topic, partitions).await
        }
        .await;
        if let Err(error) = &result {
            self.recover(error).map_err(|e| fatal("OffsetFetch", e))?;
        }
        result
    }

    /// Commits processed offsets in the current generation.
    pub async fn commit(&mut self, offsets: &BTreeMap<i32, i64>) -> Result<(), GroupError> {
        if offsets.is_empty() {
            return Ok(());
        }
        let Some(generation) = self.generation.clone() else {
            return Err(rejoin_error("no generation to commit in"));
        };
        let (group_id, topic) = (self.config.group_id.clone(), self.config.topic.clone());
        let result = async {
            let connection = self.connection().await?;
            coordinator::commit_offsets(
                connection,
                &group_id,
                generation.id,
                &generation.member_id,
                &topic,
                offsets,
            )
            .await
        }
        .await;
        if let Err(error) = &result {
            self.recover(error).map_err(|e| fatal("OffsetCommit", e))?;
        }
        result
    }

    /// Leaves the group (best effort, bounded by `timeout`).
    pub async fn leave(&mut self, timeout: Duration) {
        if self.member_id.is_empty() {
            return;
        }
        let (group_id, member_id) = (self.config.group_id.clone(), self.member_id.clone());
        // On a new connection if need be: the last one may have broken, or carry the answer to
        // a request cut short by the stop.
        let attempt = async {
            let connection = self.connection().await?;
            coordinator::leave_group(connection, &group_id, &member_id, timeout).await
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(())) => tracing::info!(%member_id, "left group {group_id}"),
            Ok(Err(error)) => tracing::warn!(%error, "leaving the group failed"),
            Err(_) => tracing::warn!("leaving the group timed out after {timeout:?}"),
        }
        self.generation = None;
    }
}

fn fatal(request: &'static str, error: anyhow::Error) -> GroupError {
    GroupError {
        request,
        reason: format!("{error:#}"),
        recovery: Recovery::Fatal,
    }
}

fn transport_error(request: &'static str, error: anyhow::Error) -> GroupError {
    GroupError {
        request,
        reason: format!("{error:#}"),
        recovery: Recovery::Rediscover,
    }
}

fn rejoin_error(reason: &str) -> GroupError {
    GroupError {
        request: "JoinGroup",
        reason: reason.to_string(),
        recovery: Recovery::Rejoin,
    }
}

/// Exponential backoff with jitter between join attempts: 100 ms doubling to 5 s.
#[derive(Debug, Default)]
struct Backoff {
    attempts: u32,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(5);

    fn next(&mut self) -> Duration {
        let base = Self::FIRST
            .saturating_mul(1 << self.attempts.min(6))
            .min(Self::MAX);
        self.attempts += 1;
        // ±20% jitter, so that members evicted together do not retry in lockstep.
        base.mul_f64(0.8 + 0.4 * rand::random::<f64>())
    }

    fn reset(&mut self) {
        self.attempts = 0;
    }
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("group_id", &self.config.group_id)
            .field("member_id", &self.member_id)
            .field("generation", &self.generation)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_bound_and_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<Duration> = (0..10).map(|_| backoff.next()).collect();
        assert!(waits[0] <= Duration::from_millis(120));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(6)));
        assert!(waits[9] >= Duration::from_secs(4));
        backoff.reset();
        assert!(backoff.next() <= Duration::from_millis(120));
    }
}
