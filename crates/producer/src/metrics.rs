//! The producer's metrics for Prometheus (`--http`), named after the Java producer's where one
//! exists (`record-send-total`, `record-error-total`, `request-latency-avg`, `batch-size-avg`).
//! They are counted per batch and per request, never per record, and only when `--http` is on.

use prometheus_client::{
    metrics::{
        counter::Counter,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

/// What the publisher counts while it runs.
#[derive(Debug)]
pub struct Metrics {
    /// Events handed to a produce request.
    pub sent: Counter,
    /// Events the broker acknowledged.
    pub acked: Counter,
    /// Events that failed for good.
    pub failed: Counter,
    /// Seconds from a produce request's sending to its answer.
    pub request_latency: Histogram,
    /// Events per produce request.
    pub batch_size: Histogram,
}

impl Metrics {
    /// The metrics, registered in `registry` as `producer_…`.
    pub fn register(registry: &mut Registry) -> Metrics {
        let metrics = Metrics {
            sent: Counter::default(),
            acked: Counter::default(),
            failed: Counter::default(),
            request_latency: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 16)),
        };
        let producer = registry.sub_registry_with_prefix("producer");
        let counters = [
            (
                "records_sent",
                "Events sent in produce requests",
                &metrics.sent,
            ),
            (
                "records_acked",
                "Events the broker acknowledged (acks=all)",
                &metrics.acked,
            ),
            (
                "records_failed",
                "Events that failed for good (after the delivery timeout, or refused)",
                &metrics.failed,
            ),
        ];
        for (name, help, counter) in counters {
            producer.register(name, help, counter.clone());
        }
        let histograms = [
            (
                "request_latency_seconds",
                "Time from a produce request to its answer",
                &metrics.request_latency,
            ),
            (
                "batch_size_records",
                "Events per produce request",
                &metrics.batch_size,
            ),
        ];
        for (name, help, histogram) in histograms {
            producer.register(name, help, histogram.clone());
        }
        metrics
    }
}
