//! Memory accounting: the global allocator (mimalloc, wrapped to count
//! live bytes the way Redis's zmalloc does for INFO used_memory) and the
//! process's resident set size from /proc.
//!
//! mimalloc is chosen for speed and for its size classes without per-chunk
//! headers, which matter for millions of small keys (measured against
//! redis-server's jemalloc in scripts/bench-serve.sh). The counter is one
//! relaxed atomic add per allocation.
//!
//! Each allocation counts what the allocator hands out for it, its size
//! rounded up to mimalloc's size class ([`charged`]), as Redis's zmalloc
//! counts the usable size of each block rather than the size asked for.
//! Under `maxmemory`, counting requested sizes let the keyspace hold
//! about a fifth more than the limit in real memory (measured with 100-byte
//! values: resident memory 1.28× redis-server's at the same limit).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

use mimalloc::MiMalloc;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// The bytes an allocation of `size` takes in mimalloc: sizes up to eight
/// words get a class per double word; above that, each power of two is split in
/// four classes (the size rounded up to its top three bits); blocks past
/// the largest class (512 KiB) are rounded to whole 4 KiB pages. This is
/// mimalloc's `mi_good_size` computed inline: it runs on every
/// allocation and free, and the same size always gives the same answer,
/// so the counter stays balanced.
#[inline]
pub fn charged(size: usize) -> usize {
    const WORD: usize = std::mem::size_of::<usize>();
    const LARGEST_CLASS: usize = 512 * 1024;
    let words = size.div_ceil(WORD).max(1);
    if words <= 8 {
        // Rounded to double words above one word.
        return if words == 1 {
            WORD
        } else {
            ((words + 1) & !1) * WORD
        };
    }
    if size > LARGEST_CLASS {
        return size.next_multiple_of(4096);
    }
    let w = words - 1;
    let top = usize::BITS - 1 - w.leading_zeros();
    ((w | ((1 << (top - 2)) - 1)) + 1) * WORD
}

/// The process-wide allocator: mimalloc plus a live-bytes counter.
///
/// Allocations aligned to a word or less go to plain `mi_malloc` (every
/// mimalloc block is word-aligned), not to `mi_malloc_aligned` as the
/// mimalloc crate does for every layout. mimalloc's aligned path serves a
/// request from a page of its size class only when such a page already has
/// a free block, and otherwise over-allocates by the alignment minus one,
/// from the next class up; a class whose first block was over-allocated
/// never gets a page of its own, so every later block of that size pays for
/// the larger class. Measured with 1M keys whose table nodes are 42 bytes
/// (align 8): 85 MB resident through the aligned path, 71 MB for 41-byte
/// nodes, which still fit their 48-byte class after the over-allocation.
pub struct Counting;

const WORD: usize = std::mem::size_of::<usize>();

unsafe extern "C" {
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(p: *mut std::ffi::c_void, newsize: usize) -> *mut std::ffi::c_void;
}

// SAFETY: every method forwards to mimalloc (plain or aligned allocation,
// see above) and only adjusts a counter; pointers are passed through as
// received, and blocks from either entry point are freed by mi_free.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= WORD {
            // SAFETY: every mimalloc block is at least word-aligned.
            unsafe { mi_malloc(layout.size()).cast() }
        } else {
            unsafe { MiMalloc.alloc(layout) }
        };
        if !p.is_null() {
            ALLOCATED.fetch_add(charged(layout.size()), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= WORD {
            // SAFETY: as in `alloc`.
            unsafe { mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        };
        if !p.is_null() {
            ALLOCATED.fetch_add(charged(layout.size()), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { MiMalloc.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(charged(layout.size()), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = if layout.align() <= WORD {
            // SAFETY: as in `alloc`; `ptr` came from this allocator.
            unsafe { mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            unsafe { MiMalloc.realloc(ptr, layout, new_size) }
        };
        if !p.is_null() {
            let (new, old) = (charged(new_size), charged(layout.size()));
            if new >= old {
                ALLOCATED.fetch_add(new - old, Ordering::Relaxed);
            } else {
                ALLOCATED.fetch_sub(old - new, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes currently allocated through the global allocator.
pub fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// Resident set size in bytes (0 when /proc is unavailable).
pub fn rss() -> usize {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as usize
}

/// Turn transparent huge pages off for this process, as redis-server does
/// by default (`disable-thp yes`). With THP, the first touch of each 2 MiB
/// region of the allocator's arena zeroes (and may compact) a huge page
/// inside whatever command allocated there: measured as a 3 ms stall every
/// ~2 MiB while filling a keyspace. Failure (an old kernel) is harmless.
/// Allocator options, set before the first allocation (a constructor
/// that runs before the Rust runtime allocates). mimalloc commits its arena
/// eagerly on Linux (overcommit) and then only resets what it frees, so
/// the pages a burst of allocations touched stay resident (about 8 MiB
/// after start-up); an arena committed on demand decommits freed memory.
#[used]
#[unsafe(link_section = ".init_array.00099")]
static CONFIGURE_ALLOCATOR: extern "C" fn() = configure_allocator;

extern "C" fn configure_allocator() {
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // mimalloc.h's mi_option_e: mi_option_arena_eager_commit.
    const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
    // SAFETY: setting an option takes plain integers; mimalloc reads it
    // when it reserves its first arena.
    unsafe { mi_option_set(ARENA_EAGER_COMMIT, 0) };
}

pub fn disable_transparent_huge_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" {
        fn mi_good_size(size: usize) -> usize;
    }

    #[test]
    fn word_aligned_blocks_get_their_own_size_class() {
        unsafe extern "C" {
            fn mi_usable_size(p: *const std::ffi::c_void) -> usize;
        }
        // Many 42-byte, 8-aligned blocks (a keyspace node's shape): each
        // takes its 48-byte class, never the over-allocated next one.
        let layout = Layout::from_size_align(42, 8).expect("valid layout");
        let blocks: Vec<*mut u8> = (0..10_000)
            // SAFETY: a non-zero layout.
            .map(|_| unsafe { GLOBAL.alloc(layout) })
            .collect();
        for &p in &blocks {
            assert!(!p.is_null() && (p as usize).is_multiple_of(8));
            // SAFETY: a live mimalloc block.
            assert_eq!(unsafe { mi_usable_size(p.cast()) }, 48);
        }
        for p in blocks {
            // SAFETY: allocated above with this layout.
            unsafe { GLOBAL.dealloc(p, layout) };
        }
    }

    #[test]
    fn charged_sizes_are_mimallocs_size_classes() {
        for size in (0..4096).chain((4096..600_000).step_by(97)) {
            // SAFETY: mi_good_size only computes a size.
            let good = unsafe { mi_good_size(size) };
            assert_eq!(charged(size), good.max(8), "size {size}");
        }
    }
}
