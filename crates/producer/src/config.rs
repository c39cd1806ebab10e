//! What one producer run is told: [`ProducerConfig`], typed and complete, built from the
//! effective flags in one place ([`from_args`]). The run ([`crate::run()`]) reads this and never
//! the command line, so that the smoke test (or a test) can start a run without flags.

use std::{net::SocketAddr, time::Duration};

use clap::ValueEnum;
use kafka::connection::security::Security;
use rskafka::client::partition::Compression;

use crate::Args;

/// Everything a producer run needs to know.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Bootstrap brokers.
    pub brokers: Vec<String>,
    /// How every connection to the cluster is secured.
    pub security: Security,
    /// Client id sent to the brokers.
    pub client_id: String,
    /// The event topic.
    pub topic: String,
    /// The topic of the runs' manifests.
    pub runs_topic: String,
    /// Partitions of the event topic when the run creates it.
    pub partitions: u16,
    /// Stop after this many events (`None`: no limit).
    pub count: Option<u64>,
    /// Stop after this long (`None`: no limit).
    pub duration: Option<Duration>,
    /// Events per second; 0 sends as fast as the broker acknowledges.
    pub rate: f64,
    /// Number of simulated users.
    pub users: u32,
    /// Seed of the simulation (`None`: a random one).
    pub seed: Option<u64>,
    /// Compression of the record batches.
    pub compression: Codec,
    /// How long a batch is retried on retriable errors (also the connection's deadline).
    pub delivery_timeout: Duration,
    /// After a stop: how long to wait for the acknowledgements still due, then how long
    /// publishing the manifest may take.
    pub flush_timeout: Duration,
    /// The summary as one JSON object on stdout rather than as text.
    pub json: bool,
    /// Where to serve `/metrics` and the probes (`None`: not served).
    pub http: Option<SocketAddr>,
}

/// The run the flags ask for. `args` are the effective flags, as [`service::start`] leaves
/// them (`--config` applied, everything checked).
pub fn from_args(args: &Args) -> ProducerConfig {
    ProducerConfig {
        brokers: args.kafka.broker_list(),
        security: args.kafka.security(),
        client_id: args.client_id.clone(),
        topic: args.kafka.topic.clone(),
        runs_topic: args.runs.runs_topic.clone(),
        partitions: args.partitions,
        // `--count 0` means no limit, as no flag does.
        count: args.count.filter(|count| *count > 0),
        duration: args.duration,
        rate: args.rate,
        users: args.users,
        seed: args.seed,
        compression: args.compression,
        delivery_timeout: args.delivery_timeout,
        flush_timeout: args.flush_timeout,
        json: args.json,
        http: args.http.0,
    }
}

/// The batch compression codecs, by Kafka's names (`compression.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Codec {
    /// No compression.
    None,
    /// gzip (deflate).
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4 frames.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.to_possible_value().expect("no codec is skipped");
        f.write_str(value.get_name())
    }
}

impl Codec {
    /// The codec as rskafka's producer takes it.
    pub fn compression(self) -> Compression {
        match self {
            Codec::None => Compression::NoCompression,
            Codec::Gzip => Compression::Gzip,
            Codec::Snappy => Compression::Snappy,
            Codec::Lz4 => Compression::Lz4,
            Codec::Zstd => Compression::Zstd,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn config(flags: &[&str]) -> ProducerConfig {
        from_args(&Args::try_parse_from([&["producer"], flags].concat()).expect("flags parse"))
    }

    #[test]
    fn the_flags_make_the_config() {
        let config = config(&[
            "--brokers=a:1,b:2",
            "--topic=t",
            "--runs-topic=r",
            "--count=10",
            "--rate=0",
            "--compression=zstd",
            "--http=127.0.0.1:0",
            "--client-id=c",
        ]);
        assert_eq!(config.brokers, ["a:1", "b:2"]);
        assert_eq!(
            (config.topic.as_str(), config.runs_topic.as_str()),
            ("t", "r")
        );
        assert_eq!(config.count, Some(10));
        assert_eq!(config.rate, 0.0);
        assert_eq!(config.compression, Codec::Zstd);
        assert_eq!(config.http, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(config.client_id, "c");
        assert_eq!(config.security, Security::default());
    }

    #[test]
    fn a_count_of_zero_is_no_limit() {
        assert_eq!(config(&["--count=0"]).count, None);
        assert_eq!(config(&[]).count, None);
        assert_eq!(config(&[]).http, None);
    }
}
