// `extern fn` (implicit ABI) and `unsafe extern "C" fn` are rejected, on the ABI.
use fncache::{cache_data, cache_resource};

#[cache_data]
pub extern fn implicit_abi(x: u32) -> u32 {
    x + 1
}

#[cache_resource]
pub unsafe extern "C" fn unsafe_c(x: u32) -> u32 {
    x + 2
}

fn main() {
    implicit_abi(1);
    unsafe { unsafe_c(1) };
}
