//! The producer's final summary, as text for people and as JSON for scripts (`--json`).

use std::{fmt, time::Duration};

use events::{audit::RunManifest, stats::Stats};
use serde::{Deserialize, Serialize};

/// What a run did, as `--json` prints it: the run's manifest, plus its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The manifest published for the run.
    #[serde(flatten)]
    pub manifest: RunManifest,
    /// Seconds from the first send to the last acknowledgement.
    pub elapsed_s: f64,
    /// Acknowledged events per second over `elapsed_s`.
    pub events_per_s: f64,
}

impl Summary {
    /// The summary of a run that published `manifest`, in `elapsed`.
    pub fn new(manifest: RunManifest, elapsed: Duration) -> Summary {
        let elapsed_s = elapsed.as_secs_f64();
        Summary {
            events_per_s: manifest.acked as f64 / elapsed_s.max(1e-6),
            manifest,
            elapsed_s,
        }
    }

    /// The summary for people, with the tables of acked events.
    pub fn display<'a>(&'a self, acked: &'a Stats) -> impl fmt::Display + 'a {
        Text {
            summary: self,
            acked,
        }
    }
}

struct Text<'a> {
    summary: &'a Summary,
    acked: &'a Stats,
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.summary.manifest;
        writeln!(f, "=== Producer summary ===")?;
        writeln!(f, "run id   : {}", m.run_id)?;
        writeln!(f, "topic    : {}", m.topic)?;
        writeln!(f, "sent     : {}", m.sent)?;
        writeln!(f, "acked    : {}", m.acked)?;
        writeln!(f, "failed   : {}", m.failed)?;
        if m.unconfirmed > 0 {
            writeln!(
                f,
                "unconfirmed: {} (still unanswered when the flush timed out: maybe written)",
                m.unconfirmed
            )?;
        }
        writeln!(f, "elapsed  : {:.2} s", self.summary.elapsed_s)?;
        writeln!(f, "rate     : {:.0} events/s", self.summary.events_per_s)?;
        write!(f, "{}", self.acked.render_tables())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_json_keeps_the_manifest_fields_at_the_top_level() {
        let manifest = RunManifest {
            run_id: "run-1".into(),
            topic: "t".into(),
            sent: 10,
            acked: 10,
            failed: 0,
            failed_ranges: vec![],
            unconfirmed: 0,
            unconfirmed_ranges: vec![],
            by_type: BTreeMap::new(),
            by_user: BTreeMap::new(),
            first_timestamp: None,
            last_timestamp: None,
        };
        let summary = Summary::new(manifest, Duration::from_secs(2));
        let json: serde_json::Value = serde_json::to_value(&summary).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "run_id",
            "topic",
            "sent",
            "acked",
            "failed",
            "failed_ranges",
            "unconfirmed",
            "unconfirmed_ranges",
            "by_type",
            "by_user",
            "first_timestamp",
            "last_timestamp",
            "elapsed_s",
            "events_per_s",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert_eq!(json["events_per_s"], 5.0);
        let back: Summary = serde_json::from_value(json).unwrap();
        assert_eq!(back, summary);
    }
}
