//! Kafka record batches (message format v2, the `records` field of a Fetch response) decoded
//! without copying keys, values or headers.
//!
//! The `kafka-protocol` crate decodes a batch into owned `Record`s, each with its own
//! `IndexMap` of headers: an allocation or more per record, which a reader of millions of
//! records pays for nothing when it only looks at a few fields. This module decodes the same
//! bytes lazily instead:
//! - [`read_batches`] splits a Fetch response's records into [`RecordBatch`]es, checks each
//!   one's CRC-32C and decompresses it once, with `kafka-protocol`'s decompressors (gzip,
//!   Snappy with Kafka's xerial framing, LZ4 frames, zstd). An uncompressed batch keeps a slice
//!   of the response buffer; a compressed one, its decompressed records.
//! - [`RecordBatch::records`] reads the records one at a time as [`Record`]s whose key, value
//!   and headers are slices of that buffer; [`Record::headers`] reads the headers as they are
//!   iterated, without a map.
//!
//! Also handled: control batches (transaction markers, [`RecordBatch::control_marker`]),
//! log-append-time timestamps, and the partial batch a broker leaves at the end of a response
//! cut at its byte limit ([`Batches::truncated`]). Nothing here panics on any input: every
//! length is checked against what is left, and offsets and timestamps wrap rather than
//! overflow. Message sets older than v2 (Kafka < 0.11) are refused.

use std::fmt;
use std::iter::FusedIterator;

use bytes::Bytes;
use kafka_protocol::compression::{Decompressor, Gzip, Lz4, Snappy, Zstd};

/// Bytes before a batch's length field ends: base offset (8) and batch length (4).
const LOG_OVERHEAD: usize = 12;
/// Where the magic byte (format version) sits in a batch, in every format version.
const MAGIC_OFFSET: usize = 16;
/// Where the CRC sits in a v2 batch.
const CRC_OFFSET: usize = 17;
/// Where the attributes sit in a v2 batch: the CRC covers everything from here on.
const ATTRIBUTES_OFFSET: usize = 21;
/// The size of a v2 batch header: where the records start.
const RECORDS_OFFSET: usize = 61;

/// Whether a batch is a transaction marker written without a CRC (stored as 0), as
/// librdkafka's mock cluster writes its markers (docs/brokers.md). Such a marker is read
/// anyway, as librdkafka reads it (its `check.crcs` is off by default): it is never handed to
/// a reader, and a zero CRC is not what corruption leaves.
fn is_unsummed_marker(stored: u32, attributes: i16) -> bool {
    stored == 0 && attributes & CONTROL_FLAG != 0
}

/// Attribute bits 0–2: the codec.
const COMPRESSION_MASK: i16 = 0x07;
/// Attribute bit 3: timestamps are the broker's log-append time.
const LOG_APPEND_TIME_FLAG: i16 = 1 << 3;
/// Attribute bit 4: the batch belongs to a transaction.
const TRANSACTIONAL_FLAG: i16 = 1 << 4;
/// Attribute bit 5: the batch holds a control record (a transaction marker).
const CONTROL_FLAG: i16 = 1 << 5;

/// Why a batch cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The batch's bytes are not what its producer wrote: its CRC-32C does not match.
    #[error("batch at offset {base_offset}: CRC mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    Crc {
        /// The batch's base offset.
        base_offset: i64,
        /// The CRC stored in the batch header.
        stored: u32,
        /// The CRC of the batch's bytes.
        computed: u32,
    },
    /// A message set older than v2, which this reader does not decode.
    #[error("batch at offset {base_offset}: message format v{magic} is not supported (only v2, Kafka ≥ 0.11)")]
    UnsupportedMagic {
        /// The batch's base offset.
        base_offset: i64,
        /// The batch's format version (magic byte).
        magic: i8,
    },
    /// The batch's records do not decompress with its codec.
    #[error("batch at offset {base_offset}: cannot decompress its {codec} records: {reason}")]
    Decompress {
        /// The batch's base offset.
        base_offset: i64,
        /// The batch's codec.
        codec: Compression,
        /// What the decompressor said.
        reason: String,
    },
    /// The batch or one of its records is not laid out as format v2 says: bad lengths,
    /// varints or counts, an unknown codec, fewer or more records than the header says.
    #[error("batch at offset {base_offset}: malformed: {reason}")]
    Malformed {
        /// The batch's base offset.
        base_offset: i64,
        /// What is wrong, and where.
        reason: String,
    },
}

/// The codec of a batch: its records section is compressed as a whole with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Records stored as they are.
    None,
    /// gzip (deflate).
    Gzip,
    /// Snappy, in the xerial framing Kafka's Java clients write (raw Snappy is read too).
    Snappy,
    /// LZ4, frame format.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The codec named by a batch's attributes, if any.
    fn from_attributes(attributes: i16) -> Option<Compression> {
        match attributes & COMPRESSION_MASK {
            0 => Some(Compression::None),
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Snappy),
            3 => Some(Compression::Lz4),
            4 => Some(Compression::Zstd),
            _ => None,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        })
    }
}

/// The marker a control batch carries: how a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlMarker {
    /// The transaction was aborted: its records are to be skipped by `read_committed` readers.
    Abort,
    /// The transaction was committed.
    Commit,
}

/// Record batches read from a Fetch response, in order.
#[derive(Debug, Default)]
pub struct Batches {
    /// The complete batches.
    pub batches: Vec<RecordBatch>,
    /// Whether the response ended with part of a batch, left out: brokers cut responses at
    /// the fetch's byte limit, so the next fetch starts where the last complete batch ends.
    pub truncated: bool,
}

/// Splits a Fetch response's records into batches: checks each one's CRC, decompresses it.
///
/// A partial batch at the end (brokers cut responses at the byte limit) is not an error: it
/// is left out, and [`Batches::truncated`] says so. Batches are returned in order. The first
/// batch that cannot be read is the error, whatever came before it.
pub fn read_batches(records: Bytes) -> Result<Batches, RecordsError> {
    let mut out = Batches::default();
    let mut pos = 0;
    while pos < records.len() {
        let rest = &records[pos..];
        if rest.len() < LOG_OVERHEAD {
            out.truncated = true;
            break;
        }
        let base_offset = be_i64(rest, 0);
        let batch_length = be_i32(rest, 8);
        let Ok(batch_length) = usize::try_from(batch_length) else {
            return Err(RecordsError::Malformed {
                base_offset,
                reason: format!("negative batch length {batch_length}"),
            });
        };
        let Some(size) = LOG_OVERHEAD.checked_add(batch_length) else {
            return Err(RecordsError::Malformed {
                base_offset,
                reason: format!("batch length {batch_length} overflows"),
            });
        };
        if rest.len() < size {
            out.truncated = true;
            break;
        }
        out.batches
            .push(RecordBatch::read(records.slice(pos..pos + size))?);
        pos += size;
    }
    Ok(out)
}

/// One record batch, checked (CRC) and decompressed; its records are read lazily.
#[derive(Debug, Clone)]
pub struct RecordBatch {
    /// The offset of the batch's first record (before compaction).
    pub base_offset: i64,
    /// The leader epoch of the partition when the batch was appended.
    pub partition_leader_epoch: i32,
    /// The offset of the batch's last record (before compaction), from `base_offset`.
    pub last_offset_delta: i32,
    /// The timestamp its records' deltas count from (the earliest record's, when created).
    pub first_timestamp: i64,
    /// The latest timestamp in the batch; every record's, with log-append time.
    pub max_timestamp: i64,
    /// The idempotent or transactional producer's id, -1 without one.
    pub producer_id: i64,
    /// That producer's epoch, -1 without one.
    pub producer_epoch: i16,
    /// The producer's sequence number of the first record, -1 without one.
    pub base_sequence: i32,
    attributes: i16,
    record_count: i32,
    /// The records section, decompressed.
    records: Bytes,
}

impl RecordBatch {
    /// Reads one whole batch (from its base offset field to its end): checks its magic byte,
    /// header size and CRC, and decompresses its records.
    fn read(batch: Bytes) -> Result<RecordBatch, RecordsError> {
        let base_offset = be_i64(&batch, 0);
        let malformed = |reason: String| RecordsError::Malformed {
            base_offset,
            reason,
        };
        let Some(&magic) = batch.get(MAGIC_OFFSET) else {
            return Err(malformed(format!(
                "batch of {} bytes ends before its magic byte",
                batch.len()
            )));
        };
        let magic = magic as i8;
        if magic != 2 {
            return Err(RecordsError::UnsupportedMagic { base_offset, magic });
        }
        if batch.len() < RECORDS_OFFSET {
            return Err(malformed(format!(
                "batch of {} bytes is shorter than a v2 batch header ({RECORDS_OFFSET} bytes)",
                batch.len()
            )));
        }
        let stored = be_u32(&batch, CRC_OFFSET);
        let computed = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
        let attributes = be_i16(&batch, ATTRIBUTES_OFFSET);
        if stored != computed && !is_unsummed_marker(stored, attributes) {
            return Err(RecordsError::Crc {
                base_offset,
                stored,
                computed,
            });
        }
        let Some(codec) = Compression::from_attributes(attributes) else {
            return Err(malformed(format!(
                "unknown compression codec {}",
                attributes & COMPRESSION_MASK
            )));
        };
        let record_count = be_i32(&batch, 57);
        if record_count < 0 {
            return Err(malformed(format!("negative record count {record_count}")));
        }
        let section = batch.slice(RECORDS_OFFSET..);
        // An empty batch (compaction keeps some, for producer state) has nothing to decompress.
        let records = if codec == Compression::None || (record_count == 0 && section.is_empty()) {
            section
        } else {
            decompress(codec, section).map_err(|reason| RecordsError::Decompress {
                base_offset,
                codec,
                reason,
            })?
        };
        Ok(RecordBatch {
            base_offset,
            partition_leader_epoch: be_i32(&batch, 12),
            last_offset_delta: be_i32(&batch, 23),
            first_timestamp: be_i64(&batch, 27),
            max_timestamp: be_i64(&batch, 35),
            producer_id: be_i64(&batch, 43),
            producer_epoch: be_i16(&batch, 51),
            base_sequence: be_i32(&batch, 53),
            attributes,
            record_count,
            records,
        })
    }

    /// The offset of the batch's last record (before compaction).
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
    }

    /// The offset after the batch: where the next fetch starts, even when compaction removed
    /// the batch's last records.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// The batch's codec.
    pub fn compression(&self) -> Compression {
        // `read` refused the codecs this cannot name.
        Compression::from_attributes(self.attributes).unwrap_or(Compression::None)
    }

    /// Whether the batch belongs to a transaction (attribute bit 4): a `read_committed`
    /// reader keeps it only if a commit marker follows.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_FLAG != 0
    }

    /// Whether the batch is a control batch (attribute bit 5): a transaction marker, not
    /// application records.
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_FLAG != 0
    }

    /// Whether the records' timestamps are the broker's log-append time (attribute bit 3).
    fn log_append_time(&self) -> bool {
        self.attributes & LOG_APPEND_TIME_FLAG != 0
    }

    /// The number of records the batch header announces, which [`records`](Self::records)
    /// yields.
    pub fn record_count(&self) -> i32 {
        self.record_count
    }

    /// For a control batch: its marker (the first record's key: i16 version, i16 type;
    /// 0 = abort, 1 = commit). None for data batches, an unknown type, or a key that cannot
    /// be read.
    pub fn control_marker(&self) -> Option<ControlMarker> {
        if !self.is_control() {
            return None;
        }
        let key = self.records().next()?.ok()?.key?;
        let [v0, v1, t0, t1, ..] = *key else {
            return None;
        };
        if i16::from_be_bytes([v0, v1]) < 0 {
            return None;
        }
        match i16::from_be_bytes([t0, t1]) {
            0 => Some(ControlMarker::Abort),
            1 => Some(ControlMarker::Commit),
            _ => None,
        }
    }

    /// The records, decoded as they are iterated; each borrows from the batch.
    pub fn records(&self) -> Records<'_> {
        Records {
            data: &self.records,
            left: self.record_count,
            index: 0,
            base_offset: self.base_offset,
            first_timestamp: self.first_timestamp,
            log_append_time: self.log_append_time().then_some(self.max_timestamp),
            done: false,
        }
    }
}

/// A batch's records, read as they are iterated.
///
/// Yields exactly [`RecordBatch::record_count`] records. A record that cannot be read is a
/// [`RecordsError::Malformed`], and so is a records section that ends before the last record
/// or goes on after it; after an error the iterator yields `None`.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    /// The records section not read yet.
    data: &'a [u8],
    /// The records still to yield.
    left: i32,
    /// The index of the next record in the batch, for errors.
    index: i32,
    base_offset: i64,
    first_timestamp: i64,
    /// Every record's timestamp, when the batch has log-append time.
    log_append_time: Option<i64>,
    /// Whether an error or the end was reached.
    done: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.left <= 0 {
            self.done = true;
            if self.data.is_empty() {
                return None;
            }
            return Some(Err(RecordsError::Malformed {
                base_offset: self.base_offset,
                reason: format!(
                    "{} bytes after the last of its {} records",
                    self.data.len(),
                    self.index
                ),
            }));
        }
        match read_record(&mut self.data) {
            Ok(raw) => {
                self.left -= 1;
                self.index += 1;
                Some(Ok(Record {
                    offset: self.base_offset.wrapping_add(i64::from(raw.offset_delta)),
                    timestamp: self
                        .log_append_time
                        .unwrap_or_else(|| self.first_timestamp.wrapping_add(raw.timestamp_delta)),
                    key: raw.key,
                    value: raw.value,
                    headers: raw.headers,
                    header_count: raw.header_count,
                }))
            }
            Err(reason) => {
                self.done = true;
                Some(Err(RecordsError::Malformed {
                    base_offset: self.base_offset,
                    reason: format!("record {}: {reason}", self.index),
                }))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        // Each record left, and perhaps one error.
        let left = usize::try_from(self.left).unwrap_or(0);
        (0, left.checked_add(1))
    }
}

impl FusedIterator for Records<'_> {}

/// One record: slices of the batch's buffer, nothing copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's offset in its partition.
    pub offset: i64,
    /// The record's timestamp (ms since the epoch): its creation time as the producer set it,
    /// or the broker's log-append time if the topic says so.
    pub timestamp: i64,
    /// The record's key; None for a null key.
    pub key: Option<&'a [u8]>,
    /// The record's value; None for a null value (a tombstone).
    pub value: Option<&'a [u8]>,
    /// The encoded headers (checked when the record was read).
    headers: &'a [u8],
    header_count: i32,
}

impl<'a> Record<'a> {
    /// The record's headers in order, as (name, value) pairs; a value is None when null.
    pub fn headers(&self) -> Headers<'a> {
        Headers {
            data: self.headers,
            left: self.header_count,
        }
    }

    /// The value of the first header with that name whose value is not null.
    pub fn header(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.headers()
            .find(|&(n, v)| n == name && v.is_some())
            .and_then(|(_, v)| v)
    }
}

/// A record's headers, read as they are iterated: (name, value) pairs, a value None when null.
///
/// Stops at the last header, or at malformed data (which [`Records`] already refuses).
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    data: &'a [u8],
    left: i32,
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left <= 0 {
            return None;
        }
        match read_header(&mut self.data) {
            Ok(header) => {
                self.left -= 1;
                Some(header)
            }
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::try_from(self.left).unwrap_or(0)))
    }
}

impl FusedIterator for Headers<'_> {}

/// A record as it is encoded, before its deltas are applied.
struct RawRecord<'a> {
    timestamp_delta: i64,
    offset_delta: i32,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    headers: &'a [u8],
    header_count: i32,
}

/// Reads one record from the front of `data`, checking that its fields fill exactly its
/// length; headers included.
fn read_record<'a>(data: &mut &'a [u8]) -> Result<RawRecord<'a>, String> {
    let length = read_varint(data, "record length")?;
    let length = usize::try_from(length).map_err(|_| format!("negative length {length}"))?;
    if data.len() < length {
        return Err(format!(
            "length {length} but only {} bytes left in the batch",
            data.len()
        ));
    }
    let (mut body, rest) = data.split_at(length);
    *data = rest;

    let Some((_attributes, after)) = body.split_first() else {
        return Err("empty record".to_string());
    };
    body = after;
    let timestamp_delta = read_varlong(&mut body, "timestamp delta")?;
    let offset_delta = read_varint(&mut body, "offset delta")?;
    let key = read_nullable(&mut body, "key")?;
    let value = read_nullable(&mut body, "value")?;
    let header_count = read_varint(&mut body, "header count")?;
    if header_count < 0 {
        return Err(format!("negative header count {header_count}"));
    }
    let headers = body;
    // Each header takes at least two bytes, so this loop ends with the record's bytes.
    for i in 0..header_count {
        read_header(&mut body).map_err(|reason| format!("header {i}: {reason}"))?;
    }
    if !body.is_empty() {
        return Err(format!(
            "{} bytes after its {header_count} headers",
            body.len()
        ));
    }
    Ok(RawRecord {
        timestamp_delta,
        offset_delta,
        key,
        value,
        headers,
        header_count,
    })
}

/// Reads one header from the front of `data`: its name (never null) and value.
fn read_header<'a>(data: &mut &'a [u8]) -> Result<(&'a [u8], Option<&'a [u8]>), String> {
    let name = read_nullable(data, "header name")?.ok_or("null header name")?;
    let value = read_nullable(data, "header value")?;
    Ok((name, value))
}

/// Reads a varint length (-1 for null) and that many bytes from the front of `data`.
fn read_nullable<'a>(data: &mut &'a [u8], what: &str) -> Result<Option<&'a [u8]>, String> {
    let length = read_varint(data, what)?;
    if length == -1 {
        return Ok(None);
    }
    let length = usize::try_from(length).map_err(|_| format!("{what}: length {length}"))?;
    if data.len() < length {
        return Err(format!(
            "{what}: length {length} but only {} bytes left",
            data.len()
        ));
    }
    let (bytes, rest) = data.split_at(length);
    *data = rest;
    Ok(Some(bytes))
}

/// Reads a zig-zag varint (at most 5 bytes, as Kafka writes an i32) from the front of `data`.
fn read_varint(data: &mut &[u8], what: &str) -> Result<i32, String> {
    // Like Kafka, bits past the 32nd of the fifth byte are ignored.
    let raw = read_unsigned(data, 5).ok_or_else(|| format!("{what}: bad varint"))? as u32;
    Ok((raw >> 1) as i32 ^ -((raw & 1) as i32))
}

/// Reads a zig-zag varlong (at most 10 bytes, as Kafka writes an i64) from the front of `data`.
fn read_varlong(data: &mut &[u8], what: &str) -> Result<i64, String> {
    let raw = read_unsigned(data, 10).ok_or_else(|| format!("{what}: bad varlong"))?;
    Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
}

/// Reads an unsigned LEB128 number of at most `max_bytes` bytes from the front of `data`;
/// None if `data` ends first or the number goes on longer.
fn read_unsigned(data: &mut &[u8], max_bytes: u32) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..max_bytes {
        let (&byte, rest) = data.split_first()?;
        *data = rest;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Decompresses a batch's records section with `kafka-protocol`'s decompressor for `codec`.
fn decompress(codec: Compression, mut data: Bytes) -> Result<Bytes, String> {
    let result = match codec {
        Compression::None => return Ok(data),
        Compression::Gzip => Gzip::decompress(&mut data, |out: &mut Bytes| Ok(std::mem::take(out))),
        Compression::Snappy => {
            check_snappy_lengths(&data)?;
            Snappy::decompress(&mut data, |out: &mut Bytes| Ok(std::mem::take(out)))
        }
        Compression::Lz4 => Lz4::decompress(&mut data, |out: &mut Bytes| Ok(std::mem::take(out))),
        Compression::Zstd => Zstd::decompress(&mut data, |out: &mut Bytes| Ok(std::mem::take(out))),
    };
    result.map_err(|e| format!("{e:#}"))
}

/// The header of Snappy's xerial framing (magic, version 1, compatible version 1), as Kafka's
/// Java clients write it and as `kafka-protocol` recognises it: without it, data is raw Snappy.
const XERIAL_HEADER: &[u8] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";
/// More bytes than Snappy can produce per compressed byte: its densest element, a copy with a
/// 2-byte offset, makes at most 64 bytes out of 3.
const SNAPPY_MAX_EXPANSION: u64 = 32;

/// Refuses Snappy data that declares more uncompressed bytes than it could hold, before the
/// decompressor allocates them: a Snappy block starts with its uncompressed length (up to
/// 4 GiB), which the decompressor would otherwise trust. Framing it cannot follow is left to
/// the decompressor to report.
fn check_snappy_lengths(data: &[u8]) -> Result<(), String> {
    let check = |block: &[u8]| {
        let mut header = block;
        match read_unsigned(&mut header, 10) {
            Some(declared)
                if declared > (block.len() as u64).saturating_mul(SNAPPY_MAX_EXPANSION) =>
            {
                Err(format!(
                    "a snappy block of {} bytes declares {declared} uncompressed bytes",
                    block.len()
                ))
            }
            _ => Ok(()),
        }
    };
    let Some(mut rest) = data.strip_prefix(XERIAL_HEADER) else {
        return check(data);
    };
    while let Some((length, after)) = rest.split_first_chunk::<4>() {
        let length = u32::from_be_bytes(*length) as usize;
        let Some(block) = after.get(..length) else {
            break;
        };
        check(block)?;
        rest = &after[length..];
    }
    Ok(())
}

/// The big-endian i16 at `at`; the caller checked the length.
fn be_i16(bytes: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([bytes[at], bytes[at + 1]])
}

/// The big-endian i32 at `at`; the caller checked the length.
fn be_i32(bytes: &[u8], at: usize) -> i32 {
    be_u32(bytes, at) as i32
}

/// The big-endian u32 at `at`; the caller checked the length.
fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// The big-endian i64 at `at`; the caller checked the length.
fn be_i64(bytes: &[u8], at: usize) -> i64 {
    (u64::from(be_u32(bytes, at)) << 32 | u64::from(be_u32(bytes, at + 4))) as i64
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
