//! A tokio service in which many requests need the same slow lookup at the same moment.
//!
//! Eight requests for user 42 arrive together: the profile is looked up once, and all eight
//! get it. A request for another user does not wait for that lookup, and a later request for
//! user 42 is answered from the cache.
//!
//! Run it with `cargo run --example async_service`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fncache::{cache_data, cache_resource};
use serde::{Deserialize, Serialize};

/// What the profile service returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Profile {
    id: u32,
    name: String,
    plan: String,
}

/// How many times the slow lookup really ran.
static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// A client for the profile service: created once, shared by every task.
struct ProfileClient {
    base_url: String,
}

#[cache_resource]
async fn client(base_url: String) -> ProfileClient {
    println!("  [client] connecting to {base_url}");
    ProfileClient { base_url }
}

/// The slow lookup (imagine a database query or an HTTP call). An `Err` is not cached, so a
/// failed lookup is tried again by the next request.
#[cache_data(ttl = "5m")]
async fn fetch_profile(user_id: u32) -> Result<Profile, String> {
    let client = client("https://profiles.internal".to_owned()).await;
    LOOKUPS.fetch_add(1, Ordering::SeqCst);
    println!(
        "  [lookup] fetching user {user_id} from {} ...",
        client.base_url
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    if user_id == 0 {
        return Err("user 0 does not exist".to_owned());
    }
    let plan = if user_id.is_multiple_of(2) {
        "team"
    } else {
        "free"
    };
    Ok(Profile {
        id: user_id,
        name: format!("user-{user_id}"),
        plan: plan.to_owned(),
    })
}

/// One incoming request.
async fn handle_request(request: usize, user_id: u32) -> String {
    match fetch_profile(user_id).await {
        Ok(profile) => format!(
            "request {request}: {} (id {}) is on the {} plan",
            profile.name, profile.id, profile.plan
        ),
        Err(e) => format!("request {request}: error: {e}"),
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("a tokio runtime");

    runtime.block_on(async {
        println!("8 requests for user 42 and 1 for user 7 arrive at once:");
        let start = Instant::now();
        let mut tasks: Vec<_> = (0..8)
            .map(|request| tokio::spawn(handle_request(request, 42)))
            .collect();
        tasks.push(tokio::spawn(handle_request(8, 7)));
        for task in tasks {
            println!("{}", task.await.expect("the request task"));
        }
        println!(
            "-> {} lookups for 9 requests (one per user), in {:.1?}\n",
            LOOKUPS.load(Ordering::SeqCst),
            start.elapsed()
        );

        println!("A later request for user 42:");
        let start = Instant::now();
        println!("{}", handle_request(9, 42).await);
        println!(
            "-> still {} lookups: answered from the cache in {:.1?}\n",
            LOOKUPS.load(Ordering::SeqCst),
            start.elapsed()
        );

        println!("Two requests for a user that does not exist:");
        println!("{}", handle_request(10, 0).await);
        println!("{}", handle_request(11, 0).await);
        println!(
            "-> {} lookups: an error is not cached, so each request tried again\n",
            LOOKUPS.load(Ordering::SeqCst)
        );

        let shared = Arc::ptr_eq(
            &client("https://profiles.internal".to_owned()).await,
            &client("https://profiles.internal".to_owned()).await,
        );
        println!("Every lookup used the same client: {shared}");
    });
}
