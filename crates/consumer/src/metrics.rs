//! The consumer's metrics for Prometheus (`--http`), named after the Java consumer's where one
//! exists (`records-consumed-total`, `records-lag`, `records-lag-max`, `assigned-partitions`,
//! `commit-latency`, `last-rebalance`), and the pipeline's end-to-end latency.
//!
//! The member publishes them from its tallies once a second ([`Metrics::publish`]), so that
//! counting a record costs nothing more with `--http` than without. The latency histograms are
//! taken from the member's own HDR histograms at each publication ([`HistogramSnapshot`]).

use std::{
    collections::BTreeMap,
    sync::{atomic::AtomicU64, Arc, RwLock},
};

use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge, MetricType, TypedMetric},
    registry::{Registry, Unit},
};

use crate::{activity::Activity, latency::LatencyHistogram, tally::Tally};

/// Upper bounds of the end-to-end latency buckets, in seconds: from a few milliseconds on a
/// local broker to a minute behind a backlog.
const END_TO_END_BOUNDS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Upper bounds of the commit latency buckets, in seconds.
const COMMIT_BOUNDS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One event type, as a label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    event_type: String,
}

/// One user, as a label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UserLabel {
    user_id: String,
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
    /// Its commits, heartbeats and rebalances.
    pub activity: &'a Activity,
    /// The partitions it owns.
    pub partitions: &'a [i32],
}

/// What the member publishes.
#[derive(Debug, Default)]
pub struct Metrics {
    consumed: Family<TypeLabel, Counter>,
    consumed_by_user: Family<UserLabel, Counter>,
    invalid: Counter,
    lag: Family<PartitionLabel, Gauge>,
    lag_max: Gauge,
    rebalances: Counter,
    last_rebalance: Gauge<f64, AtomicU64>,
    generation: Gauge,
    assigned: Gauge,
    commit_latency: HistogramSnapshot,
    commit_failures: Counter,
    heartbeat_failures: Counter,
    end_to_end: HistogramSnapshot,
    /// What the counters held at the last publication, to add only the difference.
    published: Published,
}

/// The counters' values at the last publication.
#[derive(Debug, Default)]
struct Published {
    by_type: BTreeMap<String, u64>,
    by_user: BTreeMap<String, u64>,
    invalid: u64,
    rebalances: u64,
    commit_failures: u64,
    heartbeat_failures: u64,
}

impl Metrics {
    /// The metrics, registered in `registry` as `consumer_…`, and the end-to-end latency as
    /// `pipeline_end_to_end_latency_seconds`.
    pub fn register(registry: &mut Registry) -> Metrics {
        let metrics = Metrics::default();
        registry.register_with_unit(
            "pipeline_end_to_end_latency",
            "From the record's timestamp (the producer's send) to its count by this member",
            Unit::Seconds,
            metrics.end_to_end.clone(),
        );
        let consumer = registry.sub_registry_with_prefix("consumer");
        metrics.register_records(consumer);
        metrics.register_group(consumer);
        metrics
    }

    /// The metrics of the records counted.
    fn register_records(&self, consumer: &mut Registry) {
        consumer.register(
            "records_consumed",
            "Valid events counted, by type",
            self.consumed.clone(),
        );
        consumer.register(
            "records_consumed_by_user",
            "Valid events counted, by user",
            self.consumed_by_user.clone(),
        );
        consumer.register(
            "records_invalid",
            "Records that are not valid events",
            self.invalid.clone(),
        );
        consumer.register(
            "records_lag",
            "Records between the member's position and the high watermark, per owned partition",
            self.lag.clone(),
        );
        consumer.register(
            "records_lag_max",
            "The largest records_lag",
            self.lag_max.clone(),
        );
    }

    /// The metrics of the member in its group.
    fn register_group(&self, consumer: &mut Registry) {
        consumer.register(
            "rebalances",
            "Generations joined after the first",
            self.rebalances.clone(),
        );
        consumer.register_with_unit(
            "last_rebalance_duration",
            "How long the last rebalance took, from giving partitions up to the next generation",
            Unit::Seconds,
            self.last_rebalance.clone(),
        );
        consumer.register(
            "generation",
            "The generation the member consumes in (-1: none)",
            self.generation.clone(),
        );
        consumer.register(
            "assigned_partitions",
            "Partitions the member owns",
            self.assigned.clone(),
        );
        consumer.register_with_unit(
            "commit_latency",
            "How long offset commits took, accepted or refused",
            Unit::Seconds,
            self.commit_latency.clone(),
        );
        consumer.register(
            "commit_failures",
            "Offset commits refused or unanswered",
            self.commit_failures.clone(),
        );
        consumer.register(
            "heartbeat_failures",
            "Heartbeats refused or unanswered",
            self.heartbeat_failures.clone(),
        );
    }

    /// Brings the metrics up to `tally` and `membership`.
    pub fn publish(&mut self, tally: &Tally, membership: Membership<'_>) {
        let stats = &tally.ingest.stats;
        advance_family(
            &self.consumed,
            &mut self.published.by_type,
            stats.by_type(),
            |event_type| TypeLabel { event_type },
        );
        advance_family(
            &self.consumed_by_user,
            &mut self.published.by_user,
            stats.by_user(),
            |user_id| UserLabel { user_id },
        );
        advance(&self.invalid, &mut self.published.invalid, stats.invalid);
        self.end_to_end.set(&tally.latency, &END_TO_END_BOUNDS);
        self.publish_group(membership);
        self.publish_lag(tally, membership.partitions);
    }

    /// The member's generation, rebalances, commits and heartbeats.
    fn publish_group(&mut self, membership: Membership<'_>) {
        let activity = membership.activity;
        let published = &mut self.published;
        let rebalances = u64::from(activity.generations.rebalances());
        advance(&self.rebalances, &mut published.rebalances, rebalances);
        let failures = activity.commit_failures;
        advance(
            &self.commit_failures,
            &mut published.commit_failures,
            failures,
        );
        let failures = activity.heartbeat_failures;
        advance(
            &self.heartbeat_failures,
            &mut published.heartbeat_failures,
            failures,
        );
        if let Some(took) = activity.last_rebalance {
            self.last_rebalance.set(took.as_secs_f64());
        }
        self.commit_latency
            .set(&activity.commit_latency, &COMMIT_BOUNDS);
        self.generation
            .set(membership.generation.map_or(-1, i64::from));
        self.assigned.set(membership.partitions.len() as i64);
    }

    /// The lag of each owned partition, and the largest.
    fn publish_lag(&mut self, tally: &Tally, partitions: &[i32]) {
        self.lag.clear();
        let lags = tally.lag(partitions);
        for (partition, lag) in &lags {
            let label = PartitionLabel {
                partition: *partition,
            };
            self.lag.get_or_create(&label).set(*lag);
        }
        self.lag_max.set(lags.values().copied().max().unwrap_or(0));
    }
}

/// Adds to `counter` what `now` has over `published`, and remembers `now`.
fn advance(counter: &Counter, published: &mut u64, now: u64) {
    counter.inc_by(now.saturating_sub(*published));
    *published = now;
}

/// [`advance`] for each key of `now`, labelled by `label`.
fn advance_family<L>(
    family: &Family<L, Counter>,
    published: &mut BTreeMap<String, u64>,
    now: BTreeMap<String, u64>,
    label: impl Fn(String) -> L,
) where
    L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static,
{
    for (key, count) in now {
        let before = published.entry(key.clone()).or_insert(0);
        advance(&family.get_or_create(&label(key)), before, count);
    }
}

/// A histogram whose buckets are copied in from one of the member's HDR histograms at each
/// publication, rather than observed record by record: a Prometheus histogram at no cost per
/// record.
#[derive(Debug, Clone, Default)]
pub struct HistogramSnapshot(Arc<RwLock<Buckets>>);

/// The histogram as OpenMetrics encodes it: sum, count, and the count of each bucket alone.
#[derive(Debug, Default)]
struct Buckets {
    sum: f64,
    count: u64,
    buckets: Vec<(f64, u64)>,
}

impl HistogramSnapshot {
    /// Takes `histogram`'s values into buckets bounded by `bounds` (seconds, ascending).
    pub fn set(&self, histogram: &LatencyHistogram, bounds: &[f64]) {
        let buckets = Buckets {
            sum: histogram.sum_seconds(),
            count: histogram.count(),
            buckets: histogram.buckets(bounds),
        };
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = buckets;
    }
}

impl TypedMetric for HistogramSnapshot {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for HistogramSnapshot {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let inf = [(f64::MAX, 0)];
        let each = if buckets.buckets.is_empty() {
            &inf[..]
        } else {
            &buckets.buckets[..]
        };
        encoder.encode_histogram::<NoLabelSet>(buckets.sum, buckets.count, each, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn latency_histograms_are_encoded_cumulatively() {
        let mut registry = Registry::default();
        let snapshot = HistogramSnapshot::default();
        registry.register_with_unit("latency", "Latency", Unit::Seconds, snapshot.clone());
        let mut histogram = LatencyHistogram::default();
        for ms in [5, 50, 50, 2_000] {
            histogram.record(Duration::from_millis(ms));
        }
        snapshot.set(&histogram, &[0.01, 0.1]);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for line in [
            "latency_seconds_count 4",
            "latency_seconds_bucket{le=\"0.01\"} 1",
            "latency_seconds_bucket{le=\"0.1\"} 3",
            "latency_seconds_bucket{le=\"+Inf\"} 4",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
