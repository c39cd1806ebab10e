//! What one verification is told: [`VerifierConfig`], typed and complete, built from the
//! effective flags in one place ([`from_args`]). The verifier ([`crate::run()`]) reads this and
//! never the command line, so that the smoke test (or a test) can verify without flags.

use std::path::PathBuf;

use kafka::{client::fetch::IsolationLevel, connection::security::Security};

use crate::Args;

/// Everything a verification needs to know.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Bootstrap brokers.
    pub brokers: Vec<String>,
    /// How every connection to the cluster is secured.
    pub security: Security,
    /// Client id sent to the brokers.
    pub client_id: String,
    /// The event topic, read whole.
    pub topic: String,
    /// The topic of the runs' manifests.
    pub runs_topic: String,
    /// Which records are read (Kafka's `isolation.level`).
    pub isolation: IsolationLevel,
    /// Sample events shown per event type.
    pub samples: usize,
    /// The report as one JSON object on stdout rather than as text.
    pub json: bool,
    /// Where to write the report's counts as Prometheus text (`--metrics-file`), if anywhere.
    pub metrics_file: Option<PathBuf>,
    /// Where to write the report as an HTML page (`--html`), if anywhere.
    pub html: Option<PathBuf>,
}

/// The verification the flags ask for. `args` are the effective flags, as [`service::start`]
/// leaves them (`--config` applied, everything checked).
pub fn from_args(args: &Args) -> VerifierConfig {
    VerifierConfig {
        brokers: args.kafka.broker_list(),
        security: args.kafka.security(),
        client_id: args.client_id.clone(),
        topic: args.kafka.topic.clone(),
        runs_topic: args.runs.runs_topic.clone(),
        isolation: args.isolation_level.into(),
        samples: args.samples,
        json: args.json,
        metrics_file: args.metrics_file.clone(),
        html: args.html.clone(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_flags_make_the_config() {
        let args = Args::try_parse_from([
            "verifier",
            "--brokers=a:1,b:2",
            "--topic=t",
            "--runs-topic=r",
            "--isolation-level=read_committed",
            "--samples=0",
            "--html=report.html",
        ])
        .expect("flags parse");
        let config = from_args(&args);
        assert_eq!(config.brokers, ["a:1", "b:2"]);
        assert_eq!(
            (config.topic.as_str(), config.runs_topic.as_str()),
            ("t", "r")
        );
        assert_eq!(config.isolation, IsolationLevel::ReadCommitted);
        assert_eq!(config.samples, 0);
        assert_eq!(config.html, Some("report.html".into()));
        assert_eq!(config.metrics_file, None);
        assert_eq!(config.client_id, "verifier");
    }
}
