//! The binary's allocator: mimalloc, asked for plain blocks whenever the alignment
//! allows.
//!
//! mimalloc places every block at a multiple of 8 bytes, so a block of at least 8
//! bytes whose alignment is at most 8 needs no aligned allocation; that is the rule
//! of the standard library's own allocator on Unix (there with malloc's 16). Asking
//! for every block as an aligned one, as the `mimalloc` crate does, costs a detour
//! per allocation, and for a size that is not a power of two mimalloc 3 then
//! over-allocates on its slow path.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment every mimalloc block has.
const PLAIN_ALIGN: usize = 8;

pub struct MiMalloc;

fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

/// A block for `layout` from `plain_fn` where its alignment allows, else from
/// `aligned_fn`: mimalloc's allocating or zeroing pair.
///
/// # Safety
///
/// The two functions must be mimalloc's, which take any size and alignment.
unsafe fn allocate(
    layout: Layout,
    plain_fn: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned_fn: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: the caller passes mimalloc's functions.
    unsafe {
        if plain(layout.align(), layout.size()) {
            plain_fn(layout.size()).cast()
        } else {
            aligned_fn(layout.size(), layout.align()).cast()
        }
    }
}

// SAFETY: every block comes from mimalloc and goes back to it: `mi_free` and
// `mi_realloc*` take blocks of any of its allocation functions. A plain block is
// only handed out where its alignment of 8 meets the layout's (see `plain`).
unsafe impl GlobalAlloc for MiMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions take any size and alignment.
        unsafe { allocate(layout, mi::mi_malloc, mi::mi_malloc_aligned) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe { allocate(layout, mi::mi_zalloc, mi::mi_zalloc_aligned) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, so by mimalloc.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by this allocator with `layout`; the new block
        // keeps the alignment by the same rule as `alloc`.
        unsafe {
            if plain(layout.align(), new_size) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block meets its layout's alignment, plain or not, keeps its bytes when
    /// it grows or shrinks across the line between the two, and comes zeroed when
    /// asked.
    #[test]
    fn blocks_meet_their_alignment_through_reallocation() {
        let allocator = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 7, 8, 12, 24, 40, 176, 1000, 5000, 70_000] {
                let mut layout = Layout::from_size_align(size, align).expect("a layout");
                // SAFETY: every layout has a non-zero size, and every block is
                // reallocated and freed with the layout it has.
                unsafe {
                    let mut block = allocator.alloc(layout);
                    assert_eq!(block as usize % align, 0, "size {size}, align {align}");
                    block.write_bytes(0xA5, layout.size());
                    for new_size in [4, 8, 100, 9000, 2] {
                        block = allocator.realloc(block, layout, new_size);
                        assert_eq!(
                            block as usize % align,
                            0,
                            "{size} to {new_size}, align {align}"
                        );
                        let kept = layout.size().min(new_size);
                        assert!((0..kept).all(|i| *block.add(i) == 0xA5));
                        block.write_bytes(0xA5, new_size);
                        layout = Layout::from_size_align(new_size, align).expect("a layout");
                    }
                    allocator.dealloc(block, layout);
                    let layout = Layout::from_size_align(size, align).expect("a layout");
                    let zeroed = allocator.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0);
                    assert!((0..size).all(|i| *zeroed.add(i) == 0));
                    allocator.dealloc(zeroed, layout);
                }
            }
        }
    }
}
