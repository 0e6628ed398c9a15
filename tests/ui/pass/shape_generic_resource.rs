// A generic resource is stored type-erased and downcast to the caller's type.
use fncache::cache_resource;
use std::sync::Arc;

#[cache_resource]
fn registry<T: Default + Send + Sync + 'static>(name: &str) -> T {
    let _ = name;
    T::default()
}

fn main() {
    let a: Arc<Vec<u8>> = registry("r");
    let b: Arc<String> = registry("r");
    assert!(a.is_empty() && b.is_empty());
    assert!(Arc::ptr_eq(&a, &registry::<Vec<u8>>("r")));
    registry::clear_entry::<String>("r");
}
