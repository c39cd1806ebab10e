//! The producer's flags, each with its environment variable.

use std::time::Duration;

use clap::Parser;
use service::{
    duration,
    http::{self, HttpAddress},
    Connection, Flags, KafkaArgs, LogArgs, RunsArgs, EXIT_CODES,
};

use crate::config::Codec;

/// Simulates user activity on a shop and publishes it as JSON events to Kafka.
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

    /// Stop after this many events (0 or absent: no limit).
    #[arg(long, env = "PRODUCER_COUNT")]
    pub count: Option<u64>,

    /// Stop after this long, e.g. 30s, 5m (absent: no limit).
    #[arg(long, env = "PRODUCER_DURATION", value_parser = duration::parse)]
    pub duration: Option<Duration>,

    /// Events per second; 0 sends as fast as the broker acknowledges.
    #[arg(long, env = "PRODUCER_RATE", default_value_t = 5.0)]
    pub rate: f64,

    /// Partitions of the topic when the producer creates it.
    #[arg(long, env = "PRODUCER_PARTITIONS", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub partitions: u16,

    /// Number of simulated users (user1..userN).
    #[arg(long, env = "PRODUCER_USERS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: u32,

    /// Compression of the record batches (Kafka's `compression.type`), to measure what it costs
    /// on a cluster. Readers decompress every codec.
    #[arg(long, env = "PRODUCER_COMPRESSION", value_enum, default_value_t = Codec::None)]
    pub compression: Codec,

    /// How long a batch is retried on retriable errors (a leader moving, a broker down) before
    /// its events count as failed (Kafka's `delivery.timeout.ms`).
    #[arg(long, env = "PRODUCER_DELIVERY_TIMEOUT", default_value = "120s", value_parser = duration::parse)]
    pub delivery_timeout: Duration,

    /// After Ctrl+C or SIGTERM: how long to wait for the acknowledgements still due, then how
    /// long publishing the manifest may take. Events still unanswered count as unconfirmed.
    /// Keep twice this under the stop grace period of what runs the producer (compose: 10s).
    #[arg(long, env = "PRODUCER_FLUSH_TIMEOUT", default_value = "4s", value_parser = duration::parse)]
    pub flush_timeout: Duration,

    /// Seed of the simulation: the same seed gives the same events (timestamps aside).
    #[arg(long, env = "PRODUCER_SEED")]
    pub seed: Option<u64>,

    /// Print the final summary as one JSON object on stdout (logs stay on stderr).
    #[arg(long, env = "PRODUCER_JSON")]
    pub json: bool,

    /// Serve metrics for Prometheus (`/metrics`) and probes (`/healthz`, `/readyz`: ready
    /// once connected) on this address, e.g. `0.0.0.0:9100`. Off by default.
    #[arg(long, env = "PRODUCER_HTTP", value_name = "ADDR", default_value = "", hide_default_value = true, value_parser = http::parse_address)]
    pub http: HttpAddress,

    /// Client id sent to the brokers.
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "producer")]
    pub client_id: String,
}

impl Flags for Args {
    fn logging(&self) -> &LogArgs {
        &self.logging
    }

    /// Checks what clap cannot. The message names the flag.
    fn validate(&self) -> Result<(), String> {
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return Err("--rate must be a number of events per second, 0 or more".into());
        }
        duration::check_positive(&[
            ("--delivery-timeout", self.delivery_timeout),
            ("--flush-timeout", self.flush_timeout),
        ])
    }

    /// Brokers, security and client id; no group (a `group.id` in `--config` is ignored).
    fn connection(&mut self) -> Connection<'_> {
        Connection::without_group(&mut self.kafka, &mut self.client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_takes_kafkas_names() {
        for (name, codec) in [
            ("none", Codec::None),
            ("gzip", Codec::Gzip),
            ("snappy", Codec::Snappy),
            ("lz4", Codec::Lz4),
            ("zstd", Codec::Zstd),
        ] {
            let args = Args::try_parse_from(["producer", "--compression", name]).unwrap();
            assert_eq!(args.compression, codec, "{name}");
        }
        assert!(Args::try_parse_from(["producer", "--compression", "brotli"]).is_err());
        assert_eq!(
            Args::try_parse_from(["producer"]).unwrap().compression,
            Codec::None
        );
    }

    #[test]
    fn rates_must_be_finite_and_not_negative() {
        for (rate, ok) in [
            ("0", true),
            ("20", true),
            ("-1", false),
            ("inf", false),
            ("NaN", false),
        ] {
            let args = Args::try_parse_from(["producer", &format!("--rate={rate}")]).unwrap();
            assert_eq!(args.validate().is_ok(), ok, "--rate {rate}");
        }
    }
}
