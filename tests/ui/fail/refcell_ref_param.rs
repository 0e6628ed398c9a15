// A hashed shared reference to a `RefCell`, by any path.
use fncache::cache_data;
use std::cell::RefCell;

#[cache_data]
fn total(values: &RefCell<Vec<u32>>) -> u32 {
    values.borrow_mut().push(1);
    values.borrow().iter().sum()
}

#[cache_data]
fn first(values: Option<&std::cell::RefCell<Vec<u32>>>) -> Option<u32> {
    values.and_then(|v| v.borrow().first().copied())
}

fn main() {
    let values = RefCell::new(vec![1, 2]);
    total(&values);
    first(Some(&values));
}
