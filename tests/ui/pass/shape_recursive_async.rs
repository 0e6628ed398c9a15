// A recursive `async fn`, through `Box::pin`.
use fncache::cache_data;

#[cache_data]
async fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        Box::pin(fib(n - 1)).await + Box::pin(fib(n - 2)).await
    }
}

fn main() {
    assert_eq!(futures_executor::block_on(fib(50)), 12_586_269_025);
}
