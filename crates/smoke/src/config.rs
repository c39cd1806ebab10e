//! What one smoke test is told: [`SmokeConfig`], built from the effective flags in one place
//! ([`from_args`]): the test's fresh names, and each phase's and the cleanup's own config, all
//! with the test's connection settings. The test ([`crate::run()`]) reads this and never the
//! command line.
//!
//! A phase's settings start from its service's defaults and its environment variables
//! (`PRODUCER_*`, `CONSUMER_*`, `VERIFIER_*`), parsed as that service parses them, then take
//! the test's: connection, names, count, and a client id of `CLIENT_ID-PHASE`. A bad variable
//! of a phase ends the process here, before anything is created, as that service would end
//! (one line, exit 2).

use std::time::Duration;

use clap::Parser;
use producer::ProducerConfig;
use service::KafkaArgs;
use verifier::VerifierConfig;

use crate::{cleanup::CleanupConfig, names::Names, Args};

/// Everything a smoke test needs to know.
#[derive(Debug, Clone)]
pub struct SmokeConfig {
    /// The test's topic, runs topic and group, new for this test.
    pub names: Names,
    /// Events to produce, read and verify.
    pub count: u64,
    /// How long the group may take to read every event once they are all produced.
    pub consume_timeout: Duration,
    /// The producer phase: `count` events, unpaced, to the test's topic.
    pub producer: ProducerConfig,
    /// The consumer phase: the test's fresh group, from the earliest offset, until `count`.
    /// The consumer's own flags, which its run takes.
    pub consumer: consumer::Args,
    /// The verifier phase: the test's topic and runs topic, no samples.
    pub verifier: VerifierConfig,
    /// Deleting the topics and the group afterwards (or keeping them).
    pub cleanup: CleanupConfig,
}

/// The smoke test the flags ask for, under fresh names. `args` are the effective flags, as
/// [`service::start`] leaves them (`--config` applied, everything checked).
pub fn from_args(args: &Args) -> SmokeConfig {
    let names = Names::new(&args.prefix);
    SmokeConfig {
        count: args.count,
        consume_timeout: args.consume_timeout,
        producer: producer::config::from_args(&producer_args(args, &names)),
        consumer: consumer_args(args, &names),
        verifier: verifier::config::from_args(&verifier_args(args, &names)),
        cleanup: CleanupConfig {
            brokers: args.kafka.broker_list(),
            security: args.kafka.security(),
            client_id: format!("{}-cleanup", args.client_id),
            keep: args.keep,
        },
        names,
    }
}

/// The producer's flags: `count` events, unpaced, to the test's topic.
fn producer_args(args: &Args, names: &Names) -> producer::Args {
    let mut phase = parse::<producer::Args>(&[
        "--count",
        &args.count.to_string(),
        "--rate",
        "0",
        "--partitions",
        &args.partitions.to_string(),
    ]);
    phase.kafka = connection(args, names);
    phase.runs.runs_topic = names.runs_topic.clone();
    phase.client_id = format!("{}-producer", args.client_id);
    phase
}

/// The consumer's flags: the test's fresh group, from the earliest offset, until `count`.
fn consumer_args(args: &Args, names: &Names) -> consumer::Args {
    let mut phase = parse::<consumer::Args>(&[
        "--group-id",
        &names.group,
        "--auto-offset-reset",
        "earliest",
        "--max-messages",
        &args.count.to_string(),
    ]);
    phase.kafka = connection(args, names);
    phase.client_id = format!("{}-consumer", args.client_id);
    phase
}

/// The verifier's flags: the test's topic and runs topic, no samples.
fn verifier_args(args: &Args, names: &Names) -> verifier::Args {
    let mut phase = parse::<verifier::Args>(&["--samples", "0"]);
    phase.kafka = connection(args, names);
    phase.runs.runs_topic = names.runs_topic.clone();
    phase.client_id = format!("{}-verifier", args.client_id);
    phase
}

/// The test's effective connection settings, aimed at its topic.
fn connection(args: &Args, names: &Names) -> KafkaArgs {
    let mut kafka = args.kafka.clone();
    kafka.topic = names.topic.clone();
    kafka
}

/// A phase's flags from `flags`, its defaults and its environment variables. The flags are
/// the test's own and always parse; a bad environment variable of the phase is the user's to
/// fix and ends the process as that service would (one line, exit 2).
fn parse<F: Parser>(flags: &[&str]) -> F {
    let name = F::command().get_name().to_string();
    F::try_parse_from(std::iter::once(name.as_str()).chain(flags.iter().copied()))
        .unwrap_or_else(|error| error.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_gets_the_connection_and_the_names() {
        let args = Args::try_parse_from(["smoke", "--count", "42", "--brokers", "b:9093"])
            .expect("flags parse");
        let config = from_args(&args);
        let names = &config.names;
        assert!(names.topic.starts_with("smoke-"), "{}", names.topic);
        let producer = &config.producer;
        assert_eq!(producer.count, Some(42));
        assert_eq!(producer.rate, 0.0);
        assert_eq!(producer.brokers, ["b:9093"]);
        assert_eq!(producer.topic, names.topic);
        assert_eq!(producer.runs_topic, names.runs_topic);
        assert_eq!(producer.client_id, "smoke-producer");
        let consumer = &config.consumer;
        assert_eq!(consumer.group_id, names.group);
        assert_eq!(consumer.max_messages, Some(42));
        assert_eq!(consumer.kafka.topic, names.topic);
        let verifier = &config.verifier;
        assert_eq!(verifier.topic, names.topic);
        assert_eq!(verifier.runs_topic, names.runs_topic);
        assert_eq!(verifier.brokers, ["b:9093"]);
        assert_eq!(verifier.samples, 0);
        let cleanup = &config.cleanup;
        assert_eq!(cleanup.client_id, "smoke-cleanup");
        assert_eq!(cleanup.brokers, ["b:9093"]);
        assert!(!cleanup.keep);
    }
}
