//! Record batches from `kafka-protocol`'s encoder and from hand-built bytes, read back; and
//! truncated, corrupted or random bytes, which must give errors, never panics.

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records as kp;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::*;

/// A record as the tests expect it back: offset, timestamp, key, value, headers.
type Owned = (
    i64,
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(Vec<u8>, Option<Vec<u8>>)>,
);

fn owned(record: &Record<'_>) -> Owned {
    (
        record.offset,
        record.timestamp,
        record.key.map(<[u8]>::to_vec),
        record.value.map(<[u8]>::to_vec),
        record
            .headers()
            .map(|(name, value)| (name.to_vec(), value.map(<[u8]>::to_vec)))
            .collect(),
    )
}

fn owned_kp(record: &kp::Record) -> Owned {
    (
        record.offset,
        record.timestamp,
        record.key.as_ref().map(|k| k.to_vec()),
        record.value.as_ref().map(|v| v.to_vec()),
        record
            .headers
            .iter()
            .map(|(name, value)| (name.as_bytes().to_vec(), value.as_ref().map(|v| v.to_vec())))
            .collect(),
    )
}

/// Every record of a batch, or the first error.
fn read_all(batch: &RecordBatch) -> Result<Vec<Owned>, RecordsError> {
    batch.records().map(|r| r.map(|r| owned(&r))).collect()
}

/// Everything a reader might look at, to find panics; errors are fine.
fn drain(records: Bytes) {
    let Ok(batches) = read_batches(records) else {
        return;
    };
    for batch in &batches.batches {
        let _ = (
            batch.next_offset(),
            batch.compression(),
            batch.control_marker(),
        );
        let _ = (
            batch.is_control(),
            batch.is_transactional(),
            batch.record_count(),
        );
        let mut records = batch.records();
        for record in records.by_ref() {
            let Ok(record) = record else { continue };
            let _ = record.headers().count();
            let _ = record.header(b"a");
        }
        assert!(records.next().is_none(), "the iterator ends for good");
    }
}

// ---------------------------------------------------------------------------------------------
// kafka-protocol's encoder
// ---------------------------------------------------------------------------------------------

const CODECS: [kp::Compression; 5] = [
    kp::Compression::None,
    kp::Compression::Gzip,
    kp::Compression::Snappy,
    kp::Compression::Lz4,
    kp::Compression::Zstd,
];

fn ours(codec: kp::Compression) -> Compression {
    match codec {
        kp::Compression::None => Compression::None,
        kp::Compression::Gzip => Compression::Gzip,
        kp::Compression::Snappy => Compression::Snappy,
        kp::Compression::Lz4 => Compression::Lz4,
        kp::Compression::Zstd => Compression::Zstd,
    }
}

/// A record to encode: its offset's gap after the previous record (compaction leaves gaps;
/// for a batch's first record, after the previous batch's last),
/// its timestamp after the batch's earliest possible one, key, value, headers.
#[derive(Debug, Clone)]
struct RecordSpec {
    gap: i64,
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

/// A batch to encode.
#[derive(Debug, Clone)]
struct BatchSpec {
    codec: kp::Compression,
    transactional: bool,
    producer_id: i64,
    producer_epoch: i16,
    leader_epoch: i32,
    base_sequence: i32,
    records: Vec<RecordSpec>,
}

fn record_spec() -> impl Strategy<Value = RecordSpec> {
    (
        1i64..4,
        0i64..100_000,
        option::of(vec(any::<u8>(), 0..40)),
        option::of(vec(any::<u8>(), 0..40)),
        vec(("[a-c]{0,3}", option::of(vec(any::<u8>(), 0..10))), 0..3),
    )
        .prop_map(|(gap, timestamp, key, value, headers)| RecordSpec {
            gap,
            timestamp,
            key,
            value,
            headers,
        })
}

fn batch_spec() -> impl Strategy<Value = BatchSpec> {
    (
        0..CODECS.len(),
        any::<bool>(),
        any::<i64>(),
        any::<i16>(),
        any::<i32>(),
        any::<i32>(),
        vec(record_spec(), 1..50),
    )
        .prop_map(
            |(
                codec,
                transactional,
                producer_id,
                producer_epoch,
                leader_epoch,
                base_sequence,
                records,
            )| {
                BatchSpec {
                    codec: CODECS[codec],
                    transactional,
                    producer_id,
                    producer_epoch,
                    leader_epoch,
                    base_sequence,
                    records,
                }
            },
        )
}

/// Batches encoded one after the other, as a Fetch response holds them.
struct Encoded {
    bytes: Bytes,
    /// Where each batch ends in `bytes`.
    ends: Vec<usize>,
    /// The records as kafka-protocol was given them, per batch.
    records: Vec<Vec<kp::Record>>,
}

fn encode(first_offset: i64, first_timestamp: i64, specs: &[BatchSpec]) -> Encoded {
    let mut buf = BytesMut::new();
    let mut ends = Vec::new();
    let mut all = Vec::new();
    let mut offset = first_offset;
    for spec in specs {
        let base_offset = offset;
        let records: Vec<kp::Record> = spec
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i > 0 {
                    offset += r.gap;
                }
                let mut record = kp::Record {
                    transactional: spec.transactional,
                    control: false,
                    delete_horizon: false,
                    partition_leader_epoch: spec.leader_epoch,
                    producer_id: spec.producer_id,
                    producer_epoch: spec.producer_epoch,
                    timestamp_type: kp::TimestampType::Creation,
                    offset,
                    // The encoder starts a new batch when offset - sequence changes.
                    sequence: spec
                        .base_sequence
                        .wrapping_add((offset - base_offset) as i32),
                    timestamp: first_timestamp + r.timestamp,
                    key: r.key.clone().map(Bytes::from),
                    value: r.value.clone().map(Bytes::from),
                    headers: Default::default(),
                };
                for (name, value) in &r.headers {
                    record.headers.insert(
                        StrBytes::from_string(name.clone()),
                        value.clone().map(Bytes::from),
                    );
                }
                record
            })
            .collect();
        kp::RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &kp::RecordEncodeOptions {
                version: 2,
                compression: spec.codec,
            },
        )
        .expect("kafka-protocol encodes");
        ends.push(buf.len());
        all.push(records);
        offset += spec.records[0].gap;
    }
    Encoded {
        bytes: buf.freeze(),
        ends,
        records: all,
    }
}

/// Checks a batch read back against the spec and records it was encoded from.
fn check_batch(batch: &RecordBatch, spec: &BatchSpec, records: &[kp::Record]) {
    let first = &records[0];
    let last = &records[records.len() - 1];
    assert_eq!(batch.base_offset, first.offset);
    assert_eq!(batch.last_offset(), last.offset);
    assert_eq!(batch.next_offset(), last.offset + 1);
    assert_eq!(batch.record_count() as usize, records.len());
    assert_eq!(batch.compression(), ours(spec.codec));
    assert_eq!(batch.is_transactional(), spec.transactional);
    assert!(!batch.is_control());
    assert_eq!(batch.control_marker(), None);
    assert_eq!(batch.partition_leader_epoch, spec.leader_epoch);
    assert_eq!(batch.producer_id, spec.producer_id);
    assert_eq!(batch.producer_epoch, spec.producer_epoch);
    assert_eq!(batch.base_sequence, spec.base_sequence);
    assert_eq!(
        batch.first_timestamp,
        records.iter().map(|r| r.timestamp).min().unwrap()
    );
    assert_eq!(
        batch.max_timestamp,
        records.iter().map(|r| r.timestamp).max().unwrap()
    );
    let expected: Vec<Owned> = records.iter().map(owned_kp).collect();
    assert_eq!(read_all(batch).expect("records read"), expected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever kafka-protocol encodes, with every codec, reads back exactly, in order; and
    /// as kafka-protocol's own decoder reads it.
    #[test]
    fn reads_what_kafka_protocol_encodes(
        first_offset in 0i64..1 << 40,
        first_timestamp in 0i64..1 << 41,
        specs in vec(batch_spec(), 1..4),
    ) {
        let encoded = encode(first_offset, first_timestamp, &specs);
        let batches = read_batches(encoded.bytes.clone()).expect("batches read");
        prop_assert!(!batches.truncated);
        prop_assert_eq!(batches.batches.len(), specs.len());
        for ((batch, spec), records) in batches.batches.iter().zip(&specs).zip(&encoded.records) {
            check_batch(batch, spec, records);
        }
        for pair in batches.batches.windows(2) {
            prop_assert!(pair[0].next_offset() <= pair[1].base_offset);
        }

        let theirs = kp::RecordBatchDecoder::decode_all(&mut encoded.bytes.clone())
            .expect("kafka-protocol decodes");
        prop_assert_eq!(theirs.len(), batches.batches.len());
        for (set, batch) in theirs.iter().zip(&batches.batches) {
            prop_assert_eq!(ours(set.compression), batch.compression());
            let expected: Vec<Owned> = set.records.iter().map(owned_kp).collect();
            prop_assert_eq!(read_all(batch).expect("records read"), expected);
        }
    }

    /// Any prefix of a response holds the batches complete before the cut, and says whether
    /// a batch was cut.
    #[test]
    fn prefixes_give_the_complete_batches(
        specs in vec(batch_spec(), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let encoded = encode(7, 1_700_000_000_000, &specs);
        let cut = cut.index(encoded.bytes.len() + 1);
        let batches = read_batches(encoded.bytes.slice(..cut)).expect("prefix read");
        let complete = encoded.ends.iter().filter(|&&end| end <= cut).count();
        prop_assert_eq!(batches.batches.len(), complete);
        let at_boundary = cut == 0 || encoded.ends.contains(&cut);
        prop_assert_eq!(batches.truncated, !at_boundary);
        for ((batch, spec), records) in batches.batches.iter().zip(&specs).zip(&encoded.records) {
            check_batch(batch, spec, records);
        }
    }

    /// Any one byte changed in the CRC or what it covers is a CRC error, with every codec.
    #[test]
    fn a_changed_byte_fails_the_crc(
        spec in batch_spec(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..,
    ) {
        let encoded = encode(42, 0, &[spec]);
        let mut bytes = encoded.bytes.to_vec();
        let at = CRC_OFFSET + at.index(bytes.len() - CRC_OFFSET);
        bytes[at] ^= mask;
        let result = read_batches(Bytes::from(bytes));
        prop_assert!(
            matches!(result, Err(RecordsError::Crc { base_offset: 42, .. })),
            "{result:?}"
        );
    }

    /// Random bytes never panic.
    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        drain(Bytes::from(bytes));
    }

    /// Random records sections behind a valid header and CRC, with any attributes (so every
    /// codec's decompressor sees garbage too), never panic.
    #[test]
    fn random_records_with_a_valid_crc_never_panic(
        attributes in any::<i16>(),
        record_count in -2i32..60,
        section in vec(any::<u8>(), 0..400),
    ) {
        drain(Bytes::from(raw_batch(attributes, record_count, &section)));
    }

    /// Valid batches with bytes changed after the header and the CRC fixed (so the change gets
    /// past the CRC into the record reader or the decompressor) never panic.
    #[test]
    fn corrupted_records_with_a_valid_crc_never_panic(
        spec in batch_spec(),
        changes in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = encode(0, 0, &[spec]).bytes.to_vec();
        if bytes.len() > RECORDS_OFFSET {
            for (at, byte) in changes {
                let at = RECORDS_OFFSET + at.index(bytes.len() - RECORDS_OFFSET);
                bytes[at] = byte;
            }
        }
        fix_crc(&mut bytes);
        drain(Bytes::from(bytes));
    }
}

/// Every single byte flipped in the CRC-covered part of an uncompressed batch (and in the CRC
/// itself) is caught.
#[test]
fn every_flipped_byte_fails_the_crc() {
    let section = [
        raw_record(0, 0, Some(b"k"), Some(b"v"), &[(b"h", Some(b"x"))]),
        raw_record(1, 3, None, None, &[]),
    ]
    .concat();
    let batch = raw_batch(0, 2, &section);
    assert_eq!(read_all(&only_batch(&batch)).unwrap().len(), 2);
    for at in CRC_OFFSET..batch.len() {
        let mut bytes = batch.clone();
        bytes[at] ^= 0xff;
        let result = read_batches(Bytes::from(bytes));
        assert!(
            matches!(result, Err(RecordsError::Crc { .. })),
            "byte {at}: {result:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-built batches
// ---------------------------------------------------------------------------------------------

const BASE_OFFSET: i64 = 100;
const FIRST_TIMESTAMP: i64 = 1_000;
const MAX_TIMESTAMP: i64 = 9_000;

fn put_varint(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push(zigzag as u8 | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

fn put_nullable(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => put_varint(out, -1),
        Some(bytes) => {
            put_varint(out, bytes.len() as i64);
            out.extend_from_slice(bytes);
        }
    }
}

type RawHeader<'a> = (&'a [u8], Option<&'a [u8]>);

/// One encoded record.
fn raw_record(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[RawHeader<'_>],
) -> Vec<u8> {
    let mut body = vec![0];
    put_varint(&mut body, timestamp_delta);
    put_varint(&mut body, offset_delta.into());
    put_nullable(&mut body, key);
    put_nullable(&mut body, value);
    put_varint(&mut body, headers.len() as i64);
    for &(name, value) in headers {
        put_nullable(&mut body, Some(name));
        put_nullable(&mut body, value);
    }
    let mut record = Vec::new();
    put_varint(&mut record, body.len() as i64);
    record.extend(body);
    record
}

/// A batch at [`BASE_OFFSET`] with these attributes, record count and records section, its
/// length and CRC right.
fn raw_batch(attributes: i16, record_count: i32, section: &[u8]) -> Vec<u8> {
    let mut batch = Vec::new();
    batch.extend(BASE_OFFSET.to_be_bytes());
    batch.extend(0i32.to_be_bytes()); // length, below
    batch.extend(3i32.to_be_bytes()); // partition leader epoch
    batch.push(2); // magic
    batch.extend(0u32.to_be_bytes()); // CRC, below
    batch.extend(attributes.to_be_bytes());
    batch.extend((record_count - 1).max(0).to_be_bytes()); // last offset delta
    batch.extend(FIRST_TIMESTAMP.to_be_bytes());
    batch.extend(MAX_TIMESTAMP.to_be_bytes());
    batch.extend(77i64.to_be_bytes()); // producer id
    batch.extend(1i16.to_be_bytes()); // producer epoch
    batch.extend(0i32.to_be_bytes()); // base sequence
    batch.extend(record_count.to_be_bytes());
    assert_eq!(batch.len(), RECORDS_OFFSET);
    batch.extend_from_slice(section);
    let length = (batch.len() - LOG_OVERHEAD) as i32;
    batch[8..12].copy_from_slice(&length.to_be_bytes());
    fix_crc(&mut batch);
    batch
}

/// Recomputes a batch's CRC after a change.
fn fix_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
    batch[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
}

/// The one batch in these bytes.
fn only_batch(bytes: &[u8]) -> RecordBatch {
    let mut batches = read_batches(Bytes::copy_from_slice(bytes)).expect("batch read");
    assert!(!batches.truncated);
    assert_eq!(batches.batches.len(), 1);
    batches.batches.remove(0)
}

/// A control batch of one marker record with this type.
fn control_batch(marker_type: i16) -> Vec<u8> {
    let mut key = 0i16.to_be_bytes().to_vec(); // version
    key.extend(marker_type.to_be_bytes());
    let value = [0, 0, 0, 0, 0, 5]; // version, coordinator epoch
    let record = raw_record(0, 0, Some(&key), Some(&value), &[]);
    raw_batch(TRANSACTIONAL_FLAG | CONTROL_FLAG, 1, &record)
}

#[test]
fn control_batches_carry_their_marker() {
    let abort = only_batch(&control_batch(0));
    assert!(abort.is_control());
    assert!(abort.is_transactional());
    assert_eq!(abort.control_marker(), Some(ControlMarker::Abort));
    assert_eq!(abort.next_offset(), BASE_OFFSET + 1);

    let commit = only_batch(&control_batch(1));
    assert!(commit.is_control());
    assert_eq!(commit.control_marker(), Some(ControlMarker::Commit));

    assert_eq!(only_batch(&control_batch(7)).control_marker(), None);

    // The same record in a data batch is no marker.
    let mut data = control_batch(1);
    data[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2]
        .copy_from_slice(&TRANSACTIONAL_FLAG.to_be_bytes());
    fix_crc(&mut data);
    let data = only_batch(&data);
    assert!(!data.is_control());
    assert!(data.is_transactional());
    assert_eq!(data.control_marker(), None);

    // A control record without a readable key is no marker either.
    let record = raw_record(0, 0, Some(&[0, 0, 1]), None, &[]);
    let short = only_batch(&raw_batch(CONTROL_FLAG, 1, &record));
    assert_eq!(short.control_marker(), None);
}

/// librdkafka's mock cluster writes its markers with a CRC of 0: a marker so written is read,
/// any other batch so written is refused.
#[test]
fn markers_without_a_crc_are_read_data_without_one_is_not() {
    let mut marker = control_batch(0);
    marker[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&[0; 4]);
    assert_eq!(
        only_batch(&marker).control_marker(),
        Some(ControlMarker::Abort)
    );

    let record = raw_record(0, 0, Some(b"k"), Some(b"v"), &[]);
    let mut data = raw_batch(TRANSACTIONAL_FLAG, 1, &record);
    data[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&[0; 4]);
    let refused = read_batches(Bytes::from(data)).unwrap_err();
    assert!(
        matches!(refused, RecordsError::Crc { stored: 0, .. }),
        "{refused:?}"
    );
}

#[test]
fn log_append_time_gives_every_record_the_max_timestamp() {
    let section = [
        raw_record(0, 0, None, Some(b"a"), &[]),
        raw_record(1, 5, None, Some(b"b"), &[]),
        raw_record(2, 10, None, Some(b"c"), &[]),
    ]
    .concat();

    let create_time = only_batch(&raw_batch(0, 3, &section));
    let timestamps: Vec<i64> = create_time
        .records()
        .map(|r| r.unwrap().timestamp)
        .collect();
    assert_eq!(
        timestamps,
        [FIRST_TIMESTAMP, FIRST_TIMESTAMP + 5, FIRST_TIMESTAMP + 10]
    );

    let append_time = only_batch(&raw_batch(LOG_APPEND_TIME_FLAG, 3, &section));
    let records: Vec<Owned> = read_all(&append_time).unwrap();
    let timestamps: Vec<i64> = records.iter().map(|r| r.1).collect();
    assert_eq!(timestamps, [MAX_TIMESTAMP; 3]);
    let offsets: Vec<i64> = records.iter().map(|r| r.0).collect();
    assert_eq!(offsets, [BASE_OFFSET, BASE_OFFSET + 1, BASE_OFFSET + 2]);
}

#[test]
fn headers_are_read_in_order_and_looked_up_by_name() {
    let headers: [RawHeader<'_>; 4] = [
        (b"a", None),
        (b"a", Some(b"1")),
        (b"b", Some(b"")),
        (b"a", Some(b"2")),
    ];
    let section = raw_record(0, 0, Some(b"key"), None, &headers);
    let batch = only_batch(&raw_batch(0, 1, &section));
    let record = batch.records().next().unwrap().unwrap();
    assert_eq!(record.key, Some(&b"key"[..]));
    assert_eq!(record.value, None);
    let read: Vec<RawHeader<'_>> = record.headers().collect();
    assert_eq!(read, headers);
    assert_eq!(record.header(b"a"), Some(&b"1"[..]));
    assert_eq!(record.header(b"b"), Some(&b""[..]));
    assert_eq!(record.header(b"c"), None);
}

#[test]
fn uncompressed_records_borrow_the_response_buffer() {
    let section = raw_record(0, 0, Some(b"key"), Some(b"value"), &[(b"h", Some(b"x"))]);
    let response = Bytes::from(raw_batch(0, 1, &section));
    let span = response.as_ptr_range();
    let batches = read_batches(response.clone()).unwrap();
    let record = batches.batches[0].records().next().unwrap().unwrap();
    let (name, value) = record.headers().next().unwrap();
    for slice in [
        record.key.unwrap(),
        record.value.unwrap(),
        name,
        value.unwrap(),
    ] {
        assert!(span.contains(&slice.as_ptr()), "{slice:?} is a copy");
    }
}

#[test]
fn empty_response_has_no_batches() {
    let batches = read_batches(Bytes::new()).unwrap();
    assert!(batches.batches.is_empty());
    assert!(!batches.truncated);
}

#[test]
fn empty_compressed_batch_has_no_records() {
    // Compaction can leave a batch without records.
    let batch = only_batch(&raw_batch(2, 0, &[]));
    assert_eq!(batch.compression(), Compression::Snappy);
    assert_eq!(batch.records().count(), 0);
}

#[test]
fn old_message_formats_are_refused() {
    // A v1 message: offset, size, CRC, magic 1, attributes, timestamp, key, value.
    let mut message = Vec::new();
    message.extend(5i64.to_be_bytes());
    message.extend(22i32.to_be_bytes());
    message.extend(0u32.to_be_bytes());
    message.push(1);
    message.push(0);
    message.extend(0i64.to_be_bytes());
    message.extend((-1i32).to_be_bytes());
    message.extend(0i32.to_be_bytes());
    let result = read_batches(Bytes::from(message));
    assert!(
        matches!(
            result,
            Err(RecordsError::UnsupportedMagic {
                base_offset: 5,
                magic: 1
            })
        ),
        "{result:?}"
    );
}

#[test]
fn malformed_headers_are_refused() {
    let malformed = |bytes: Vec<u8>| {
        let result = read_batches(Bytes::from(bytes));
        assert!(
            matches!(
                result,
                Err(RecordsError::Malformed {
                    base_offset: BASE_OFFSET,
                    ..
                })
            ),
            "{result:?}"
        );
    };
    let mut negative_length = raw_batch(0, 0, &[]);
    negative_length[8..12].copy_from_slice(&(-1i32).to_be_bytes());
    malformed(negative_length);
    malformed(raw_batch(0, -1, &[]));
    malformed(raw_batch(5, 0, &[]));
    let mut short = raw_batch(0, 0, &[]);
    short.truncate(40);
    short[8..12].copy_from_slice(&28i32.to_be_bytes());
    malformed(short);
}

#[test]
fn a_cut_batch_after_complete_ones_is_left_out() {
    let one = raw_batch(0, 1, &raw_record(0, 0, None, Some(b"v"), &[]));
    let mut bytes = one.clone();
    bytes.extend_from_slice(&one[..one.len() - 1]);
    let batches = read_batches(Bytes::from(bytes)).unwrap();
    assert_eq!(batches.batches.len(), 1);
    assert!(batches.truncated);
}

/// Reads a batch's records until the first error, and returns what came before it and its
/// reason.
fn records_until_error(batch: &RecordBatch) -> (usize, String) {
    let mut records = batch.records();
    let mut read = 0;
    let reason = loop {
        match records.next() {
            Some(Ok(_)) => read += 1,
            Some(Err(RecordsError::Malformed { reason, .. })) => break reason,
            other => panic!("expected a Malformed error, got {other:?}"),
        }
    };
    assert!(records.next().is_none(), "nothing after an error");
    (read, reason)
}

#[test]
fn malformed_records_are_errors() {
    let record = raw_record(0, 0, Some(b"k"), Some(b"v"), &[(b"h", None)]);

    // Fewer records than announced.
    let batch = only_batch(&raw_batch(0, 3, &[record.clone(), record.clone()].concat()));
    assert_eq!(records_until_error(&batch).0, 2);

    // More bytes than the announced records.
    let batch = only_batch(&raw_batch(0, 1, &[record.clone(), record.clone()].concat()));
    let (read, reason) = records_until_error(&batch);
    assert_eq!(read, 1);
    assert!(reason.contains("after the last"), "{reason}");

    // A record longer than its fields.
    let mut padded = record.clone();
    padded[0] += 2; // length + 1 (zig-zag)
    padded.push(0);
    let batch = only_batch(&raw_batch(0, 1, &padded));
    assert_eq!(records_until_error(&batch).0, 0);

    // A key longer than its record.
    let mut body = vec![0, 0, 0];
    put_varint(&mut body, 50);
    body.extend_from_slice(b"short");
    let mut long_key = Vec::new();
    put_varint(&mut long_key, body.len() as i64);
    long_key.extend(body);
    let batch = only_batch(&raw_batch(0, 1, &long_key));
    assert_eq!(records_until_error(&batch).0, 0);

    // A varint that never ends.
    let batch = only_batch(&raw_batch(0, 1, &[0xff; 12]));
    assert_eq!(records_until_error(&batch).0, 0);
}

#[test]
fn snappy_blocks_declaring_impossible_lengths_are_refused() {
    // Raw Snappy declaring 4 GiB, then the same in xerial framing.
    let raw = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
    let mut framed = XERIAL_HEADER.to_vec();
    framed.extend((raw.len() as u32).to_be_bytes());
    framed.extend(raw);
    for section in [&raw[..], &framed] {
        let result = read_batches(Bytes::from(raw_batch(2, 1, section)));
        assert!(
            matches!(
                result,
                Err(RecordsError::Decompress {
                    codec: Compression::Snappy,
                    ..
                })
            ),
            "{result:?}"
        );
    }
}

#[test]
fn garbage_in_a_compressed_batch_is_a_decompress_error() {
    for (attributes, codec) in [
        (1, Compression::Gzip),
        (3, Compression::Lz4),
        (4, Compression::Zstd),
    ] {
        let result = read_batches(Bytes::from(raw_batch(attributes, 1, b"not compressed")));
        match result {
            Err(RecordsError::Decompress { codec: c, .. }) => assert_eq!(c, codec),
            other => panic!("{codec}: {other:?}"),
        }
    }
}

#[test]
fn offsets_and_timestamps_wrap_instead_of_overflowing() {
    let mut bytes = raw_batch(0, 1, &raw_record(5, i64::MAX, None, None, &[]));
    bytes[..8].copy_from_slice(&i64::MAX.to_be_bytes());
    bytes[23..27].copy_from_slice(&i32::MAX.to_be_bytes());
    fix_crc(&mut bytes);
    let batch = only_batch(&bytes);
    assert_eq!(
        batch.next_offset(),
        i64::MAX.wrapping_add(i64::from(i32::MAX)) + 1
    );
    let record = batch.records().next().unwrap().unwrap();
    assert_eq!(record.offset, i64::MAX.wrapping_add(5));
    assert_eq!(record.timestamp, FIRST_TIMESTAMP.wrapping_add(i64::MAX));
}

#[test]
fn names_and_messages() {
    let names: Vec<String> = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(names, ["none", "gzip", "snappy", "lz4", "zstd"]);
    let crc = RecordsError::Crc {
        base_offset: 5,
        stored: 1,
        computed: 0xdead_beef,
    };
    assert_eq!(
        crc.to_string(),
        "batch at offset 5: CRC mismatch (stored 0x00000001, computed 0xdeadbeef)"
    );
    let magic = RecordsError::UnsupportedMagic {
        base_offset: 5,
        magic: 1,
    };
    assert_eq!(
        magic.to_string(),
        "batch at offset 5: message format v1 is not supported (only v2, Kafka ≥ 0.11)"
    );
}
