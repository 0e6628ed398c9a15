// The deprecated attributes refuse `&mut` and hashed `&Mutex` parameters as the new ones do.
#![allow(deprecated)]
use fncache::{cache, experimental_memo, experimental_singleton};
use std::sync::Mutex;

#[cache]
fn a(buf: &mut Vec<u8>) -> usize {
    buf.len()
}

#[cache(allow_output_mutation = true)]
fn b(state: &Mutex<u32>) -> Mutex<u32> {
    Mutex::new(*state.lock().unwrap())
}

#[experimental_memo]
fn c(buf: &mut Vec<u8>) -> usize {
    buf.len()
}

#[experimental_singleton]
fn d(buf: &mut Vec<u8>) -> String {
    String::from_utf8_lossy(buf).into_owned()
}

fn main() {
    a(&mut Vec::new());
    b(&Mutex::new(0));
    c(&mut Vec::new());
    d(&mut Vec::new());
}
