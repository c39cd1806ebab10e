//! End to end: events written in Kafka transactions by librdkafka
//! (`peers/transactional_producer.py`), some committed, some aborted, read by our consumer and
//! verifier under `--isolation-level read_committed` (only committed events) and
//! `read_uncommitted` (Kafka's default: aborted events too). In neither mode is a transaction
//! marker (a control record) counted, as an event or as an invalid record.

use std::{collections::BTreeMap, process::Child, time::Duration};

use e2e::{group::*, topic::as_strs, Topic};
use serde::Deserialize;

/// The transactions every test writes: committed and aborted ones interleaved, ending with an
/// aborted one (its records and marker are the last offsets of their partitions).
const PLAN: [&str; 6] = [
    "commit:40",
    "abort:25",
    "commit:35",
    "abort:10",
    "commit:20",
    "abort:15",
];
const COMMITTED: u64 = 95;
const ABORTED: u64 = 50;

/// What `peers/transactional_producer.py` wrote.
#[derive(Debug, Deserialize)]
struct Written {
    run_id: String,
    committed: u64,
    aborted: u64,
    committed_by_type: BTreeMap<String, u64>,
    committed_by_user: BTreeMap<String, u64>,
    committed_seqs: Vec<[u64; 2]>,
    aborted_seqs: Vec<[u64; 2]>,
    /// High watermark per partition: records and transaction markers.
    end_offsets: BTreeMap<i32, i64>,
}

impl Written {
    /// Every offset of the topic, transaction markers included: what a member that read
    /// everything has committed.
    fn offsets(&self) -> i64 {
        self.end_offsets.values().sum()
    }
}

/// Writes [`PLAN`] to `topic` in transactions (3 partitions where the broker creates topics), and
/// a run manifest to `runs` if given (the aborted events as failed).
fn write_transactions(topic: &str, runs: Option<&str>) -> Written {
    let brokers = e2e::brokers();
    let mut args = vec![brokers.as_str(), topic];
    args.extend(PLAN);
    args.extend(["--partitions", "3"]);
    if let Some(runs) = runs {
        args.extend(["--runs-topic", runs]);
    }
    let out = e2e::wait(
        spawn_peer("transactional_producer.py", &args),
        Duration::from_secs(120),
    );
    assert_eq!(out.code, Some(0), "transactional producer: {}", out.stderr);
    let written: Written = out.parse();
    assert_eq!((written.committed, written.aborted), (COMMITTED, ABORTED));
    written
}

/// Whether the broker under test completes transactions (EndTxn); records the skip
/// ([`e2e::skip`]) when not.
fn transactions_are_served() -> bool {
    if e2e::broker_kind() == "tansu" {
        // docs/brokers.md: tansu 0.6.0 neither advertises nor serves EndTxn, so librdkafka's
        // commit_transaction() fails there and no marker is ever written.
        e2e::skip(
            "on tansu: tansu 0.6.0 has no EndTxn, so no transaction can be committed or aborted \
             there",
        );
        return false;
    }
    // The mock cluster commits and aborts, with markers (control batches) like Kafka's, which
    // read_uncommitted readers must step over; their CRC is 0 there (docs/brokers.md).
    true
}

/// Whether the broker under test gives read_committed readers what Kafka does; records the
/// skip ([`e2e::skip`]) when not.
fn read_committed_is_served() -> bool {
    if !transactions_are_served() {
        return false;
    }
    if e2e::broker_kind() == "mock" {
        // docs/brokers.md: its Fetch lists no aborted transactions and answers a last stable
        // offset equal to the high watermark, so even librdkafka's read_committed consumer gets
        // the aborted records there.
        e2e::skip(
            "on mock: librdkafka's mock cluster does not serve read_committed (no aborted \
             transactions in Fetch answers, last stable offset = high watermark)",
        );
        return false;
    }
    true
}

/// Waits until `group` has committed `total` offsets of `topic` (as `wait_until_committed`),
/// for at most `limit`, failing at once with its stderr if `member` exits first (a flag it
/// refuses, a batch it cannot read).
fn wait_until_member_committed(
    member: &mut Child,
    topic: &str,
    group: &str,
    total: i64,
    limit: Duration,
) {
    let args = [
        e2e::brokers(),
        topic.to_string(),
        group.to_string(),
        total.to_string(),
        limit.as_secs().to_string(),
    ];
    let mut waiter = spawn_peer("wait_committed.py", &as_strs(&args));
    loop {
        if waiter.try_wait().expect("checking the waiter").is_some() {
            let out = e2e::wait(waiter, Duration::from_secs(1));
            assert_eq!(
                out.code,
                Some(0),
                "group {group} did not commit {total} offsets within {limit:?}: {} {}",
                out.stdout,
                out.stderr
            );
            return;
        }
        if let Some(status) = member.try_wait().expect("checking the member") {
            let _ = waiter.kill();
            let _ = waiter.wait();
            panic!(
                "the consumer exited ({status}) before committing {total} offsets: {}",
                e2e::stderr_so_far(member)
            );
        }
        pause_ms(200);
    }
}

/// One consumer reads the whole topic under `level` until it has committed every offset
/// (records and markers), then stops; returns what was written and its summary.
fn consume_transactions(level: &str) -> (Written, consumer::Summary) {
    let topic = e2e::unique_topic("txn");
    let group = e2e::unique_topic("g");
    let written = write_transactions(&topic, None);
    let mut member = start_member_with(&topic, &group, &[("--isolation-level", level)]);
    let offsets = written.offsets();
    wait_until_member_committed(
        &mut member,
        &topic,
        &group,
        offsets,
        Duration::from_secs(90),
    );
    (written, stop(member))
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_consumer_reading_committed_counts_only_committed_events() {
    if !read_committed_is_served() {
        return;
    }
    let (written, summary) = consume_transactions("read_committed");
    assert_eq!(summary.consumed, COMMITTED, "{summary:#?}");
    assert_eq!(summary.valid, COMMITTED);
    assert_eq!(summary.invalid, 0, "markers are not records");
    assert_eq!(summary.unaudited, 0);
    assert_eq!(summary.by_type, written.committed_by_type);
    assert_eq!(summary.by_user, written.committed_by_user);
    let seen = BTreeMap::from([(written.run_id.clone(), written.committed_seqs.clone())]);
    assert_eq!(
        summary.seen, seen,
        "exactly the committed seqs, none of {:?}",
        written.aborted_seqs
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_consumer_reading_uncommitted_counts_aborted_events_too() {
    if !transactions_are_served() {
        return;
    }
    let (written, summary) = consume_transactions("read_uncommitted");
    let all = COMMITTED + ABORTED;
    assert_eq!(summary.consumed, all, "{summary:#?}");
    assert_eq!(summary.valid, all);
    assert_eq!(summary.invalid, 0, "markers are not records");
    assert_eq!(summary.unaudited, 0);
    let seen = BTreeMap::from([(written.run_id.clone(), vec![[0, all - 1]])]);
    assert_eq!(summary.seen, seen);
}

/// Runs the verifier on `topic` with `extra` flags; it must succeed. Returns its report.
fn verify(topic: &Topic, extra: &[&str]) -> verifier::ReportJson {
    let mut args = topic.verifier_args();
    args.extend(extra.iter().map(|a| a.to_string()));
    let out = e2e::run("verifier", &as_strs(&args));
    assert_eq!(out.code, Some(0), "verifier {extra:?}: {}", out.stderr);
    out.parse()
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_verifier_reading_committed_reports_only_committed_events() {
    if !read_committed_is_served() {
        return;
    }
    let topic = Topic::new("txn-verify");
    let written = write_transactions(&topic.name, Some(&topic.runs));
    let report = verify(&topic, &["--isolation-level", "read_committed"]);
    assert_eq!(report.total, COMMITTED, "{report:#?}");
    assert_eq!(report.valid, COMMITTED);
    assert_eq!(report.invalid, 0, "markers are not records");
    assert!(report.invalid_records.is_empty(), "{report:#?}");
    assert_eq!(report.unaudited, 0);
    assert_eq!(report.per_partition.values().sum::<u64>(), COMMITTED);
    assert_eq!(report.by_type, written.committed_by_type);
    assert_eq!(report.by_user, written.committed_by_user);
    // The manifest names the aborted events as failed: what was committed is the whole run.
    assert_eq!(report.runs.len(), 1, "{report:#?}");
    let run = &report.runs[0];
    assert_eq!(run.run_id, written.run_id);
    assert_eq!(run.received, COMMITTED);
    assert!(run.complete, "{run:#?}");
    assert_eq!((run.duplicates, report.lost), (0, 0));
    assert!(report.ok);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_verifier_reading_uncommitted_reports_aborted_events_too() {
    if !transactions_are_served() {
        return;
    }
    let topic = Topic::new("txn-verify");
    let written = write_transactions(&topic.name, Some(&topic.runs));
    let report = verify(&topic, &["--isolation-level", "read_uncommitted"]);
    let all = COMMITTED + ABORTED;
    assert_eq!(report.total, all, "{report:#?}");
    assert_eq!(report.valid, all);
    assert_eq!(report.invalid, 0, "markers are not records");
    assert!(report.invalid_records.is_empty(), "{report:#?}");
    let run = &report.runs[0];
    assert_eq!(
        (run.run_id.as_str(), run.received),
        (written.run_id.as_str(), all)
    );
    assert!(run.complete && report.ok, "{report:#?}");

    // read_uncommitted is the default, as in Kafka.
    let default = verify(&topic, &[]);
    assert_eq!((default.total, default.invalid), (all, 0), "{default:#?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn an_unknown_isolation_level_exits_2_naming_the_accepted_ones() {
    for binary in ["consumer", "verifier"] {
        // No broker is named: a flag error must come before any connection attempt.
        let out = e2e::run(
            binary,
            &[
                "--brokers",
                "127.0.0.1:1",
                "--isolation-level",
                "serializable",
            ],
        );
        out.assert_user_error(binary, &["serializable"]);
        // clap's own message puts them on the next line (`[possible values: …]`): either will do.
        assert!(
            out.stderr
                .lines()
                .any(|l| l.contains("read_uncommitted") && l.contains("read_committed")),
            "{binary}: no line names the accepted values read_uncommitted and read_committed: {}",
            out.stderr
        );
        assert!(
            out.elapsed < Duration::from_secs(5),
            "{binary}: {:?}",
            out.elapsed
        );
    }
}
