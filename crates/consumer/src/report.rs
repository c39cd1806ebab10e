//! The consumer's statistics blocks and final summary.

use std::{collections::BTreeMap, time::Duration};

use serde_json::{json, Value};

use crate::tally::Tally;

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
    let lag: Vec<String> = tally
        .lag(owned)
        .iter()
        .map(|(p, l)| format!("{p} (lag {l})"))
        .collect();
    format!(
        "=== {title} ===\nevents/s    : {rate:.1}\nconsumed    : {}\ninvalid     : {}\npartitions  : {}\n{}",
        tally.stats.total(),
        tally.stats.invalid,
        if lag.is_empty() { "none".to_string() } else { lag.join(", ") },
        tally.stats.render_tables()
    )
}

/// The final summary as one JSON object.
pub fn summary_json(
    member_id: &str,
    group_id: &str,
    owned: &[i32],
    tally: &Tally,
    committed: &BTreeMap<i32, i64>,
) -> Value {
    json!({
        "member_id": member_id,
        "group_id": group_id,
        "partitions": owned,
        "consumed": tally.stats.total(),
        "valid": tally.stats.events,
        "invalid": tally.stats.invalid,
        "unaudited": tally.audit.unaudited,
        "by_type": tally.stats.by_type(),
        "by_user": tally.stats.by_user(),
        "committed": committed,
        "seen": tally.audit.seen(),
        "events_per_s": tally.read_rate(),
        "latency": tally.latency.summary(),
    })
}
