//! The consumer's statistics blocks and its final summary (`--json`).

use std::{collections::BTreeMap, time::Duration};

use serde::{Deserialize, Serialize};

use crate::{activity::Generations, latency::LatencySummary, tally::Tally};

/// One statistics block: rate since the last block, totals, invalid records, owned partitions
/// with their lag.
pub fn block(
    title: &str,
    tally: &Tally,
    owned: &[i32],
    consumed_since: u64,
    interval: Duration,
) -> String {
    let rate = consumed_since as f64 / interval.as_secs_f64().max(1e-3);
    let stats = &tally.ingest.stats;
    format!(
        "=== {title} ===\nevents/s    : {rate:.1}\nconsumed    : {}\ninvalid     : {}\npartitions  : {}\n{}",
        stats.total(),
        stats.invalid,
        partitions_with_lag(tally, owned),
        stats.render_tables()
    )
}

/// The owned partitions with their lag, `0 (lag 3), 2 (lag 0)`, or `none`.
fn partitions_with_lag(tally: &Tally, owned: &[i32]) -> String {
    let lag: Vec<String> = tally
        .lag(owned)
        .iter()
        .map(|(p, l)| format!("{p} (lag {l})"))
        .collect();
    if lag.is_empty() {
        "none".to_string()
    } else {
        lag.join(", ")
    }
}

/// The live statistics in one line, for logs and idle intervals: the rate since the last one,
/// totals, and the owned partitions with their lag.
pub fn line(tally: &Tally, owned: &[i32], consumed_since: u64, interval: Duration) -> String {
    let stats = &tally.ingest.stats;
    let rate = if consumed_since == 0 {
        format!(
            "idle ({} without records)",
            humantime::format_duration(interval)
        )
    } else {
        format!(
            "{:.1} events/s",
            consumed_since as f64 / interval.as_secs_f64().max(1e-3)
        )
    };
    format!(
        "live: {rate}, consumed {}, invalid {}, partitions {}\n",
        stats.total(),
        stats.invalid,
        partitions_with_lag(tally, owned),
    )
}

/// The consumer's final summary, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Our member id in the group.
    pub member_id: String,
    /// The group.
    pub group_id: String,
    /// The partitions we owned last.
    pub partitions: Vec<i32>,
    /// Records counted, valid or not.
    pub consumed: u64,
    /// Valid events counted.
    pub valid: u64,
    /// Records that are not valid events.
    pub invalid: u64,
    /// Records without audit headers.
    pub unaudited: u64,
    /// Valid events by type.
    pub by_type: BTreeMap<String, u64>,
    /// Valid events by user.
    pub by_user: BTreeMap<String, u64>,
    /// The offsets we committed last, by partition.
    pub committed: BTreeMap<i32, i64>,
    /// The seqs seen per producer run, as `[first, last]` ranges.
    pub seen: BTreeMap<String, Vec<[u64; 2]>>,
    /// Records counted per second, first record to last.
    pub events_per_s: f64,
    /// End-to-end latency, `null` before the first record.
    pub latency: Option<LatencySummary>,
    /// The last generation joined, `null` if none was.
    pub generation: Option<i32>,
    /// Generations joined after the first: each one a rebalance this member went through.
    pub rebalances: u32,
}

impl Summary {
    /// The summary of what `tally` counted as member `member_id` of `group_id`.
    pub fn new(
        member_id: &str,
        group_id: &str,
        owned: &[i32],
        tally: &Tally,
        committed: &BTreeMap<i32, i64>,
        generations: &Generations,
    ) -> Summary {
        let Tally { ingest, .. } = tally;
        Summary {
            member_id: member_id.to_string(),
            group_id: group_id.to_string(),
            partitions: owned.to_vec(),
            consumed: ingest.stats.total(),
            valid: ingest.stats.events,
            invalid: ingest.stats.invalid,
            unaudited: ingest.audit.unaudited,
            by_type: ingest.stats.by_type(),
            by_user: ingest.stats.by_user(),
            committed: committed.clone(),
            seen: ingest.audit.seen(),
            events_per_s: tally.read_rate(),
            latency: tally.latency.summary(),
            generation: generations.last,
            rebalances: generations.rebalances(),
        }
    }
}
