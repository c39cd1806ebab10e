//! The one retry policy: exponential backoff with jitter, bounded, resettable.

use std::time::Duration;

/// Waits that double from `first` up to `max`, each with ±20% jitter so that clients that failed
/// together (members evicted at once, fetchers of one broker) do not retry in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    attempts: u32,
}

impl Backoff {
    /// A policy starting at `first`, doubling up to `max`.
    pub const fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            attempts: 0,
        }
    }

    /// The wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let base = self
            .first
            .saturating_mul(1 << self.attempts.min(16))
            .min(self.max);
        self.attempts = self.attempts.saturating_add(1);
        base.mul_f64(0.8 + 0.4 * rand::random::<f64>())
    }

    /// How many waits were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Starts again from `first`, after a success.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// Sleeps for [`Self::next_wait`].
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_wait()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_a_bound_with_jitter_and_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        let waits: Vec<Duration> = (0..10).map(|_| backoff.next_wait()).collect();
        assert!(waits[0] >= Duration::from_millis(80) && waits[0] <= Duration::from_millis(120));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(6)));
        assert!(waits[9] >= Duration::from_secs(4));
        assert_eq!(backoff.attempts(), 10);
        backoff.reset();
        assert!(backoff.next_wait() <= Duration::from_millis(120));
    }
}
