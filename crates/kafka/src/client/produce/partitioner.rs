//! Kafka's default partitioner for keyed records, so that our producer puts a user's events on
//! the same partition as a Java or librdkafka (`murmur2_random`) producer would.

/// The partition of `key` among `partitions`: `(murmur2(key) & 0x7fffffff) % partitions`.
pub fn partition_for_key(key: &[u8], partitions: usize) -> usize {
    (murmur2(key) & 0x7fff_ffff) as usize % partitions.max(1)
}

/// Kafka's 32-bit murmur2 hash (seed `0x9747b28c`), as in `org.apache.kafka.common.utils.Utils`.
pub fn murmur2(data: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h: u32 = 0x9747_b28c ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from Kafka's own `UtilsTest.testMurmur2` (as signed Java ints).
    #[test]
    fn matches_kafka_reference_hashes() {
        let cases: [(&str, i32); 4] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
        ];
        for (input, expected) in cases {
            assert_eq!(murmur2(input.as_bytes()) as i32, expected, "{input}");
        }
    }

    #[test]
    fn partition_is_stable_and_in_range() {
        for n in 1..=12 {
            let p = partition_for_key(b"user3", n);
            assert!(p < n);
            assert_eq!(p, partition_for_key(b"user3", n));
        }
    }
}
