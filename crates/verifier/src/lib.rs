//! `verifier`: reads the whole topic from the earliest offset and proves that every event a
//! producer run got acknowledged arrived, reporting statistics, samples, invalid records,
//! losses, duplicates and ordering along the way.
//!
//! It reads the runs' manifests from the runs topic, scans every partition to the high
//! watermark taken at the start ([`scan`]), reconciles the seqs seen with the manifests and
//! prints the report ([`report`]). The verdict is the exit code: 0 when no finished run lost
//! anything, 1 on a loss. Whatever the verdict, the report can also be written to files:
//! Prometheus text for node_exporter's textfile collector ([`metrics_file`], `--metrics-file`)
//! and a self-contained HTML page ([`html`], `--html`), each replaced whole ([`atomic_file`]).
//! It is told what to do by a [`VerifierConfig`], which the binary makes of its flags
//! ([`args`]) in one place ([`config::from_args`]).

pub mod args;
pub mod atomic_file;
pub mod config;
pub mod html;
pub mod metrics_file;
pub mod report;
pub mod scan;

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use kafka::cluster::{Cluster, ClusterError};
use service::Outcome;

pub use args::Args;
pub use config::VerifierConfig;
pub use report::{Report, ReportJson};

/// Why the verifier could not reach a verdict: each is something the user must fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster could not be reached, or a read failed.
    #[error(transparent)]
    Kafka(#[from] kafka::Error),

    /// A report file (`--metrics-file`, `--html`) could not be written: a missing folder, no
    /// permission, a full disk.
    #[error("cannot write {flag} {}: {source}", path.display())]
    Write {
        /// The flag that named the file.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl From<ClusterError> for Error {
    fn from(error: ClusterError) -> Error {
        Error::Kafka(error.into())
    }
}

/// Reads the manifests and the whole topic, prints the report, and gives the verdict.
pub async fn run(config: VerifierConfig) -> Result<Outcome, Error> {
    let VerifierConfig {
        brokers,
        security,
        client_id,
        topic,
        runs_topic,
        ..
    } = &config;
    let cluster = Cluster::new(brokers.clone(), client_id.clone(), security.clone());
    cluster.reach().await?;
    let Some(partitions) = cluster.partition_count(topic).await? else {
        return Err(ClusterError::UnknownTopic {
            topic: topic.clone(),
            hint: ": nothing to verify (has a producer run?)",
        }
        .into());
    };
    let source = scan::Source {
        cluster: &cluster,
        topic,
        isolation: config.isolation,
    };
    let manifests = match cluster.partition_count(runs_topic).await? {
        Some(_) => scan::read_manifests(&source, runs_topic).await?,
        None => {
            tracing::warn!(
                runs_topic,
                "no runs topic: every run will show as unfinished"
            );
            Vec::new()
        }
    };
    let inventory = scan::scan_topic(&source, partitions, config.samples).await?;
    let runs = inventory.ingest.audit.reconcile(&manifests);
    let report = Report {
        topic: topic.clone(),
        inventory,
        runs,
    };
    let json = report.to_json();
    if config.json {
        let text = serde_json::to_string(&json).expect("reports serialise");
        println!("{text}");
    } else {
        print!("{report}");
    }
    write_files(&config, &json)?;
    Ok(Outcome::from_check(!report.has_loss()))
}

/// Writes the files the config asks for (`--metrics-file`, `--html`), each atomically.
fn write_files(config: &VerifierConfig, report: &ReportJson) -> Result<(), Error> {
    if let Some(path) = &config.metrics_file {
        let text = metrics_file::render(report, SystemTime::now());
        write_file("--metrics-file", path, &text)?;
    }
    if let Some(path) = &config.html {
        write_file("--html", path, &html::render(report))?;
    }
    Ok(())
}

/// Writes `contents` to `path` whole, or says which flag's file could not be written.
fn write_file(flag: &'static str, path: &Path, contents: &str) -> Result<(), Error> {
    atomic_file::write(path, contents.as_bytes()).map_err(|source| Error::Write {
        flag,
        path: path.to_path_buf(),
        source,
    })?;
    tracing::info!(path = %path.display(), "wrote {flag}");
    Ok(())
}
