use fncache::{cache_data, cache_resource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(ttl = "1m")]
async fn fetch(url: String) -> usize {
    RUNS.fetch_add(1, Ordering::SeqCst);
    url.len()
}

#[cache_resource]
async fn connect(url: String) -> Result<String, std::io::Error> {
    Ok(url)
}

fn main() {
    futures_executor::block_on(async {
        assert_eq!(fetch("abc".into()).await, 3);
        assert_eq!(fetch("abc".into()).await, 3);
        assert_eq!(RUNS.load(Ordering::SeqCst), 1);
        let a = connect("db".into()).await.unwrap();
        let b = connect("db".into()).await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    });
}
