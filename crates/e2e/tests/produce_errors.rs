//! End to end, on a librdkafka mock cluster that each test starts and drives ([`e2e::cluster`]):
//! the producer when the cluster refuses some of its events for good. What the exit-code table
//! (`service::exit`) promises: the producer exits 1, its run manifest names the refused seqs,
//! and the verifier, which expects none of them downstream, finds nothing lost.

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
    let named: u64 = manifest
        .failed_ranges
        .iter()
        .map(|[first, last]| last - first + 1)
        .sum();
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
