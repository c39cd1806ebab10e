//! The consumer's flags turned, in one place, into the settings of each part it runs: the
//! cluster every connection goes to, the group membership, the fetching, the member's loop and
//! `--http`. Nothing past [`Config::from_args`] sees the flags.

use std::{net::SocketAddr, time::Duration};

use kafka::{
    client::{fetch::FetchConfig, group::GroupConfig},
    cluster::Cluster,
};

use crate::args::Args;

/// Everything the consumer runs with, from its flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// The brokers, client id and security of every connection (group, fetching, metadata).
    pub cluster: Cluster,
    /// The member's loop: its intervals, when it stops, how it prints.
    pub member: MemberConfig,
    /// How the member's partitions are fetched.
    pub fetch: FetchConfig,
    /// The group joined.
    pub group: GroupConfig,
    /// What `--http` serves.
    pub telemetry: TelemetryConfig,
}

/// The settings of the member's loop ([`crate::member::Member`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// The topic consumed (named in logs and in the error of a record that does not decode).
    pub topic: String,
    /// How often processed offsets are committed.
    pub commit_interval: Duration,
    /// How often a statistics block is printed.
    pub stats_interval: Duration,
    /// How often the member heartbeats.
    pub heartbeat_interval: Duration,
    /// Without a heartbeat for this long, the coordinator evicts the member: until then, a
    /// coordinator out of reach does not end the generation.
    pub session_timeout: Duration,
    /// Stop once this many records were counted; `None`: until stopped.
    pub max_messages: Option<u64>,
    /// Print the final summary as JSON on stdout, the statistics on stderr.
    pub json: bool,
}

/// What `--http` serves ([`crate::telemetry::Telemetry`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// Where the metrics, probes and dashboard are served; `None`: not served.
    pub address: Option<SocketAddr>,
    /// The dashboard's URL as users reach it; empty: the address served.
    pub dashboard_url: String,
}

/// The longest the coordinator waits for the members to rejoin: the session timeout, and at
/// least 30 s.
const MIN_REBALANCE_TIMEOUT: Duration = Duration::from_secs(30);

impl Config {
    /// The settings the flags say (after `--config` and validation: see [`service::start`]).
    pub fn from_args(args: &Args) -> Config {
        let topic = args.kafka.topic.clone();
        Config {
            cluster: Cluster::new(
                args.kafka.broker_list(),
                args.client_id.clone(),
                args.kafka.security(),
            ),
            member: MemberConfig {
                topic: topic.clone(),
                commit_interval: args.commit_interval,
                stats_interval: args.stats_interval,
                heartbeat_interval: args.heartbeat_interval,
                session_timeout: args.session_timeout,
                max_messages: args.max_messages,
                json: args.json,
            },
            fetch: FetchConfig {
                topic: topic.clone(),
                max_wait: args.fetch_max_wait,
                partition_max_bytes: args.max_partition_fetch_bytes,
                max_bytes: args.fetch_max_bytes,
                isolation: args.isolation_level.into(),
                reset: args.auto_offset_reset.into(),
                until_end: false,
            },
            group: GroupConfig {
                group_id: args.group_id.clone(),
                topic,
                session_timeout: args.session_timeout,
                rebalance_timeout: args.session_timeout.max(MIN_REBALANCE_TIMEOUT),
            },
            telemetry: TelemetryConfig {
                address: args.http.0,
                dashboard_url: args.dashboard_url.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kafka::client::fetch::{IsolationLevel, OffsetReset};

    use super::*;

    fn config(extra: &[&str]) -> Config {
        Config::from_args(&Args::try_parse_from([&["consumer"], extra].concat()).unwrap())
    }

    #[test]
    fn each_flag_reaches_the_part_that_uses_it() {
        let config = config(&[
            "--topic",
            "evenements",
            "--group-id",
            "g",
            "--session-timeout",
            "10s",
            "--heartbeat-interval",
            "1s",
            "--commit-interval",
            "2s",
            "--max-messages",
            "7",
            "--json",
            "--fetch-max-wait",
            "10ms",
            "--isolation-level",
            "read_committed",
            "--auto-offset-reset",
            "latest",
            "--http",
            "127.0.0.1:0",
        ]);
        assert_eq!(
            config.member,
            MemberConfig {
                topic: "evenements".into(),
                commit_interval: Duration::from_secs(2),
                stats_interval: Duration::from_secs(5),
                heartbeat_interval: Duration::from_secs(1),
                session_timeout: Duration::from_secs(10),
                max_messages: Some(7),
                json: true,
            }
        );
        assert_eq!(
            (config.group.group_id.as_str(), config.group.topic.as_str()),
            ("g", "evenements")
        );
        assert_eq!(config.group.session_timeout, Duration::from_secs(10));
        assert_eq!(config.group.rebalance_timeout, Duration::from_secs(30));
        assert_eq!(config.fetch.topic, "evenements");
        assert_eq!(config.fetch.max_wait, Duration::from_millis(10));
        assert_eq!(config.fetch.isolation, IsolationLevel::ReadCommitted);
        assert_eq!(config.fetch.reset, OffsetReset::Latest);
        assert!(!config.fetch.until_end);
        assert!(config.telemetry.address.is_some());
    }

    #[test]
    fn a_long_session_is_also_the_rebalance_timeout() {
        let config = config(&["--session-timeout", "60s"]);
        assert_eq!(config.group.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(config.telemetry.address, None);
    }
}
