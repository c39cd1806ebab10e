//! What the member did in its group, besides counting records: the generations it joined, its
//! commits and their latency, failed heartbeats and commits, how long its last rebalance took.
//! Kept per commit or heartbeat, never per record, for the summary, the metrics and the
//! dashboard.

use std::time::Duration;

use crate::latency::LatencyHistogram;

/// The generations a member joined.
#[derive(Debug, Default, Clone)]
pub struct Generations {
    /// The last one's id.
    pub last: Option<i32>,
    /// How many were joined.
    pub joined: u32,
}

impl Generations {
    /// Notes that the member joined generation `id`.
    pub fn joined(&mut self, id: i32) {
        self.last = Some(id);
        self.joined += 1;
    }

    /// Generations joined after the first.
    pub fn rebalances(&self) -> u32 {
        self.joined.saturating_sub(1)
    }
}

/// The member's group activity.
#[derive(Debug, Default)]
pub struct Activity {
    /// The generations joined.
    pub generations: Generations,
    /// How long each commit the coordinator answered took, accepted or refused.
    pub commit_latency: LatencyHistogram,
    /// Commits that failed: refused, or unanswered.
    pub commit_failures: u64,
    /// Heartbeats that failed, whether the member kept its generation or rejoined.
    pub heartbeat_failures: u64,
    /// How long the last rebalance took: from giving the partitions up to the next generation.
    pub last_rebalance: Option<Duration>,
}

impl Activity {
    /// Notes a commit that took `latency`, and whether it succeeded.
    pub fn committed(&mut self, latency: Duration, succeeded: bool) {
        self.commit_latency.record(latency);
        if !succeeded {
            self.commit_failures += 1;
        }
    }

    /// Notes that the member joined generation `id`, `took` after it began joining. The
    /// first join is not a rebalance of this member's.
    pub fn joined(&mut self, id: i32, took: Duration) {
        if self.generations.joined > 0 {
            self.last_rebalance = Some(took);
        }
        self.generations.joined(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_join_is_not_a_rebalance() {
        let mut activity = Activity::default();
        activity.joined(1, Duration::from_secs(3));
        assert_eq!(activity.last_rebalance, None);
        activity.joined(2, Duration::from_millis(700));
        assert_eq!(activity.last_rebalance, Some(Duration::from_millis(700)));
        assert_eq!(activity.generations.rebalances(), 1);
        activity.committed(Duration::from_millis(4), true);
        activity.committed(Duration::from_millis(9), false);
        assert_eq!(
            (activity.commit_latency.count(), activity.commit_failures),
            (2, 1)
        );
    }
}
