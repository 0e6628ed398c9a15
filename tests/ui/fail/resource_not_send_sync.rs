use fncache::cache_resource;
use std::rc::Rc;

#[cache_resource]
fn shared(x: u32) -> Rc<u32> {
    Rc::new(x)
}

fn main() {
    shared(1);
}
