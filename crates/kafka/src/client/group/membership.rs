//! A member's side of the group protocol, as a state machine over a [`Coordinator`]:
//! joining (with KIP-394's member id round trip), syncing (the leader runs the assignor), then
//! heartbeats, offset fetches and commits in the generation, and leaving.
//!
//! Every error goes through one table ([`GroupError::recovery`]): rejoin, rejoin as a new
//! member, find the coordinator again, or give up (fatal: the caller exits). The generation is
//! kept unless our member id is gone: during a rebalance the coordinator still accepts commits
//! of the generation being left, which is how a member hands its partitions over without the
//! next owner reprocessing them.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use super::{
    assignor, codec,
    coordinator::{Coordinator, CoordinatorLink},
    error::{Cause, GroupError, GroupRequest, Recovery},
    requests::{JoinAnswer, JoinParams, Joined},
    Generation, GroupConfig,
};
use crate::{backoff::Backoff, cluster::Cluster};

/// A member of a consumer group.
pub struct Membership<C = CoordinatorLink> {
    config: GroupConfig,
    coordinator: C,
    member_id: String,
    generation: Option<Generation>,
    /// The id of the last generation we completed (synced), kept across rejoins.
    last_completed: Option<i32>,
    backoff: Backoff,
}

impl Membership<CoordinatorLink> {
    /// A member of `cluster` that has not joined yet, talking to the coordinator over the
    /// network.
    pub fn new(cluster: Cluster, config: GroupConfig) -> Membership {
        let link = CoordinatorLink::new(cluster, config.group_id.clone());
        Membership::with_coordinator(config, link)
    }
}

impl<C: Coordinator> Membership<C> {
    /// A member that has not joined yet, talking to `coordinator`.
    pub fn with_coordinator(config: GroupConfig, coordinator: C) -> Membership<C> {
        Membership {
            config,
            coordinator,
            member_id: String::new(),
            generation: None,
            last_completed: None,
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(5)),
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

    /// The generation we are in, if any.
    pub fn generation(&self) -> Option<&Generation> {
        self.generation.as_ref()
    }

    /// Joins (or rejoins) the group, retrying with backoff until it succeeds; fails only on a
    /// fatal error.
    pub async fn join(&mut self) -> Result<Generation, GroupError> {
        self.generation = None;
        loop {
            match self.try_join().await {
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
                Err(error) if error.is_fatal() => return Err(error),
                Err(error) => {
                    self.recover(&error);
                    let wait = self.backoff.next_wait();
                    tracing::info!(reason = %error, retry_in = ?wait, "group join did not complete");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Applies the recovery `error` calls for (nothing to apply for a fatal one: the caller
    /// gives up).
    fn recover(&mut self, error: &GroupError) {
        match error.recovery() {
            Recovery::Rejoin | Recovery::Fatal => {}
            Recovery::NewMember => {
                self.member_id.clear();
                self.generation = None;
            }
            Recovery::Rediscover => self.coordinator.rediscover(),
        }
    }

    async fn try_join(&mut self) -> Result<Generation, GroupError> {
        let subscription = codec::encode_subscription(std::slice::from_ref(&self.config.topic))
            .map_err(|e| GroupError::new(GroupRequest::JoinGroup, e))?;
        let protocols: Vec<(&'static str, bytes::Bytes)> = assignor::PROTOCOLS
            .iter()
            .map(|p| (*p, subscription.clone()))
            .collect();
        let mut member_id = self.member_id.clone();
        let joined = loop {
            let params = JoinParams {
                group_id: &self.config.group_id,
                member_id: &member_id,
                session_timeout: self.config.session_timeout,
                rebalance_timeout: self.config.rebalance_timeout,
                protocols: protocols.clone(),
            };
            match self.coordinator.join_group(&params).await? {
                JoinAnswer::Joined(joined) => break joined,
                // KIP-394: the coordinator names our id; join again with it right away (it
                // asks once per member: a second time means the id was already given).
                JoinAnswer::MemberIdRequired(assigned) if assigned != member_id => {
                    self.member_id = assigned.clone();
                    member_id = assigned;
                }
                JoinAnswer::MemberIdRequired(_) => {
                    return Err(GroupError::refused(
                        GroupRequest::JoinGroup,
                        kafka_protocol::error::ResponseError::MemberIdRequired,
                    ))
                }
            }
        };
        self.member_id = joined.member_id.clone();
        if self.last_completed == Some(joined.generation_id) {
            return Err(self.force_new_generation(joined.generation_id).await);
        }
        let leader = joined.leader == joined.member_id;
        let assignments = if leader {
            self.assign(&joined).await?
        } else {
            Vec::new()
        };
        let payload = self.coordinator.sync_group(&joined, assignments).await?;
        let assigned = codec::decode_assignment(&payload)
            .map_err(|e| GroupError::new(GroupRequest::SyncGroup, e))?;
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
    /// that died, or a topic that grew, would never be reassigned (some brokers keep a group
    /// formed after evicting a member: docs/brokers.md; Kafka does it to a follower that rejoins
    /// with an unchanged subscription). A LeaveGroup makes every coordinator start a new
    /// generation with the members still alive.
    async fn force_new_generation(&mut self, kept: i32) -> GroupError {
        tracing::info!(
            generation = kept,
            "the coordinator kept the generation: leaving to force a new one"
        );
        self.leave(super::requests::REQUEST_TIMEOUT).await;
        self.member_id.clear();
        self.last_completed = None;
        GroupError::new(GroupRequest::JoinGroup, Cause::KeptGeneration(kept))
    }

    /// As leader: decode every member's subscription, run the chosen assignor, encode.
    async fn assign(&mut self, joined: &Joined) -> Result<Vec<(String, bytes::Bytes)>, GroupError> {
        let mut members = Vec::with_capacity(joined.members.len());
        for member in &joined.members {
            let topics = codec::decode_subscription(&member.metadata)
                .map_err(|e| GroupError::new(GroupRequest::JoinGroup, e))?;
            members.push(assignor::Member {
                id: member.id.clone(),
                topics,
            });
        }
        let topics: BTreeSet<String> = members
            .iter()
            .flat_map(|m| m.topics.iter().cloned())
            .collect();
        let mut partitions = BTreeMap::new();
        for topic in topics {
            let count = self.coordinator.partition_count(&topic).await?;
            partitions.insert(topic, count);
        }
        let assignment =
            assignor::assign(&joined.protocol, &members, &partitions).ok_or_else(|| {
                GroupError::new(
                    GroupRequest::JoinGroup,
                    Cause::UnknownAssignor(joined.protocol.clone()),
                )
            })?;
        tracing::info!(protocol = %joined.protocol, ?assignment, "assigned partitions as leader");
        assignment
            .iter()
            .map(|(member, owned)| {
                let payload = codec::encode_assignment(owned)
                    .map_err(|e| GroupError::new(GroupRequest::SyncGroup, e))?;
                Ok((member.clone(), payload))
            })
            .collect()
    }

    /// Heartbeats in the current generation. An error means the generation is over for us:
    /// rejoin (after committing, when [`GroupError::allows_hand_over`] says the generation still
    /// takes commits), or exit when it is fatal.
    pub async fn heartbeat(&mut self) -> Result<(), GroupError> {
        let Some(generation) = self.generation.clone() else {
            return Err(GroupError::new(
                GroupRequest::Heartbeat,
                Cause::NoGeneration,
            ));
        };
        let result = self
            .coordinator
            .heartbeat(generation.id, &generation.member_id)
            .await;
        self.after(result)
    }

    /// The committed offsets of `partitions` of our topic (`None`: nothing committed).
    pub async fn committed_offsets(
        &mut self,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
        let result = self
            .coordinator
            .fetch_offsets(&self.config.topic, partitions)
            .await;
        self.after(result)
    }

    /// Commits processed offsets (partition → next offset) in the current generation.
    pub async fn commit(&mut self, offsets: &BTreeMap<i32, i64>) -> Result<(), GroupError> {
        if offsets.is_empty() {
            return Ok(());
        }
        let Some(generation) = self.generation.clone() else {
            return Err(GroupError::new(
                GroupRequest::OffsetCommit,
                Cause::NoGeneration,
            ));
        };
        let result = self
            .coordinator
            .commit_offsets(
                generation.id,
                &generation.member_id,
                &self.config.topic,
                offsets,
            )
            .await;
        self.after(result)
    }

    /// Applies the recovery of a failed request, and hands its result on.
    fn after<T>(&mut self, result: Result<T, GroupError>) -> Result<T, GroupError> {
        if let Err(error) = &result {
            self.recover(error);
        }
        result
    }

    /// Leaves the group (best effort, bounded by `timeout`).
    pub async fn leave(&mut self, timeout: Duration) {
        if self.member_id.is_empty() {
            return;
        }
        let (group_id, member_id) = (self.config.group_id.clone(), self.member_id.clone());
        let attempt = self.coordinator.leave_group(&member_id, timeout);
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(())) => tracing::info!(%member_id, "left group {group_id}"),
            Ok(Err(error)) => tracing::warn!(%error, "leaving the group failed"),
            Err(_) => tracing::warn!("leaving the group timed out after {timeout:?}"),
        }
        self.generation = None;
    }
}

impl<C> std::fmt::Debug for Membership<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("group_id", &self.config.group_id)
            .field("member_id", &self.member_id)
            .field("generation", &self.generation)
            .finish()
    }
}

#[cfg(test)]
#[path = "membership_tests.rs"]
mod tests;
