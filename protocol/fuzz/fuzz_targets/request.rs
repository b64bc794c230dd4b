//! A connection's bytes, as a client could send them: split into frames by the frame decoder, each frame decoded
//! against every API at every version kafka-protocol knows. Decoding may refuse anything; it must never panic
//! past its guard, hang, or allocate beyond the frame it was given.

#![no_main]

use automq_protocol::frame::FrameDecoder;
use automq_protocol::request::decode_request;
use automq_protocol::{ApiKey, VersionRange};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

/// As in automqd: a decoder's oversized up-front allocation must not abort the process.
#[global_allocator]
static ALLOC: automq_protocol::alloc::ReserveLazily = automq_protocol::alloc::ReserveLazily;

/// The broker's request limit is larger; a small one here keeps each run fast and still covers refusals.
const MAX_FRAME: usize = 1 << 20;

fuzz_target!(
    init: {
        // The decoders run behind catch_unwind in the broker; a panic caught there is handled input, so the
        // fuzzer's abort-on-panic hook must not count it. A panic that escapes the guard still aborts below.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let decoder = FrameDecoder::new(MAX_FRAME);
        let mut buf = BytesMut::from(data);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    let all = |key: ApiKey| {
                        let r = key.valid_versions();
                        Some(VersionRange { min: r.min, max: r.max })
                    };
                    let _ = decode_request(frame, all);
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
);
