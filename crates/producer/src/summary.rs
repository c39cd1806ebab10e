//! The producer's final summary, as text for people and as JSON for scripts.

use std::{fmt, time::Duration};

use events::{audit::RunManifest, stats::Stats};
use serde_json::{json, Value};

/// What a run did.
pub struct Summary {
    /// The manifest published for the run.
    pub manifest: RunManifest,
    acked: Stats,
    elapsed: Duration,
}

impl Summary {
    /// The summary of a run that published `manifest`, with its acked counts, in `elapsed`.
    pub fn new(manifest: RunManifest, acked: &Stats, elapsed: Duration) -> Summary {
        Summary {
            manifest,
            acked: acked.clone(),
            elapsed,
        }
    }

    fn events_per_s(&self) -> f64 {
        self.manifest.acked as f64 / self.elapsed.as_secs_f64().max(1e-6)
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> Value {
        let m = &self.manifest;
        json!({
            "run_id": m.run_id,
            "topic": m.topic,
            "sent": m.sent,
            "acked": m.acked,
            "failed": m.failed,
            "failed_ranges": m.failed_ranges,
            "by_type": m.by_type,
            "by_user": m.by_user,
            "first_timestamp": m.first_timestamp,
            "last_timestamp": m.last_timestamp,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "events_per_s": self.events_per_s(),
        })
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        writeln!(f, "=== Producer summary ===")?;
        writeln!(f, "run id   : {}", m.run_id)?;
        writeln!(f, "topic    : {}", m.topic)?;
        writeln!(f, "sent     : {}", m.sent)?;
        writeln!(f, "acked    : {}", m.acked)?;
        writeln!(f, "failed   : {}", m.failed)?;
        writeln!(f, "elapsed  : {:.2} s", self.elapsed.as_secs_f64())?;
        writeln!(f, "rate     : {:.0} events/s", self.events_per_s())?;
        write!(f, "{}", self.acked.render_tables())
    }
}
