//! The expansion adds no warnings, even under strict lints: a crate that denies them compiles
//! with public, documented cached functions of every kind.
//!
//! The lints are denied on the whole test crate, so this file compiling is most of the test;
//! the tests below check that the functions also work.

#![deny(warnings)]
#![deny(
    rust_2018_idioms,
    future_incompatible,
    nonstandard_style,
    missing_docs,
    missing_debug_implementations,
    missing_copy_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    unused_lifetimes,
    unused_import_braces,
    unused_extern_crates,
    single_use_lifetimes,
    elided_lifetimes_in_paths,
    explicit_outlives_requirements,
    let_underscore_drop,
    macro_use_extern_crate,
    meta_variable_misuse,
    non_ascii_idents,
    redundant_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unit_bindings,
    unnameable_types,
    unsafe_code,
    variant_size_differences
)]
#![deny(clippy::all, clippy::pedantic, clippy::nursery)]

/// Public cached functions, documented as a library's would be.
pub mod api {
    use std::sync::Arc;
    use std::time::Duration;

    use fncache::{cache_data, cache_resource};
    use serde::{Deserialize, Serialize};

    /// A query's result.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Rows {
        /// The rows.
        pub values: Vec<u32>,
    }

    /// A shared handle.
    #[derive(Debug)]
    pub struct Client {
        /// Where it points.
        pub url: String,
    }

    /// Why a call failed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Failed;

    /// The ttl of [`slow_rows`].
    pub const TTL: Duration = Duration::from_secs(60);

    /// Reads some rows, slowly.
    #[cache_data(ttl = TTL, max_entries = 100, show_spinner = "Reading...", show_time = true)]
    #[must_use]
    pub fn slow_rows(table: &str, limit: u32, _trace: bool) -> Rows {
        Rows {
            values: (0..limit)
                .map(|i| i + u32::try_from(table.len()).unwrap_or(0))
                .collect(),
        }
    }

    /// Parses a number; errors are not cached.
    ///
    /// # Errors
    ///
    /// [`Failed`] when `text` is not a number.
    #[cache_data(ttl = "1h 30m")]
    pub fn parse(text: String) -> Result<u64, Failed> {
        text.parse().map_err(|_| Failed)
    }

    /// Does nothing, once per argument.
    #[cache_data(show_spinner = false)]
    pub fn warm_up(level: u8) {
        let _ = level;
    }

    /// Checks a client.
    #[must_use]
    pub const fn is_usable(client: &Client) -> bool {
        !client.url.is_empty()
    }

    /// Connects, once per url.
    #[cache_resource(ttl = 3600, max_entries = 4, validate = is_usable, on_release = drop_client)]
    #[must_use]
    pub fn connect(url: String) -> Client {
        Client { url }
    }

    /// Called when a client leaves the cache.
    pub const fn drop_client(client: &Client) {
        let _ = client;
    }

    /// Connects, or fails; failures are not cached.
    ///
    /// # Errors
    ///
    /// [`Failed`] for an empty url.
    #[cache_resource(validate = |c: &Client| !c.url.is_empty())]
    pub fn try_connect(url: &str) -> Result<Client, Failed> {
        if url.is_empty() {
            Err(Failed)
        } else {
            Ok(Client {
                url: url.to_owned(),
            })
        }
    }

    /// A resource's type stated in full.
    #[must_use]
    pub fn typed() -> Arc<Client> {
        connect("typed".to_owned())
    }
}

use std::sync::Arc;

use api::{Failed, Rows, connect, parse, slow_rows, try_connect, typed, warm_up};

#[test]
fn the_strictly_linted_functions_work() {
    let rows = slow_rows("ab", 3, false);
    assert_eq!(
        rows,
        Rows {
            values: vec![2, 3, 4]
        }
    );
    assert_eq!(slow_rows("ab", 3, true), rows);
    assert_eq!(parse("12".to_owned()), Ok(12));
    assert_eq!(parse("x".to_owned()), Err(Failed));
    warm_up(1);
    let a = connect("db".to_owned());
    assert!(Arc::ptr_eq(&a, &connect("db".to_owned())));
    assert!(try_connect("").is_err());
    assert!(try_connect("db").is_ok());
    assert_eq!(typed().url, "typed");
    slow_rows::clear_entry("ab", 3);
    connect::clear();
    try_connect::clear_entry("db");
    parse::clear();
    warm_up::clear();
}
