//! A topic of its own for one test, with its runs topic, and the producer and verifier run
//! against it, their `--json` output read back into the services' own summary types.

use std::{collections::BTreeMap, sync::Arc};

use chrono::Utc;
use events::audit::RunManifest;
use kafka::{client, scan::scan_partition};
use producer::Summary;
use rskafka::{
    client::{
        partition::{Compression, PartitionClient},
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

    /// An rskafka client of the topic's cluster.
    pub async fn client(&self) -> Arc<Client> {
        let brokers: Vec<String> = self.bootstrap().split(',').map(String::from).collect();
        client::connect(&brokers, "e2e-test")
            .await
            .expect("the broker under test answers")
    }

    /// The rskafka client of one partition of `topic`.
    pub async fn partition(&self, topic: &str, partition: i32) -> Arc<PartitionClient> {
        client::partition_client(&*self.client().await, topic, partition)
            .await
            .expect("the partition has a leader")
    }

    /// The last run manifest published to the runs topic.
    pub async fn last_manifest(&self) -> RunManifest {
        let runs = self.partition(&self.runs, 0).await;
        let mut found = None;
        scan_partition(&runs, |batch| {
            found = batch.last().map(|r| {
                serde_json::from_slice(r.record.value.as_deref().expect("a value"))
                    .expect("a manifest")
            });
            std::future::ready(())
        })
        .await
        .expect("the runs topic reads");
        found.expect("the producer published its manifest")
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
