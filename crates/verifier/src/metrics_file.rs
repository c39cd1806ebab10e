//! `--metrics-file FILE`: the report's counts in Prometheus's text format, for node_exporter's
//! textfile collector.
//!
//! The verifier runs once and exits, so there is nothing to scrape: a cron job or a CI step
//! runs it with `--metrics-file /var/lib/node_exporter/textfile/verifier.prom`, and the
//! node_exporter that reads that folder serves the last run's figures with its own metrics.
//!
//! Every metric is a gauge: each is what the last verification found, and may go down from one
//! run to the next (retention deleted records, the topic was recreated). Gauges also keep the
//! file in the classic text format (0.0.4) that the textfile collector parses: prometheus-client
//! writes OpenMetrics, where a counter's `# TYPE` line names `x` but its sample is `x_total`,
//! which the classic parser reads as two different metrics. For the same reason the file has
//! no `# EOF` line. `promtool check metrics` finds nothing to say about it.

use std::{
    path::Path,
    sync::atomic::AtomicU64,
    time::{SystemTime, UNIX_EPOCH},
};

use prometheus_client::{
    encoding::{text::encode_registry, EncodeLabelSet, EncodeLabelValue, LabelValueEncoder},
    metrics::{family::Family, gauge::Gauge},
    registry::Registry,
};

use crate::ReportJson;

/// Whether node_exporter's textfile collector reads a file of this name: only `*.prom`.
pub fn is_collected_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "prom")
}

/// The metrics file for `report`, made at `finished_at`, in Prometheus's text format.
pub fn render(report: &ReportJson, finished_at: SystemTime) -> String {
    let mut registry = Registry::with_prefix("verifier");
    register_totals(&mut registry, report, finished_at);
    register_runs(&mut registry, report);
    let mut text = String::new();
    encode_registry(&mut text, &registry).expect("writing to a String cannot fail");
    text
}

/// The topic-wide figures: records read, invalid records, the verdict, and when.
fn register_totals(registry: &mut Registry, report: &ReportJson, finished_at: SystemTime) {
    let gauges = [
        (
            "records",
            "Records read from the topic by the last verification, valid or not",
            report.total,
        ),
        (
            "records_invalid",
            "Records that are not valid events",
            report.invalid,
        ),
        (
            "records_unaudited",
            "Records without the audit headers run_id and seq",
            report.unaudited,
        ),
        (
            "verdict",
            "1 when every acknowledged event of every finished run arrived (exit 0), 0 on a loss (exit 1)",
            u64::from(report.ok),
        ),
    ];
    for (name, help, value) in gauges {
        registry.register(name, help, gauge(value));
    }
    let seconds = finished_at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let timestamp = Gauge::<f64, AtomicU64>::default();
    timestamp.set(seconds);
    registry.register(
        "last_run_timestamp_seconds",
        "When the last verification finished, in seconds since the Unix epoch",
        timestamp,
    );
}

/// The per-run figures, labelled with the run's id.
fn register_runs(registry: &mut Registry, report: &ReportJson) {
    let acked = Family::<RunLabel, Gauge>::default();
    let lost = Family::<RunLabel, Gauge>::default();
    let duplicated = Family::<RunLabel, Gauge>::default();
    for run in &report.runs {
        let label = RunLabel {
            run_id: LabelText(run.run_id.clone()),
        };
        duplicated.get_or_create(&label).set(count(run.duplicates));
        if run.finished {
            acked.get_or_create(&label).set(count(run.acked));
            lost.get_or_create(&label).set(count(run.lost));
        }
    }
    registry.register(
        "records_acked",
        "Events the producer run got acknowledged, from its manifest (finished runs only)",
        acked,
    );
    registry.register(
        "records_lost",
        "Acknowledged events of a finished producer run that are not in the topic",
        lost,
    );
    registry.register(
        "records_duplicated",
        "Records of a producer run read more than once",
        duplicated,
    );
}

/// A gauge holding `value`.
fn gauge(value: u64) -> Gauge {
    let gauge = Gauge::default();
    gauge.set(count(value));
    gauge
}

/// A count as a gauge's value (counts of records never reach `i64::MAX`).
fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// One producer run, as a label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabel {
    run_id: LabelText,
}

/// A label value from the topic, escaped as the text format requires (`\\`, `\"`, `\n`):
/// prometheus-client writes label values as they are, and a run id comes from a record header
/// anyone can write.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct LabelText(String);

impl EncodeLabelValue for LabelText {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, time::Duration};

    use events::audit::RunReport;

    use super::*;

    fn run(run_id: &str, finished: bool, acked: u64, lost: u64, duplicates: u64) -> RunReport {
        RunReport {
            run_id: run_id.into(),
            finished,
            acked,
            received: acked - lost,
            lost,
            lost_ranges: Vec::new(),
            duplicates,
            order_violations: 0,
            complete: finished && lost == 0,
        }
    }

    fn report(runs: Vec<RunReport>) -> ReportJson {
        ReportJson {
            topic: "evenements".into(),
            total: 1003,
            valid: 1001,
            invalid: 2,
            unaudited: 1,
            by_type: BTreeMap::new(),
            by_user: BTreeMap::new(),
            per_partition: BTreeMap::new(),
            samples: Vec::new(),
            invalid_records: Vec::new(),
            lost: runs.iter().filter(|r| r.finished).map(|r| r.lost).sum(),
            duplicates: runs.iter().map(|r| r.duplicates).sum(),
            ok: runs.iter().all(|r| !r.finished || r.lost == 0),
            runs,
        }
    }

    #[test]
    fn a_known_report_gives_known_text() {
        let report = report(vec![run("run-1", true, 1000, 3, 4)]);
        let at = UNIX_EPOCH + Duration::from_millis(1_764_000_000_500);
        let expected = "\
# HELP verifier_records Records read from the topic by the last verification, valid or not.
# TYPE verifier_records gauge
verifier_records 1003
# HELP verifier_records_invalid Records that are not valid events.
# TYPE verifier_records_invalid gauge
verifier_records_invalid 2
# HELP verifier_records_unaudited Records without the audit headers run_id and seq.
# TYPE verifier_records_unaudited gauge
verifier_records_unaudited 1
# HELP verifier_verdict 1 when every acknowledged event of every finished run arrived (exit 0), 0 on a loss (exit 1).
# TYPE verifier_verdict gauge
verifier_verdict 0
# HELP verifier_last_run_timestamp_seconds When the last verification finished, in seconds since the Unix epoch.
# TYPE verifier_last_run_timestamp_seconds gauge
verifier_last_run_timestamp_seconds 1764000000.5
# HELP verifier_records_acked Events the producer run got acknowledged, from its manifest (finished runs only).
# TYPE verifier_records_acked gauge
verifier_records_acked{run_id=\"run-1\"} 1000
# HELP verifier_records_lost Acknowledged events of a finished producer run that are not in the topic.
# TYPE verifier_records_lost gauge
verifier_records_lost{run_id=\"run-1\"} 3
# HELP verifier_records_duplicated Records of a producer run read more than once.
# TYPE verifier_records_duplicated gauge
verifier_records_duplicated{run_id=\"run-1\"} 4
";
        assert_eq!(render(&report, at), expected);
    }

    #[test]
    fn an_unfinished_run_has_duplicates_but_no_loss() {
        let report = report(vec![run("run-2", false, 10, 2, 1)]);
        let text = render(&report, UNIX_EPOCH);
        assert!(text.contains("verifier_records_duplicated{run_id=\"run-2\"} 1\n"));
        assert!(!text.contains("verifier_records_lost{"), "{text}");
        assert!(text.contains("verifier_verdict 1\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let report = report(vec![run("a\"b\\c\nd", true, 1, 0, 0)]);
        let text = render(&report, UNIX_EPOCH);
        assert!(
            text.contains(r#"verifier_records_lost{run_id="a\"b\\c\nd"} 0"#),
            "{text}"
        );
    }

    #[test]
    fn only_prom_files_are_collected() {
        assert!(is_collected_name(Path::new("/x/verifier.prom")));
        assert!(!is_collected_name(Path::new("verifier.prom.txt")));
        assert!(!is_collected_name(Path::new("verifier")));
    }
}
