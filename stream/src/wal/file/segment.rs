//! The file WAL's on-disk layout: owner files, segment files and their frames; claiming a directory, scanning it
//! after a crash or a takeover, and reading records back.
//!
//! ```text
//! <dir>/owner-<generation:020>                  one per open; its existence fences generation - 1
//! <dir>/<generation:020>-<index:020>.wal        segment files, written by one generation, indexes dense from 0
//! ```
//! Segment header (80 bytes): magic `AMQWALSG`, version u16, flags u16 (bit 0: `prev` is set), node u32,
//! node epoch u64, generation u64, index u64, prev generation u64, prev index u64, prev valid length u64,
//! 12 reserved bytes, CRC32C u32 over the bytes before it. `prev` names the segment that sorted last when this one
//! was created and the length up to which it holds good frames: bytes beyond it are garbage from a crash or from
//! a fenced writer, and a shorter file is lost data.
//!
//! Frame (one per group commit): magic `WFRM`, CRC32C u32 over the rest of the header, offset u64 (where the frame
//! starts in its file), body length u32, record count u32, segment index u64; then the records (see `record.rs`).
//! A commit is one write and one sync, so a crash can tear only the last frame; replay drops a torn frame whole.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::types::{Epoch, NodeId};
use crate::wal::record::{DecodeError, check_record, decode_records};
use crate::wal::{Replayed, WalPosition, WalRecord};

pub(super) const SEGMENT_HEADER_LEN: u64 = 80;
pub(super) const FRAME_HEADER_LEN: u64 = 32;
const SEGMENT_MAGIC: &[u8; 8] = b"AMQWALSG";
const OWNER_MAGIC: &[u8; 8] = b"AMQWALOW";
const FRAME_MAGIC: &[u8; 4] = b"WFRM";
const VERSION: u16 = 1;
const OWNER_LEN: usize = 40;
const CLAIM_ATTEMPTS: usize = 16;

/// A segment file's name: the generation that wrote it and its index within that generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct SegmentId {
    pub generation: u64,
    pub index: u64,
}

impl SegmentId {
    pub fn file_name(&self) -> String {
        format!("{:020}-{:020}.wal", self.generation, self.index)
    }

    fn parse(name: &str) -> Option<Self> {
        let stem = name.strip_suffix(".wal")?;
        let (generation, index) = stem.split_once('-')?;
        if generation.len() != 20 || index.len() != 20 {
            return None;
        }
        Some(SegmentId {
            generation: generation.parse().ok()?,
            index: index.parse().ok()?,
        })
    }
}

impl std::fmt::Display for SegmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file_name())
    }
}

pub(super) fn owner_file_name(generation: u64) -> String {
    format!("owner-{generation:020}")
}

fn parse_owner_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("owner-")?;
    if digits.len() != 20 {
        return None;
    }
    digits.parse().ok()
}

pub(super) fn io_error(op: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Io {
        op,
        path: path.display().to_string(),
        source,
    }
}

fn corrupt(path: &Path, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        what: format!("file WAL segment `{}`", path.display()),
        detail: detail.into(),
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Makes the directory's entries (files created or removed) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("fsync directory", dir, e))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SegmentHeader {
    pub id: SegmentId,
    pub node: NodeId,
    pub node_epoch: Epoch,
    /// The segment that sorted last when this one was created, and its valid length.
    pub prev: Option<(SegmentId, u64)>,
}

impl SegmentHeader {
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN as usize] {
        let mut b = [0u8; SEGMENT_HEADER_LEN as usize];
        b[0..8].copy_from_slice(SEGMENT_MAGIC);
        b[8..10].copy_from_slice(&VERSION.to_le_bytes());
        b[10..12].copy_from_slice(&u16::from(self.prev.is_some()).to_le_bytes());
        b[12..16].copy_from_slice(&self.node.to_le_bytes());
        b[16..24].copy_from_slice(&self.node_epoch.to_le_bytes());
        b[24..32].copy_from_slice(&self.id.generation.to_le_bytes());
        b[32..40].copy_from_slice(&self.id.index.to_le_bytes());
        let (prev, prev_len) = self.prev.unwrap_or((
            SegmentId {
                generation: 0,
                index: 0,
            },
            0,
        ));
        b[40..48].copy_from_slice(&prev.generation.to_le_bytes());
        b[48..56].copy_from_slice(&prev.index.to_le_bytes());
        b[56..64].copy_from_slice(&prev_len.to_le_bytes());
        let crc = crc32c::crc32c(&b[..76]);
        b[76..80].copy_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Self> {
        if b.len() < SEGMENT_HEADER_LEN as usize
            || &b[0..8] != SEGMENT_MAGIC
            || u16_at(b, 8) != VERSION
            || crc32c::crc32c(&b[..76]) != u32_at(b, 76)
        {
            return None;
        }
        let prev = (u16_at(b, 10) & 1 == 1).then(|| {
            (
                SegmentId {
                    generation: u64_at(b, 40),
                    index: u64_at(b, 48),
                },
                u64_at(b, 56),
            )
        });
        Some(SegmentHeader {
            id: SegmentId {
                generation: u64_at(b, 24),
                index: u64_at(b, 32),
            },
            node: u32_at(b, 12),
            node_epoch: u64_at(b, 16),
            prev,
        })
    }
}

pub(super) fn encode_frame_header(index: u64, offset: u64, body_len: u32, count: u32) -> [u8; 32] {
    let mut b = [0u8; FRAME_HEADER_LEN as usize];
    b[0..4].copy_from_slice(FRAME_MAGIC);
    b[8..16].copy_from_slice(&offset.to_le_bytes());
    b[16..20].copy_from_slice(&body_len.to_le_bytes());
    b[20..24].copy_from_slice(&count.to_le_bytes());
    b[24..32].copy_from_slice(&index.to_le_bytes());
    let crc = crc32c::crc32c(&b[8..]);
    b[4..8].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Checks the frame at `at`: header (magic, CRC, claimed segment and offset) and every record of its body.
/// Returns where it ends and how many records it holds.
fn check_frame(
    buf: &[u8],
    index: u64,
    at: usize,
) -> std::result::Result<(usize, u32), DecodeError> {
    let header = buf
        .get(at..at + FRAME_HEADER_LEN as usize)
        .ok_or(DecodeError::Truncated)?;
    if &header[0..4] != FRAME_MAGIC
        || crc32c::crc32c(&header[8..]) != u32_at(header, 4)
        || u64_at(header, 8) != at as u64
        || u64_at(header, 24) != index
    {
        return Err(DecodeError::Checksum);
    }
    let body_len = u32_at(header, 16) as usize;
    let count = u32_at(header, 20);
    let end = at + FRAME_HEADER_LEN as usize + body_len;
    let body = buf
        .get(at + FRAME_HEADER_LEN as usize..end)
        .ok_or(DecodeError::Truncated)?;
    let mut p = 0;
    for _ in 0..count {
        p += check_record(body.get(p..).ok_or(DecodeError::Truncated)?)?;
    }
    if p != body_len {
        return Err(DecodeError::Checksum);
    }
    Ok((end, count))
}

/// Whether any good frame of this segment starts after `from`: a bad frame followed by good ones is corruption,
/// a bad frame followed by nothing good is a torn tail.
fn good_frame_after(buf: &[u8], index: u64, from: usize) -> bool {
    (from + 1..buf.len().saturating_sub(FRAME_HEADER_LEN as usize - 1))
        .any(|q| &buf[q..q + 4] == FRAME_MAGIC && check_frame(buf, index, q).is_ok())
}

/// Claims the directory for a new generation: creates `owner-<K+1>` with create-new semantics (fails if another
/// claimant won the race), makes it durable, and returns K+1. From now on the writer of generation K sees the file
/// after its next sync and acknowledges nothing more.
pub(super) fn claim(dir: &Path, node: NodeId, node_epoch: Epoch) -> Result<u64> {
    fs::create_dir_all(dir).map_err(|e| io_error("create directory", dir, e))?;
    for _ in 0..CLAIM_ATTEMPTS {
        let mut highest = None;
        for entry in fs::read_dir(dir).map_err(|e| io_error("list directory", dir, e))? {
            let entry = entry.map_err(|e| io_error("list directory", dir, e))?;
            if let Some(g) = entry.file_name().to_str().and_then(parse_owner_file_name) {
                highest = highest.max(Some(g));
            }
        }
        let generation = highest.map_or(1, |g| g + 1);
        let path = dir.join(owner_file_name(generation));
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error("create owner file", &path, e)),
        };
        let mut b = [0u8; OWNER_LEN];
        b[0..8].copy_from_slice(OWNER_MAGIC);
        b[8..10].copy_from_slice(&VERSION.to_le_bytes());
        b[12..16].copy_from_slice(&node.to_le_bytes());
        b[16..24].copy_from_slice(&node_epoch.to_le_bytes());
        b[24..32].copy_from_slice(&generation.to_le_bytes());
        let crc = crc32c::crc32c(&b[..36]);
        b[36..40].copy_from_slice(&crc.to_le_bytes());
        file.write_all(&b)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("write owner file", &path, e))?;
        sync_dir(dir)?;
        return Ok(generation);
    }
    Err(Error::Io {
        op: "claim",
        path: dir.display().to_string(),
        source: io::Error::other(format!("lost the owner-file race {CLAIM_ATTEMPTS} times")),
    })
}

/// Whether generation `generation` has been fenced: a later claim exists.
pub(super) fn is_fenced(dir: &Path, generation: u64) -> Result<bool> {
    let path = dir.join(owner_file_name(generation + 1));
    match fs::symlink_metadata(&path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error("check owner file", &path, e)),
    }
}

/// A segment found by [`scan`]: who wrote it and how far its good frames go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ScannedSegment {
    pub id: SegmentId,
    pub node: NodeId,
    pub node_epoch: Epoch,
    pub valid_len: u64,
}

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    File::open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}

fn list_segments(dir: &Path) -> Result<Vec<SegmentId>> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error("list directory", dir, e))? {
        let entry = entry.map_err(|e| io_error("list directory", dir, e))?;
        if let Some(id) = entry.file_name().to_str().and_then(SegmentId::parse) {
            ids.push(id);
        }
    }
    ids.sort();
    Ok(ids)
}

/// Finds every segment and how far its good frames go, after a crash or while a fenced writer may still be
/// finishing its last commit. Errors with `Corrupt` on damage that a crash cannot explain: a bad frame followed by
/// good ones, a segment shorter than its successor recorded, a hole in a generation's indexes.
pub(super) fn scan(dir: &Path) -> Result<Vec<ScannedSegment>> {
    let ids = list_segments(dir)?;
    let mut headers = Vec::with_capacity(ids.len());
    let mut removed_abandoned = false;
    for (i, id) in ids.iter().enumerate() {
        let path = dir.join(id.file_name());
        let mut head = Vec::with_capacity(SEGMENT_HEADER_LEN as usize);
        let file_len = File::open(&path)
            .and_then(|f| {
                let len = f.metadata()?.len();
                f.take(SEGMENT_HEADER_LEN).read_to_end(&mut head)?;
                Ok(len)
            })
            .map_err(|e| io_error("read segment header", &path, e))?;
        match SegmentHeader::decode(&head) {
            Some(h) if h.id == *id => headers.push(h),
            Some(_) => return Err(corrupt(&path, "the header names another segment")),
            None => {
                // A crash between creating a segment and syncing its header leaves at most a header's worth of
                // bytes and nothing acknowledged in it; it can only be the last of its generation.
                let last_of_generation = ids
                    .get(i + 1)
                    .is_none_or(|next| next.generation != id.generation);
                if file_len <= SEGMENT_HEADER_LEN && last_of_generation {
                    fs::remove_file(&path)
                        .map_err(|e| io_error("remove abandoned segment", &path, e))?;
                    removed_abandoned = true;
                    continue;
                }
                return Err(corrupt(&path, "bad segment header"));
            }
        }
    }
    if removed_abandoned {
        sync_dir(dir)?;
    }

    // Indexes of a generation are dense from its oldest remaining segment: trims delete oldest first.
    for pair in headers.windows(2) {
        let (a, b) = (pair[0].id, pair[1].id);
        if a.generation == b.generation && b.index != a.index + 1 {
            return Err(corrupt(
                &dir.join(b.file_name()),
                format!("segment index {} is missing", a.index + 1),
            ));
        }
    }
    let mut limits = std::collections::HashMap::new();
    for h in &headers {
        if let Some((prev, len)) = h.prev {
            let present = headers.iter().any(|x| x.id == prev);
            let older_present = headers.first().is_some_and(|first| first.id < prev);
            if !present && older_present {
                return Err(corrupt(
                    &dir.join(prev.file_name()),
                    format!("missing, yet named by {}", h.id),
                ));
            }
            limits.insert(prev, len);
        }
    }

    let mut scanned = Vec::with_capacity(headers.len());
    for h in headers {
        let path = dir.join(h.id.file_name());
        let buf = read_file(&path).map_err(|e| io_error("read segment", &path, e))?;
        let valid_len = match limits.get(&h.id) {
            Some(&limit) => {
                check_frames_up_to(&buf, h.id.index, limit)
                    .map_err(|detail| corrupt(&path, detail))?;
                limit
            }
            None => tail_len(&buf, h.id.index).map_err(|detail| corrupt(&path, detail))?,
        };
        scanned.push(ScannedSegment {
            id: h.id,
            node: h.node,
            node_epoch: h.node_epoch,
            valid_len,
        });
    }
    Ok(scanned)
}

/// A sealed segment must hold good frames exactly up to `limit`.
fn check_frames_up_to(buf: &[u8], index: u64, limit: u64) -> std::result::Result<(), String> {
    let limit = usize::try_from(limit).map_err(|_| "recorded length overflows".to_string())?;
    if buf.len() < limit {
        return Err(format!(
            "{} bytes, but its successor recorded {limit} good bytes",
            buf.len()
        ));
    }
    let mut at = SEGMENT_HEADER_LEN as usize;
    while at < limit {
        match check_frame(&buf[..limit], index, at) {
            Ok((end, _)) => at = end,
            Err(e) => return Err(format!("frame at byte {at}: {e}")),
        }
    }
    if at != limit {
        return Err(format!(
            "frames end at byte {at}, not at the recorded {limit}"
        ));
    }
    Ok(())
}

/// The good length of a segment nobody sealed: up to the first bad frame, if nothing good follows it.
fn tail_len(buf: &[u8], index: u64) -> std::result::Result<u64, String> {
    let mut at = SEGMENT_HEADER_LEN as usize;
    while at < buf.len() {
        match check_frame(buf, index, at) {
            Ok((end, _)) => at = end,
            Err(e) if good_frame_after(buf, index, at) => {
                return Err(format!(
                    "frame at byte {at} is bad ({e}) but good frames follow it"
                ));
            }
            Err(_) => break,
        }
    }
    Ok(at as u64)
}

/// Reads the records of a segment up to its known good length.
pub(super) fn read_segment(
    dir: &Path,
    id: SegmentId,
    valid_len: u64,
    node: NodeId,
    node_epoch: Epoch,
) -> Result<Option<Vec<Replayed>>> {
    let path: PathBuf = dir.join(id.file_name());
    let buf = match read_file(&path) {
        Ok(buf) => Bytes::from(buf),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read segment", &path, e)),
    };
    let limit = usize::try_from(valid_len).map_err(|_| corrupt(&path, "length overflows"))?;
    if buf.len() < limit {
        return Err(corrupt(
            &path,
            format!("{} bytes, {limit} expected", buf.len()),
        ));
    }
    let mut out = Vec::new();
    let mut at = SEGMENT_HEADER_LEN as usize;
    while at < limit {
        let (end, count) = check_frame(&buf[..limit], id.index, at)
            .map_err(|e| corrupt(&path, format!("frame at {at}: {e}")))?;
        let records = decode_records(&buf, at + FRAME_HEADER_LEN as usize, end, count)
            .map_err(|e| corrupt(&path, format!("frame at {at}: {e}")))?;
        out.extend(
            records
                .into_iter()
                .map(|(record, record_end): (WalRecord, usize)| Replayed {
                    position: WalPosition {
                        log: id.generation,
                        segment: id.index,
                        offset: record_end as u64,
                    },
                    node,
                    node_epoch,
                    record,
                }),
        );
        at = end;
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        let id = SegmentId {
            generation: 3,
            index: 17,
        };
        assert_eq!(SegmentId::parse(&id.file_name()), Some(id));
        assert_eq!(SegmentId::parse("3-17.wal"), None);
        assert_eq!(parse_owner_file_name(&owner_file_name(9)), Some(9));
    }

    #[test]
    fn headers_round_trip_and_reject_damage() {
        let h = SegmentHeader {
            id: SegmentId {
                generation: 2,
                index: 5,
            },
            node: 7,
            node_epoch: 11,
            prev: Some((
                SegmentId {
                    generation: 1,
                    index: 9,
                },
                4096,
            )),
        };
        let mut b = h.encode();
        assert_eq!(SegmentHeader::decode(&b), Some(h));
        b[20] ^= 1;
        assert_eq!(SegmentHeader::decode(&b), None);
    }

    #[test]
    fn claims_count_up_and_fence_the_previous_generation() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(claim(dir.path(), 1, 1).unwrap(), 1);
        assert!(!is_fenced(dir.path(), 1).unwrap());
        assert_eq!(claim(dir.path(), 2, 4).unwrap(), 2);
        assert!(is_fenced(dir.path(), 1).unwrap());
        assert!(!is_fenced(dir.path(), 2).unwrap());
    }
}
