//! The smoke test's flags, each with its environment variable.

use std::time::Duration;

use clap::Parser;
use service::{duration, Connection, Flags, KafkaArgs, LogArgs, EXIT_CODES};

use crate::names::Names;

/// Smoke-tests a Kafka cluster end to end: produces events to a topic of its own, reads them
/// with a fresh consumer group, verifies that every acknowledged event arrived, then deletes the
/// topic and the group.
///
/// Point it at a cluster with `--config client.properties` (or the flags below). The phases are
/// the producer, consumer and verifier; their own variables (PRODUCER_*, CONSUMER_*,
/// VERIFIER_*) tune them. Every flag can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(version, after_help = EXIT_CODES,
          mut_arg("topic", |topic| topic.hide(true)))]
pub struct Args {
    /// Bootstrap brokers, `--config`, TLS and SASL.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// How logs are written (`--log-format`).
    #[command(flatten)]
    pub logging: LogArgs,

    /// Events to produce, read and verify.
    #[arg(long, env = "SMOKE_COUNT", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,

    /// Partitions of the test's topic.
    #[arg(long, env = "SMOKE_PARTITIONS", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub partitions: u16,

    /// Start of the names of the test's topic and group (`PREFIX-DATE-TIME-RANDOM`): ACLs on
    /// this prefix are all the test needs (docs/connecting.md).
    #[arg(long, env = "SMOKE_PREFIX", default_value = "smoke")]
    pub prefix: String,

    /// How long the group may take to read every event once they are all produced.
    #[arg(long, env = "SMOKE_CONSUME_TIMEOUT", default_value = "60s", value_parser = duration::parse)]
    pub consume_timeout: Duration,

    /// Keep the topic and the group afterwards, to inspect them.
    #[arg(long, env = "SMOKE_KEEP")]
    pub keep: bool,

    /// Client id sent to the brokers, followed by the phase (`smoke-producer`, ...).
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "smoke")]
    pub client_id: String,
}

impl Flags for Args {
    fn logging(&self) -> &LogArgs {
        &self.logging
    }

    /// The prefix must make topic names Kafka accepts (the longest is the runs topic's).
    fn validate(&self) -> Result<(), String> {
        let longest = Names::from_topic(format!("{}-YYYYMMDD-HHMMSS-XXXXXX", self.prefix));
        kafka::protocol::names::check_topic(&longest.runs_topic).map_err(|problem| {
            format!(
                "--prefix {:?} makes topic names Kafka refuses: {problem}",
                self.prefix
            )
        })?;
        duration::check_positive(&[("--consume-timeout", self.consume_timeout)])
    }

    /// Brokers, security and client id; no group (the test makes its own, and a `group.id` in
    /// `--config` is ignored).
    fn connection(&mut self) -> Connection<'_> {
        Connection::without_group(&mut self.kafka, &mut self.client_id)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("smoke").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn a_prefix_must_make_a_legal_topic_name() {
        assert!(parse(&["--prefix", "team-a.smoke_1"]).validate().is_ok());
        for bad in ["with space", "é", &"x".repeat(230)] {
            let error = parse(&["--prefix", bad]).validate().unwrap_err();
            assert!(error.starts_with("--prefix"), "{error}");
        }
    }

    #[test]
    fn the_topic_flag_is_not_offered() {
        let help = Args::command().render_long_help().to_string();
        assert!(!help.contains("--topic"), "{help}");
        assert!(help.contains("--prefix"), "{help}");
    }
}
