//! The producer's flags, each with its environment variable.

use std::time::Duration;

use clap::Parser;
use service::{duration, Flags, KafkaArgs, EXIT_CODES};

/// Simulates user activity on a shop and publishes it as JSON events to Kafka.
///
/// Every flag can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Args {
    /// Bootstrap brokers and topic.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// Topic receiving each run's manifest (created when missing).
    #[arg(long, env = "KAFKA_RUNS_TOPIC", default_value = "evenements.runs")]
    pub runs_topic: String,

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

    /// Seed of the simulation: the same seed gives the same events (timestamps aside).
    #[arg(long, env = "PRODUCER_SEED")]
    pub seed: Option<u64>,

    /// Print the final summary as one JSON object on stdout (logs stay on stderr).
    #[arg(long, env = "PRODUCER_JSON")]
    pub json: bool,

    /// Client id sent to the brokers.
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "producer")]
    pub client_id: String,
}

impl Flags for Args {
    /// Checks what clap cannot. The message names the flag.
    fn validate(&self) -> Result<(), String> {
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return Err("--rate must be a number of events per second, 0 or more".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
