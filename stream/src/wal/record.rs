//! The record framing both WAL kinds share: a fixed 36-byte header and the payload, sealed by a CRC32C over both.
//!
//! ```text
//! crc32c u32 | stream u64 | stream_epoch u64 | base_offset u64 | count u32 | payload_len u32 | payload
//! ```
//! Little-endian. The CRC covers every header byte after itself and the payload, so a record read back either
//! checks whole or is rejected. The containers (file frames, WAL objects) say how many records follow.

use bytes::Bytes;

use super::WalRecord;
use crate::error::{Error, Result};

pub(crate) const RECORD_HEADER_LEN: usize = 36;

/// A record ready to write: its header (with the CRC already computed, on the appending task, not the writer) and
/// its payload, shared rather than copied.
#[derive(Debug, Clone)]
pub(crate) struct EncodedRecord {
    header: [u8; RECORD_HEADER_LEN],
    payload: Bytes,
}

impl EncodedRecord {
    pub(crate) fn encode(record: &WalRecord) -> Result<Self> {
        let payload = record.batch.payload.clone();
        let payload_len = u32::try_from(payload.len()).map_err(|_| {
            Error::Invalid(format!(
                "a WAL record payload of {} bytes is over 4 GiB",
                payload.len()
            ))
        })?;
        let mut header = [0u8; RECORD_HEADER_LEN];
        header[4..12].copy_from_slice(&record.batch.stream.to_le_bytes());
        header[12..20].copy_from_slice(&record.stream_epoch.to_le_bytes());
        header[20..28].copy_from_slice(&record.batch.base_offset.to_le_bytes());
        header[28..32].copy_from_slice(&record.batch.count.to_le_bytes());
        header[32..36].copy_from_slice(&payload_len.to_le_bytes());
        let crc = crc32c::crc32c_append(crc32c::crc32c(&header[4..]), &payload);
        header[0..4].copy_from_slice(&crc.to_le_bytes());
        Ok(EncodedRecord { header, payload })
    }

    /// Encoded length: header and payload.
    pub(crate) fn len(&self) -> usize {
        RECORD_HEADER_LEN + self.payload.len()
    }

    pub(crate) fn header(&self) -> &[u8] {
        &self.header
    }

    pub(crate) fn payload(&self) -> &Bytes {
        &self.payload
    }
}

/// Why bytes are not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Fewer bytes than the header or its payload length needs.
    Truncated,
    /// All bytes are there but the CRC does not match.
    Checksum,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("record truncated"),
            DecodeError::Checksum => f.write_str("record checksum mismatch"),
        }
    }
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(b)
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Checks the record at the start of `buf` and returns its encoded length, without copying anything.
pub(crate) fn check_record(buf: &[u8]) -> std::result::Result<usize, DecodeError> {
    if buf.len() < RECORD_HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    let payload_len = u32_at(buf, 32) as usize;
    let len = RECORD_HEADER_LEN + payload_len;
    if buf.len() < len {
        return Err(DecodeError::Truncated);
    }
    let crc = crc32c::crc32c_append(
        crc32c::crc32c(&buf[4..RECORD_HEADER_LEN]),
        &buf[RECORD_HEADER_LEN..len],
    );
    if crc != u32_at(buf, 0) {
        return Err(DecodeError::Checksum);
    }
    Ok(len)
}

/// Decodes the record at `at` in `buf`; the payload shares `buf`'s memory. Returns the record and its length.
pub(crate) fn decode_record(
    buf: &Bytes,
    at: usize,
) -> std::result::Result<(WalRecord, usize), DecodeError> {
    let rest = buf.get(at..).ok_or(DecodeError::Truncated)?;
    let len = check_record(rest)?;
    let record = WalRecord::new(
        u64_at(rest, 4),
        u64_at(rest, 12),
        u64_at(rest, 20),
        u32_at(rest, 28),
        buf.slice(at + RECORD_HEADER_LEN..at + len),
    );
    Ok((record, len))
}

/// Decodes exactly `count` records that fill `buf[start..end]`. Returns each record with the offset (in `buf`)
/// just past it.
pub(crate) fn decode_records(
    buf: &Bytes,
    start: usize,
    end: usize,
    count: u32,
) -> std::result::Result<Vec<(WalRecord, usize)>, DecodeError> {
    let body = buf.slice(..end.min(buf.len()));
    let mut out = Vec::with_capacity(count as usize);
    let mut at = start;
    for _ in 0..count {
        let (record, len) = decode_record(&body, at)?;
        at += len;
        out.push((record, at));
    }
    if at != end {
        // More bytes than the records claim: the container's length or count is wrong.
        return Err(DecodeError::Checksum);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u8) -> WalRecord {
        WalRecord::new(
            7,
            3,
            100 + u64::from(n),
            5,
            Bytes::from(vec![n; usize::from(n) * 3]),
        )
    }

    fn encode_all(records: &[WalRecord]) -> Bytes {
        let mut out = Vec::new();
        for r in records {
            let e = EncodedRecord::encode(r).unwrap();
            out.extend_from_slice(e.header());
            out.extend_from_slice(e.payload());
        }
        Bytes::from(out)
    }

    #[test]
    fn records_round_trip_with_their_end_offsets() {
        let records: Vec<_> = (0..4).map(record).collect();
        let buf = encode_all(&records);
        let decoded = decode_records(&buf, 0, buf.len(), 4).unwrap();
        assert_eq!(
            decoded.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
            records
        );
        assert_eq!(decoded.last().unwrap().1, buf.len());
        assert_eq!(decoded[0].1, RECORD_HEADER_LEN);
    }

    #[test]
    fn any_flipped_bit_is_caught() {
        let buf = encode_all(&[record(4)]).to_vec();
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            let result = decode_records(&Bytes::from(bad), 0, buf.len(), 1);
            assert!(result.is_err(), "flip at byte {i} went unnoticed");
        }
    }

    #[test]
    fn short_input_is_truncated_not_corrupt() {
        let buf = encode_all(&[record(9)]);
        for cut in 0..buf.len() {
            assert_eq!(
                check_record(&buf[..cut]),
                Err(DecodeError::Truncated),
                "cut at {cut}"
            );
        }
        assert_eq!(
            decode_records(&buf, 0, buf.len(), 2).unwrap_err(),
            DecodeError::Truncated
        );
    }
}
