//! Transaction markers: the control batch a coordinator writes into each partition of a transaction when it
//! ends. Magic 2, attributes control and transactional, one record whose key is `(version 0, type)` (0 abort,
//! 1 commit) and whose value is `(version 0, coordinator epoch)`.

use bytes::BytesMut;

const HEADER_LEN: usize = 61;
const CRC_START: usize = 21;
const ATTR_TRANSACTIONAL: i16 = 0x10;
const ATTR_CONTROL: i16 = 0x20;

pub const ABORT: i16 = 0;
pub const COMMIT: i16 = 1;

/// A marker batch at base offset 0 (the partition stamps the real one).
pub fn control_batch(
    producer_id: i64,
    producer_epoch: i16,
    commit: bool,
    coordinator_epoch: i32,
    timestamp: i64,
) -> BytesMut {
    let kind = if commit { COMMIT } else { ABORT };
    // One record: attributes, timestamp delta, offset delta, key length 4, key, value length 6, value, no headers.
    // Every varint here is a single byte (zigzag of small values).
    let mut record = Vec::with_capacity(17);
    record.extend_from_slice(&[0, 0, 0, 8]);
    record.extend_from_slice(&0i16.to_be_bytes());
    record.extend_from_slice(&kind.to_be_bytes());
    record.push(12);
    record.extend_from_slice(&0i16.to_be_bytes());
    record.extend_from_slice(&coordinator_epoch.to_be_bytes());
    record.push(0);
    let mut b = BytesMut::with_capacity(HEADER_LEN + 1 + record.len());
    b.extend_from_slice(&0i64.to_be_bytes());
    let batch_len = (HEADER_LEN - 12 + 1 + record.len()) as i32;
    b.extend_from_slice(&batch_len.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes());
    b.extend_from_slice(&[2]);
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(&(ATTR_TRANSACTIONAL | ATTR_CONTROL).to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes());
    b.extend_from_slice(&timestamp.to_be_bytes());
    b.extend_from_slice(&timestamp.to_be_bytes());
    b.extend_from_slice(&producer_id.to_be_bytes());
    b.extend_from_slice(&producer_epoch.to_be_bytes());
    b.extend_from_slice(&(-1i32).to_be_bytes());
    b.extend_from_slice(&1i32.to_be_bytes());
    b.extend_from_slice(&[(record.len() as u8) << 1]);
    b.extend_from_slice(&record);
    let crc = crc32c::crc32c(&b[CRC_START..]);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use automq_protocol::kafka_protocol::records::RecordBatchDecoder;

    #[test]
    fn markers_decode_as_kafka_control_records() {
        for commit in [false, true] {
            let b = control_batch(42, 7, commit, 3, 1_700_000_000_000);
            let info = automq_protocol::batch::check(&b, 1 << 20).unwrap();
            assert!(info.control && info.transactional);
            assert_eq!((info.producer_id, info.producer_epoch), (42, 7));
            let mut bytes = b.freeze();
            let set = RecordBatchDecoder::decode(&mut bytes).unwrap();
            let r = &set.records[0];
            assert!(r.control && r.transactional);
            let key = r.key.as_ref().unwrap();
            assert_eq!(&key[..], &[0, 0, 0, u8::from(commit)]);
            assert_eq!(&r.value.as_ref().unwrap()[..], &[0, 0, 0, 0, 0, 3]);
        }
    }
}
