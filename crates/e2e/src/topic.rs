//! A topic of its own for one test, with its runs topic, and the producer and verifier run
//! against it, their `--json` output read back into the services' own summary types.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::Utc;
use events::audit::{tag_of, RunManifest, RUN_ID_HEADER, SEQ_HEADER};
use kafka::{
    client::{fetch::IsolationLevel, scan::scan_topic},
    cluster::{rskafka_client, Cluster},
    connection::security::Security,
};
use producer::Summary;
use rskafka::{
    client::{
        partition::{Compression, OffsetAt, PartitionClient},
        Client,
    },
    record::Record,
};
use verifier::ReportJson;

/// A test's topic and its runs topic (`<name>.runs`), on the broker under test unless
/// [`Topic::on`] names another.
#[derive(Debug, Clone)]
pub struct Topic {
    /// The event topic.
    pub name: String,
    /// Where the producer publishes its run manifests.
    pub runs: String,
    /// The bootstrap address of its cluster; `None`: the broker under test ([`crate::brokers`]).
    bootstrap: Option<String>,
}

impl Topic {
    /// A topic no other test uses, named after `prefix`.
    pub fn new(prefix: &str) -> Topic {
        Topic::named(&crate::unique_topic(prefix))
    }

    /// The topic `name`, with its runs topic `<name>.runs`.
    pub fn named(name: &str) -> Topic {
        Topic {
            name: name.to_string(),
            runs: format!("{name}.runs"),
            bootstrap: None,
        }
    }

    /// The same topic on the cluster at `bootstrap` (a [`crate::cluster::MockCluster`]), which
    /// its producer and verifier runs and its clients then target.
    pub fn on(mut self, bootstrap: &str) -> Topic {
        self.bootstrap = Some(bootstrap.to_string());
        self
    }

    /// The bootstrap address of the topic's cluster.
    pub fn bootstrap(&self) -> String {
        self.bootstrap.clone().unwrap_or_else(crate::brokers)
    }

    /// The producer's flags for this topic, `--json` on, plus `extra`.
    pub fn producer_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = self.common_args();
        args.push("--json".into());
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    }

    /// The verifier's flags for this topic, `--json` on, one sample per type.
    pub fn verifier_args(&self) -> Vec<String> {
        let mut args = self.common_args();
        args.extend(["--json", "--samples", "1"].map(String::from));
        args
    }

    fn common_args(&self) -> Vec<String> {
        [
            "--brokers",
            &self.bootstrap(),
            "--topic",
            &self.name,
            "--runs-topic",
            &self.runs,
        ]
        .map(String::from)
        .to_vec()
    }

    /// Runs the producer as fast as acks come, with `extra` flags; it must succeed. Returns its
    /// summary.
    pub fn produce(&self, extra: &[&str]) -> Summary {
        let args = self.producer_args(&[&["--rate", "0"], extra].concat());
        let out = crate::run("producer", &as_strs(&args));
        assert_eq!(out.code, Some(0), "producer failed: {}", out.stderr);
        out.parse()
    }

    /// Runs the verifier: its exit code and report.
    pub fn verify(&self) -> (Option<i32>, ReportJson) {
        let out = crate::run("verifier", &as_strs(&self.verifier_args()));
        (out.code, out.parse())
    }

    /// The end offset of each of the first `partitions` partitions now (ListOffsets, not Fetch:
    /// no Fetch error a test injects is taken by it).
    pub fn end_offsets(&self, partitions: i32) -> BTreeMap<i32, i64> {
        block_on(async {
            let cluster = self.client().await;
            let mut ends = BTreeMap::new();
            for partition in 0..partitions {
                let client = rskafka_client::partition_client(&cluster, &self.name, partition)
                    .await
                    .expect("the partition has a leader");
                let end = client
                    .get_offset(OffsetAt::Latest)
                    .await
                    .expect("the end offset");
                ends.insert(partition, end);
            }
            ends
        })
    }

    /// Waits, for at most `limit`, until `group` has committed the end of each of the event
    /// topic's first `partitions` partitions; returns the records in all.
    pub fn wait_until_all_committed(&self, group: &str, partitions: i32, limit: Duration) -> i64 {
        let total = self.end_offsets(partitions).values().sum();
        crate::group::wait_until_committed_on(&self.bootstrap(), &self.name, group, total, limit);
        total
    }

    /// [`Topic::read_all`] of the event topic's first `partitions` partitions, from a test
    /// that is not async.
    pub fn records(&self, partitions: usize) -> Vec<ReadRecord> {
        block_on(self.read_all(&self.name, partitions))
    }

    /// The event topic's partition count, `None` while it does not exist.
    pub fn partition_count(&self) -> Option<usize> {
        block_on(async {
            self.cluster()
                .partition_count(&self.name)
                .await
                .expect("the topic list")
        })
    }

    /// The topic's cluster, as our clients see it.
    pub fn cluster(&self) -> Cluster {
        let brokers: Vec<String> = self.bootstrap().split(',').map(String::from).collect();
        Cluster::new(brokers, "e2e-test", Security::default())
    }

    /// An rskafka client of the topic's cluster.
    pub async fn client(&self) -> Arc<Client> {
        rskafka_client::connect(&self.cluster())
            .await
            .expect("the broker under test answers")
    }

    /// The rskafka client of one partition of `topic`.
    pub async fn partition(&self, topic: &str, partition: i32) -> Arc<PartitionClient> {
        rskafka_client::partition_client(&*self.client().await, topic, partition)
            .await
            .expect("the partition has a leader")
    }

    /// The last run manifest published to the runs topic.
    pub async fn last_manifest(&self) -> RunManifest {
        let runs = self.read_all(&self.runs, 1).await;
        let last = runs.last().expect("the producer published its manifest");
        serde_json::from_slice(&last.value).expect("a manifest")
    }

    /// Every record of partitions `0..partitions` of `topic` on the topic's cluster, read to
    /// the end with the services' own fetch path, partition by partition in offset order.
    pub async fn read_all(&self, topic: &str, partitions: usize) -> Vec<ReadRecord> {
        let partitions = (0..partitions).map(|p| i32::try_from(p).expect("few partitions"));
        let mut reader = scan_topic(
            &self.cluster(),
            topic,
            partitions,
            IsolationLevel::default(),
        );
        let mut records = Vec::new();
        while let Some(fetched) = reader.next().await {
            let fetched = fetched.expect("the topic reads");
            for record in fetched.records() {
                let record = record.expect("the records decode");
                records.push(ReadRecord {
                    partition: fetched.partition,
                    offset: record.offset,
                    value: record.value.unwrap_or_default().to_vec(),
                    tag: tag_of(
                        record.header(RUN_ID_HEADER.as_bytes()),
                        record.header(SEQ_HEADER.as_bytes()),
                    )
                    .map(|(run_id, seq)| (run_id.to_string(), seq)),
                });
            }
        }
        records.sort_by_key(|r| (r.partition, r.offset));
        records
    }

    /// Publishes `manifest` to the runs topic, as a producer would at the end of its run.
    pub async fn publish_manifest(&self, manifest: &RunManifest) {
        let value = serde_json::to_vec(manifest).expect("manifests serialise");
        let runs = self.partition(&self.runs, 0).await;
        runs.produce(
            vec![record(b"manifest", &value, BTreeMap::new())],
            Compression::NoCompression,
        )
        .await
        .expect("the manifest is acknowledged");
    }
}

/// Runs `work` to its end on a runtime of its own.
fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(work)
}

/// A record as [`Topic::read_all`] reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its value (empty for none).
    pub value: Vec<u8>,
    /// Its audit tag `(run_id, seq)`, if it has one.
    pub tag: Option<(String, u64)>,
}

/// A record keyed `key` with `value` and `headers`, stamped now.
pub fn record(key: &[u8], value: &[u8], headers: BTreeMap<String, Vec<u8>>) -> Record {
    Record {
        key: Some(key.to_vec()),
        value: Some(value.to_vec()),
        headers,
        timestamp: Utc::now(),
    }
}

/// Borrows owned arguments as the `&str`s that [`crate::run`] takes.
pub fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
