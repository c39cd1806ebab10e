//! A small latency histogram: constant memory, constant-time recording, percentiles within 3%.
//!
//! Values are microseconds. Below 64 µs every value has its own bucket; above, each power of two
//! is split into 32 buckets, so a percentile is off by at most 1/32 of its value. 1,920 buckets
//! cover the whole `u64` range in 15 KiB, and recording is a few integer operations: cheap enough
//! for every record a consumer counts.

use std::time::Duration;

use serde::Serialize;

/// Buckets per power of two (and the exact range is twice this).
const SUB_BUCKETS: u64 = 32;
/// log2 of [`SUB_BUCKETS`].
const SUB_BITS: u32 = 5;
/// Values below this have a bucket each.
const EXACT: u64 = 2 * SUB_BUCKETS;
/// Buckets needed for every `u64`: the exact ones, then 32 for each exponent from 6 to 63.
const BUCKETS: usize = (EXACT + (64 - (SUB_BITS as u64 + 1)) * SUB_BUCKETS) as usize;

/// Counts of latencies, in microseconds.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    counts: Box<[u64; BUCKETS]>,
    count: u64,
    max_us: u64,
}

impl Default for LatencyHistogram {
    fn default() -> LatencyHistogram {
        LatencyHistogram {
            counts: Box::new([0; BUCKETS]),
            count: 0,
            max_us: 0,
        }
    }
}

/// The percentiles a report shows, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
        self.record_us(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records one latency given in microseconds.
    pub fn record_us(&mut self, us: u64) {
        self.counts[bucket_of(us)] += 1;
        self.count += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value under which a fraction `q` (0..=1) of the recorded values lie, in microseconds:
    /// the upper bound of the bucket holding that rank, never above the largest value seen.
    /// `None` when nothing was recorded.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(upper_bound(bucket).min(self.max_us));
            }
        }
        Some(self.max_us)
    }

    /// p50, p99 and max in milliseconds; `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        let ms = |us: u64| us as f64 / 1000.0;
        Some(LatencySummary {
            count: self.count,
            p50_ms: ms(self.quantile_us(0.50)?),
            p99_ms: ms(self.quantile_us(0.99)?),
            max_ms: ms(self.max_us),
        })
    }
}

fn bucket_of(us: u64) -> usize {
    if us < EXACT {
        return us as usize;
    }
    let exponent = 63 - us.leading_zeros(); // >= 6
    let shift = exponent - SUB_BITS;
    let top = (us >> shift) - SUB_BUCKETS; // 0..32
    (EXACT + u64::from(exponent - SUB_BITS - 1) * SUB_BUCKETS + top) as usize
}

/// The largest value that falls into `bucket`.
fn upper_bound(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < EXACT {
        return bucket;
    }
    let exponent = (bucket - EXACT) / SUB_BUCKETS + u64::from(SUB_BITS) + 1;
    let top = (bucket - EXACT) % SUB_BUCKETS + SUB_BUCKETS;
    let shift = exponent - u64::from(SUB_BITS);
    ((top + 1) << shift).wrapping_sub(1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn empty_histogram_has_no_percentiles() {
        assert_eq!(LatencyHistogram::default().summary(), None);
    }

    #[test]
    fn small_values_are_exact() {
        let mut histogram = LatencyHistogram::default();
        for us in 1..=50 {
            histogram.record_us(us);
        }
        assert_eq!(histogram.quantile_us(0.5), Some(25));
        assert_eq!(histogram.quantile_us(0.98), Some(49));
        assert_eq!(histogram.quantile_us(1.0), Some(50));
    }

    #[test]
    fn percentiles_in_milliseconds() {
        let mut histogram = LatencyHistogram::default();
        for ms in 1..=100 {
            histogram.record(Duration::from_millis(ms));
        }
        let summary = histogram.summary().unwrap();
        assert_eq!(summary.count, 100);
        assert!(
            (50.0..=50.0 * 1.04).contains(&summary.p50_ms),
            "{summary:?}"
        );
        assert!((99.0..=100.0).contains(&summary.p99_ms), "{summary:?}");
        assert_eq!(summary.max_ms, 100.0);
    }

    #[test]
    fn extremes_have_buckets() {
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(upper_bound(BUCKETS - 1), u64::MAX);
        let mut histogram = LatencyHistogram::default();
        histogram.record(Duration::MAX);
        assert_eq!(histogram.quantile_us(0.5), Some(u64::MAX));
    }

    proptest! {
        #[test]
        fn a_value_lies_in_its_bucket_within_one_32nd(us in 0u64..u64::MAX / 2) {
            let bucket = bucket_of(us);
            prop_assert!(upper_bound(bucket) >= us);
            prop_assert!(bucket == 0 || upper_bound(bucket - 1) < us);
            prop_assert!((upper_bound(bucket) - us) as f64 <= us as f64 / 32.0);
        }
    }
}
