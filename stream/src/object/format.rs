//! Encoding and decoding of the object layout, without I/O.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::types::{Batch, Offset, StreamId, StreamRange};

/// The last eight bytes of every object: "AMQOBJ01" in ASCII.
pub const MAGIC: u64 = u64::from_be_bytes(*b"AMQOBJ01");
pub const VERSION: u16 = 1;
pub const FOOTER_LEN: usize = 32;
pub const INDEX_ENTRY_LEN: usize = 40;
const BATCH_HEADER_LEN: usize = 16;

/// One data block as the index describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub stream: StreamId,
    pub start_offset: Offset,
    pub end_offset: Offset,
    pub record_count: u32,
    pub position: u64,
    pub size: u32,
    pub crc: u32,
}

/// Where the index is and how to check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub index_position: u64,
    pub index_len: u32,
    pub index_crc: u32,
    pub version: u16,
}

/// Builds one object from batches added in (stream, offset) order.
#[derive(Debug)]
pub struct ObjectWriter {
    block_target: usize,
    data: BytesMut,
    index: Vec<IndexEntry>,
    block: Option<IndexEntry>,
    block_start: usize,
}

impl ObjectWriter {
    /// `block_target`: cut a block once it holds at least this many bytes (AutoMQ uses 512 KiB to 1 MiB).
    pub fn new(block_target: usize) -> Self {
        Self {
            block_target: block_target.max(1),
            data: BytesMut::new(),
            index: Vec::new(),
            block: None,
            block_start: 0,
        }
    }

    /// Adds a batch. Batches of a stream must be dense and ascending; streams ascending.
    pub fn add(&mut self, batch: &Batch) -> Result<()> {
        if batch.count == 0 {
            return Err(Error::Invalid(format!(
                "empty batch at offset {} of stream {}",
                batch.base_offset, batch.stream
            )));
        }
        let len = u32::try_from(batch.payload.len()).map_err(|_| {
            Error::Invalid(format!(
                "batch of {} bytes is too large",
                batch.payload.len()
            ))
        })?;
        let last = self.block.or_else(|| self.index.last().copied());
        if let Some(prev) = last {
            let in_order = batch.stream > prev.stream
                || (batch.stream == prev.stream && batch.base_offset == prev.end_offset);
            if !in_order {
                return Err(Error::Invalid(format!(
                    "batch of stream {} at offset {} does not follow stream {} ending at {}",
                    batch.stream, batch.base_offset, prev.stream, prev.end_offset
                )));
            }
        }
        let continues = self.block.is_some_and(|b| b.stream == batch.stream);
        if !continues {
            self.cut_block();
            self.block_start = self.data.len();
            self.block = Some(IndexEntry {
                stream: batch.stream,
                start_offset: batch.base_offset,
                end_offset: batch.base_offset,
                record_count: 0,
                position: self.data.len() as u64,
                size: 0,
                crc: 0,
            });
        }
        self.data.put_u64(batch.base_offset);
        self.data.put_u32(batch.count);
        self.data.put_u32(len);
        self.data.extend_from_slice(&batch.payload);
        if let Some(b) = self.block.as_mut() {
            b.end_offset = batch.end_offset();
            b.record_count += batch.count;
        }
        if self.data.len() - self.block_start >= self.block_target {
            self.cut_block();
        }
        Ok(())
    }

    fn cut_block(&mut self) {
        if let Some(mut b) = self.block.take() {
            let bytes = &self.data[self.block_start..];
            b.size = bytes.len() as u32;
            b.crc = crc32c::crc32c(bytes);
            self.index.push(b);
            self.block_start = self.data.len();
        }
    }

    /// Bytes of data added so far (without index and footer).
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Finishes the object: its bytes and, per stream, the offset range it holds.
    pub fn finish(mut self) -> (Bytes, Vec<StreamRange>) {
        self.cut_block();
        let index_position = self.data.len() as u64;
        let mut index = BytesMut::with_capacity(self.index.len() * INDEX_ENTRY_LEN);
        for e in &self.index {
            index.put_u64(e.stream);
            index.put_u64(e.start_offset);
            // Blocks are far smaller than 4 G records, so the end is stored as a delta.
            index.put_u32((e.end_offset - e.start_offset) as u32);
            index.put_u32(e.record_count);
            index.put_u64(e.position);
            index.put_u32(e.size);
            index.put_u32(e.crc);
        }
        let mut out = self.data;
        let index_crc = crc32c::crc32c(&index);
        let index_len = index.len() as u32;
        out.extend_from_slice(&index);
        out.put_u64(index_position);
        out.put_u32(index_len);
        out.put_u32(index_crc);
        out.put_u16(VERSION);
        out.put_u16(0);
        out.put_u32(0);
        out.put_u64(MAGIC);
        let mut ranges: Vec<StreamRange> = Vec::new();
        for e in &self.index {
            match ranges.last_mut() {
                Some(r) if r.stream == e.stream => r.end = e.end_offset,
                _ => ranges.push(StreamRange {
                    stream: e.stream,
                    start: e.start_offset,
                    end: e.end_offset,
                }),
            }
        }
        (out.freeze(), ranges)
    }
}

fn corrupt(what: &str, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        what: what.to_string(),
        detail: detail.into(),
    }
}

/// Reads the footer from an object's last [`FOOTER_LEN`] bytes.
pub fn decode_footer(tail: &[u8], object_len: u64) -> Result<Footer> {
    if tail.len() < FOOTER_LEN {
        return Err(corrupt(
            "object footer",
            format!("object of {} bytes has no room for a footer", tail.len()),
        ));
    }
    let mut b = &tail[tail.len() - FOOTER_LEN..];
    let index_position = b.get_u64();
    let index_len = b.get_u32();
    let index_crc = b.get_u32();
    let version = b.get_u16();
    b.advance(6);
    let magic = b.get_u64();
    if magic != MAGIC {
        return Err(corrupt(
            "object footer",
            format!("magic {magic:#018x}, expected {MAGIC:#018x}"),
        ));
    }
    if version != VERSION {
        return Err(corrupt(
            "object footer",
            format!("format version {version}, this build reads {VERSION}"),
        ));
    }
    let index_end = index_position.checked_add(u64::from(index_len));
    if index_end != Some(object_len.saturating_sub(FOOTER_LEN as u64)) {
        return Err(corrupt(
            "object footer",
            format!(
                "index at {index_position}+{index_len} does not end where the footer starts in a {object_len}-byte object"
            ),
        ));
    }
    if !(index_len as usize).is_multiple_of(INDEX_ENTRY_LEN) {
        return Err(corrupt(
            "object footer",
            format!("index length {index_len} is not a whole number of entries"),
        ));
    }
    Ok(Footer {
        index_position,
        index_len,
        index_crc,
        version,
    })
}

/// Decodes and checks the index.
pub fn decode_index(bytes: &[u8], footer: &Footer) -> Result<Vec<IndexEntry>> {
    if bytes.len() != footer.index_len as usize {
        return Err(corrupt(
            "object index",
            format!("{} bytes, footer says {}", bytes.len(), footer.index_len),
        ));
    }
    if crc32c::crc32c(bytes) != footer.index_crc {
        return Err(corrupt("object index", "checksum mismatch"));
    }
    let mut b = bytes;
    let mut out = Vec::with_capacity(bytes.len() / INDEX_ENTRY_LEN);
    let mut prev: Option<IndexEntry> = None;
    while b.has_remaining() {
        let stream = b.get_u64();
        let start_offset = b.get_u64();
        let delta = b.get_u32();
        let e = IndexEntry {
            stream,
            start_offset,
            end_offset: start_offset + u64::from(delta),
            record_count: b.get_u32(),
            position: b.get_u64(),
            size: b.get_u32(),
            crc: b.get_u32(),
        };
        if e.position + u64::from(e.size) > footer.index_position {
            return Err(corrupt(
                "object index",
                format!("block at {}+{} overlaps the index", e.position, e.size),
            ));
        }
        if let Some(p) = prev
            && (e.stream, e.start_offset) < (p.stream, p.end_offset)
        {
            return Err(corrupt(
                "object index",
                "entries are not sorted by stream and offset",
            ));
        }
        prev = Some(e);
        out.push(e);
    }
    Ok(out)
}

/// Decodes one block's batches, checking its CRC and that the batches cover exactly the entry's range.
pub fn decode_block(bytes: Bytes, entry: &IndexEntry) -> Result<Vec<Batch>> {
    let what = || {
        format!(
            "block of stream {} at offset {}",
            entry.stream, entry.start_offset
        )
    };
    if bytes.len() != entry.size as usize {
        return Err(corrupt(
            &what(),
            format!("{} bytes, index says {}", bytes.len(), entry.size),
        ));
    }
    if crc32c::crc32c(&bytes) != entry.crc {
        return Err(corrupt(&what(), "checksum mismatch"));
    }
    let mut batches = Vec::new();
    let mut rest = bytes;
    let mut next = entry.start_offset;
    while !rest.is_empty() {
        if rest.len() < BATCH_HEADER_LEN {
            return Err(corrupt(&what(), "truncated batch header"));
        }
        let mut h = &rest[..BATCH_HEADER_LEN];
        let base_offset = h.get_u64();
        let count = h.get_u32();
        let len = h.get_u32() as usize;
        if base_offset != next || count == 0 || rest.len() < BATCH_HEADER_LEN + len {
            return Err(corrupt(
                &what(),
                format!("batch at offset {base_offset} (expected {next}) of {len} bytes"),
            ));
        }
        rest.advance(BATCH_HEADER_LEN);
        let payload = rest.split_to(len);
        next = base_offset + u64::from(count);
        batches.push(Batch {
            stream: entry.stream,
            base_offset,
            count,
            payload,
        });
    }
    if next != entry.end_offset {
        return Err(corrupt(
            &what(),
            format!("batches end at {next}, index says {}", entry.end_offset),
        ));
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(stream: StreamId, base: Offset, count: u32, len: usize) -> Batch {
        let payload = Bytes::from(
            (0..len)
                .map(|i| (i as u64 + base * 7 + stream) as u8)
                .collect::<Vec<_>>(),
        );
        Batch {
            stream,
            base_offset: base,
            count,
            payload,
        }
    }

    fn build(batches: &[Batch], block: usize) -> (Bytes, Vec<StreamRange>) {
        let mut w = ObjectWriter::new(block);
        for b in batches {
            w.add(b).unwrap();
        }
        w.finish()
    }

    fn read_all(obj: &Bytes) -> (Vec<IndexEntry>, Vec<Batch>) {
        let footer = decode_footer(obj, obj.len() as u64).unwrap();
        let start = footer.index_position as usize;
        let index = decode_index(&obj[start..start + footer.index_len as usize], &footer).unwrap();
        let mut out = Vec::new();
        for e in &index {
            let block = obj.slice(e.position as usize..(e.position + u64::from(e.size)) as usize);
            out.extend(decode_block(block, e).unwrap());
        }
        (index, out)
    }

    #[test]
    fn batches_of_many_streams_round_trip_in_blocks() {
        let batches = vec![
            batch(1, 0, 3, 100),
            batch(1, 3, 2, 700),
            batch(1, 5, 1, 50),
            batch(2, 100, 10, 10),
            batch(7, 0, 1, 2000),
            batch(7, 1, 4, 1),
        ];
        let (obj, ranges) = build(&batches, 512);
        assert_eq!(
            ranges,
            [
                StreamRange {
                    stream: 1,
                    start: 0,
                    end: 6
                },
                StreamRange {
                    stream: 2,
                    start: 100,
                    end: 110
                },
                StreamRange {
                    stream: 7,
                    start: 0,
                    end: 5
                },
            ]
        );
        let (index, back) = read_all(&obj);
        assert_eq!(back, batches);
        // Stream 1's 850 bytes are cut at the 512-byte target, and every block holds one stream only.
        assert!(
            index.iter().filter(|e| e.stream == 1).count() >= 2,
            "{index:?}"
        );
        assert_eq!(
            u64::from_be_bytes(obj[obj.len() - 8..].try_into().unwrap()),
            MAGIC
        );
    }

    #[test]
    fn out_of_order_or_gapped_batches_are_refused() {
        let mut w = ObjectWriter::new(1024);
        w.add(&batch(2, 0, 1, 1)).unwrap();
        assert!(w.add(&batch(1, 0, 1, 1)).is_err(), "streams must ascend");
        assert!(w.add(&batch(2, 2, 1, 1)).is_err(), "offsets must be dense");
        assert!(w.add(&batch(2, 1, 0, 1)).is_err(), "batches hold records");
        w.add(&batch(2, 1, 1, 1)).unwrap();
    }

    #[test]
    fn damage_anywhere_is_detected_before_a_byte_is_served() {
        let (obj, _) = build(&[batch(1, 0, 3, 300), batch(2, 0, 1, 300)], 64);
        let footer = decode_footer(&obj, obj.len() as u64).unwrap();
        // A flipped bit in a block.
        let mut bad = obj.to_vec();
        bad[5] ^= 1;
        let start = footer.index_position as usize;
        let index = decode_index(&bad[start..start + footer.index_len as usize], &footer).unwrap();
        let e = index[0];
        let block = Bytes::from(
            bad[e.position as usize..(e.position + u64::from(e.size)) as usize].to_vec(),
        );
        assert!(matches!(
            decode_block(block, &e),
            Err(Error::Corrupt { .. })
        ));
        // A flipped bit in the index.
        let mut bad = obj.to_vec();
        bad[start + 3] ^= 1;
        assert!(decode_index(&bad[start..start + footer.index_len as usize], &footer).is_err());
        // A wrong magic, and a truncated object.
        let mut bad = obj.to_vec();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(decode_footer(&bad, n as u64).is_err());
        assert!(decode_footer(&obj[..obj.len() - 1], obj.len() as u64 - 1).is_err());
    }

    #[test]
    fn an_empty_object_is_still_well_formed() {
        let (obj, ranges) = ObjectWriter::new(1024).finish();
        assert!(ranges.is_empty());
        assert_eq!(obj.len(), FOOTER_LEN);
        assert!(read_all(&obj).1.is_empty());
    }
}
