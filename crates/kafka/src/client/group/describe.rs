//! DescribeGroups: a group as its coordinator sees it, every member with its client id, host and
//! assigned partitions. Any client may ask, member of the group or not; the consumer's
//! dashboard shows it so that every replica can show the whole group.

use std::collections::BTreeMap;

use kafka_protocol::messages::{DescribeGroupsRequest, GroupId};

use super::{
    codec,
    error::{GroupError, GroupRequest},
    requests::{check, send, REQUEST_TIMEOUT},
};
use crate::{connection::Connection, protocol::text};

/// The highest DescribeGroups version asked for: the last before the flexible ones.
const VERSION_CAP: i16 = 4;

/// A group as its coordinator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// Its state: `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`.
    pub state: String,
    /// Its members, in the coordinator's order.
    pub members: Vec<MemberDescription>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    /// Its member id.
    pub member_id: String,
    /// The client id it sent.
    pub client_id: String,
    /// The host it connected from, as the coordinator saw it.
    pub client_host: String,
    /// Its assigned partitions by topic, empty while the group rebalances or when its
    /// assignment does not decode as the consumer protocol's.
    pub partitions: BTreeMap<String, Vec<i32>>,
}

/// Describes `group_id`, on a connection to its coordinator.
pub async fn describe_group(
    connection: &mut Connection,
    group_id: &str,
) -> Result<GroupDescription, GroupError> {
    let request = DescribeGroupsRequest::default().with_groups(vec![GroupId(text(group_id))]);
    let response = send(
        connection,
        GroupRequest::DescribeGroups,
        &request,
        VERSION_CAP,
        REQUEST_TIMEOUT,
    )
    .await?;
    let Some(group) = response.groups.into_iter().next() else {
        return Ok(GroupDescription {
            state: "Dead".into(),
            members: Vec::new(),
        });
    };
    check(GroupRequest::DescribeGroups, group.error_code)?;
    let members = group
        .members
        .into_iter()
        .map(|member| MemberDescription {
            member_id: member.member_id.to_string(),
            client_id: member.client_id.to_string(),
            client_host: member.client_host.to_string(),
            partitions: codec::decode_assignment(&member.member_assignment).unwrap_or_default(),
        })
        .collect();
    Ok(GroupDescription {
        state: group.group_state.to_string(),
        members,
    })
}
