//! The group membership as the member's loop drives it: the [`Group`] trait, the seam between
//! the loop and kafka's [`Membership`] (which speaks the group protocol), so that the loop is
//! tested without a broker.

use std::{collections::BTreeMap, time::Duration};

use kafka::client::group::{Coordinator, Generation, GroupError, Membership};

/// The group requests the member's loop makes. Implemented by [`Membership`]; the loop's unit
/// tests script their own.
// The member runs on one task: the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Group {
    /// The group id.
    fn group_id(&self) -> &str;
    /// Our member id (empty before the first join).
    fn member_id(&self) -> &str;
    /// Joins (or rejoins) a generation, retrying until it succeeds; fails only on a fatal error.
    async fn join(&mut self) -> Result<Generation, GroupError>;
    /// Heartbeats in the current generation; an error means it is over for us (or the
    /// coordinator is out of reach).
    async fn heartbeat(&mut self) -> Result<(), GroupError>;
    /// The committed offsets of `partitions` (`None`: nothing committed).
    async fn committed_offsets(
        &mut self,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError>;
    /// Commits processed offsets (partition → next offset) in the current generation.
    async fn commit(&mut self, offsets: &BTreeMap<i32, i64>) -> Result<(), GroupError>;
    /// Leaves the group, best effort, within `timeout`.
    async fn leave(&mut self, timeout: Duration);
}

impl<C: Coordinator> Group for Membership<C> {
    fn group_id(&self) -> &str {
        Membership::group_id(self)
    }

    fn member_id(&self) -> &str {
        Membership::member_id(self)
    }

    async fn join(&mut self) -> Result<Generation, GroupError> {
        Membership::join(self).await
    }

    async fn heartbeat(&mut self) -> Result<(), GroupError> {
        Membership::heartbeat(self).await
    }

    async fn committed_offsets(
        &mut self,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
        Membership::committed_offsets(self, partitions).await
    }

    async fn commit(&mut self, offsets: &BTreeMap<i32, i64>) -> Result<(), GroupError> {
        Membership::commit(self, offsets).await
    }

    async fn leave(&mut self, timeout: Duration) {
        Membership::leave(self, timeout).await;
    }
}
