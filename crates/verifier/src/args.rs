//! The verifier's flags, each with its environment variable.

use clap::Parser;
use kafka::fetch::IsolationLevel;
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
    #[arg(long, env = "VERIFIER_ISOLATION_LEVEL", value_enum, default_value_t = IsolationLevel::ReadUncommitted)]
    pub isolation_level: IsolationLevel,
    /// Client id sent to the brokers.
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "verifier")]
    pub client_id: String,
}

impl Flags for Args {
    fn logging(&self) -> &LogArgs {
        &self.logging
    }

    /// Brokers, security and client id; no group (a `group.id` in `--config` is ignored).
    fn connection(&mut self) -> Connection<'_> {
        Connection::without_group(&mut self.kafka, &mut self.client_id)
    }
}
