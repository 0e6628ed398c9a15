// Async methods: `&self`, `self` by value and `hash_self = false`, on a tokio runtime.
use fncache::{cache_data, cache_of, cache_resource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(serde::Serialize, Clone)]
struct Api {
    base: String,
}

struct Pool {
    size: usize,
}

impl Api {
    #[cache_data]
    async fn get(&self, path: &str) -> String {
        RUNS.fetch_add(1, SeqCst);
        format!("{}/{path}", self.base)
    }

    #[cache_data]
    async fn into_base(self) -> String {
        self.base
    }

    #[cache_resource(hash_self = false)]
    async fn pool(&self, size: usize) -> Pool {
        Pool { size }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let a = Api { base: "a".into() };
        let b = Api { base: "b".into() };
        assert_eq!(a.get("x").await, "a/x");
        assert_eq!(a.get("x").await, "a/x");
        assert_eq!(b.get("x").await, "b/x");
        assert_eq!(RUNS.load(SeqCst), 2);
        assert_eq!(a.clone().into_base().await, "a");
        let pool: Arc<Pool> = a.pool(4).await;
        assert!(Arc::ptr_eq(&pool, &b.pool(4).await));
        assert_eq!(pool.size, 4);
        cache_of(Api::get).clear_entry(&a, ("x",));
        cache_of(Api::pool).clear_entry_of::<Api, _>((4usize,));
        assert!(!Arc::ptr_eq(&pool, &b.pool(4).await));
    });
}
