//! WAL object keys and bytes.
//!
//! ```text
//! <prefix>/wal/<node id>/<node epoch>/<sequence:020>
//! ```
//! Sequences are dense from 0 within a node epoch: the writer puts object N+1 only after N is durable, each with
//! create-if-absent, so the first sequence it cannot create is where it stops.
//!
//! Header (60 bytes, little-endian): magic `AMQWALOB`, version u16, kind u16 (1 data, 2 fence), node u32,
//! node epoch u64, sequence u64, writer id u128, record count u32, body length u32, CRC32C u32 over the bytes
//! before it. The header repeats the key's node, epoch and sequence so a misplaced object is caught.
//! - data: the body is `count` records (see `record.rs`); the writer id tells this writer's objects from anyone
//!   else's, which matters when a put's answer was lost and the object turns up on the retry.
//! - fence: the body is the fencing node u32, its node epoch u64 and a CRC32C u32 of those 12 bytes.

use bytes::{Bytes, BytesMut};
use object_store::PutPayload;
use object_store::path::Path;

use crate::error::{Error, Result};
use crate::types::{Epoch, NodeId};
use crate::wal::WalRecord;
use crate::wal::record::{EncodedRecord, decode_records};

pub(crate) const OBJECT_HEADER_LEN: usize = 60;
const FENCE_BODY_LEN: usize = 16;
/// A fence object's exact size. Data objects are never this small (header plus at least one 36-byte record).
pub(crate) const FENCE_OBJECT_LEN: u64 = (OBJECT_HEADER_LEN + FENCE_BODY_LEN) as u64;
const MAGIC: &[u8; 8] = b"AMQWALOB";
const VERSION: u16 = 1;
const KIND_DATA: u16 = 1;
const KIND_FENCE: u16 = 2;

pub(crate) fn node_dir(prefix: &Path, node: NodeId) -> Path {
    prefix.clone().join("wal").join(node.to_string().as_str())
}

pub(crate) fn epoch_dir(prefix: &Path, node: NodeId, epoch: Epoch) -> Path {
    node_dir(prefix, node).join(epoch.to_string().as_str())
}

pub(crate) fn object_path(prefix: &Path, node: NodeId, epoch: Epoch, seq: u64) -> Path {
    epoch_dir(prefix, node, epoch).join(format!("{seq:020}").as_str())
}

pub(crate) fn parse_seq(path: &Path) -> Option<u64> {
    let name = path.filename()?;
    if name.len() != 20 {
        return None;
    }
    name.parse().ok()
}

fn header(
    kind: u16,
    node: NodeId,
    epoch: Epoch,
    seq: u64,
    writer: u128,
    count: u32,
    body_len: u32,
) -> BytesMut {
    let mut b = BytesMut::zeroed(OBJECT_HEADER_LEN);
    b[0..8].copy_from_slice(MAGIC);
    b[8..10].copy_from_slice(&VERSION.to_le_bytes());
    b[10..12].copy_from_slice(&kind.to_le_bytes());
    b[12..16].copy_from_slice(&node.to_le_bytes());
    b[16..24].copy_from_slice(&epoch.to_le_bytes());
    b[24..32].copy_from_slice(&seq.to_le_bytes());
    b[32..48].copy_from_slice(&writer.to_le_bytes());
    b[48..52].copy_from_slice(&count.to_le_bytes());
    b[52..56].copy_from_slice(&body_len.to_le_bytes());
    let crc = crc32c::crc32c(&b[..56]);
    b[56..60].copy_from_slice(&crc.to_le_bytes());
    b
}

/// The records of one batch, encoded once; [`DataBody::payload`] puts a header in front for a given sequence.
#[derive(Debug)]
pub(crate) struct DataBody {
    chunks: Vec<Bytes>,
    count: u32,
    len: u32,
}

impl DataBody {
    pub(crate) fn new<'a>(records: impl IntoIterator<Item = &'a EncodedRecord>) -> Result<Self> {
        let mut chunks = Vec::new();
        let (mut count, mut len) = (0u32, 0usize);
        for r in records {
            chunks.push(Bytes::copy_from_slice(r.header()));
            if !r.payload().is_empty() {
                chunks.push(r.payload().clone());
            }
            count += 1;
            len += r.len();
        }
        let len = u32::try_from(len)
            .map_err(|_| Error::Invalid("a WAL object over 4 GiB".to_string()))?;
        Ok(DataBody { chunks, count, len })
    }

    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    pub(crate) fn len(&self) -> usize {
        OBJECT_HEADER_LEN + self.len as usize
    }

    pub(crate) fn payload(&self, node: NodeId, epoch: Epoch, seq: u64, writer: u128) -> PutPayload {
        let head = header(KIND_DATA, node, epoch, seq, writer, self.count, self.len).freeze();
        std::iter::once(head)
            .chain(self.chunks.iter().cloned())
            .collect()
    }
}

pub(crate) fn fence_object(
    node: NodeId,
    epoch: Epoch,
    seq: u64,
    by_node: NodeId,
    by_epoch: Epoch,
) -> Bytes {
    let mut b = header(KIND_FENCE, node, epoch, seq, 0, 0, FENCE_BODY_LEN as u32);
    let mut body = [0u8; FENCE_BODY_LEN];
    body[0..4].copy_from_slice(&by_node.to_le_bytes());
    body[4..12].copy_from_slice(&by_epoch.to_le_bytes());
    let crc = crc32c::crc32c(&body[..12]);
    body[12..16].copy_from_slice(&crc.to_le_bytes());
    b.extend_from_slice(&body);
    b.freeze()
}

/// A WAL object read back.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// Records with their position's `offset`: how many records of the object end with this one.
    Data {
        writer: u128,
        records: Vec<(WalRecord, u64)>,
    },
    Fence {
        by_node: NodeId,
        by_epoch: Epoch,
    },
}

fn le<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut x = [0u8; N];
    x.copy_from_slice(&b[at..at + N]);
    x
}

/// Decodes and checks a WAL object fetched from `path`, which must be sequence `seq` of `node` at `epoch`.
pub(crate) fn decode_object(
    path: &Path,
    node: NodeId,
    epoch: Epoch,
    seq: u64,
    bytes: Bytes,
) -> Result<Decoded> {
    let corrupt = |detail: &str| Error::Corrupt {
        what: format!("WAL object `{path}`"),
        detail: detail.to_string(),
    };
    if bytes.len() < OBJECT_HEADER_LEN || &bytes[0..8] != MAGIC {
        return Err(corrupt("not a WAL object"));
    }
    if u16::from_le_bytes(le(&bytes, 8)) != VERSION {
        return Err(corrupt("unknown version"));
    }
    if crc32c::crc32c(&bytes[..56]) != u32::from_le_bytes(le(&bytes, 56)) {
        return Err(corrupt("header checksum mismatch"));
    }
    if u32::from_le_bytes(le(&bytes, 12)) != node
        || u64::from_le_bytes(le(&bytes, 16)) != epoch
        || u64::from_le_bytes(le(&bytes, 24)) != seq
    {
        return Err(corrupt("the header names another node, epoch or sequence"));
    }
    let writer = u128::from_le_bytes(le(&bytes, 32));
    let count = u32::from_le_bytes(le(&bytes, 48));
    let body_len = u32::from_le_bytes(le(&bytes, 52)) as usize;
    if bytes.len() != OBJECT_HEADER_LEN + body_len {
        return Err(corrupt("length does not match the header"));
    }
    match u16::from_le_bytes(le(&bytes, 10)) {
        KIND_DATA => {
            let records = decode_records(&bytes, OBJECT_HEADER_LEN, bytes.len(), count)
                .map_err(|e| corrupt(&e.to_string()))?;
            let records = records
                .into_iter()
                .enumerate()
                .map(|(i, (r, _))| (r, i as u64 + 1))
                .collect();
            Ok(Decoded::Data { writer, records })
        }
        KIND_FENCE if body_len == FENCE_BODY_LEN => {
            let body = &bytes[OBJECT_HEADER_LEN..];
            if crc32c::crc32c(&body[..12]) != u32::from_le_bytes(le(body, 12)) {
                return Err(corrupt("fence checksum mismatch"));
            }
            Ok(Decoded::Fence {
                by_node: u32::from_le_bytes(le(body, 0)),
                by_epoch: u64::from_le_bytes(le(body, 4)),
            })
        }
        _ => Err(corrupt("unknown kind")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sequenced_under_node_and_epoch() {
        let p = object_path(&Path::from("cluster"), 3, 12, 42);
        assert_eq!(p.as_ref(), "cluster/wal/3/12/00000000000000000042");
        assert_eq!(parse_seq(&p), Some(42));
        assert_eq!(parse_seq(&Path::from("cluster/wal/3/12/x")), None);
    }

    #[test]
    fn objects_round_trip_and_misplaced_ones_are_corrupt() {
        let r = EncodedRecord::encode(&WalRecord::new(1, 2, 3, 4, Bytes::from_static(b"hello")))
            .unwrap();
        let body = DataBody::new([&r, &r]).unwrap();
        let bytes: Bytes = body.payload(5, 6, 7, 99).into_iter().flatten().collect();
        assert_eq!(bytes.len(), body.len());
        let path = object_path(&Path::default(), 5, 6, 7);
        match decode_object(&path, 5, 6, 7, bytes.clone()).unwrap() {
            Decoded::Data { writer, records } => {
                assert_eq!(writer, 99);
                assert_eq!(records.len(), 2);
                assert_eq!(records[1].1, 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode_object(&path, 5, 6, 8, bytes.clone()),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            decode_object(&path, 5, 6, 7, bytes.slice(..bytes.len() - 1)),
            Err(Error::Corrupt { .. })
        ));

        let fence = fence_object(5, 6, 8, 9, 10);
        assert_eq!(fence.len() as u64, FENCE_OBJECT_LEN);
        assert!(matches!(
            decode_object(&path, 5, 6, 8, fence),
            Ok(Decoded::Fence {
                by_node: 9,
                by_epoch: 10
            })
        ));
    }
}
