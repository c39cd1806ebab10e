//! End-to-end latency (record timestamp → counted here) of every record, in an HDR histogram:
//! constant memory, constant-time recording, percentiles to 2 significant digits, up to an hour.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Significant decimal digits the histogram keeps: percentiles within 1%.
const SIGNIFICANT_DIGITS: u8 = 2;

/// The largest latency told apart, in microseconds (an hour); longer ones count as an hour.
const HIGHEST_US: u64 = 3_600_000_000;

/// Counts of latencies, in microseconds.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> LatencyHistogram {
        LatencyHistogram {
            histogram: Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_DIGITS)
                .expect("valid bounds"),
        }
    }
}

/// The percentiles a report shows, in milliseconds (the `latency` object of `--json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest value.
    pub max_ms: f64,
}

impl LatencyHistogram {
    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.histogram.saturating_record(us);
    }

    /// The number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The latencies as Prometheus histogram buckets: for each upper bound in `bounds` (seconds,
    /// ascending), how many fall above the previous bound and up to it, then the rest under
    /// `f64::MAX` (`+Inf`). Within the histogram's 1% precision.
    pub fn buckets(&self, bounds: &[f64]) -> Vec<(f64, u64)> {
        let mut buckets = Vec::with_capacity(bounds.len() + 1);
        let mut below = 0;
        for bound in bounds {
            let up_to = self.histogram.count_between(0, (bound * 1e6) as u64);
            buckets.push((*bound, up_to - below));
            below = up_to;
        }
        buckets.push((f64::MAX, self.count() - below));
        buckets
    }

    /// The sum of the latencies in seconds, from their mean (within the histogram's precision).
    pub fn sum_seconds(&self) -> f64 {
        self.histogram.mean() * self.count() as f64 / 1e6
    }

    /// Count, median, 99th percentile and maximum; `None` before the first value.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.histogram.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(LatencySummary {
            count: self.count(),
            p50_ms: ms(self.histogram.value_at_quantile(0.5)),
            p99_ms: ms(self.histogram.value_at_quantile(0.99)),
            max_ms: ms(self.histogram.max()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_histogram_has_no_percentiles() {
        assert_eq!(LatencyHistogram::default().summary(), None);
    }

    #[test]
    fn percentiles_in_milliseconds_within_one_percent() {
        let mut histogram = LatencyHistogram::default();
        for ms in 1..=100 {
            histogram.record(Duration::from_millis(ms));
        }
        let summary = histogram.summary().unwrap();
        assert_eq!(summary.count, 100);
        assert!((49.5..=50.5).contains(&summary.p50_ms), "{summary:?}");
        assert!((98.0..=100.0).contains(&summary.p99_ms), "{summary:?}");
        assert!((99.0..=101.0).contains(&summary.max_ms), "{summary:?}");
    }

    #[test]
    fn buckets_count_each_value_once_and_the_rest_under_inf() {
        let mut histogram = LatencyHistogram::default();
        for ms in [5, 50, 50, 500, 5_000] {
            histogram.record(Duration::from_millis(ms));
        }
        assert_eq!(
            histogram.buckets(&[0.01, 0.1, 1.0]),
            vec![(0.01, 1), (0.1, 2), (1.0, 1), (f64::MAX, 1)]
        );
        assert!((histogram.sum_seconds() - 5.605).abs() < 0.06);
    }

    #[test]
    fn extreme_values_are_recorded() {
        let mut histogram = LatencyHistogram::default();
        histogram.record(Duration::ZERO);
        histogram.record(Duration::from_secs(86_400 * 365));
        assert_eq!(histogram.count(), 2);
    }
}
