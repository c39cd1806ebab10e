//! The consumer's metrics for Prometheus (`--http`), named after the Java consumer's where one
//! exists (`records-consumed-total`, `records-lag`, `records-lag-max`, `assigned-partitions`).
//! The member publishes them from its tallies once a second ([`Metrics::publish`]), so that
//! counting a record costs nothing more with `--http` than without.

use std::collections::BTreeMap;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

use crate::tally::Tally;

/// One event type, as a label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    event_type: String,
}

/// One partition, as a label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartitionLabel {
    partition: i32,
}

/// The member's state the metrics show besides its tallies.
#[derive(Debug, Clone, Copy)]
pub struct Membership<'a> {
    /// The generation it consumes in, if any.
    pub generation: Option<i32>,
    /// Rebalances it went through.
    pub rebalances: u32,
    /// The partitions it owns.
    pub partitions: &'a [i32],
}

/// What the member publishes.
#[derive(Debug, Default)]
pub struct Metrics {
    consumed: Family<TypeLabel, Counter>,
    invalid: Counter,
    lag: Family<PartitionLabel, Gauge>,
    lag_max: Gauge,
    rebalances: Counter,
    generation: Gauge,
    assigned: Gauge,
    /// What the counters held at the last publication, to add only the difference.
    published: Published,
}

/// The counters' values at the last publication.
#[derive(Debug, Default)]
struct Published {
    by_type: BTreeMap<String, u64>,
    invalid: u64,
    rebalances: u32,
}

impl Metrics {
    /// The metrics, registered in `registry` as `consumer_…`.
    pub fn register(registry: &mut Registry) -> Metrics {
        let metrics = Metrics::default();
        let consumer = registry.sub_registry_with_prefix("consumer");
        consumer.register(
            "records_consumed",
            "Valid events counted, by type",
            metrics.consumed.clone(),
        );
        consumer.register(
            "records_invalid",
            "Records that are not valid events",
            metrics.invalid.clone(),
        );
        consumer.register(
            "records_lag",
            "Records between the member's position and the high watermark, per owned partition",
            metrics.lag.clone(),
        );
        consumer.register(
            "records_lag_max",
            "The largest records_lag",
            metrics.lag_max.clone(),
        );
        consumer.register(
            "rebalances",
            "Generations joined after the first",
            metrics.rebalances.clone(),
        );
        consumer.register(
            "generation",
            "The generation the member consumes in (-1: none)",
            metrics.generation.clone(),
        );
        consumer.register(
            "assigned_partitions",
            "Partitions the member owns",
            metrics.assigned.clone(),
        );
        metrics
    }

    /// Brings the metrics up to `tally` and `membership`.
    pub fn publish(&mut self, tally: &Tally, membership: Membership<'_>) {
        let stats = &tally.ingest.stats;
        for (event_type, count) in stats.by_type() {
            let before = self
                .published
                .by_type
                .get(&event_type)
                .copied()
                .unwrap_or(0);
            let label = TypeLabel {
                event_type: event_type.clone(),
            };
            self.consumed.get_or_create(&label).inc_by(count - before);
            self.published.by_type.insert(event_type, count);
        }
        self.invalid.inc_by(stats.invalid - self.published.invalid);
        self.published.invalid = stats.invalid;
        let rebalances = membership.rebalances - self.published.rebalances;
        self.rebalances.inc_by(u64::from(rebalances));
        self.published.rebalances = membership.rebalances;
        self.generation
            .set(membership.generation.map_or(-1, i64::from));
        self.assigned.set(membership.partitions.len() as i64);
        self.lag.clear();
        let mut lag_max = 0;
        for partition in membership.partitions {
            let position = tally.positions.get(partition).copied().unwrap_or(0);
            let high = tally
                .high_watermarks
                .get(partition)
                .copied()
                .unwrap_or(position);
            let lag = (high - position).max(0);
            lag_max = lag_max.max(lag);
            self.lag
                .get_or_create(&PartitionLabel {
                    partition: *partition,
                })
                .set(lag);
        }
        self.lag_max.set(lag_max);
    }
}
