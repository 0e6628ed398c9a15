// `unsafe fn`, sync and async, with doc comments, visibility and other attributes.
use fncache::{cache_data, cache_resource};

/// Reads a value.
///
/// # Safety
/// `ptr` must be valid.
#[cache_data]
#[inline]
#[must_use]
pub unsafe fn read(_ptr: *const u32, id: u32) -> u32 {
    unsafe { *_ptr + id }
}

/// # Safety
/// None needed; it is only marked.
#[cache_resource]
pub(crate) async unsafe fn marked(x: u32) -> u32 {
    x
}

fn main() {
    let v = 1;
    assert_eq!(unsafe { read(&v, 1) }, 2);
    assert_eq!(*futures_executor::block_on(unsafe { marked(3) }), 3);
    read::clear_entry(1);
}
