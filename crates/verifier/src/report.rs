//! The verifier's report: statistics, samples, invalid records and the per-run audit, as text
//! for people and as one JSON object for scripts.

use std::fmt::{self, Write};

use std::collections::BTreeMap;

use events::audit::RunReport;
use serde::{Deserialize, Serialize};

use crate::scan::{InvalidRecord, Inventory};

/// What the verifier found.
pub struct Report {
    /// The topic read.
    pub topic: String,
    /// Everything read.
    pub inventory: Inventory,
    /// One verdict per producer run.
    pub runs: Vec<RunReport>,
}

impl Report {
    /// Whether a finished run is missing acked events.
    pub fn has_loss(&self) -> bool {
        self.runs.iter().any(RunReport::has_loss)
    }

    /// The report as `--json` prints it.
    pub fn to_json(&self) -> ReportJson {
        let inv = &self.inventory;
        let stats = &inv.ingest.stats;
        ReportJson {
            topic: self.topic.clone(),
            total: inv.total(),
            valid: stats.events,
            invalid: stats.invalid,
            unaudited: inv.ingest.audit.unaudited,
            by_type: stats.by_type(),
            by_user: stats.by_user(),
            per_partition: inv.per_partition.clone(),
            samples: inv
                .samples
                .values()
                .flatten()
                .map(|e| serde_json::from_slice(&e.to_json()).expect("events are JSON"))
                .collect(),
            invalid_records: inv.invalid.clone(),
            runs: self.runs.clone(),
            lost: self
                .runs
                .iter()
                .filter(|r| r.finished)
                .map(|r| r.lost)
                .sum(),
            duplicates: self.runs.iter().map(|r| r.duplicates).sum(),
            ok: !self.has_loss(),
        }
    }
}

/// The verifier's report, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportJson {
    /// The topic read.
    pub topic: String,
    /// Records read.
    pub total: u64,
    /// Valid events.
    pub valid: u64,
    /// Records that are not valid events.
    pub invalid: u64,
    /// Records without audit headers.
    pub unaudited: u64,
    /// Valid events by type.
    pub by_type: BTreeMap<String, u64>,
    /// Valid events by user.
    pub by_user: BTreeMap<String, u64>,
    /// Records read per partition.
    pub per_partition: BTreeMap<i32, u64>,
    /// Sample events, in the seed's JSON.
    pub samples: Vec<serde_json::Value>,
    /// The first invalid records.
    pub invalid_records: Vec<InvalidRecord>,
    /// One verdict per producer run.
    pub runs: Vec<RunReport>,
    /// Acked events of finished runs not found.
    pub lost: u64,
    /// Records read more than once.
    pub duplicates: u64,
    /// No finished run lost anything.
    pub ok: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inv = &self.inventory;
        writeln!(f, "=== Verifier report: topic {} ===", self.topic)?;
        writeln!(
            f,
            "records read: {} (valid {}, invalid {}, unaudited {})",
            inv.total(),
            inv.ingest.stats.events,
            inv.ingest.stats.invalid,
            inv.ingest.audit.unaudited
        )?;
        let partitions: Vec<String> = inv
            .per_partition
            .iter()
            .map(|(p, n)| format!("{p}: {n}"))
            .collect();
        writeln!(f, "per partition: {}", partitions.join(", "))?;
        write!(f, "{}", inv.ingest.stats.render_tables())?;
        if inv.samples.values().any(|samples| !samples.is_empty()) {
            writeln!(f, "Sample events:")?;
        }
        for (kind, samples) in &inv.samples {
            for sample in samples {
                writeln!(f, "--- {kind} ---\n{}", sample.to_json_pretty())?;
            }
        }
        if inv.ingest.stats.invalid > 0 {
            writeln!(
                f,
                "Invalid records: {} (first {} shown)",
                inv.ingest.stats.invalid,
                inv.invalid.len()
            )?;
            for bad in &inv.invalid {
                writeln!(
                    f,
                    "  partition {} offset {}: {}",
                    bad.partition, bad.offset, bad.reason
                )?;
            }
        }
        f.write_str(&render_runs(&self.runs))?;
        writeln!(f, "{}", self.verdict())
    }
}

impl Report {
    fn verdict(&self) -> String {
        verdict_line(&self.runs)
    }
}

impl ReportJson {
    /// The report's last line, `VERDICT: …`, as the text report ends.
    pub fn verdict(&self) -> String {
        verdict_line(&self.runs)
    }
}

/// The verdict over `runs`: the share of acknowledged events of finished runs that arrived.
fn verdict_line(runs: &[RunReport]) -> String {
    let finished: Vec<&RunReport> = runs.iter().filter(|r| r.finished).collect();
    let acked: u64 = finished.iter().map(|r| r.acked).sum();
    let received: u64 = finished.iter().map(|r| r.acked - r.lost).sum();
    if finished.is_empty() {
        return "VERDICT: no finished producer run to check (no manifest found)".into();
    }
    let share = if acked == 0 {
        100.0
    } else {
        100.0 * received as f64 / acked as f64
    };
    let word = if runs.iter().any(RunReport::has_loss) {
        "LOSS"
    } else {
        "OK"
    };
    format!(
        "VERDICT: {word}: {share:.2}% of acknowledged events received ({received}/{acked}) over {} finished run(s)",
        finished.len()
    )
}

/// The status word of a run, as the audit table shows it.
pub fn run_status(run: &RunReport) -> &'static str {
    match (run.finished, run.complete) {
        (true, true) => "complete",
        (true, false) => "LOST",
        (false, _) => "unfinished (no manifest)",
    }
}

fn render_runs(runs: &[RunReport]) -> String {
    let mut out = String::from("Delivery audit:\n");
    if runs.is_empty() {
        out.push_str("  no audited records and no manifests\n");
        return out;
    }
    let width = runs
        .iter()
        .map(|r| r.run_id.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        out,
        "  {:<width$}  {:>9}  {:>9}  {:>7}  {:>10}  {:>6}  status",
        "run_id", "acked", "received", "lost", "duplicates", "order"
    );
    for r in runs {
        let status = run_status(r);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>9}  {:>9}  {:>7}  {:>10}  {:>6}  {status}",
            r.run_id, r.acked, r.received, r.lost, r.duplicates, r.order_violations
        );
        if !r.lost_ranges.is_empty() {
            let label = lost_label(r);
            let _ = writeln!(out, "    {label}: {}", format_ranges(&r.lost_ranges));
        }
    }
    out
}

/// What a run's missing seqs are: lost (finished run) or gaps below the highest seq seen.
pub fn lost_label(run: &RunReport) -> &'static str {
    if run.finished {
        "lost seqs"
    } else {
        "gaps below the highest seq"
    }
}

/// `[[3,3],[10,19]]` → `3, 10-19`, cut after 20 ranges.
pub fn format_ranges(ranges: &[[u64; 2]]) -> String {
    const SHOWN: usize = 20;
    let mut parts: Vec<String> = ranges
        .iter()
        .take(SHOWN)
        .map(|[a, b]| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if ranges.len() > SHOWN {
        parts.push(format!("… and {} more ranges", ranges.len() - SHOWN));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_compact() {
        assert_eq!(format_ranges(&[[3, 3], [10, 19]]), "3, 10-19");
        let many: Vec<[u64; 2]> = (0..25).map(|i| [i * 10, i * 10]).collect();
        assert!(format_ranges(&many).ends_with("… and 5 more ranges"));
    }
}
