//! How much a crafted snapshot makes `Engine::restore` allocate, measured by a counting
//! allocator (its own test binary, one test, so no other test's allocations are counted).
//!
//! A snapshot's length prefixes and one-byte elements (a `None`, an empty list) can describe
//! far more memory than bytes: a run of free call slots is one byte each in the snapshot and
//! ~280 bytes each restored. Decoding charges every element its size against an allowance
//! of 96 bytes per snapshot byte plus 16 KiB (docs/engine.md, "Snapshots"), and reserves
//! nothing ahead, so what a refused snapshot allocated stays within a small multiple of that.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use callroute_core::acd::{Engine, EngineOptions};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        NOW.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            // counted as the old and the new block side by side (a moving realloc)
            let now = NOW.fetch_add(new_size, Relaxed) + new_size;
            PEAK.fetch_max(now, Relaxed);
            NOW.fetch_sub(layout.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// CRC-32 (IEEE), bitwise.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn sealed(body: &[u8]) -> Vec<u8> {
    let mut out = b"CRENGSNP".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend((body.len() as u64).to_le_bytes());
    out.extend(crc32(body).to_le_bytes());
    out.extend(body);
    out
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Peak bytes allocated while restoring `bytes` (refused or not), above what was live.
fn peak_of(bytes: &[u8]) -> usize {
    let before = NOW.load(Relaxed);
    PEAK.store(before, Relaxed);
    let _ = Engine::restore(bytes);
    PEAK.load(Relaxed) - before
}

#[test]
fn crafted_snapshots_allocate_a_small_multiple_of_their_size() {
    // the body of a new engine: its last 13 bytes are the empty `calls`, then zeros
    let empty = Engine::new(EngineOptions::default()).unwrap().snapshot();
    let body = &empty[24..];
    let at = body.len() - 13;
    let with_calls = |n: usize, element: &[u8]| {
        let mut out = body[..at].to_vec();
        varint(n as u64, &mut out);
        for _ in 0..n {
            out.extend(element);
        }
        out.extend(&body[at + 1..]);
        out
    };
    let blobs = [
        // free call slots, one byte each
        ("100,000 free slots", sealed(&with_calls(100_000, &[0]))),
        ("1,000 free slots", sealed(&with_calls(1000, &[0]))),
        // a length prefix far beyond the bytes that follow
        ("a length of 2^60 slots", {
            let mut b = body[..at].to_vec();
            varint(1 << 60, &mut b);
            b.extend([0; 64]);
            sealed(&b)
        }),
        // live calls cut short: each starts decoding, the last fails
        (
            "slots of truncated calls",
            sealed(&with_calls(5000, &[1, 1, b'x'])),
        ),
    ];
    for (what, bytes) in &blobs {
        let peak = peak_of(bytes);
        let n = bytes.len();
        eprintln!(
            "{what}: {n} bytes, peak {peak} bytes allocated ({:.1} per byte)",
            peak as f64 / n as f64
        );
        // the allowance (96 per byte + 16 KiB), with room for growth by doubling and the
        // engine's own tables
        assert!(
            peak <= 3 * (96 * n + 16384) + 4096,
            "{what}: {peak} for {n}"
        );
    }
}
