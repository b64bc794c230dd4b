//! Requests that declare absurd array lengths in a few bytes are refused as malformed, and the process survives.
//! Without `ReserveLazily` as the global allocator, each of these aborts the test binary: kafka-protocol sizes the
//! vector from the declared count before decoding an element.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use automq_protocol::alloc::ReserveLazily;
use automq_protocol::frame::FrameDecoder;
use automq_protocol::request::{RequestError, decode_request};
use automq_protocol::{ApiKey, VersionRange};
use bytes::{Bytes, BytesMut};

#[global_allocator]
static ALLOC: ReserveLazily = ReserveLazily;

fn every_version(key: ApiKey) -> Option<VersionRange> {
    let r = key.valid_versions();
    Some(VersionRange {
        min: r.min,
        max: r.max,
    })
}

fn assert_malformed(payload: &[u8], what: &str) {
    match decode_request(Bytes::copy_from_slice(payload), every_version) {
        Err(RequestError::Malformed { .. }) => {}
        other => panic!("{what}: expected a malformed request, got {other:?}"),
    }
}

#[test]
fn metadata_with_two_billion_topics_in_fourteen_bytes() {
    // Metadata v1, correlation id 7, null client id; topics: count i32::MAX, no elements.
    let payload = [
        0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff,
    ];
    assert_malformed(&payload, "classic array");
}

#[test]
fn metadata_flexible_with_a_compact_array_of_two_billion() {
    // Metadata v12 (flexible): header v2 with a null client id and no tagged fields; topics as a compact array
    // whose varint length says 2^31 - 2 elements.
    let payload = [
        0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff,
        0x07,
    ];
    assert_malformed(&payload, "compact array");
}

#[test]
fn the_fuzzers_first_find() {
    // ElectLeaders v0 framed twice over; the second frame declares a huge topic-partitions array.
    let input: &[u8] = &[
        0x00, 0x00, 0x00, 0x14, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x14,
        0x00, 0x2b, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x0c, 0x08, 0x2c, 0x00, 0x08, 0x08,
        0x23, 0xff, 0xff,
    ];
    let mut buf = BytesMut::from(input);
    let frame = FrameDecoder::new(1 << 20)
        .decode(&mut buf)
        .unwrap()
        .unwrap();
    assert!(decode_request(frame, every_version).is_err());
}
