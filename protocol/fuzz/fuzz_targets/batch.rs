//! A produce request's records for one partition, as any client could send them: the broker's batch checks must
//! refuse or accept without panicking, and a batch they accept must stay valid after the broker writes its own
//! fields into it (base offset and leader epoch, then LogAppendTime with the checksum recomputed).

#![no_main]

use automq_protocol::batch::{check, record_timestamps, set_max_timestamp, stamp, stored_header};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: automq_protocol::alloc::ReserveLazily = automq_protocol::alloc::ReserveLazily;

fuzz_target!(|data: &[u8]| {
    let Ok(info) = check(data, 1 << 20) else {
        return;
    };
    let mut batch = data.to_vec();
    stamp(&mut batch, 1_000, 7);
    let again = check(&batch, 1 << 20).expect("stamping keeps a batch valid");
    assert_eq!(again.count, info.count);
    let header = stored_header(&batch).expect("a checked batch has a header");
    assert_eq!((header.base_offset, header.leader_epoch), (1_000, 7));
    let stamps = record_timestamps(&batch).expect("a checked batch has timestamps");
    assert_eq!(stamps.len() as u32, info.count);
    set_max_timestamp(&mut batch, true, 42);
    let appended = check(&batch, 1 << 20).expect("LogAppendTime keeps a batch valid");
    assert!(appended.log_append_time);
    assert_eq!(record_timestamps(&batch).map(|t| t.len() as u32), Some(info.count));
});
