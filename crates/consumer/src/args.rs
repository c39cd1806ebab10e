//! The consumer's flags, each with its environment variable.

use std::time::Duration;

use clap::Parser;
use kafka::client::fetch::{size::DEFAULT_MAX_BYTES, FetchConfig};
use service::fetch_flags::{IsolationLevelFlag, OffsetResetFlag};
use service::{
    duration,
    http::{self, HttpAddress},
    Connection, Flags, KafkaArgs, LogArgs, EXIT_CODES,
};

/// Joins a Kafka consumer group and shows live statistics of the shop's events.
///
/// Replicas started with the same group id share the topic's partitions. Every flag can also be
/// set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Args {
    /// Bootstrap brokers, topic, `--config`, TLS and SASL.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// How logs are written (`--log-format`).
    #[command(flatten)]
    pub logging: LogArgs,

    /// Consumer group: replicas with the same id share the partitions.
    #[arg(long, env = "KAFKA_GROUP_ID", default_value = "statistiques")]
    pub group_id: String,

    /// Client id sent to the brokers (default: the hostname, so replicas are told apart).
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value_t = hostname())]
    pub client_id: String,

    /// Where to start a partition without a committed offset.
    #[arg(long, env = "CONSUMER_AUTO_OFFSET_RESET", value_enum, default_value_t = OffsetResetFlag::Earliest)]
    pub auto_offset_reset: OffsetResetFlag,

    /// How often processed offsets are committed.
    #[arg(long, env = "CONSUMER_COMMIT_INTERVAL", default_value = "5s", value_parser = duration::parse)]
    pub commit_interval: Duration,

    /// How often a statistics block is printed.
    #[arg(long, env = "CONSUMER_STATS_INTERVAL", default_value = "5s", value_parser = duration::parse)]
    pub stats_interval: Duration,

    /// Without a heartbeat for this long, the group evicts the member (Kafka's default: 45s).
    #[arg(long, env = "CONSUMER_SESSION_TIMEOUT", default_value = "45s", value_parser = duration::parse)]
    pub session_timeout: Duration,

    /// How often the member heartbeats (Kafka's default: 3s).
    #[arg(long, env = "CONSUMER_HEARTBEAT_INTERVAL", default_value = "3s", value_parser = duration::parse)]
    pub heartbeat_interval: Duration,

    /// How long a fetch may wait on the broker for new records. Kafka answers as soon as a record
    /// arrives, so there this only paces idle polling; tansu 0.6 holds every fetch for the whole
    /// wait, records or not, so lower it (e.g. 10ms) for low latency on tansu.
    #[arg(long, env = "CONSUMER_FETCH_MAX_WAIT", default_value = "500ms", value_parser = duration::parse)]
    pub fetch_max_wait: Duration,

    /// Bytes asked for per partition in a fetch (Kafka's `max.partition.fetch.bytes`).
    #[arg(long, env = "CONSUMER_MAX_PARTITION_FETCH_BYTES", default_value_t = FetchConfig::DEFAULT_PARTITION_MAX_BYTES,
          value_parser = clap::value_parser!(i32).range(1024..))]
    pub max_partition_fetch_bytes: i32,
    /// Bytes asked for per fetch request, all partitions together; also the most a partition's
    /// fetch grows to for a record larger than --max-partition-fetch-bytes (Kafka's
    /// `fetch.max.bytes`).
    #[arg(long, env = "CONSUMER_FETCH_MAX_BYTES", default_value_t = DEFAULT_MAX_BYTES,
          value_parser = clap::value_parser!(i32).range(1024..))]
    pub fetch_max_bytes: i32,
    /// Which records are read: `read_committed` leaves out aborted transactions (Kafka's
    /// `isolation.level`).
    #[arg(long, env = "CONSUMER_ISOLATION_LEVEL", value_enum, default_value_t = IsolationLevelFlag::ReadUncommitted)]
    pub isolation_level: IsolationLevelFlag,

    /// Stop once this many records were counted: commit, leave the group, print the summary
    /// (Kafka's console consumer's `--max-messages`; a smoke test's end). Default: until stopped.
    #[arg(long, env = "CONSUMER_MAX_MESSAGES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_messages: Option<u64>,
    /// Print the final summary as one JSON object on stdout (statistics and logs go to stderr).
    #[arg(long, env = "CONSUMER_JSON")]
    pub json: bool,

    /// Serve the live dashboard (`/`), metrics for Prometheus (`/metrics`) and probes
    /// (`/healthz`, `/readyz`: ready while consuming in a generation) on this address, e.g.
    /// `0.0.0.0:9100`. Off by default.
    #[arg(long, env = "CONSUMER_HTTP", value_name = "ADDR", default_value = "", hide_default_value = true, value_parser = http::parse_address)]
    pub http: HttpAddress,

    /// The dashboard's URL as users reach it (a published container port), for the
    /// `dashboard:` log line. Default: the --http address.
    #[arg(
        long,
        env = "CONSUMER_DASHBOARD_URL",
        value_name = "URL",
        default_value = "",
        hide_default_value = true
    )]
    pub dashboard_url: String,
}

impl Flags for Args {
    fn logging(&self) -> &LogArgs {
        &self.logging
    }

    /// Checks what clap cannot: the relations between flags. The message names the flags.
    fn validate(&self) -> Result<(), String> {
        if self.group_id.trim().is_empty() {
            return Err("--group-id must not be empty: Kafka refuses an empty group id".into());
        }
        if self.heartbeat_interval >= self.session_timeout {
            return Err("--heartbeat-interval must be shorter than --session-timeout".into());
        }
        if self.fetch_max_wait < Duration::from_millis(1) {
            return Err(
                "--fetch-max-wait must be at least 1ms (0 would poll an idle broker without pause)"
                    .into(),
            );
        }
        duration::check_positive(&[
            ("--commit-interval", self.commit_interval),
            ("--stats-interval", self.stats_interval),
            ("--heartbeat-interval", self.heartbeat_interval),
        ])
    }

    /// Brokers, security, client id and group id, which `--config` may all give.
    fn connection(&mut self) -> Connection<'_> {
        Connection {
            kafka: &mut self.kafka,
            client_id: &mut self.client_id,
            group_id: Some(&mut self.group_id),
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "consumer".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::try_parse_from([&["consumer"], extra].concat()).unwrap()
    }

    #[test]
    fn defaults_follow_kafka() {
        let args = args(&[]);
        assert_eq!(args.group_id, "statistiques");
        assert_eq!(args.session_timeout, Duration::from_secs(45));
        assert_eq!(args.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(args.auto_offset_reset, OffsetResetFlag::Earliest);
        assert!(args.validate().is_ok());
    }

    #[test]
    fn related_flags_are_checked() {
        let slow_heartbeat = args(&["--session-timeout", "3s", "--heartbeat-interval", "3s"]);
        assert!(slow_heartbeat
            .validate()
            .unwrap_err()
            .contains("--heartbeat-interval"));
        let no_wait = args(&["--fetch-max-wait", "0"]);
        assert!(no_wait.validate().unwrap_err().contains("--fetch-max-wait"));
        let no_commit = args(&["--commit-interval", "0s"]);
        assert!(no_commit
            .validate()
            .unwrap_err()
            .contains("--commit-interval"));
    }
}
