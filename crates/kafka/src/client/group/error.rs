//! What can go wrong in a group request, and what a member does about each: the group's error
//! table, in one place.
//!
//! | cause | recovery |
//! |---|---|
//! | REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, MEMBER_ID_REQUIRED; no generation; a generation the coordinator kept | rejoin with the same member id |
//! | UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID | rejoin as a new member |
//! | a moved or loading coordinator, a broken connection, a timeout, any other code | find the coordinator again, then rejoin |
//! | authorization, INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID, INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED, UNSUPPORTED_VERSION; a payload or assignor we cannot read; a connection refused for its security settings (credentials, certificates, listener kind: [`crate::client::Error::is_fatal_security`]) | fatal: the user must fix it |
//!
//! One exception by request: a SyncGroup refused as INVALID_REQUEST rejoins (a broker that
//! completes a sync as soon as the leader's assignment arrives refuses later followers that
//! way: docs/brokers.md); a real broker never sends it for a well-formed SyncGroup.

use std::fmt;

use kafka_protocol::error::ResponseError;

use super::codec::CodecError;

/// The group requests, by the protocol's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRequest {
    /// Which broker coordinates the group.
    FindCoordinator,
    /// Joining a generation.
    JoinGroup,
    /// Receiving the generation's assignment.
    SyncGroup,
    /// Staying in the generation.
    Heartbeat,
    /// Reading committed offsets.
    OffsetFetch,
    /// Committing offsets.
    OffsetCommit,
    /// Leaving the group.
    LeaveGroup,
    /// The partition counts the leader assigns from.
    Metadata,
    /// Describing the group's members (the dashboard's group view).
    DescribeGroups,
}

impl fmt::Display for GroupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a member does after a failed group request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Join again with the same member id (a rebalance started, or our generation is stale).
    Rejoin,
    /// Our member id is unknown to the coordinator: join again as a new member.
    NewMember,
    /// The coordinator moved, is loading or the connection broke: find it again, then rejoin.
    Rediscover,
    /// Not recoverable by retrying: settings or rights the user must change.
    Fatal,
}

/// Why a group request failed.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// The coordinator answered with an error code.
    #[error("{0:?}")]
    Refused(ResponseError),
    /// The request did not get an answer: connection, timeout, protocol versions.
    #[error(transparent)]
    Transport(Box<crate::client::Error>),
    /// A subscription or assignment payload we cannot read or write.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The coordinator chose an assignor this member did not offer.
    #[error("the coordinator chose the assignor {0:?}, which this member does not offer")]
    UnknownAssignor(String),
    /// A request that needs a generation was made outside one.
    #[error("not in a generation")]
    NoGeneration,
    /// A rejoin was answered with the generation we had already completed.
    #[error("the coordinator kept generation {0}, which we had completed")]
    KeptGeneration(i32),
}

impl From<crate::client::Error> for Cause {
    fn from(error: crate::client::Error) -> Cause {
        Cause::Transport(Box::new(error))
    }
}

impl From<crate::connection::ConnectionError> for Cause {
    fn from(error: crate::connection::ConnectionError) -> Cause {
        Cause::Transport(Box::new(error.into()))
    }
}

impl From<crate::cluster::ClusterError> for Cause {
    fn from(error: crate::cluster::ClusterError) -> Cause {
        Cause::Transport(Box::new(error.into()))
    }
}

/// A group request that failed, with its cause; [`GroupError::recovery`] says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{request}: {cause}")]
pub struct GroupError {
    /// The request that failed.
    pub request: GroupRequest,
    /// Why.
    pub cause: Cause,
}

impl GroupError {
    /// A failure of `request` for `cause`.
    pub fn new(request: GroupRequest, cause: impl Into<Cause>) -> GroupError {
        GroupError {
            request,
            cause: cause.into(),
        }
    }

    /// The coordinator refused `request` with `code`.
    pub fn refused(request: GroupRequest, code: ResponseError) -> GroupError {
        GroupError::new(request, Cause::Refused(code))
    }

    /// What the member does about this error (the table in the module's documentation).
    pub fn recovery(&self) -> Recovery {
        match &self.cause {
            Cause::Refused(code) => recovery_for(self.request, *code),
            Cause::Transport(error)
                if matches!(
                    error.connection(),
                    Some(crate::connection::ConnectionError::UnsupportedVersion { .. })
                ) || error.is_fatal_security() =>
            {
                Recovery::Fatal
            }
            Cause::Transport(_) => Recovery::Rediscover,
            Cause::Codec(_) | Cause::UnknownAssignor(_) => Recovery::Fatal,
            Cause::NoGeneration | Cause::KeptGeneration(_) => Recovery::Rejoin,
        }
    }

    /// Whether the generation may still take our commits after this error, so that a member
    /// commits what it processed before rejoining (a rebalance, a lost connection) and the next
    /// owner does not process it again. Not after our member id is gone, nor a fatal error.
    pub fn allows_hand_over(&self) -> bool {
        matches!(self.recovery(), Recovery::Rejoin | Recovery::Rediscover)
    }

    /// Whether the error is one the user must fix (the service then exits with code 2).
    pub fn is_fatal(&self) -> bool {
        self.recovery() == Recovery::Fatal
    }
}

/// The recovery for an error code answered to `request`.
fn recovery_for(request: GroupRequest, code: ResponseError) -> Recovery {
    use ResponseError::*;
    match (request, code) {
        (GroupRequest::SyncGroup, InvalidRequest) => Recovery::Rejoin,
        (_, RebalanceInProgress | IllegalGeneration | MemberIdRequired) => Recovery::Rejoin,
        (_, UnknownMemberId | FencedInstanceId) => Recovery::NewMember,
        (
            _,
            GroupAuthorizationFailed
            | TopicAuthorizationFailed
            | InvalidSessionTimeout
            | InconsistentGroupProtocol
            | InvalidGroupId
            | GroupMaxSizeReached
            | UnsupportedVersion,
        ) => Recovery::Fatal,
        // Anything else (a moved or loading coordinator, a timeout, an error this client does
        // not know): find the coordinator again and rejoin, with backoff.
        _ => Recovery::Rediscover,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use ResponseError::*;

    fn recovery(request: GroupRequest, code: ResponseError) -> Recovery {
        GroupError::refused(request, code).recovery()
    }

    #[test]
    fn every_rebalance_error_of_the_exchange_leads_to_a_rejoin_not_an_exit() {
        for code in [RebalanceInProgress, IllegalGeneration, MemberIdRequired] {
            assert_eq!(recovery(GroupRequest::Heartbeat, code), Recovery::Rejoin);
        }
        assert_eq!(
            recovery(GroupRequest::JoinGroup, UnknownMemberId),
            Recovery::NewMember
        );
        for code in [
            NotCoordinator,
            CoordinatorNotAvailable,
            CoordinatorLoadInProgress,
            UnknownServerError,
        ] {
            assert_eq!(
                recovery(GroupRequest::OffsetCommit, code),
                Recovery::Rediscover
            );
        }
    }

    #[test]
    fn settings_and_rights_are_fatal() {
        for code in [
            GroupAuthorizationFailed,
            InvalidSessionTimeout,
            InvalidGroupId,
            UnsupportedVersion,
        ] {
            let error = GroupError::refused(GroupRequest::JoinGroup, code);
            assert!(error.is_fatal(), "{error}");
        }
        let unsupported = GroupError::new(
            GroupRequest::JoinGroup,
            crate::connection::ConnectionError::UnsupportedVersion {
                broker: "b:1".into(),
                api: "JoinGroup".into(),
                detail: "none".into(),
            },
        );
        assert!(unsupported.is_fatal());
    }

    #[test]
    fn refused_credentials_are_fatal_not_rediscovered() {
        let refused = GroupError::new(
            GroupRequest::FindCoordinator,
            crate::connection::ConnectionError::AuthenticationFailed {
                broker: "b:1".into(),
                user: "alice".into(),
                mechanism: crate::connection::security::SaslMechanism::ScramSha512,
                message: "invalid credentials".into(),
            },
        );
        assert!(refused.is_fatal());
    }

    #[test]
    fn a_late_follower_refused_with_invalid_request_rejoins_only_in_sync_group() {
        assert_eq!(
            recovery(GroupRequest::SyncGroup, InvalidRequest),
            Recovery::Rejoin
        );
        assert_eq!(
            recovery(GroupRequest::JoinGroup, InvalidRequest),
            Recovery::Rediscover
        );
    }

    #[test]
    fn transport_failures_rediscover_and_state_errors_rejoin() {
        let timeout = crate::connection::ConnectionError::Timeout {
            broker: "b:1".into(),
            what: "Heartbeat",
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            GroupError::new(GroupRequest::Heartbeat, timeout).recovery(),
            Recovery::Rediscover
        );
        assert_eq!(
            GroupError::new(GroupRequest::OffsetCommit, Cause::NoGeneration).recovery(),
            Recovery::Rejoin
        );
        assert_eq!(
            GroupError::new(GroupRequest::JoinGroup, Cause::KeptGeneration(3)).recovery(),
            Recovery::Rejoin
        );
    }
}
