//! The verifier's flags, each with its environment variable.

use std::path::PathBuf;

use clap::Parser;
use service::fetch_flags::IsolationLevelFlag;
use service::{Connection, Flags, KafkaArgs, LogArgs, RunsArgs, EXIT_CODES};

/// Reads the whole event topic and proves that 100% of the acknowledged events arrived.
///
/// Every flag can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Args {
    /// Bootstrap brokers, topic, `--config`, TLS and SASL.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// How logs are written (`--log-format`).
    #[command(flatten)]
    pub logging: LogArgs,

    /// The runs topic.
    #[command(flatten)]
    pub runs: RunsArgs,

    /// Sample events shown per event type.
    #[arg(long, env = "VERIFIER_SAMPLES", default_value_t = 1)]
    pub samples: usize,

    /// Print the report as one JSON object on stdout (logs stay on stderr).
    #[arg(long, env = "VERIFIER_JSON")]
    pub json: bool,

    /// Which records are read: `read_committed` leaves out aborted transactions (Kafka's
    /// `isolation.level`).
    #[arg(long, env = "VERIFIER_ISOLATION_LEVEL", value_enum, default_value_t = IsolationLevelFlag::ReadUncommitted)]
    pub isolation_level: IsolationLevelFlag,
    /// Client id sent to the brokers.
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "verifier")]
    pub client_id: String,

    /// Also write the report's counts as Prometheus text to FILE (a `.prom` file, for
    /// node_exporter's textfile collector), whatever the verdict.
    #[arg(long, env = "VERIFIER_METRICS_FILE", value_name = "FILE")]
    pub metrics_file: Option<PathBuf>,

    /// Also write the report as one self-contained HTML page to FILE (tables and charts, no
    /// external resources), whatever the verdict.
    #[arg(long, env = "VERIFIER_HTML", value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl Flags for Args {
    /// A `--metrics-file` must end in `.prom`: node_exporter's textfile collector reads no other
    /// file, so any other name would be written and never collected.
    fn validate(&self) -> Result<(), String> {
        match &self.metrics_file {
            Some(path) if !crate::metrics_file::is_collected_name(path) => Err(format!(
                "--metrics-file {} must end in .prom: node_exporter's textfile collector reads only *.prom files",
                path.display()
            )),
            _ => Ok(()),
        }
    }

    fn logging(&self) -> &LogArgs {
        &self.logging
    }

    /// Brokers, security and client id; no group (a `group.id` in `--config` is ignored).
    fn connection(&mut self) -> Connection<'_> {
        Connection::without_group(&mut self.kafka, &mut self.client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Args {
        Args::try_parse_from([&["verifier"], extra].concat()).expect("flags parse")
    }

    #[test]
    fn a_metrics_file_must_end_in_prom() {
        assert!(parse(&[]).validate().is_ok());
        assert!(parse(&["--metrics-file", "/var/lib/node/verifier.prom"])
            .validate()
            .is_ok());
        let error = parse(&["--metrics-file", "verifier.txt"])
            .validate()
            .unwrap_err();
        assert!(
            error.starts_with("--metrics-file verifier.txt must end in .prom"),
            "{error}"
        );
    }
}
