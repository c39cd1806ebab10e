//! The flags several services take, with Kafka's names and an environment variable each.

/// Connection flags common to every service.
#[derive(Debug, Clone, clap::Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, comma-separated `host:port`.
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub brokers: String,

    /// Topic carrying the events.
    #[arg(long, env = "KAFKA_TOPIC", default_value = "evenements")]
    pub topic: String,
}

/// Where the delivery audit's run manifests live: written by the producer, read by the verifier.
#[derive(Debug, Clone, clap::Args)]
pub struct RunsArgs {
    /// Topic of the producer runs' manifests (the producer creates it when missing).
    #[arg(long, env = "KAFKA_RUNS_TOPIC", default_value = "evenements.runs")]
    pub runs_topic: String,
}

impl KafkaArgs {
    /// The bootstrap brokers as a list (blanks and empty entries dropped).
    pub fn broker_list(&self) -> Vec<String> {
        self.brokers
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(String::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_lists_drop_blanks() {
        let args = KafkaArgs {
            brokers: " a:1, ,b:2,".into(),
            topic: "t".into(),
        };
        assert_eq!(args.broker_list(), ["a:1", "b:2"]);
    }
}
