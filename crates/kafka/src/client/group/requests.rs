//! The requests of Kafka's classic group protocol, on one connection to the coordinator (or, for
//! FindCoordinator, to any broker), each failure typed as a [`GroupError`].

use std::{collections::BTreeMap, time::Duration};

use bytes::Bytes;
use kafka_protocol::{
    error::{ParseResponseErrorCode, ResponseError},
    messages::{
        join_group_request::JoinGroupRequestProtocol,
        join_group_response::JoinGroupResponseMember,
        leave_group_request::MemberIdentity,
        offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic},
        offset_fetch_request::OffsetFetchRequestTopic,
        sync_group_request::SyncGroupRequestAssignment,
        FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest,
        OffsetCommitRequest, OffsetFetchRequest, SyncGroupRequest, TopicName,
    },
    protocol::{Request, StrBytes},
};

use super::error::{GroupError, GroupRequest};
use crate::{
    connection::{Connection, ConnectionError, UndecodableResponse},
    protocol::text,
};

// Every request is capped below its first "flexible" version (KIP-482): some Kafka-compatible
// brokers drop the connection on flexible JoinGroup and SyncGroup (docs/brokers.md), and the
// versions below are still served by every Kafka release, 4.x included.

/// How long an ordinary group request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn check(request: GroupRequest, code: i16) -> Result<(), GroupError> {
    match code.err() {
        None => Ok(()),
        Some(error) => Err(GroupError::refused(request, error)),
    }
}

pub(crate) async fn send<R: Request>(
    connection: &mut Connection,
    name: GroupRequest,
    request: &R,
    cap: i16,
    timeout: Duration,
) -> Result<R::Response, GroupError> {
    match tokio::time::timeout(timeout, connection.send(request, cap)).await {
        Ok(Ok(response)) => Ok(response),
        // The broker's answer is an error we can still read: act on it.
        Ok(Err(ConnectionError::Undecodable(undecodable))) => {
            match leading_error_code(&undecodable) {
                Some(code) if code != 0 => Err(check(name, code).expect_err("non-zero code")),
                _ => Err(GroupError::new(
                    name,
                    ConnectionError::Undecodable(undecodable),
                )),
            }
        }
        Ok(Err(error)) => Err(GroupError::new(name, error)),
        Err(_) => Err(GroupError::new(
            name,
            ConnectionError::Timeout {
                broker: connection.address().to_string(),
                what: "a group request",
                timeout,
            },
        )),
    }
}

/// The error code of a group response that did not decode, where the layout puts it first
/// after the throttle time: FindCoordinator, Heartbeat, LeaveGroup and SyncGroup from v1,
/// JoinGroup from v2.
fn leading_error_code(response: &UndecodableResponse) -> Option<i16> {
    let throttled_from = match response.api_key {
        FindCoordinatorRequest::KEY
        | HeartbeatRequest::KEY
        | LeaveGroupRequest::KEY
        | SyncGroupRequest::KEY => 1,
        JoinGroupRequest::KEY => 2,
        _ => return None,
    };
    let bytes = response.body.get(4..6)?;
    (response.version >= throttled_from).then(|| i16::from_be_bytes([bytes[0], bytes[1]]))
}

fn group(s: &str) -> GroupId {
    GroupId(text(s))
}

/// Asks any broker which broker coordinates `group_id`; returns its `host:port`.
pub async fn find_coordinator(
    connection: &mut Connection,
    group_id: &str,
) -> Result<String, GroupError> {
    let request = FindCoordinatorRequest::default()
        .with_key(text(group_id))
        .with_key_type(0);
    let response = send(
        connection,
        GroupRequest::FindCoordinator,
        &request,
        2,
        REQUEST_TIMEOUT,
    )
    .await?;
    check(GroupRequest::FindCoordinator, response.error_code)?;
    Ok(format!("{}:{}", response.host, response.port))
}

/// The parameters of a JoinGroup.
pub struct JoinParams<'a> {
    /// The group.
    pub group_id: &'a str,
    /// Our member id, empty on the first join.
    pub member_id: &'a str,
    /// Session timeout.
    pub session_timeout: Duration,
    /// How long the coordinator waits for members to rejoin during a rebalance.
    pub rebalance_timeout: Duration,
    /// (assignor name, subscription metadata), in order of preference.
    pub protocols: Vec<(&'static str, Bytes)>,
}

/// What JoinGroup tells a member.
#[derive(Debug)]
pub struct Joined {
    /// The new generation.
    pub generation_id: i32,
    /// Our member id in it.
    pub member_id: String,
    /// The leader's member id.
    pub leader: String,
    /// The assignor the coordinator chose.
    pub protocol: String,
    /// Every member with its subscription (only the leader receives them).
    pub members: Vec<JoinedMember>,
}

/// A member of the generation, as the leader learns it from JoinGroup.
#[derive(Debug, Clone)]
pub struct JoinedMember {
    /// Its member id.
    pub id: String,
    /// Its subscription, in the consumer protocol's encoding.
    pub metadata: Bytes,
}

/// JoinGroup's answer when it is not an error.
#[derive(Debug)]
pub enum JoinAnswer {
    /// We are in the new generation.
    Joined(Joined),
    /// KIP-394: the coordinator names our member id; join again with it right away.
    MemberIdRequired(String),
}

/// Joins the group.
pub async fn join_group(
    connection: &mut Connection,
    params: &JoinParams<'_>,
) -> Result<JoinAnswer, GroupError> {
    let request = JoinGroupRequest::default()
        .with_group_id(group(params.group_id))
        .with_session_timeout_ms(params.session_timeout.as_millis() as i32)
        .with_rebalance_timeout_ms(params.rebalance_timeout.as_millis() as i32)
        .with_member_id(text(params.member_id))
        .with_protocol_type(StrBytes::from_static_str("consumer"))
        .with_protocols(
            params
                .protocols
                .iter()
                .map(|(name, metadata)| {
                    JoinGroupRequestProtocol::default()
                        .with_name(StrBytes::from_static_str(name))
                        .with_metadata(metadata.clone())
                })
                .collect(),
        );
    // The coordinator holds JoinGroup until every member rejoined, up to the rebalance timeout.
    let timeout = params.rebalance_timeout + REQUEST_TIMEOUT;
    let response = send(connection, GroupRequest::JoinGroup, &request, 5, timeout).await?;
    if response.error_code.err() == Some(ResponseError::MemberIdRequired) {
        return Ok(JoinAnswer::MemberIdRequired(response.member_id.to_string()));
    }
    check(GroupRequest::JoinGroup, response.error_code)?;
    Ok(JoinAnswer::Joined(Joined {
        generation_id: response.generation_id,
        member_id: response.member_id.to_string(),
        leader: response.leader.to_string(),
        protocol: response
            .protocol_name
            .map(|p| p.to_string())
            .unwrap_or_default(),
        members: response
            .members
            .into_iter()
            .map(|m: JoinGroupResponseMember| JoinedMember {
                id: m.member_id.to_string(),
                metadata: m.metadata,
            })
            .collect(),
    }))
}

/// Sends SyncGroup (with the assignments when leader) and returns our assignment payload.
pub async fn sync_group(
    connection: &mut Connection,
    group_id: &str,
    joined: &Joined,
    assignments: Vec<(String, Bytes)>,
) -> Result<Bytes, GroupError> {
    let request = SyncGroupRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(joined.generation_id)
        .with_member_id(text(&joined.member_id))
        .with_protocol_type(Some(StrBytes::from_static_str("consumer")))
        .with_protocol_name(Some(text(&joined.protocol)))
        .with_assignments(
            assignments
                .into_iter()
                .map(|(member, assignment)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(text(&member))
                        .with_assignment(assignment)
                })
                .collect(),
        );
    let response = send(
        connection,
        GroupRequest::SyncGroup,
        &request,
        3,
        REQUEST_TIMEOUT,
    )
    .await?;
    check(GroupRequest::SyncGroup, response.error_code)?;
    Ok(response.assignment)
}

/// Tells the coordinator we are alive in `generation_id`.
pub async fn heartbeat(
    connection: &mut Connection,
    group_id: &str,
    generation_id: i32,
    member_id: &str,
) -> Result<(), GroupError> {
    let request = HeartbeatRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(generation_id)
        .with_member_id(text(member_id));
    let response = send(
        connection,
        GroupRequest::Heartbeat,
        &request,
        3,
        REQUEST_TIMEOUT,
    )
    .await?;
    check(GroupRequest::Heartbeat, response.error_code)
}

/// The committed offsets of `partitions` of `topic` (`None`: nothing committed).
pub async fn fetch_offsets(
    connection: &mut Connection,
    group_id: &str,
    topic: &str,
    partitions: &[i32],
) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
    let request = OffsetFetchRequest::default()
        .with_group_id(group(group_id))
        .with_topics(Some(vec![OffsetFetchRequestTopic::default()
            .with_name(TopicName(text(topic)))
            .with_partition_indexes(partitions.to_vec())]));
    let response = send(
        connection,
        GroupRequest::OffsetFetch,
        &request,
        5,
        REQUEST_TIMEOUT,
    )
    .await?;
    check(GroupRequest::OffsetFetch, response.error_code)?;
    let mut offsets: BTreeMap<i32, Option<i64>> = partitions.iter().map(|p| (*p, None)).collect();
    for partition in response.topics.iter().flat_map(|t| &t.partitions) {
        check(GroupRequest::OffsetFetch, partition.error_code)?;
        if partition.committed_offset >= 0 {
            offsets.insert(partition.partition_index, Some(partition.committed_offset));
        }
    }
    Ok(offsets)
}

/// Commits `offsets` (partition → next offset to read) of `topic` for our generation.
pub async fn commit_offsets(
    connection: &mut Connection,
    group_id: &str,
    generation_id: i32,
    member_id: &str,
    topic: &str,
    offsets: &BTreeMap<i32, i64>,
) -> Result<(), GroupError> {
    let partitions = offsets
        .iter()
        .map(|(partition, offset)| {
            OffsetCommitRequestPartition::default()
                .with_partition_index(*partition)
                .with_committed_offset(*offset)
        })
        .collect();
    let request = OffsetCommitRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id_or_member_epoch(generation_id)
        .with_member_id(text(member_id))
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(TopicName(text(topic)))
            .with_partitions(partitions)]);
    let response = send(
        connection,
        GroupRequest::OffsetCommit,
        &request,
        7,
        REQUEST_TIMEOUT,
    )
    .await?;
    for partition in response.topics.iter().flat_map(|t| &t.partitions) {
        check(GroupRequest::OffsetCommit, partition.error_code)?;
    }
    Ok(())
}

/// Leaves the group, so that the others rebalance at once instead of after our session timeout.
pub async fn leave_group(
    connection: &mut Connection,
    group_id: &str,
    member_id: &str,
    timeout: Duration,
) -> Result<(), GroupError> {
    // v2 where possible: librdkafka's mock cluster answers v3 without its member list.
    let version = connection
        .version::<LeaveGroupRequest>(2)
        .or_else(|_| connection.version::<LeaveGroupRequest>(3))
        .map_err(|e| GroupError::new(GroupRequest::LeaveGroup, e))?;
    let mut request = LeaveGroupRequest::default().with_group_id(group(group_id));
    // v3 (KIP-345) replaced the single member id by a list of members.
    if version >= 3 {
        request = request.with_members(vec![
            MemberIdentity::default().with_member_id(text(member_id))
        ]);
    } else {
        request = request.with_member_id(text(member_id));
    }
    let response = send(
        connection,
        GroupRequest::LeaveGroup,
        &request,
        version,
        timeout,
    )
    .await?;
    check(GroupRequest::LeaveGroup, response.error_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_that_does_not_decode_still_gives_its_error_code() {
        // librdkafka's mock cluster answers a refused SyncGroup with a null assignment.
        let body = Bytes::from_static(&[0, 0, 0, 0, 0, 27, 0xff, 0xff, 0xff, 0xff]);
        let undecodable = |api_key, version| UndecodableResponse {
            api_key,
            version,
            body: body.clone(),
            reason: "Data length is negative (-1)".into(),
        };
        assert_eq!(
            leading_error_code(&undecodable(SyncGroupRequest::KEY, 3)),
            Some(27)
        );
        assert_eq!(
            leading_error_code(&undecodable(SyncGroupRequest::KEY, 0)),
            None
        );
        assert_eq!(
            leading_error_code(&undecodable(OffsetFetchRequest::KEY, 5)),
            None
        );
        assert_eq!(
            leading_error_code(&undecodable(JoinGroupRequest::KEY, 1)),
            None
        );
        assert_eq!(
            leading_error_code(&undecodable(JoinGroupRequest::KEY, 2)),
            Some(27)
        );
    }

    #[test]
    fn error_codes_are_classified_from_the_wire() {
        use super::super::error::Recovery;
        assert!(check(GroupRequest::Heartbeat, 0).is_ok());
        let error = check(GroupRequest::Heartbeat, 27).unwrap_err();
        assert_eq!(
            error.recovery(),
            Recovery::Rejoin,
            "27 is REBALANCE_IN_PROGRESS"
        );
        let unknown_member = check(GroupRequest::JoinGroup, 25).unwrap_err();
        assert_eq!(unknown_member.recovery(), Recovery::NewMember);
        let not_coordinator = check(GroupRequest::JoinGroup, 16).unwrap_err();
        assert_eq!(not_coordinator.recovery(), Recovery::Rediscover);
    }
}
