//! Size-prefixed frames: a big-endian `i32` length followed by that many bytes.

use bytes::{Buf, Bytes, BytesMut};

/// The smallest request a client can send: api key, api version and correlation id.
pub const MIN_REQUEST_LEN: usize = 8;

/// The smallest response a broker can send: a correlation id.
pub const MIN_RESPONSE_LEN: usize = 4;

/// Why a buffer cannot hold a valid frame. The connection must be closed: its byte stream is out of sync.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the limit of {max} bytes (socket.request.max.bytes)")]
    TooLarge { len: usize, max: usize },
    #[error("frame length {len} is negative")]
    Negative { len: i32 },
    #[error("frame of {len} bytes is shorter than the {min}-byte header")]
    TooShort { len: usize, min: usize },
}

/// Splits complete frames off the front of a read buffer.
#[derive(Debug, Clone, Copy)]
pub struct FrameDecoder {
    max_frame_len: usize,
    min_frame_len: usize,
}

impl FrameDecoder {
    /// A decoder for requests, as a broker reads them.
    pub fn new(max_frame_len: usize) -> Self {
        Self {
            max_frame_len,
            min_frame_len: MIN_REQUEST_LEN,
        }
    }

    /// A decoder for responses, as a client reads them: the only fixed part is the correlation id.
    pub fn for_responses(max_frame_len: usize) -> Self {
        Self {
            max_frame_len,
            min_frame_len: MIN_RESPONSE_LEN,
        }
    }

    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Returns the next complete frame's payload (without its length prefix), `Ok(None)` when more bytes are
    /// needed, or an error as soon as the length prefix alone shows the frame can never be valid.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let raw = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        if raw < 0 {
            return Err(FrameError::Negative { len: raw });
        }
        let len = raw as usize;
        if len > self.max_frame_len {
            return Err(FrameError::TooLarge {
                len,
                max: self.max_frame_len,
            });
        }
        if len < self.min_frame_len {
            return Err(FrameError::TooShort {
                len,
                min: self.min_frame_len,
            });
        }
        if buf.len() < 4 + len {
            buf.reserve(4 + len - buf.len());
            return Ok(None);
        }
        buf.advance(4);
        Ok(Some(buf.split_to(len).freeze()))
    }
}

/// Prefixes a payload with its length.
pub fn encode_frame(payload: &[u8], out: &mut BytesMut) {
    out.reserve(4 + payload.len());
    out.extend_from_slice(&(payload.len() as i32).to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(payload: &[u8]) -> BytesMut {
        let mut b = BytesMut::new();
        encode_frame(payload, &mut b);
        b
    }

    #[test]
    fn waits_for_a_whole_frame_then_yields_it() {
        let d = FrameDecoder::new(1024);
        let full = framed(b"0123456789");
        let mut buf = BytesMut::from(&full[..7]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&full[7..]);
        assert_eq!(
            d.decode(&mut buf).unwrap().unwrap(),
            Bytes::from_static(b"0123456789")
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn yields_pipelined_frames_in_order() {
        let d = FrameDecoder::new(1024);
        let mut buf = framed(b"first-frame");
        buf.extend_from_slice(&framed(b"second-frame"));
        assert_eq!(&d.decode(&mut buf).unwrap().unwrap()[..], b"first-frame");
        assert_eq!(&d.decode(&mut buf).unwrap().unwrap()[..], b"second-frame");
        assert_eq!(d.decode(&mut buf), Ok(None));
    }

    #[test]
    fn refuses_a_2_gib_prefix_before_reading_it() {
        let d = FrameDecoder::new(100 * 1024 * 1024);
        let mut buf = BytesMut::from(&i32::MAX.to_be_bytes()[..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooLarge {
                len: i32::MAX as usize,
                max: 100 * 1024 * 1024
            })
        );
        assert!(
            buf.capacity() < 1024 * 1024,
            "must not reserve the claimed length"
        );
    }

    #[test]
    fn refuses_negative_and_tiny_lengths() {
        let d = FrameDecoder::new(1024);
        let mut buf = BytesMut::from(&(-5i32).to_be_bytes()[..]);
        assert_eq!(d.decode(&mut buf), Err(FrameError::Negative { len: -5 }));
        let mut buf = framed(b"abc");
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooShort { len: 3, min: 8 })
        );
    }

    #[test]
    fn responses_may_be_as_short_as_a_correlation_id() {
        let d = FrameDecoder::for_responses(1024);
        let mut buf = framed(b"abcdef");
        assert_eq!(&d.decode(&mut buf).unwrap().unwrap()[..], b"abcdef");
        let mut buf = framed(b"abc");
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooShort { len: 3, min: 4 })
        );
    }
}
