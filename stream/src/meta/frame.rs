//! How log entries and snapshots look on the store: keys, frames, and the identity every entry carries.
//!
//! A frame is `[version: u8][kind: u8][crc32c: u32 little-endian][body: JSON]`. The checksum covers the body only
//! (version and kind are checked by value). The body repeats the sequence the key names, so an entry copied to the
//! wrong key is caught as corrupt instead of being applied out of order. JSON keeps entries readable with any
//! object-store browser; they are small (a record is tens to hundreds of bytes), so its cost does not matter.

use std::fmt;
use std::str::FromStr;

use bytes::{BufMut, Bytes, BytesMut};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A position in the log. Entries start at 1; 0 means "before the first entry".
pub type Seq = u64;

/// The frame format this code writes and the only one it reads.
pub const FRAME_VERSION: u8 = 1;
const KIND_ENTRY: u8 = b'E';
const KIND_SNAPSHOT: u8 = b'S';
const HEADER_LEN: usize = 6;
/// Digits of a zero-padded sequence in a key: `u64::MAX` has 20, so keys sort numerically as strings.
pub const SEQ_DIGITS: usize = 20;

/// A writer's identity: unique per process instance (per [`LogCursor`](super::LogCursor)), never reused.
/// Rendered as 32 hex digits, in keys of JSON maps and in messages alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriterId(pub u128);

impl WriterId {
    /// A fresh random id, for production. Tests pass fixed ids.
    pub fn random() -> Self {
        WriterId(uuid::Uuid::new_v4().as_u128())
    }
}

impl fmt::Display for WriterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl FromStr for WriterId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        u128::from_str_radix(s, 16).map(WriterId)
    }
}

impl Serialize for WriterId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WriterId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Names one logical write: who wrote it, at which sequence, and which of the writer's writes it was (`put`
/// counts the writer's appends). A writer puts the same frame again only while resolving a lost answer of that
/// same call, so an `EntryId` seen at a key identifies one object: if it is still there later, that object was
/// never deleted in between (what [`LogCursor`](super::LogCursor)'s anchor check relies on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryId {
    pub writer: WriterId,
    pub seq: Seq,
    pub put: u64,
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry {} (writer {}, put {})",
            self.seq, self.writer, self.put
        )
    }
}

/// One decoded log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry<T> {
    pub id: EntryId,
    /// The writer's clock when it wrote the entry, in milliseconds since the Unix epoch. Informational and for
    /// deterministic time-based rules (a state machine may read it; it never reads its own clock).
    pub at_ms: u64,
    pub record: T,
}

/// The most recent write of one writer as the log applied it; snapshots carry a bounded table of these so that a
/// writer whose view fell behind a snapshot can still learn whether its last append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterMark {
    pub writer: WriterId,
    pub seq: Seq,
    pub put: u64,
    /// Whether the state machine accepted the record.
    pub accepted: bool,
}

/// A state as of one sequence, with what a reader needs to continue from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot<S> {
    /// The state includes every entry up to and including `seq`.
    pub seq: Seq,
    /// The identity of entry `seq`: a reader starting here uses it as its anchor.
    pub last: EntryId,
    /// The snapshot writer's clock, informational.
    pub at_ms: u64,
    pub writers: Vec<WriterMark>,
    pub state: S,
}

/// Formats a sequence as a key segment.
pub fn seq_segment(seq: Seq) -> String {
    format!("{seq:0width$}", width = SEQ_DIGITS)
}

/// Parses a key segment written by [`seq_segment`]; anything else (a staging file, a stray object) is `None`.
pub fn parse_seq_segment(segment: &str) -> Option<Seq> {
    if segment.len() != SEQ_DIGITS || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

pub fn encode_entry<T: Serialize>(entry: &Entry<T>) -> Result<Bytes> {
    encode(KIND_ENTRY, entry, &entry.id.to_string())
}

/// Decodes the entry stored at `key`, which must be sequence `seq`.
pub fn decode_entry<T: DeserializeOwned>(key: &str, seq: Seq, frame: &[u8]) -> Result<Entry<T>> {
    let entry: Entry<T> = decode(KIND_ENTRY, key, frame)?;
    if entry.id.seq != seq {
        return Err(corrupt(
            key,
            format!("frame says sequence {}, key says {seq}", entry.id.seq),
        ));
    }
    Ok(entry)
}

pub fn encode_snapshot<S: Serialize>(snapshot: &Snapshot<S>) -> Result<Bytes> {
    encode(
        KIND_SNAPSHOT,
        snapshot,
        &format!("snapshot {}", snapshot.seq),
    )
}

pub fn decode_snapshot<S: DeserializeOwned>(
    key: &str,
    seq: Seq,
    frame: &[u8],
) -> Result<Snapshot<S>> {
    let snapshot: Snapshot<S> = decode(KIND_SNAPSHOT, key, frame)?;
    if snapshot.seq != seq || snapshot.last.seq != seq {
        return Err(corrupt(
            key,
            format!(
                "frame says sequence {} (last {}), key says {seq}",
                snapshot.seq, snapshot.last.seq
            ),
        ));
    }
    Ok(snapshot)
}

fn encode<B: Serialize>(kind: u8, body: &B, what: &str) -> Result<Bytes> {
    let json = serde_json::to_vec(body)
        .map_err(|e| Error::Invalid(format!("cannot encode {what}: {e}")))?;
    let mut out = BytesMut::with_capacity(HEADER_LEN + json.len());
    out.put_u8(FRAME_VERSION);
    out.put_u8(kind);
    out.put_u32_le(crc32c::crc32c(&json));
    out.put_slice(&json);
    Ok(out.freeze())
}

fn decode<B: DeserializeOwned>(kind: u8, key: &str, frame: &[u8]) -> Result<B> {
    if frame.len() < HEADER_LEN {
        return Err(corrupt(
            key,
            format!(
                "{} bytes, shorter than the {HEADER_LEN}-byte header",
                frame.len()
            ),
        ));
    }
    if frame[0] != FRAME_VERSION {
        return Err(corrupt(
            key,
            format!(
                "frame version {}, this build reads {FRAME_VERSION}",
                frame[0]
            ),
        ));
    }
    if frame[1] != kind {
        return Err(corrupt(
            key,
            format!(
                "frame kind {:?}, expected {:?}",
                frame[1] as char, kind as char
            ),
        ));
    }
    let stored = u32::from_le_bytes([frame[2], frame[3], frame[4], frame[5]]);
    let body = &frame[HEADER_LEN..];
    let computed = crc32c::crc32c(body);
    if stored != computed {
        return Err(corrupt(
            key,
            format!("checksum {stored:08x} stored, {computed:08x} computed"),
        ));
    }
    serde_json::from_slice(body).map_err(|e| corrupt(key, format!("undecodable body: {e}")))
}

fn corrupt(key: &str, detail: String) -> Error {
    Error::Corrupt {
        what: format!("metadata log object `{key}`"),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry<Vec<String>> {
        Entry {
            id: EntryId {
                writer: WriterId(0xabc),
                seq: 42,
                put: 7,
            },
            at_ms: 1_700_000_000_000,
            record: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn entry_round_trips_and_names_its_sequence() {
        let frame = encode_entry(&entry()).unwrap();
        assert_eq!(frame[0], FRAME_VERSION);
        assert_eq!(frame[1], b'E');
        let back: Entry<Vec<String>> = decode_entry("k", 42, &frame).unwrap();
        assert_eq!(back, entry());
        let err = decode_entry::<Vec<String>>("m/log/43", 43, &frame).unwrap_err();
        assert!(
            err.to_string()
                .contains("frame says sequence 42, key says 43"),
            "{err}"
        );
        assert!(err.to_string().contains("m/log/43"), "{err}");
    }

    #[test]
    fn every_damage_is_corrupt() {
        let frame = encode_entry(&entry()).unwrap().to_vec();
        let mut flipped = frame.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 0x01;
        let mut version = frame.clone();
        version[0] = 2;
        let mut kind = frame.clone();
        kind[1] = b'S';
        for (name, bad) in [
            ("flipped body bit", flipped),
            ("future version", version),
            ("snapshot kind", kind),
            ("truncated header", frame[..4].to_vec()),
            ("truncated body", frame[..frame.len() - 1].to_vec()),
        ] {
            let err = decode_entry::<Vec<String>>("k", 42, &bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Corrupt, "{name}: {err}");
        }
    }

    #[test]
    fn checksum_covers_the_body_and_is_crc32c() {
        let frame = encode_entry(&entry()).unwrap();
        let stored = u32::from_le_bytes([frame[2], frame[3], frame[4], frame[5]]);
        assert_eq!(stored, crc32c::crc32c(&frame[6..]));
        let body: serde_json::Value = serde_json::from_slice(&frame[6..]).unwrap();
        assert_eq!(body["id"]["writer"], "00000000000000000000000000000abc");
    }

    #[test]
    fn snapshot_checks_its_sequence_twice() {
        let snap = Snapshot {
            seq: 9,
            last: EntryId {
                writer: WriterId(1),
                seq: 9,
                put: 0,
            },
            at_ms: 5,
            writers: vec![WriterMark {
                writer: WriterId(1),
                seq: 9,
                put: 0,
                accepted: true,
            }],
            state: 17u32,
        };
        let frame = encode_snapshot(&snap).unwrap();
        assert_eq!(decode_snapshot::<u32>("s", 9, &frame).unwrap(), snap);
        assert!(decode_snapshot::<u32>("s", 10, &frame).is_err());
        assert!(
            decode_entry::<u32>("s", 9, &frame).is_err(),
            "a snapshot is not an entry"
        );
    }

    #[test]
    fn seq_segments_sort_numerically_and_reject_strays() {
        assert_eq!(seq_segment(42), "00000000000000000042");
        assert_eq!(seq_segment(u64::MAX).len(), SEQ_DIGITS);
        assert!(seq_segment(9) < seq_segment(10));
        assert_eq!(parse_seq_segment("00000000000000000042"), Some(42));
        assert_eq!(parse_seq_segment("00000000000000000042#1"), None);
        assert_eq!(parse_seq_segment("42"), None);
        assert_eq!(parse_seq_segment("0000000000000000004x"), None);
    }

    #[test]
    fn writer_ids_render_as_hex_and_parse_back() {
        let id = WriterId(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        assert_eq!(id.to_string().parse::<WriterId>().unwrap(), id);
        assert_ne!(WriterId::random(), WriterId::random());
    }
}
