//! Consumer-group membership on Kafka's classic group protocol, which rskafka does not have.
//!
//! A [`Membership`] finds the coordinator, joins (electing a leader that runs the assignor),
//! syncs, and then heartbeats, fetches and commits offsets and leaves for the consumer loop.
//! It talks to the coordinator through the [`Coordinator`] trait ([`CoordinatorLink`] over the
//! network), so that its state machine is tested without a broker. Every coordinator error ends
//! in a rejoin with backoff ([`GroupError::recovery`]), except the fatal ones, which the
//! caller reports (the service exits with code 2), and never in a busy loop.

pub mod assignor;
pub mod codec;
pub mod coordinator;
pub mod describe;
pub mod error;
mod membership;
pub mod requests;

use std::time::Duration;

pub use coordinator::{Coordinator, CoordinatorLink};
pub use describe::{GroupDescription, MemberDescription};
pub use error::{Cause, GroupError, GroupRequest, Recovery};
pub use membership::Membership;

/// Group settings (the brokers, client id and security are the [`crate::cluster::Cluster`]'s).
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// The group to join.
    pub group_id: String,
    /// The topic we subscribe to.
    pub topic: String,
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
