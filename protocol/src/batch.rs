//! Kafka record batches (magic 2) as a producer sends them: checked, then stored as sent.
//!
//! The broker never re-encodes records. It checks a batch's frame, checksum, record count, offsets and
//! timestamps (walking the records, decompressed when the batch is compressed, without keeping them), then patches
//! header fields in place: the base offset and the partition leader epoch (outside the checksum), and, for a topic
//! with `message.timestamp.type=LogAppendTime` or a batch whose stated maximum timestamp is wrong, the attributes
//! and maximum timestamp (inside it, so the checksum is recomputed).
//!
//! Layout (big-endian): base offset i64 @0, batch length i32 @8 (bytes after this field), partition leader epoch
//! i32 @12, magic i8 @16, crc u32 @17 (CRC-32C of bytes 21..), attributes i16 @21, last offset delta i32 @23, base
//! timestamp i64 @27, max timestamp i64 @35, producer id i64 @43, producer epoch i16 @51, base sequence i32 @53,
//! record count i32 @57, records @61.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;

/// Bytes before the records.
pub const HEADER_LEN: usize = 61;
/// Bytes before the batch length field counts (Kafka's LOG_OVERHEAD).
const LOG_OVERHEAD: usize = 12;
const CRC_START: usize = 21;

const ATTR_COMPRESSION: i16 = 0x07;
const ATTR_LOG_APPEND_TIME: i16 = 0x08;
const ATTR_TRANSACTIONAL: i16 = 0x10;
const ATTR_CONTROL: i16 = 0x20;

/// No producer id: the batch is not from an idempotent producer.
pub const NO_PRODUCER_ID: i64 = -1;

/// Why a batch is refused, each with the Kafka error code a producer understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Damaged in transit or by the client: a bad checksum or a frame that does not add up.
    #[error("corrupt record batch: {0}")]
    Corrupt(String),
    /// Well framed but breaking a rule (a count that does not match the records, several batches, a control
    /// batch from a client).
    #[error("invalid record batch: {0}")]
    Invalid(String),
    #[error("record batch of {size} bytes exceeds max.message.bytes {max}")]
    TooLarge { size: usize, max: usize },
    #[error("record timestamp {timestamp} is out of range: {why}")]
    Timestamp { timestamp: i64, why: String },
}

impl BatchError {
    pub fn code(&self) -> ResponseError {
        match self {
            BatchError::Corrupt(_) => ResponseError::CorruptMessage,
            BatchError::Invalid(_) => ResponseError::InvalidRecord,
            BatchError::TooLarge { .. } => ResponseError::MessageTooLarge,
            BatchError::Timestamp { .. } => ResponseError::InvalidTimestamp,
        }
    }
}

/// The compression codec named by a batch's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

/// What a checked batch says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInfo {
    /// The whole batch, header included.
    pub size: usize,
    pub count: u32,
    pub codec: Codec,
    pub log_append_time: bool,
    pub transactional: bool,
    pub control: bool,
    pub base_timestamp: i64,
    /// The largest record timestamp, as found in the records.
    pub max_timestamp: i64,
    /// The smallest record timestamp.
    pub min_timestamp: i64,
    /// The offset delta of the first record holding `max_timestamp`.
    pub max_timestamp_delta: u32,
    /// What the header claims as the maximum timestamp.
    pub stated_max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// The positions in the batch of the records without a key: a compacted topic refuses such a batch, naming
    /// them (KIP-467).
    pub keyless_records: Vec<u32>,
}

impl BatchInfo {
    /// The sequence number of the batch's last record (sequences wrap at `i32::MAX`).
    pub fn last_sequence(&self) -> i32 {
        let last = i64::from(self.base_sequence) + i64::from(self.count) - 1;
        if last > i64::from(i32::MAX) {
            (last - i64::from(i32::MAX) - 1) as i32
        } else {
            last as i32
        }
    }
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(x)
}

/// Checks that `records` (a produce request's records for one partition) is exactly one valid magic-2 batch of
/// at most `max_size` bytes, and returns what it says. Never panics on any input.
pub fn check(records: &[u8], max_size: usize) -> Result<BatchInfo, BatchError> {
    if records.len() < HEADER_LEN {
        return Err(BatchError::Corrupt(format!(
            "{} bytes, shorter than the {HEADER_LEN}-byte batch header",
            records.len()
        )));
    }
    let magic = records[16] as i8;
    if magic != 2 {
        return Err(BatchError::Invalid(format!(
            "magic {magic}: produce requests must carry record batches with magic 2"
        )));
    }
    let length = be_i32(records, 8);
    let size = usize::try_from(length)
        .ok()
        .and_then(|l| l.checked_add(LOG_OVERHEAD))
        .filter(|s| *s >= HEADER_LEN)
        .ok_or_else(|| BatchError::Corrupt(format!("batch length {length} is impossible")))?;
    if size > records.len() {
        return Err(BatchError::Corrupt(format!(
            "batch claims {size} bytes but only {} arrived",
            records.len()
        )));
    }
    if size < records.len() {
        return Err(BatchError::Invalid(format!(
            "{} bytes follow the first batch: a produce request carries exactly one batch per partition",
            records.len() - size
        )));
    }
    if size > max_size {
        return Err(BatchError::TooLarge {
            size,
            max: max_size,
        });
    }
    let stated_crc = u32::from_be_bytes([records[17], records[18], records[19], records[20]]);
    let crc = crc32c::crc32c(&records[CRC_START..]);
    // Fuzzing skips the checksum so mutations reach the record walk; everything after it must hold anyway.
    if crc != stated_crc && !cfg!(fuzzing) {
        return Err(BatchError::Corrupt(format!(
            "checksum {crc:#010x} does not match the stated {stated_crc:#010x}"
        )));
    }
    let attributes = be_i16(records, 21);
    let codec = match attributes & ATTR_COMPRESSION {
        0 => Codec::None,
        1 => Codec::Gzip,
        2 => Codec::Snappy,
        3 => Codec::Lz4,
        4 => Codec::Zstd,
        other => {
            return Err(BatchError::Corrupt(format!(
                "unknown compression codec {other}"
            )));
        }
    };
    let last_offset_delta = be_i32(records, 23);
    let count = be_i32(records, 57);
    if count <= 0 {
        return Err(BatchError::Invalid(format!(
            "record count {count}: a batch holds at least one record"
        )));
    }
    if i64::from(last_offset_delta) + 1 != i64::from(count) {
        return Err(BatchError::Invalid(format!(
            "record count {count} does not match the last offset delta {last_offset_delta}"
        )));
    }
    let base_timestamp = be_i64(records, 27);
    let section = &records[HEADER_LEN..];
    let walked = match codec {
        Codec::None => walk(section, count as u32, base_timestamp)?,
        _ => {
            let plain = decompress(codec, section)?;
            walk(&plain, count as u32, base_timestamp)?
        }
    };
    Ok(BatchInfo {
        size,
        count: count as u32,
        codec,
        log_append_time: attributes & ATTR_LOG_APPEND_TIME != 0,
        transactional: attributes & ATTR_TRANSACTIONAL != 0,
        control: attributes & ATTR_CONTROL != 0,
        base_timestamp,
        max_timestamp: walked.max_timestamp,
        min_timestamp: walked.min_timestamp,
        max_timestamp_delta: walked.max_timestamp_delta,
        stated_max_timestamp: be_i64(records, 35),
        producer_id: be_i64(records, 43),
        producer_epoch: be_i16(records, 51),
        base_sequence: be_i32(records, 53),
        keyless_records: walked.keyless,
    })
}

/// What walking the records found.
struct Walked {
    max_timestamp: i64,
    min_timestamp: i64,
    max_timestamp_delta: u32,
    keyless: Vec<u32>,
}

/// Walks `count` records, which must fill `data` exactly, with offset deltas 0, 1, 2, …
fn walk(data: &[u8], count: u32, base_timestamp: i64) -> Result<Walked, BatchError> {
    let mut r = Reader { data, at: 0 };
    let mut w = Walked {
        max_timestamp: i64::MIN,
        min_timestamp: i64::MAX,
        max_timestamp_delta: 0,
        keyless: Vec::new(),
    };
    for i in 0..count {
        let bad = |what: &str| {
            BatchError::Invalid(format!(
                "record {i} of {count}: {what} (the record count does not match the records)"
            ))
        };
        let len = r.varint().ok_or_else(|| bad("no length"))?;
        let len = usize::try_from(len).map_err(|_| bad("negative length"))?;
        let end = r.at.checked_add(len).filter(|e| *e <= data.len());
        let end = end.ok_or_else(|| bad("runs past the end of the batch"))?;
        let mut rec = Reader {
            data: &data[..end],
            at: r.at,
        };
        rec.bytes(1).ok_or_else(|| bad("no attributes"))?;
        let ts_delta = rec.varlong().ok_or_else(|| bad("no timestamp"))?;
        let offset_delta = rec.varint().ok_or_else(|| bad("no offset delta"))?;
        if i64::from(offset_delta) != i64::from(i) {
            return Err(BatchError::Invalid(format!(
                "record {i} has offset delta {offset_delta}; a producer numbers records 0, 1, 2, …"
            )));
        }
        if rec.sized().ok_or_else(|| bad("bad key"))?.is_none() {
            w.keyless.push(i);
        }
        rec.sized().ok_or_else(|| bad("bad value"))?;
        let headers = rec.varint().ok_or_else(|| bad("no header count"))?;
        if headers < 0 {
            return Err(bad("negative header count"));
        }
        for _ in 0..headers {
            let key = rec.varint().ok_or_else(|| bad("bad header key"))?;
            let key = usize::try_from(key).map_err(|_| bad("null header key"))?;
            rec.bytes(key).ok_or_else(|| bad("bad header key"))?;
            rec.sized().ok_or_else(|| bad("bad header value"))?;
        }
        if rec.at != end {
            return Err(bad("its length does not match its fields"));
        }
        r.at = end;
        let ts = base_timestamp.saturating_add(ts_delta);
        if ts > w.max_timestamp {
            w.max_timestamp = ts;
            w.max_timestamp_delta = i;
        }
        w.min_timestamp = w.min_timestamp.min(ts);
    }
    if r.at != data.len() {
        return Err(BatchError::Invalid(format!(
            "{} bytes left after {count} records (the record count does not match the records)",
            data.len() - r.at
        )));
    }
    Ok(w)
}

/// A bounds-checked reader of Kafka's zigzag varints.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varlong(&mut self) -> Option<i64> {
        let mut raw: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = *self.data.get(self.at)?;
            self.at += 1;
            if shift == 63 && b > 1 {
                return None;
            }
            raw |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some((raw >> 1) as i64 ^ -((raw & 1) as i64));
            }
        }
        None
    }

    fn varint(&mut self) -> Option<i32> {
        let v = self.varlong()?;
        i32::try_from(v).ok()
    }

    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.data.len())?;
        let out = &self.data[self.at..end];
        self.at = end;
        Some(out)
    }

    /// A length-prefixed field: `Some(None)` for null (-1), else its byte range.
    fn sized(&mut self) -> Option<Option<std::ops::Range<usize>>> {
        match self.varint()? {
            -1 => Some(None),
            n if n >= 0 => {
                let from = self.at;
                self.bytes(n as usize)?;
                Some(Some(from..self.at))
            }
            _ => None,
        }
    }
}

/// The most a batch's records may decompress to. Checking walks the decompressed records in memory, so this bounds
/// what one produce request can make the broker hold, whatever its compressed size (a "zip bomb" of zeros
/// compresses a thousandfold).
pub const MAX_DECOMPRESSED: usize = 256 << 20;

/// The xerial framing Kafka's Java clients put around snappy: magic, version 1, compatible version 1.
const XERIAL_MAGIC: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";

fn decompress(codec: Codec, data: &[u8]) -> Result<Bytes, BatchError> {
    decompress_bounded(codec, data, MAX_DECOMPRESSED)
}

/// Decompresses a batch's records, refusing to produce more than `limit` bytes.
fn decompress_bounded(codec: Codec, data: &[u8], limit: usize) -> Result<Bytes, BatchError> {
    use std::io::Read;
    let failed = |e: &dyn std::fmt::Display| {
        BatchError::Corrupt(format!("records do not decompress as {codec:?}: {e}"))
    };
    let too_big = || {
        BatchError::Invalid(format!(
            "records decompress to more than {} MiB",
            limit >> 20
        ))
    };
    // Streams read through a bound one byte past the limit, so "exactly at the limit" and "over it" differ.
    let read_bounded = |reader: &mut dyn Read| -> Result<Bytes, BatchError> {
        let mut out = Vec::new();
        reader
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| failed(&e))?;
        if out.len() > limit {
            return Err(too_big());
        }
        Ok(Bytes::from(out))
    };
    let snappy_block = |block: &[u8], out: &mut Vec<u8>| -> Result<(), BatchError> {
        let len = snap::raw::decompress_len(block).map_err(|e| failed(&e))?;
        if len > limit.saturating_sub(out.len()) {
            return Err(too_big());
        }
        let start = out.len();
        out.resize(start + len, 0);
        snap::raw::Decoder::new()
            .decompress(block, &mut out[start..])
            .map_err(|e| failed(&e))?;
        Ok(())
    };
    match codec {
        Codec::None => Ok(Bytes::copy_from_slice(data)),
        Codec::Gzip => read_bounded(&mut flate2::read::GzDecoder::new(data)),
        Codec::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(data).map_err(|e| failed(&e))?;
            read_bounded(&mut d)
        }
        Codec::Lz4 => {
            let mut d = lz4::Decoder::new(data).map_err(|e| failed(&e))?;
            read_bounded(&mut d)
        }
        Codec::Snappy => {
            let mut out = Vec::new();
            match data.strip_prefix(&XERIAL_MAGIC[..]) {
                // Raw snappy, as a client without the framing sends it.
                None => snappy_block(data, &mut out)?,
                Some(mut rest) => {
                    while !rest.is_empty() {
                        let (len, tail) = rest
                            .split_first_chunk::<4>()
                            .ok_or_else(|| failed(&"a block length is cut short"))?;
                        let len = u32::from_be_bytes(*len) as usize;
                        if len > tail.len() {
                            return Err(failed(&"a block is cut short"));
                        }
                        let (block, after) = tail.split_at(len);
                        snappy_block(block, &mut out)?;
                        rest = after;
                    }
                }
            }
            Ok(Bytes::from(out))
        }
    }
}

/// Writes the broker's fields into a checked batch: its base offset and the partition leader epoch. Neither is
/// covered by the checksum.
pub fn stamp(batch: &mut [u8], base_offset: i64, leader_epoch: i32) {
    batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
    batch[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
}

/// Sets the timestamp type and the maximum timestamp (LogAppendTime, or a corrected CreateTime maximum) and
/// recomputes the checksum.
pub fn set_max_timestamp(batch: &mut [u8], log_append_time: bool, timestamp: i64) {
    let mut attributes = be_i16(batch, 21);
    if log_append_time {
        attributes |= ATTR_LOG_APPEND_TIME;
    } else {
        attributes &= !ATTR_LOG_APPEND_TIME;
    }
    batch[21..23].copy_from_slice(&attributes.to_be_bytes());
    batch[35..43].copy_from_slice(&timestamp.to_be_bytes());
    let crc = crc32c::crc32c(&batch[CRC_START..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

/// The header fields a reader needs of a stored batch (written by this broker, so already checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHeader {
    pub base_offset: i64,
    pub leader_epoch: i32,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub log_append_time: bool,
    pub codec_none: bool,
    /// Records in the batch (fewer than the offsets it covers after compaction).
    pub record_count: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// The first record's sequence (-1 for a producer that is not idempotent).
    pub base_sequence: i32,
    /// Part of a transaction.
    pub transactional: bool,
    /// A transaction marker.
    pub control: bool,
}

impl StoredHeader {
    /// The offset after the batch.
    pub fn next_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta) + 1
    }

    /// The last record's sequence (sequences wrap after `i32::MAX`).
    pub fn last_sequence(&self) -> i32 {
        let last = i64::from(self.base_sequence) + i64::from(self.last_offset_delta);
        if last > i64::from(i32::MAX) {
            (last - i64::from(i32::MAX) - 1) as i32
        } else {
            last as i32
        }
    }
}

pub fn stored_header(batch: &[u8]) -> Option<StoredHeader> {
    if batch.len() < HEADER_LEN {
        return None;
    }
    Some(StoredHeader {
        base_offset: be_i64(batch, 0),
        leader_epoch: be_i32(batch, 12),
        last_offset_delta: be_i32(batch, 23),
        base_timestamp: be_i64(batch, 27),
        max_timestamp: be_i64(batch, 35),
        log_append_time: be_i16(batch, 21) & ATTR_LOG_APPEND_TIME != 0,
        codec_none: be_i16(batch, 21) & ATTR_COMPRESSION == 0,
        record_count: be_i32(batch, 57),
        producer_id: be_i64(batch, 43),
        producer_epoch: be_i16(batch, 51),
        base_sequence: be_i32(batch, 53),
        transactional: be_i16(batch, 21) & ATTR_TRANSACTIONAL != 0,
        control: be_i16(batch, 21) & ATTR_CONTROL != 0,
    })
}

/// One record of a stored batch, located in the batch's decompressed records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    pub offset: i64,
    pub timestamp: i64,
    /// The whole record, its length prefix included, in [`StoredRecords::plain`].
    pub bytes: std::ops::Range<usize>,
    /// The key, `None` when null.
    pub key: Option<std::ops::Range<usize>>,
    /// A null value: a delete marker on a compacted topic.
    pub tombstone: bool,
}

/// A stored batch's records, decompressed.
#[derive(Debug, Clone)]
pub struct StoredRecords {
    pub header: StoredHeader,
    pub codec: Codec,
    pub plain: Bytes,
    pub records: Vec<RecordView>,
}

fn codec_of(batch: &[u8]) -> Option<Codec> {
    Some(match be_i16(batch, 21) & ATTR_COMPRESSION {
        0 => Codec::None,
        1 => Codec::Gzip,
        2 => Codec::Snappy,
        3 => Codec::Lz4,
        4 => Codec::Zstd,
        _ => return None,
    })
}

/// Reads a stored batch's records (written by this broker, so checked once already; anything that does not add
/// up gives `None`, never a panic). A LogAppendTime batch gives every record the batch's maximum timestamp.
pub fn stored_records(batch: &[u8]) -> Option<StoredRecords> {
    let header = stored_header(batch)?;
    let codec = codec_of(batch)?;
    let section = batch.get(HEADER_LEN..)?;
    let plain = match codec {
        Codec::None => Bytes::copy_from_slice(section),
        _ => decompress(codec, section).ok()?,
    };
    let count = usize::try_from(header.record_count).ok()?;
    let mut r = Reader {
        data: &plain,
        at: 0,
    };
    let mut records = Vec::with_capacity(count.min(plain.len()));
    for _ in 0..count {
        let from = r.at;
        let len = usize::try_from(r.varint()?).ok()?;
        let end = r.at.checked_add(len).filter(|e| *e <= plain.len())?;
        let mut rec = Reader {
            data: &plain[..end],
            at: r.at,
        };
        rec.bytes(1)?;
        let ts_delta = rec.varlong()?;
        let offset_delta = rec.varint()?;
        let key = rec.sized()?;
        let value = rec.sized()?;
        records.push(RecordView {
            offset: header.base_offset + i64::from(offset_delta),
            timestamp: if header.log_append_time {
                header.max_timestamp
            } else {
                header.base_timestamp.saturating_add(ts_delta)
            },
            bytes: from..end,
            key,
            tombstone: value.is_none(),
        });
        r.at = end;
    }
    Some(StoredRecords {
        header,
        codec,
        plain,
        records,
    })
}

/// `(offset, timestamp)` of each record of a stored batch, in offset order (for lookups by time).
pub fn record_timestamps(batch: &[u8]) -> Option<Vec<(i64, i64)>> {
    Some(
        stored_records(batch)?
            .records
            .iter()
            .map(|r| (r.offset, r.timestamp))
            .collect(),
    )
}

/// The first record holding the largest timestamp among records at `from` or later: `(timestamp, offset)`.
pub fn max_record_from(batch: &[u8], from: i64) -> Option<(i64, i64)> {
    record_timestamps(batch)?
        .into_iter()
        .filter(|(o, _)| *o >= from)
        .fold(None, |m: Option<(i64, i64)>, (o, ts)| match m {
            Some((mts, _)) if mts >= ts => m,
            _ => Some((ts, o)),
        })
}

/// A stored batch holding only `keep` of `records` (a compaction's survivors), with the original's base offset,
/// offset span, attributes, producer fields and compression: the kept records' bytes are copied as they are (their
/// offset and timestamp deltas stay right, as the base offset and base timestamp do not change), then the record
/// count, the maximum timestamp (of a CreateTime batch), the length and the checksum are rewritten.
pub fn rebuild(original: &[u8], records: &StoredRecords, keep: &[usize]) -> Option<Bytes> {
    let mut section = Vec::new();
    for &i in keep {
        section.extend_from_slice(records.plain.get(records.records.get(i)?.bytes.clone())?);
    }
    let section = compress(records.codec, &section)?;
    let mut out = Vec::with_capacity(HEADER_LEN + section.len());
    out.extend_from_slice(original.get(..HEADER_LEN)?);
    out.extend_from_slice(&section);
    let length = i32::try_from(out.len() - LOG_OVERHEAD).ok()?;
    out[8..12].copy_from_slice(&length.to_be_bytes());
    out[57..61].copy_from_slice(&i32::try_from(keep.len()).ok()?.to_be_bytes());
    if !records.header.log_append_time {
        let max = keep
            .iter()
            .filter_map(|i| records.records.get(*i))
            .map(|r| r.timestamp)
            .max()
            .unwrap_or(-1);
        out[35..43].copy_from_slice(&max.to_be_bytes());
    }
    let crc = crc32c::crc32c(&out[CRC_START..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    Some(Bytes::from(out))
}

/// An empty batch covering offsets `base..base+span` (a compaction removed every record there): no records, no
/// timestamps, the producer fields of no producer. Kafka's consumers step over it to the next offset.
pub fn empty(base: i64, span: i32, leader_epoch: i32) -> Bytes {
    let mut out = vec![0u8; HEADER_LEN];
    out[0..8].copy_from_slice(&base.to_be_bytes());
    out[8..12].copy_from_slice(&((HEADER_LEN - LOG_OVERHEAD) as i32).to_be_bytes());
    out[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
    out[16] = 2;
    out[23..27].copy_from_slice(&(span - 1).to_be_bytes());
    out[27..35].copy_from_slice(&(-1i64).to_be_bytes());
    out[35..43].copy_from_slice(&(-1i64).to_be_bytes());
    out[43..51].copy_from_slice(&NO_PRODUCER_ID.to_be_bytes());
    out[51..53].copy_from_slice(&(-1i16).to_be_bytes());
    out[53..57].copy_from_slice(&(-1i32).to_be_bytes());
    let crc = crc32c::crc32c(&out[CRC_START..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    Bytes::from(out)
}

fn compress(codec: Codec, data: &[u8]) -> Option<Vec<u8>> {
    use kafka_protocol::compression::{Compressor, Gzip, Lz4, Snappy, Zstd};
    let run = || -> anyhow::Result<Vec<u8>> {
        let mut out = bytes::BytesMut::new();
        let write = |b: &mut bytes::BytesMut| {
            b.extend_from_slice(data);
            Ok(())
        };
        match codec {
            Codec::None => return Ok(data.to_vec()),
            Codec::Gzip => Gzip::compress(&mut out, write)?,
            Codec::Snappy => Snappy::compress(&mut out, write)?,
            Codec::Lz4 => Lz4::compress(&mut out, write)?,
            Codec::Zstd => Zstd::compress(&mut out, write)?,
        }
        Ok(out.to_vec())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .ok()?
        .ok()
}

/// Batches built as a producer builds them, for tests here and in other crates (feature `testing`).
#[cfg(any(test, feature = "testing"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod testing {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    /// A batch as a producer would send it: `n` records with values `v0`, `v1`, …, timestamps from `ts`.
    pub fn producer_batch(n: usize, ts: i64, compression: Compression) -> BytesMut {
        producer_batch_from(n, ts, compression, -1, -1, -1)
    }

    pub fn producer_batch_from(
        n: usize,
        ts: i64,
        compression: Compression,
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
    ) -> BytesMut {
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id,
                producer_epoch,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                // The encoder keeps records in one batch while offset minus sequence stays the same; without a
                // producer id the batch's base sequence must come out as -1.
                sequence: if base_sequence < 0 {
                    i as i32 - 1
                } else {
                    base_sequence.wrapping_add(i as i32)
                },
                timestamp: ts + i as i64,
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("v{i}"))),
                headers: [(
                    StrBytes::from_static_str("h"),
                    Some(Bytes::from_static(b"x")),
                )]
                .into_iter()
                .collect(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{producer_batch, producer_batch_from};
    use super::*;
    use kafka_protocol::records::Compression;

    fn set_i32(b: &mut [u8], at: usize, v: i32) {
        b[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }

    fn fix_crc(b: &mut [u8]) {
        let crc = crc32c::crc32c(&b[CRC_START..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn a_producer_batch_passes_with_every_codec() {
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let b = producer_batch(5, 1_000, c);
            let info = check(&b, 1 << 20).unwrap_or_else(|e| panic!("{c:?}: {e}"));
            assert_eq!(info.count, 5, "{c:?}");
            assert_eq!(info.size, b.len());
            assert_eq!((info.min_timestamp, info.max_timestamp), (1_000, 1_004));
            assert_eq!(info.max_timestamp_delta, 4);
            assert!(!info.log_append_time && !info.control && !info.transactional);
            assert_eq!(
                record_timestamps(&b).unwrap(),
                [(0, 1_000), (1, 1_001), (2, 1_002), (3, 1_003), (4, 1_004)]
            );
        }
    }

    #[test]
    fn a_flipped_bit_is_a_corrupt_message() {
        let b = producer_batch(3, 0, Compression::None);
        for at in [21, 30, 61, b.len() - 1] {
            let mut bad = b.clone();
            bad[at] ^= 0x10;
            let e = check(&bad, 1 << 20).unwrap_err();
            assert_eq!(e.code(), ResponseError::CorruptMessage, "byte {at}: {e}");
        }
    }

    #[test]
    fn a_lying_record_count_is_an_invalid_record() {
        let b = producer_batch(4, 0, Compression::None);
        // The count alone disagrees with the last offset delta.
        let mut bad = b.clone();
        set_i32(&mut bad, 57, 5);
        fix_crc(&mut bad);
        let e = check(&bad, 1 << 20).unwrap_err();
        assert_eq!(e.code(), ResponseError::InvalidRecord, "{e}");
        // Count and delta agree with each other, not with the records: too many, then too few.
        for claimed in [5, 3] {
            let mut bad = b.clone();
            set_i32(&mut bad, 57, claimed);
            set_i32(&mut bad, 23, claimed - 1);
            fix_crc(&mut bad);
            let e = check(&bad, 1 << 20).unwrap_err();
            assert_eq!(e.code(), ResponseError::InvalidRecord, "{claimed}: {e}");
            assert!(e.to_string().contains("record count"), "{e}");
        }
        // The same lie inside a compressed batch is found too.
        let b = producer_batch(4, 0, Compression::Gzip);
        let mut bad = b.clone();
        set_i32(&mut bad, 57, 3);
        set_i32(&mut bad, 23, 2);
        fix_crc(&mut bad);
        assert_eq!(
            check(&bad, 1 << 20).unwrap_err().code(),
            ResponseError::InvalidRecord
        );
    }

    #[test]
    fn oversized_truncated_and_doubled_batches_get_their_codes() {
        let b = producer_batch(10, 0, Compression::None);
        let e = check(&b, b.len() - 1).unwrap_err();
        assert_eq!(e.code(), ResponseError::MessageTooLarge, "{e}");
        assert!(check(&b, b.len()).is_ok(), "the limit is inclusive");
        let e = check(&b[..b.len() - 1], 1 << 20).unwrap_err();
        assert_eq!(e.code(), ResponseError::CorruptMessage, "{e}");
        let mut two = b.clone();
        two.extend_from_slice(&b);
        let e = check(&two, 1 << 20).unwrap_err();
        assert_eq!(e.code(), ResponseError::InvalidRecord, "{e}");
        let mut v1 = b.clone();
        v1[16] = 1;
        assert_eq!(
            check(&v1, 1 << 20).unwrap_err().code(),
            ResponseError::InvalidRecord
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every prefix, and every single-byte change of a valid batch, with the checksum fixed so the walk runs.
        let b = producer_batch(3, 7, Compression::None);
        for n in 0..b.len() {
            let _ = check(&b[..n], 1 << 20);
        }
        for at in 0..b.len() {
            for v in [0x00, 0x7f, 0x80, 0xff] {
                let mut bad = b.clone();
                bad[at] = v;
                if at >= CRC_START {
                    fix_crc(&mut bad);
                }
                let _ = check(&bad, 1 << 20);
                let _ = record_timestamps(&bad);
                let _ = stored_records(&bad);
            }
        }
        let mut zstd = producer_batch(3, 7, Compression::Zstd);
        zstd[HEADER_LEN] ^= 0xff;
        fix_crc(&mut zstd);
        assert_eq!(
            check(&zstd, 1 << 20).unwrap_err().code(),
            ResponseError::CorruptMessage
        );
    }

    #[test]
    fn stamping_keeps_the_checksum_and_log_append_time_recomputes_it() {
        let mut b = producer_batch(2, 100, Compression::Snappy);
        stamp(&mut b, 4242, 7);
        let info = check(&b, 1 << 20).unwrap();
        let h = stored_header(&b).unwrap();
        assert_eq!((h.base_offset, h.leader_epoch), (4242, 7));
        set_max_timestamp(&mut b, true, 99_999);
        let again = check(&b, 1 << 20).unwrap();
        assert!(again.log_append_time);
        assert_eq!(again.stated_max_timestamp, 99_999);
        assert_eq!(again.count, info.count);
        assert_eq!(
            record_timestamps(&b).unwrap(),
            [(4242, 99_999), (4243, 99_999)]
        );
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        let b = producer_batch_from(3, 0, Compression::None, 9, 0, i32::MAX - 1);
        let info = check(&b, 1 << 20).unwrap();
        assert_eq!((info.producer_id, info.base_sequence), (9, i32::MAX - 1));
        assert_eq!(info.last_sequence(), 0);
    }

    #[test]
    fn decompression_is_bounded_for_every_codec() {
        for c in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let b = producer_batch(2_000, 0, c);
            let codec = match c {
                Compression::Gzip => Codec::Gzip,
                Compression::Snappy => Codec::Snappy,
                Compression::Lz4 => Codec::Lz4,
                _ => Codec::Zstd,
            };
            let section = &b[HEADER_LEN..];
            let plain = decompress_bounded(codec, section, usize::MAX >> 1).unwrap();
            assert!(plain.len() > 10_000, "{c:?}");
            assert_eq!(
                decompress_bounded(codec, section, plain.len()).unwrap(),
                plain,
                "{c:?}: exactly at the limit"
            );
            let e = decompress_bounded(codec, section, plain.len() - 1).unwrap_err();
            assert!(
                e.to_string().contains("decompress to more than"),
                "{c:?}: {e}"
            );
        }
    }

    #[test]
    fn a_rebuilt_batch_keeps_its_offsets_and_codec_and_passes_a_consumers_decoder() {
        use kafka_protocol::records::RecordBatchDecoder;
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Lz4,
            Compression::Zstd,
            Compression::Snappy,
        ] {
            let mut b = producer_batch(5, 1_000, c);
            stamp(&mut b, 100, 3);
            let recs = stored_records(&b).unwrap();
            assert_eq!(recs.records.len(), 5);
            assert_eq!(&recs.plain[recs.records[2].key.clone().unwrap()], b"k2");
            assert!(!recs.records[2].tombstone);
            let kept = rebuild(&b, &recs, &[1, 3]).unwrap();
            let h = stored_header(&kept).unwrap();
            assert_eq!(
                (h.base_offset, h.next_offset(), h.record_count),
                (100, 105, 2),
                "{c:?}"
            );
            assert_eq!(h.max_timestamp, 1_003);
            assert_eq!(
                record_timestamps(&kept).unwrap(),
                [(101, 1_001), (103, 1_003)]
            );
            let mut bytes = kept.clone();
            let sets = RecordBatchDecoder::decode_all(&mut bytes).unwrap();
            let offsets: Vec<i64> = sets[0].records.iter().map(|r| r.offset).collect();
            assert_eq!(offsets, [101, 103], "{c:?}");
            assert_eq!(max_record_from(&b, 2 + 100), Some((1_004, 104)));
        }
        let e = empty(10, 4, 2);
        let h = stored_header(&e).unwrap();
        assert_eq!(
            (h.base_offset, h.next_offset(), h.record_count),
            (10, 14, 0)
        );
        assert_eq!(record_timestamps(&e).unwrap(), []);
        let mut bytes = e.clone();
        let sets = RecordBatchDecoder::decode_all(&mut bytes).unwrap();
        assert!(sets[0].records.is_empty());
        assert!(
            check(&producer_batch(2, 0, Compression::None), 1 << 20)
                .map(|i| i.keyless_records.is_empty())
                .unwrap()
        );
    }
}
