//! How many bytes a partition's next fetch asks for, so that a record larger than the usual
//! fetch never stalls a partition.
//!
//! Kafka answers a fetch whose first record is larger than the fetch size with that record
//! anyway (KIP-74); some Kafka-compatible brokers answer nothing instead (docs/brokers.md), so a
//! reader would ask for the same offset forever. As librdkafka does, an answer without records
//! below the high watermark doubles the size of the next fetch of that partition, up to a
//! maximum (Kafka's `fetch.max.bytes` by default); the first answer with records brings it back
//! to the usual size, for memory.

/// Kafka's default `fetch.max.bytes`: the largest fetch a partition grows to.
pub const DEFAULT_MAX_BYTES: i32 = 50 * 1024 * 1024;

/// What one fetch's answer says about the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Records came back, or the partition has nothing more: the usual size again.
    Records,
    /// Nothing came back below the high watermark: the next fetch asks for this many bytes.
    Grown(i32),
    /// Nothing came back even at the maximum size: no record at this offset fits (or the broker
    /// withholds it). The caller says so loudly and retries later.
    Stuck,
}

/// The fetch size of one partition.
#[derive(Debug, Clone)]
pub struct FetchSize {
    usual: i32,
    max: i32,
    current: i32,
}

impl FetchSize {
    /// Fetches of `usual` bytes, growing to `max` (at least `usual`) when a record needs it.
    pub fn new(usual: i32, max: i32) -> FetchSize {
        FetchSize {
            usual,
            max: max.max(usual),
            current: usual,
        }
    }

    /// The bytes to ask for in the next fetch.
    pub fn bytes(&self) -> i32 {
        self.current
    }

    /// Takes the answer to a fetch at `offset`: whether it held records, and the partition's
    /// high watermark.
    pub fn after(&mut self, offset: i64, got_records: bool, high_watermark: i64) -> Answer {
        if got_records || offset >= high_watermark {
            self.current = self.usual;
            return Answer::Records;
        }
        if self.current >= self.max {
            return Answer::Stuck;
        }
        self.current = self.current.saturating_mul(2).min(self.max);
        Answer::Grown(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_answer_below_the_watermark_doubles_up_to_the_maximum() {
        let mut size = FetchSize::new(512, 2048);
        assert_eq!(size.after(10, false, 11), Answer::Grown(1024));
        assert_eq!(size.after(10, false, 11), Answer::Grown(2048));
        assert_eq!(size.bytes(), 2048);
        assert_eq!(size.after(10, false, 11), Answer::Stuck);
        assert_eq!(size.after(10, true, 11), Answer::Records);
        assert_eq!(size.bytes(), 512, "back to the usual size after records");
    }

    #[test]
    fn an_empty_answer_at_the_end_of_the_partition_is_not_a_stall() {
        let mut size = FetchSize::new(512, 2048);
        assert_eq!(size.after(11, false, 11), Answer::Records);
        assert_eq!(size.bytes(), 512);
    }

    #[test]
    fn the_maximum_is_never_below_the_usual_size() {
        let mut size = FetchSize::new(4096, 1024);
        assert_eq!(size.after(0, false, 5), Answer::Stuck);
        assert_eq!(size.bytes(), 4096);
    }
}
