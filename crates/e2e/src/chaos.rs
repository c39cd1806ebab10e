//! The chaos suite's bookkeeping: what a scenario saw while faults played, and its verdict row
//! in `just chaos`'s table.
//!
//! How a scenario proves "nothing lost" when members are killed, whose counts die with them:
//! an event counts as received when a member that finished reported it (`--json`'s `seen`), or
//! when it sits below an offset the group had committed when a member was killed (a member
//! commits only what it processed). Everything the producer got acknowledged must be received
//! that way; what the topic itself lacks (the verifier's scan) is the broker's loss, shown apart.
//!
//! Duplicates are located: a record counted by two members must lie in the commit window of a
//! fault, between the offset its partition had committed when the fault started and the
//! partition's end once the group had caught up with it. At-least-once allows those; one
//! outside every window would be a bug.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    process::Child,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use consumer::Summary as MemberSummary;
use events::audit::SeqRanges;
use producer::Summary as ProducerSummary;
use serde::{Deserialize, Serialize};

use crate::{group::spawn_peer, topic::ReadRecord};

/// One scenario's result: a row of the verdict table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    /// The scenario's name.
    pub scenario: String,
    /// The broker it ran on.
    pub broker: String,
    /// The faults, in the order they played.
    pub faults: Vec<String>,
    /// Events the producer got acknowledged.
    pub acked: u64,
    /// Acknowledged events the group received.
    pub received: u64,
    /// Acknowledged events the group never received.
    pub lost: u64,
    /// The lost seqs, as `[first, last]` ranges.
    pub lost_ranges: Vec<[u64; 2]>,
    /// Of the lost, those the broker lost or withheld: missing from the topic itself (the
    /// verifier's scan), or never let through to a group that librdkafka's members could not
    /// get through either (the anchor's evidence).
    pub lost_by_broker: u64,
    /// Records counted more than once by members that finished.
    pub duplicates: u64,
    /// Of the records counted by two members, those outside every fault's commit window.
    pub duplicates_outside_windows: u64,
    /// The first few of those, located: `partition P offset O`.
    #[serde(default)]
    pub duplicates_outside_sample: Vec<String>,
    /// Rebalances the members that finished went through.
    pub rebalances: u32,
    /// Per fault, seconds until the group had committed everything acknowledged before it.
    pub recovery_s: Vec<f64>,
    /// Per fault, seconds until the group had committed, on every partition, a record written
    /// after it started (or everything, where none was): the first records processed after it.
    pub first_progress_s: Vec<f64>,
    /// `OK`; `LOSS` (ours); `DUPLICATES` (records counted twice outside every commit window);
    /// `STUCK` (the group did not catch up with a fault); `BROKER` (the topic lacks
    /// acknowledged events, or librdkafka's members got stuck the same way).
    pub verdict: String,
    /// Why the group was stuck, and what shows that the broker is at fault.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Whether this row is an anchor: librdkafka's members through a scenario, to tell the
    /// broker's faults from ours. Its verdict judges the broker, not the pipeline.
    #[serde(default)]
    pub anchor: bool,
}

/// Per run, the seqs the members that finished reported.
#[derive(Debug, Default)]
struct Reported {
    /// Counted at least once.
    once: BTreeMap<String, SeqRanges>,
    /// Counted by more than one member.
    twice: BTreeMap<String, SeqRanges>,
}

/// What a scenario gathers while it runs.
#[derive(Debug, Default)]
pub struct Observations {
    /// The faults, in order.
    pub faults: Vec<String>,
    /// Summaries of the members that finished.
    pub summaries: Vec<MemberSummary>,
    /// Per partition, the highest offset the group had committed when a member was killed.
    pub committed_at_kills: BTreeMap<i32, i64>,
    /// Per fault, how the group recovered from it.
    pub recoveries: Vec<Recovery>,
    /// Per fault, per partition, its commit window: `[committed when it started, end once
    /// the group caught up)`.
    pub windows: Vec<BTreeMap<i32, (i64, i64)>>,
    /// Why the group did not catch up with a fault, if it did not.
    pub stuck: Option<String>,
}

impl Observations {
    /// Notes a fault about to start.
    pub fn fault(&mut self, description: impl Into<String>) {
        let description = description.into();
        eprintln!("chaos: {description}");
        self.faults.push(description);
    }

    /// Notes the offsets the group had committed once a member was killed (read after its
    /// death: it may have committed until its last moment).
    pub fn killed_with(&mut self, committed: &BTreeMap<i32, i64>) {
        for (partition, offset) in committed {
            let highest = self.committed_at_kills.entry(*partition).or_insert(*offset);
            *highest = (*highest).max(*offset);
        }
    }

    /// Notes how the group recovered from a fault that started when the partitions had
    /// `committed` offsets, and that they now end at `ends`.
    pub fn caught_up(
        &mut self,
        recovery: Recovery,
        committed: &BTreeMap<i32, i64>,
        ends: &BTreeMap<i32, i64>,
    ) {
        self.recoveries.push(recovery);
        let window: BTreeMap<i32, (i64, i64)> = ends
            .iter()
            .map(|(p, end)| (*p, (committed.get(p).copied().unwrap_or(0), *end)))
            .collect();
        eprintln!(
            "chaos window: recovered after {:.1} s, commit window {window:?}",
            recovery.caught_up.as_secs_f64()
        );
        self.windows.push(window);
    }

    /// The verdict, from the producer's runs, the topic's records (read back), and the
    /// verifier's counts of acknowledged events the topic lacks and of records it holds twice
    /// (a producer's retry: not the group's duplicates).
    pub fn verdict(
        self,
        scenario: &str,
        broker: &str,
        runs: &[&ProducerSummary],
        records: &[ReadRecord],
        lost_in_topic: u64,
        duplicated_in_topic: u64,
    ) -> Verdict {
        let reported = self.reported();
        let received = self.received(&reported, records);
        let (mut acked, mut got, mut lost) = (0, 0, SeqRanges::default());
        for run in runs {
            let expected = run.manifest.acked_seqs();
            let seen = received
                .get(&run.manifest.run_id)
                .cloned()
                .unwrap_or_default();
            let missing = expected.difference(&seen);
            acked += expected.len();
            got += expected.len() - missing.len();
            lost.union(&missing);
        }
        let counted: u64 = self.summaries.iter().map(|s| s.consumed).sum();
        let distinct: u64 = reported.once.values().map(SeqRanges::len).sum();
        let duplicates = counted
            .saturating_sub(distinct)
            .saturating_sub(duplicated_in_topic);
        let outside = self.duplicates_outside_windows(&reported, records);
        let sample = outside
            .iter()
            .take(10)
            .map(|(partition, offset)| format!("partition {partition} offset {offset}"))
            .collect();
        let outside = outside.len() as u64;
        let verdict = if self.stuck.is_some() {
            "STUCK"
        } else if lost.len() > lost_in_topic {
            "LOSS"
        } else if outside > 0 {
            "DUPLICATES"
        } else if lost_in_topic > 0 {
            "BROKER"
        } else {
            "OK"
        };
        Verdict {
            scenario: scenario.to_string(),
            broker: broker.to_string(),
            faults: self.faults,
            acked,
            received: got,
            lost: lost.len(),
            lost_ranges: lost.to_pairs(),
            lost_by_broker: lost_in_topic,
            duplicates,
            duplicates_outside_windows: outside,
            duplicates_outside_sample: sample,
            rebalances: self.summaries.iter().map(|s| s.rebalances).sum(),
            first_progress_s: self
                .recoveries
                .iter()
                .map(|r| r.first_progress.as_secs_f64())
                .collect(),
            recovery_s: self
                .recoveries
                .iter()
                .map(|r| r.caught_up.as_secs_f64())
                .collect(),
            verdict: verdict.to_string(),
            evidence: self.stuck.into_iter().collect(),
            anchor: false,
        }
    }

    /// Per run, the seqs the members that finished reported: at least once, and more than once.
    fn reported(&self) -> Reported {
        let mut reported = Reported::default();
        for summary in &self.summaries {
            for (run, ranges) in &summary.seen {
                let seen = SeqRanges::from_pairs(ranges);
                let before = reported.once.entry(run.clone()).or_default();
                let again = seen.difference(&seen.difference(before));
                before.union(&seen);
                reported.twice.entry(run.clone()).or_default().union(&again);
            }
        }
        reported
    }

    /// The records counted by two members that finished, outside every fault's window, as
    /// (partition, offset).
    fn duplicates_outside_windows(
        &self,
        reported: &Reported,
        records: &[ReadRecord],
    ) -> Vec<(i32, i64)> {
        let in_a_window = |partition: i32, offset: i64| {
            self.windows.iter().any(|window| {
                window
                    .get(&partition)
                    .is_some_and(|(from, to)| (*from..*to).contains(&offset))
            })
        };
        records
            .iter()
            .filter_map(|r| r.tag.as_ref().map(|(run, seq)| (r, run, *seq)))
            .filter(|(_, run, seq)| {
                reported
                    .twice
                    .get(*run)
                    .is_some_and(|twice| twice.contains(*seq))
            })
            .filter(|(r, _, _)| !in_a_window(r.partition, r.offset))
            .map(|(r, _, _)| (r.partition, r.offset))
            .collect()
    }

    /// Per run, the seqs received: reported by a finished member, or below an offset
    /// committed when a member was killed.
    fn received(&self, reported: &Reported, records: &[ReadRecord]) -> BTreeMap<String, SeqRanges> {
        let mut received = reported.once.clone();
        for record in records {
            let committed = self.committed_at_kills.get(&record.partition);
            if let (Some((run, seq)), Some(committed)) = (&record.tag, committed) {
                if record.offset < *committed {
                    received.entry(run.clone()).or_default().insert(*seq);
                }
            }
        }
        received
    }
}

/// How long the group took to recover from one fault, from its start.
#[derive(Debug, Clone, Copy)]
pub struct Recovery {
    /// Until it had committed everything written before the fault.
    pub caught_up: Duration,
    /// Until it had committed, on every partition, a record written after the fault started
    /// (or everything, where none was): the first records processed after the fault.
    pub first_progress: Duration,
}

/// A watcher of the group's committed offsets from the moment a fault starts
/// (`peers/watch_recovery.py`, one librdkafka client polling every 0.2 s).
pub struct RecoveryWatch {
    watcher: Child,
    started: SystemTime,
    ends: BTreeMap<i32, i64>,
    limit: Duration,
}

impl RecoveryWatch {
    /// Starts watching `group` on `topic` now: `ends` are the partitions' ends as the fault
    /// starts; the group must recover within `limit`.
    pub fn start(
        bootstrap: &str,
        topic: &str,
        group: &str,
        ends: &BTreeMap<i32, i64>,
        limit: Duration,
    ) -> RecoveryWatch {
        let json = serde_json::to_string(ends).expect("offsets serialise");
        let seconds = limit.as_secs().to_string();
        RecoveryWatch {
            watcher: spawn_peer(
                "watch_recovery.py",
                &[bootstrap, topic, group, &json, &seconds],
            ),
            started: SystemTime::now(),
            ends: ends.clone(),
            limit,
        }
    }

    /// Waits for the group to catch up, and says how long each step took; or, when it did not
    /// within the limit, what it had committed by then.
    pub fn finish(self) -> Result<Recovery, String> {
        let out = crate::wait(self.watcher, self.limit + Duration::from_secs(60));
        if out.code != Some(0) {
            return Err(not_recovered(&self.ends, self.limit, &out));
        }
        let json = out.json();
        let started = self
            .started
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let since_start = |key: &str| {
            let at = json[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} in {json}"));
            Duration::from_secs_f64((at - started).max(0.0))
        };
        Ok(Recovery {
            first_progress: since_start("progressed_at"),
            caught_up: since_start("caught_up_at"),
        })
    }
}

/// What a group had not done when the watcher of its recovery gave up after `limit`: the
/// partitions it had not caught up on (committed below their end at the fault, `ends`), or
/// else those on which it had committed nothing written after the fault.
fn not_recovered(ends: &BTreeMap<i32, i64>, limit: Duration, out: &crate::Finished) -> String {
    let seen: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
    let committed = |partition: i32| seen["offsets"][partition.to_string()].as_i64().unwrap_or(0);
    let behind: Vec<String> = ends
        .iter()
        .filter(|(p, end)| committed(**p) < **end)
        .map(|(p, end)| {
            format!(
                "{p} (committed {}, its end {end} at the fault)",
                committed(*p)
            )
        })
        .collect();
    let stalled: Vec<String> = ends
        .iter()
        .filter(|(p, end)| committed(**p) == **end)
        .map(|(p, _)| p.to_string())
        .collect();
    let what = if behind.is_empty() {
        format!(
            "had caught up but committed nothing written after it on partition(s) {}",
            stalled.join(", ")
        )
    } else {
        format!("had not caught up on partition(s) {}", behind.join(", "))
    };
    let stderr = out.stderr.trim();
    format!(
        "{} s after the fault, the group {what}{}",
        limit.as_secs(),
        if stderr.is_empty() {
            String::new()
        } else {
            format!(" ({stderr})")
        }
    )
}

impl Verdict {
    /// Judges this row against its anchor (the same scenario played by librdkafka's members
    /// on the same broker): a group stuck the same way is the broker's fault, and what it
    /// withheld is counted as the broker's.
    pub fn against(mut self, anchor: &Verdict) -> Verdict {
        if self.verdict == "STUCK" && anchor.verdict == "STUCK" {
            self.verdict = "BROKER".to_string();
            self.lost_by_broker = self.lost;
            let why = anchor.evidence.join("; ");
            self.evidence.push(format!(
                "librdkafka's members through the same faults on the same broker got stuck \
                 too ({} of {} acknowledged events received): {why}",
                anchor.received, anchor.acked
            ));
        }
        self
    }

    /// Prints the row and, when `CHAOS_REPORT_DIR` is set, writes it there as
    /// `SCENARIO.json` for the table of `just chaos`.
    pub fn record(&self) {
        let json = serde_json::to_string_pretty(self).expect("verdicts serialise");
        eprintln!("chaos verdict: {json}");
        if let Some(dir) = std::env::var_os("CHAOS_REPORT_DIR") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir)
                .unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
            let path = dir.join(format!("{}.json", self.scenario));
            std::fs::write(&path, json)
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        }
    }
}
