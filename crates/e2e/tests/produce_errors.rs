//! End to end, on a librdkafka mock cluster that each test starts and drives ([`e2e::cluster`]):
//! the producer when the cluster refuses some of its events for good, when acknowledgements do
//! not come within the delivery timeout, and when it is stopped while they do not come. What
//! the exit-code table (`service::exit`) promises: the producer exits 1, its run manifest names
//! the seqs not acknowledged, and the verifier, which expects none of them downstream, finds
//! nothing lost.

use std::time::{Duration, Instant};

use e2e::{
    cluster::{api, MockCluster},
    topic::as_strs,
};
use producer::Summary;

/// Kafka's MESSAGE_TOO_LARGE: an answer no retry changes, so the batch fails for good.
const MESSAGE_TOO_LARGE: i16 = 10;

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn events_refused_for_good_exit_1_and_are_named_in_the_manifest_not_counted_as_lost() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("refused", 3);
    cluster.push_errors(api::PRODUCE, &[MESSAGE_TOO_LARGE, MESSAGE_TOO_LARGE]);
    let args = topic.producer_args(&["--count", "600", "--rate", "0"]);
    let produced = e2e::run("producer", &as_strs(&args));

    assert_eq!(produced.code, Some(1), "producer: {}", produced.stderr);
    let summary: Summary = produced.parse();
    let manifest = &summary.manifest;
    assert!(
        manifest.failed > 0,
        "two batches were refused: {manifest:?}"
    );
    assert_eq!(
        manifest.acked + manifest.failed,
        manifest.sent,
        "{manifest:?}"
    );
    let named = seqs_in(&manifest.failed_ranges);
    assert_eq!(
        named, manifest.failed,
        "every refused seq is named: {manifest:?}"
    );

    let (code, report) = topic.verify();
    assert_eq!(
        code,
        Some(0),
        "nothing acknowledged is missing: {report:#?}"
    );
    assert_eq!(
        report.total, manifest.acked,
        "only acknowledged events arrived"
    );
    assert_eq!((report.lost, report.duplicates), (0, 0), "{report:#?}");
}

/// How many seqs `ranges` (inclusive `[first, last]` pairs) hold.
fn seqs_in(ranges: &[[u64; 2]]) -> u64 {
    ranges.iter().map(|[first, last]| last - first + 1).sum()
}

/// A topic of 3 partitions all led by brokers 2 and 3, its runs topic by broker 1: taking
/// brokers 2 and 3 down stops every acknowledgement but leaves the manifest a home.
fn topic_away_from_broker_1(cluster: &MockCluster, prefix: &str) -> e2e::Topic {
    let topic = cluster.topic(prefix, 3);
    cluster.set_leader(&topic.name, 0, 2);
    topic
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_stop_while_the_leaders_are_down_ends_within_the_flush_timeout_naming_the_unconfirmed() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = topic_away_from_broker_1(&cluster, "flush");
    let args = topic.producer_args(&["--rate", "200", "--flush-timeout", "2s"]);
    let producer = e2e::spawn(e2e::binary("producer"), &as_strs(&args));
    std::thread::sleep(Duration::from_secs(2));
    cluster.broker_down(2);
    cluster.broker_down(3);
    std::thread::sleep(Duration::from_secs(1));
    let stopped = Instant::now();
    e2e::terminate(&producer);
    let produced = e2e::wait(producer, Duration::from_secs(30));
    let took = stopped.elapsed();

    // Flush, then manifest: each bounded by --flush-timeout.
    assert!(
        took < Duration::from_secs(6),
        "took {took:?}: {}",
        produced.stderr
    );
    assert_eq!(produced.code, Some(1), "producer: {}", produced.stderr);
    let manifest = produced.parse::<Summary>().manifest;
    assert!(
        manifest.acked > 0 && manifest.unconfirmed > 0,
        "{manifest:?}"
    );
    assert_eq!(
        manifest.acked + manifest.failed + manifest.unconfirmed,
        manifest.sent,
        "{manifest:?}"
    );
    let named = seqs_in(&manifest.unconfirmed_ranges);
    assert_eq!(named, manifest.unconfirmed, "{manifest:?}");

    cluster.broker_up(2);
    cluster.broker_up(3);
    let (code, report) = topic.verify();
    assert_eq!(
        code,
        Some(0),
        "nothing acknowledged is missing: {report:#?}"
    );
    assert_eq!(report.lost, 0, "{report:#?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn batches_unanswered_past_the_delivery_timeout_fail_and_the_rest_arrives() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = topic_away_from_broker_1(&cluster, "delivery");
    let args = topic.producer_args(&[
        "--count",
        "1500",
        "--rate",
        "250",
        "--delivery-timeout",
        "2s",
    ]);
    let producer = e2e::spawn(e2e::binary("producer"), &as_strs(&args));
    std::thread::sleep(Duration::from_secs(1));
    cluster.broker_down(2);
    cluster.broker_down(3);
    std::thread::sleep(Duration::from_secs(4));
    cluster.broker_up(2);
    cluster.broker_up(3);
    let produced = e2e::wait(producer, Duration::from_secs(60));

    assert_eq!(produced.code, Some(1), "producer: {}", produced.stderr);
    let manifest = produced.parse::<Summary>().manifest;
    assert!(manifest.failed > 0 && manifest.acked > 0, "{manifest:?}");
    assert_eq!(
        (manifest.acked + manifest.failed, manifest.unconfirmed),
        (manifest.sent, 0),
        "{manifest:?}"
    );
    let (code, report) = topic.verify();
    assert_eq!(
        code,
        Some(0),
        "nothing acknowledged is missing: {report:#?}"
    );
    assert_eq!(report.lost, 0, "{report:#?}");
}
