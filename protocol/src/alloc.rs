//! A global allocator that reserves very large blocks lazily, so a request that declares an absurd array length
//! cannot abort the broker.
//!
//! kafka-protocol 0.18 sizes a decoded array with `Vec::with_capacity(count)`, `count` read from the wire before
//! any element is decoded. A 33-byte request can declare 2^31 elements of a 100-byte struct: a 200 GB allocation.
//! The system allocator refuses anything larger than memory plus swap, and a refused allocation aborts the process
//! (it is not a panic, so the decoder's guard cannot catch it). Found by the `request` fuzz target.
//!
//! [`ReserveLazily`] hands allocations of [`LAZY_THRESHOLD`] bytes or more to `mmap` with `MAP_NORESERVE`:
//! address space only, no commitment. The pages a decoder actually writes are bounded by the frame it reads, so the
//! huge vector costs almost nothing, decoding fails on the short buffer as it should, and the block is unmapped.
//! Everything smaller goes to the system allocator unchanged. Under `vm.overcommit_memory=2` the kernel ignores
//! `MAP_NORESERVE` and such requests fail as before; the broker's docs say so.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

/// Allocations at least this large are reserved lazily.
pub const LAZY_THRESHOLD: usize = 1 << 30;
const PAGE: usize = 4096;

/// See the module documentation. Install with `#[global_allocator] static A: ReserveLazily = ReserveLazily;`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReserveLazily;

fn lazy(layout: &Layout) -> bool {
    layout.size() >= LAZY_THRESHOLD && layout.align() <= PAGE
}

unsafe fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping with no address hint touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

// SAFETY: every block comes from either `System` or `mmap`, and the layout (which callers must pass unchanged to
// `dealloc` and `realloc`) tells which: the same `lazy` test routes both ways. mmap blocks are page-aligned,
// which covers every alignment `lazy` accepts, and anonymous mappings are zero-filled.
unsafe impl GlobalAlloc for ReserveLazily {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if lazy(&layout) {
            unsafe { map(layout.size()) }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if lazy(&layout) {
            unsafe { map(layout.size()) }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if lazy(&layout) {
            // SAFETY: `ptr` and the size are those of a mapping made by `map`.
            unsafe { libc::munmap(ptr.cast(), layout.size()) };
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded to the alignment, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if !lazy(&layout) && !lazy(&new_layout) {
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_blocks_are_usable_and_free() {
        let a = ReserveLazily;
        // 64 GiB: more than this machine has, refused by the system allocator under default overcommit.
        let layout = Layout::from_size_align(64 << 30, 8).unwrap();
        // SAFETY: the layout is non-zero; the block is written within bounds and freed with its layout.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            *p = 7;
            *p.add((64 << 30) - 1) = 9;
            assert_eq!(*p, 7);
            let q = a.realloc(p, layout, 1024);
            assert_eq!(*q, 7);
            a.dealloc(q, Layout::from_size_align(1024, 8).unwrap());
        }
    }
}
