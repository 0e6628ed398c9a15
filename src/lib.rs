//! Streamlit-style function caching for Rust.
//!
//! Annotate a plain function and it is cached, with no other code:
//!
//! ```
//! use fncache::{cache_data, cache_resource};
//! use std::sync::Arc;
//!
//! /// Slow to compute, cheap to copy: each caller gets its own fresh copy.
//! #[cache_data(ttl = "1h", max_entries = 100)]
//! fn load_table(path: String) -> Vec<u32> {
//!     path.bytes().map(u32::from).collect() // imagine a slow read here
//! }
//!
//! /// Slow to create, meant to be shared: every caller gets the same `Arc`.
//! struct Connection { url: String }
//!
//! #[cache_resource(validate = |c: &Connection| !c.url.is_empty())]
//! fn connect(url: String, _timeout_secs: u64) -> Connection {
//!     Connection { url } // imagine a handshake here
//! }
//!
//! let mut rows = load_table("a.csv".into());
//! rows.clear(); // our copy only
//! assert_eq!(load_table("a.csv".into()).len(), 5); // a hit: a fresh copy
//!
//! let a: Arc<Connection> = connect("db://x".into(), 5);
//! let b = connect("db://x".into(), 30); // `_timeout_secs` is not part of the key
//! assert!(Arc::ptr_eq(&a, &b));
//!
//! load_table::clear(); // every entry of one function
//! connect::clear_entry("db://x".into()); // one entry
//! ```
//!
//! # The two attributes
//!
//! | | [`#[cache_data]`](macro@cache_data) | [`#[cache_resource]`](macro@cache_resource) |
//! |---|---|---|
//! | for | data: tables, strings, numbers, vectors, maps | connections, models, clients |
//! | a hit returns | a fresh copy, decoded from the stored bytes | the same `Arc<T>` for every caller |
//! | the return type | `T: Serialize + DeserializeOwned` | `T: Send + Sync + 'static`; the function returns `Arc<T>` |
//! | options | `ttl`, `max_entries`, `max_size`, `persist`, `version`, `show_spinner`, `show_time` | `ttl`, `max_entries`, `max_size` with `weigh`, `show_spinner`, `show_time`, `validate`, `on_release` |
//!
//! # What both do
//!
//! - **Keys.** Every parameter whose name does not start with `_` is part of the key, and must
//!   implement `serde::Serialize` (a compile error on its type says so otherwise); so are the
//!   types a call is made with. See [Keys](#keys) for exactly what tells two calls apart. A
//!   function's cache is also keyed by its code: editing the function starts a new cache.
//! - **No changes through parameters.** A hit does not run the function, so what it would
//!   change through a parameter is skipped, and the caller sees a wrong result (an empty
//!   buffer). A parameter whose type holds a `&mut` anywhere (`&mut T`, `Option<&mut T>`,
//!   `(&mut T, usize)`, `Vec<&mut T>`) is therefore a compile error, `_` name or not: return the
//!   data instead. So is a hashed shared reference, at any depth, to a well-known
//!   interior-mutability type (`Cell`, `RefCell`, `UnsafeCell`, `SyncUnsafeCell`, `OnceCell`,
//!   `Mutex`, `ReentrantMutex`, `RwLock`, `OnceLock`, `Atomic*`, known by the last segment of
//!   the path: `&parking_lot::Mutex<T>` too): pass the data, or, if it does not change the
//!   result, leave it out of the key (`_pool: &Mutex<Pool>`) or key it with `#[hash_with]`; a
//!   hit still skips what the body does to it. Owned values are accepted (`Mutex<T>`,
//!   `Arc<Mutex<T>>`): their contents at the call are their part of the key, but what the body
//!   changes through a shared `Arc` is skipped on a hit too. The attribute sees only the
//!   written type: through a type alias, a generic `T`, a macro, a raw pointer, or a struct
//!   that holds a `&'a mut` or a `&Mutex` inside, such changes are skipped on a hit with no
//!   error. What a callable parameter takes is not its effect (`impl Fn(&mut Vec<u8>)` is
//!   accepted).
//! - **Compute once.** Concurrent callers with the same arguments wait for one computation and
//!   share its result; callers with other arguments never wait for it. No lock is held while
//!   the function runs, so it may call cached functions, itself included (see
//!   [Recursion](#recursion)).
//! - **Errors are not cached.** If the return type is a `Result` (any type whose last path
//!   segment is `Result`), an `Err` goes back to its caller and nothing is stored; the error
//!   type need not be serializable. A panic stores nothing, and the next caller computes again.
//! - **`ttl`** counts from when a value was stored; reads do not extend it. Expired entries are
//!   removed as new ones are stored, so the cache never holds more than one ttl's worth of
//!   writes, even when keys never repeat.
//! - **`max_entries`** bounds the cache by count and **`max_size`** by bytes (a data value's
//!   encoding, what a resource's `weigh` says, plus [`ENTRY_OVERHEAD`] per entry); the least
//!   recently used entry goes first, and a hit counts as a use. Eviction takes constant time
//!   whatever the size of the cache, and the calls of one thread see exact LRU order (hits on
//!   other threads count once those threads store a value or have made 64 hits).
//! - **A memory budget** bounds all caches together: [`set_memory_budget`]`("2GiB")`, at any
//!   time, or `FNCACHE_MAX_MEMORY=2GiB` in the environment, read when the first cache is first
//!   used (a bad value is ignored with a warning; a later `set_memory_budget` replaces it). It
//!   covers every `#[cache_data]` cache in memory and every `#[cache_resource]` cache with
//!   `weigh`, counted as `max_size` counts ([`memory_used`] also counts the entry overhead of
//!   resource caches without `weigh`, which the budget leaves alone). Over budget, the least
//!   recently used entries across those functions go first (a warning the first time); a
//!   smaller budget evicts before `set_memory_budget` returns; persisted copies on disk stay.
//!   One thread's calls are ordered exactly across functions; other threads' hits count once
//!   handed over, as above.
//! - **Hits from many threads.** Besides the shared cache, each thread keeps a small view of
//!   the entries it has found (per function, up to 1024 entries in a table of at most
//!   128 KiB), so a repeated hit takes no lock and writes no shared memory (a resource hit
//!   only counts its new `Arc`): threads hitting different keys do not slow each other down.
//!   Any removal (a clear, `ttl`, a failed `validate`) reaches every thread's view before its
//!   next call. The views hold resources weakly, so a removed resource is dropped as soon as
//!   its last caller lets it go; they hold small encoded data values (up to 512 bytes)
//!   strongly, until the thread next calls that function. A bounded function's view (and, once
//!   a memory budget is set, every budgeted one's) also notes which entries the thread used,
//!   for the LRU order.
//!
//!   A view is another thread's memory, which a clear cannot free: a thread that stops calling
//!   a function keeps its view of it until it calls the function again or exits. That is at
//!   most a 128 KiB table per function and thread, plus, for `#[cache_data]`, up to 1024
//!   values of at most 512 bytes (about 650 KiB in all), and, for `#[cache_resource]`, the
//!   allocations (not the heap data) of up to 1024 removed values. So an idle thread that once
//!   filled its views of 64 data functions holds up to about 40 MiB; a thread pool's worker
//!   that serves a few hundred keys holds a few hundred KiB.
//! - **Clearing.** Each cached free function `f` gets a companion named `f` (an uninhabited
//!   `enum`, so it lives in the type namespace and never clashes with the function, and can
//!   name everything the function can, even inside another function's body) with
//!   `f::clear()`, which drops all of `f`'s entries, and `f::clear_entry(..)`, which takes
//!   `f`'s hashed parameters in order and drops one entry. A method's cache is reached with
//!   [`cache_of(Type::method)`](cache_of), since an `impl` block cannot hold a companion.
//!   [`cache_data::clear()`] and [`cache_resource::clear()`] empty every cache of their kind. A
//!   computation already running when its cache is cleared returns its value to its caller,
//!   but does not store it. A call that starts after a clear returned never gets a value from
//!   before it, from any thread's view or from disk: with `persist`, the files go first and
//!   memory after, and a value read from disk refills memory only if no clear came meanwhile.
//! - **Letting go of values.** A value leaves the cache when it is evicted, expires, is
//!   cleared or fails `validate`; its `on_release` then runs, and the cache drops its handle
//!   (running the value's `Drop` if no caller holds it). Both happen on the thread that made
//!   the value leave, after the callers waiting for the key being stored were woken and
//!   outside every lock, never while that thread holds another key's computation: so
//!   `on_release` and `Drop` may call any cached function, this one included. A panic in
//!   either is caught and logged (a warning the first time for each function, then at `debug`
//!   level); the value is gone all the same and every key stays usable.
//! - **The spinner.** A computation that takes longer than half a second shows
//!   ``Running `f(...)`.`` on stderr when stderr is a terminal, and erases it when done.
//!   `show_spinner = false` turns it off, `show_spinner = "Loading..."` changes the text,
//!   `show_time = true` adds the elapsed time. [`progress::set_progress_hook`] routes it
//!   elsewhere (a TUI, a log) or silences it.
//! - **Tests of ttl** need not sleep: [`clock::advance`] moves the cache's clock forward.
//!
//! # Keys
//!
//! A key is what serde says of the arguments, written so that two different things never read
//! the same: two calls share an entry only if every hashed argument made the same serde calls
//! with the same values, and the call was made with the same types.
//!
//! - **Every value says what it is.** Each value the serializer sees is written with its
//!   serde kind: `false`, `0u8`, `0i8`, `""`, `[]`, `{}`, `()` and `None` are eight keys, and
//!   so are `1u32` and `'\u{1}'`. Struct, variant and field names are written where serde
//!   gives them, so `#[serde(untagged)]` variants that carry the same payload under other
//!   field names (`ById { id }`, `ByPhone { phone }`), or a `serde_json::Value` of another
//!   kind, never meet; a field left out by `skip_serializing_if` is marked by its name.
//!   Strings and sequences are framed (`("ab", "c")` is not `("a", "bc")`).
//! - **Floats by their bits**: `0.0` and `-0.0` are two keys; a NaN finds only the same NaN.
//! - **Order where it means something.** A `HashMap` or `HashSet` (std's or hashbrown's, at
//!   any depth) is written sorted, so equal ones give one key whatever their hasher; every
//!   other map or sequence keeps its order: an `IndexMap`, or a `serde_json::Map` with
//!   `preserve_order`, in two orders is two keys. (fncache knows a collection is unordered by
//!   the iterator type serde hands it; a map it does not know is keyed in its order: at worst
//!   a miss, never a shared key.)
//! - **Types.** A generic function's type and const arguments are in the key, and so is the
//!   concrete type of every `impl Trait` in a parameter's type, at any depth and also in an
//!   unhashed parameter (`_f: impl Fn(u32) -> u32`: two closures are two entries). A method's
//!   key holds its instance, which carries every generic parameter around it: the method's,
//!   its `impl`'s, and its trait's own (`impl<F> Render<F> for Doc`; a default method of
//!   `trait Describe<T>`). Types are told apart by their name and 64 bits of their `TypeId`
//!   (all that std exposes stably), not by name alone: two closures of one function, or two
//!   block-local `struct Cfg` in sibling blocks, are two types.
//! - **What serde does not write is not in the key.** A field under `#[serde(skip)]` (of an
//!   argument or of `self`), or a `Serialize` impl that leaves state out, cannot tell two values
//!   apart: `alice.whoami()` answers `bob.whoami()` if the field that differs is skipped. So
//!   do untagged variants whose payloads serialize identically (`A(u8)` and `B(u8)` under
//!   `#[serde(untagged)]`: serde writes nothing of the variant). Std types with such impls:
//!   a `SocketAddrV6`'s flow info and scope id, and whether a `RangeInclusive` is exhausted,
//!   are not serialized. A parameter declared as `SocketAddrV6`, `SocketAddr` or
//!   `RangeInclusive<..>` (or a reference to one) is keyed with that state too; inside another
//!   type (a struct field, a `Vec<SocketAddrV6>`) it stays unseen: key such arguments with
//!   `#[hash_with(path)]`, returning what identifies them.
//!
//! A short key (up to 32 bytes: a few numbers or a short string) is compared byte for byte
//! with no hashing; a longer one by its 256-bit blake3 digest. The encoding is stable across
//! processes of one build (persisted entries depend on it); a `TypeId` may change with the
//! next build, so a persisted entry of a generic function or method is then a miss.
//!
//! # Values
//!
//! A `#[cache_data]` value is stored only if what a hit will decode is the value that was
//! computed; otherwise the call is computed every time (a miss, with one warning per
//! function), never answered with another value. Each value is checked when it is stored:
//!
//! - **bincode first.** bincode's format is positional, so the names `Serialize` writes are
//!   traced and compared, while the bytes are decoded back, with the `FIELDS` and `VARIANTS`
//!   the type's `Deserialize` declares. A field skipped on one side only, a variant that is
//!   not deserialized (`#[serde(skip)]` on a variant renumbers its successors) or a
//!   `skip_serializing_if` that fired shows up there.
//! - **CBOR where bincode cannot carry the value**: `skip_serializing_if`, `#[serde(flatten)]`
//!   (maps of unknown length), and every `Deserialize` that needs `deserialize_any`
//!   (`serde_json::Value`, untagged, internally and adjacently tagged enums). CBOR (through
//!   `ciborium`) writes field and variant names and each value's kind. A function whose
//!   value needed CBOR once stores its later values in CBOR directly; its hits cost more
//!   (a 32-byte `String` field in a struct: see `benches/RESULTS.md`).
//! - **Then the decoded value is compared with the computed one**: with `==` where the return
//!   type is `PartialEq` (the macro finds out by itself, also for a generic `T: PartialEq`),
//!   otherwise by their serialized forms (encoded as keys are, so `HashMap` order does not
//!   matter). Without `==`, what `Serialize` leaves out is not seen: a `#[serde(skip)]` field
//!   comes back as its `Default`. And an untagged enum whose variants can serialize alike
//!   (`A(5)` and `B(5)` are both `5`) can only be checked by `==`: a type that needs
//!   `deserialize_any` and is not `PartialEq` is not cached; derive `PartialEq` for it.
//!
//! So values that no format reads back as they were (a `SocketAddrV6`'s scope id, a drained
//! `RangeInclusive`, a skipped field that is not at its default) are recomputed on every
//! call where the type is `PartialEq`. The checks run once per computed value, on a miss;
//! hits only decode.
//!
//! # Recursion
//!
//! A cached function may call itself and other cached functions; what it must not do is wait
//! for a computation that waits for it. fncache sees that coming in two cases, and the inner
//! call then runs the function without the cache, as the plain function would:
//!
//! - **The same key, from inside its own computation**: a memoized recursion that comes back
//!   to arguments it is still computing, by a plain `fn` on its thread or by an `async fn`
//!   in the task that is computing it.
//! - **A circle of threads**: `f(1)` on one thread calls `g(1)` while `g(1)` on another thread
//!   calls `f(1)`. Before a thread blocks on another's computation it follows who waits for
//!   whom; a wait that would close a circle computes instead. (Only a function with an
//!   unhashed `_` parameter can loop like this and still end.)
//!
//! **One case waits for ever: a circle through `async` computations on different tasks.** If
//! a task computing `f(1)` awaits `g(1)` while another task computing `g(1)` awaits `f(1)`,
//! both wait, where the plain functions would finish. A task belongs to no thread and the
//! cache cannot see which task awaits which (an executor may poll it anywhere, or drop it),
//! so it cannot tell this circle from an ordinary wait. The rule that avoids it: an `async`
//! cached function does not await, directly or not, a cached function that may await it back
//! with the same arguments; where a circle is possible, give one of them its own key (an
//! extra hashed parameter) or call the plain code.
//!
//! # Migrating from the deprecated attributes
//!
//! fncache follows Streamlit's naming: `st.cache` became `st.cache_data` and
//! `st.cache_resource`, and the experimental `st.experimental_memo` and
//! `st.experimental_singleton` were renamed to them. The old attributes keep working, and each
//! function that uses one gets a compiler warning that says what to write instead:
//!
//! | old | new | notes |
//! |---|---|---|
//! | `#[experimental_memo(..)]` | `#[cache_data(..)]` | the same options and behaviour: rename it |
//! | `#[experimental_singleton(..)]` | `#[cache_resource(..)]` | the same options and behaviour: rename it |
//! | `#[cache(..)]` | `#[cache_data(..)]` | for data: values are copied on every hit |
//! | `#[cache(allow_output_mutation = true, ..)]` | `#[cache_resource(..)]` | for shared, mutable resources; drop `allow_output_mutation` |
//! | `suppress_st_warning = ..` | *(remove it)* | there are no replay warnings to suppress |
//! | `hash_funcs = ..` | `#[hash_with(path)]` on the parameter, or prefix it with `_` | hashes `path(&param)` instead, or leaves it out of the key |
//! | `experimental_allow_widgets = ..` | *(remove it)* | there are no widgets to replay |
//! | `persist = ..` on a resource | *(remove it)* | only data is serializable, so only `#[cache_data]` persists |
//!
//! Renaming keeps the cache: a function's cache is keyed by its path and code, not by the
//! attribute. For `#[cache]`, the warning recommends one of the two new attributes when the
//! return type is a well-known data type (`String`, numbers, `Vec<u8>`, chrono and time types,
//! polars, ndarray, image, `serde_json::Value`, and collections of those) or a well-known
//! resource (database connections and pools, HTTP and RPC clients, model sessions, files,
//! sockets, and anything in an `Arc`, `Mutex` or `RwLock`). The text is also logged once per
//! function at run time (through `tracing`, target `fncache::deprecated`), so that a deployed
//! program shows it in its logs.
//!
//! To make the warnings errors while migrating, add `#![deny(deprecated)]` to the crate.
#![warn(missing_docs)]

/// Caches a function's data: each call gets its own fresh copy of the value.
///
/// The value is stored encoded (serde + bincode 2, or CBOR where bincode cannot carry it:
/// see the crate docs, "Values"), and every hit decodes a new copy, so a
/// caller can mutate what it gets without changing what any other caller (or a later call)
/// sees. The return type must implement `Serialize` and `DeserializeOwned`; for `Result<T, E>`
/// only `T` must, and an `Err` is not cached.
///
/// # Options
///
/// - `ttl = 60`, `ttl = 0.5`, `ttl = "1h 30m"`, `ttl = Duration::from_secs(60)`: how long an
///   entry lives after it is stored (seconds, a duration string with units `ms`, `s`, `m`,
///   `h`, `d`, `w`, or any `Duration` expression, evaluated on the first call).
/// - `max_entries = 100`: at most this many entries, least recently used evicted first.
/// - `max_size = "500MB"` (or `"1.5GiB"`, `"64 KiB"`, `1048576` bytes): at most this much
///   memory, least recently used evicted first. An entry counts its encoded value plus
///   [`ENTRY_OVERHEAD`]; `KB`..`TB` are powers of 1000, `KiB`..`TiB` of 1024, in any case,
///   fractions allowed. A value larger than the bound on its own is returned and kept alone,
///   with one warning. It bounds memory; persisted entries are bounded by `max_entries`.
/// - `persist = "disk"` (or `true`): also keep entries on disk, across restarts: memory is a
///   layer over the disk, `ttl` and `max_entries` hold there too, and an entry is never
///   returned by another build of the program: other code anywhere in it, other features, a
///   test build (see [`persist`]).
/// - `version = 3` or `version = "2024-06"` (with `persist`): tie persisted entries to this
///   version instead of the build, so they survive rebuilds; bump it when results change.
/// - `show_spinner = false` / `show_spinner = "Loading..."`: the spinner shown on a slow miss.
/// - `show_time = true`: the spinner also shows the elapsed time.
///
/// ```
/// use fncache::cache_data;
///
/// #[cache_data(ttl = "10m", max_entries = 1000, show_spinner = "Fetching prices...")]
/// fn prices(symbols: Vec<String>, _retries: u32) -> Result<Vec<f64>, String> {
///     Ok(symbols.iter().map(|s| s.len() as f64).collect())
/// }
///
/// assert_eq!(prices(vec!["AAPL".into()], 3), Ok(vec![4.0]));
/// prices::clear_entry(vec!["AAPL".into()]);
/// ```
///
/// # Parameters and function shapes
///
/// - A parameter whose name starts with `_` (or the pattern `_`) is left out of the key.
/// - `&mut` parameters, and hashed `&RefCell<T>`, `&Mutex<T>`, `&AtomicUsize` and the like, are
///   refused: a hit would skip what the body changes through them (see
///   [No changes through parameters](crate#what-both-do)).
/// - `#[hash_with(path)] session: &Session` puts `path(&session)` (any `Serialize` value) into
///   the key instead of the parameter, for a type that is not `Serialize` itself.
/// - `async fn`: the awaited value is cached; concurrent awaits of one key run the body once;
///   if the task computing it is dropped, a waiting task takes over. Any executor works.
/// - Methods (`&self`, `self`) and associated functions: `Self` and the receiver are part of
///   the key (`hash_self = false` leaves the receiver out); `&mut self` (and
///   `self: Pin<&mut Self>`) is refused. Clear with [`cache_of(Type::method)`](cache_of). An
///   attribute sees only its function, and tells an associated function from a free one by
///   `self` or `Self` in it: one that has neither needs `associated = true`
///   (`#[cache_data(associated = true)] fn double(x: u32) -> u32`).
/// - Generic functions: the type and const arguments are part of the key, so `f::<u32>` and
///   `f::<u64>` never share an entry; `f::clear_entry::<u32>(..)` takes them too. So is the
///   concrete type of an `impl Trait` anywhere in a parameter's type, also of an unhashed one,
///   which `f::clear_entry` therefore takes as well (see [Keys](crate#keys)).
/// - References, lifetimes, `impl Trait` parameters, `where` clauses, destructuring patterns,
///   `#[cfg]` on parameters, `unsafe fn`, visibility and other attributes pass through.
///   `const fn` and `extern` functions are compile errors.
///
/// # Expands roughly to
///
/// ```text
/// fn prices(symbols: Vec<String>, _retries: u32) -> Result<Vec<f64>, String> {
///     prices::__fncache().get_or_err(
///         || Options::new().ttl(..).max_entries(1000).show_spinner(..),
///         (&Probe::<Vec<f64>>::new()).exact(), // `==` if the type has it: see "Values"
///         KeyWriter::new().arg(&symbols).finish(),
///         move || -> Result<Vec<f64>, String> { /* the original body */ },
///     )
/// }
/// enum prices {}
/// impl prices {
///     fn __fncache() -> &'static DataCache { static CACHE: DataCache = ..; &CACHE }
///     fn clear() { .. }
///     fn clear_entry(symbols: Vec<String>) { .. }
/// }
/// ```
///
/// A method keeps the `static` in its body instead, with `Self` and the receiver in the key;
/// an `async fn` awaits `get_async`.
pub use fncache_macros::cache_data;

/// Caches a function's shared resource: every caller gets the same `Arc<T>`.
///
/// The value is computed once per key and never copied, so it need not be serializable; it
/// must be `Send + Sync + 'static`. The function's declared `-> T` becomes `-> Arc<T>`, and
/// `-> Result<T, E>` becomes `-> Result<Arc<T>, E>` (an `Err` is not cached). To mutate a
/// shared resource, give it interior mutability (`Mutex`, `RwLock`, atomics).
///
/// # Options
///
/// - `ttl`, `max_entries`, `show_spinner`, `show_time`: as for [`cache_data`](macro@cache_data).
/// - `max_size = "4GiB", weigh = Model::bytes`: at most this many bytes, as `weigh` (a
///   `Fn(&T) -> usize`, called once when a value is stored) counts them, plus
///   [`ENTRY_OVERHEAD`] per entry; `max_size` without `weigh` is a compile error. `weigh`
///   alone bounds nothing by itself, but puts the cache under the
///   [memory budget](set_memory_budget) and into [`memory_used`].
/// - `validate = is_alive` or `validate = |c: &Conn| c.ping()`: a `Fn(&T) -> bool` run on every
///   hit (not right after a computation); `false` drops the entry and computes a new one.
///   Changing `validate` does not invalidate the cache. A panic in it counts as `false`.
/// - `on_release = close` or `on_release = |c: &Conn| c.close()`: a `Fn(&T)` called exactly once
///   for every value that leaves the cache, whatever the reason (`max_entries`, `max_size`, `ttl`, a clear,
///   a failed `validate`), and never for a value still in it. Callers that still hold the
///   `Arc` keep a valid value; release is the cache letting go of it.
///
/// ```
/// use fncache::cache_resource;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// struct Client { open: AtomicBool }
///
/// fn is_open(c: &Client) -> bool { c.open.load(Ordering::Relaxed) }
///
/// #[cache_resource(validate = is_open, on_release = |c: &Client| c.open.store(false, Ordering::Relaxed))]
/// fn client(endpoint: String) -> Client {
///     Client { open: AtomicBool::new(true) }
/// }
///
/// let a = client("api".into());
/// a.open.store(false, Ordering::Relaxed); // the connection broke
/// let b = client("api".into()); // validate says no: a new client
/// assert!(!std::sync::Arc::ptr_eq(&a, &b));
/// ```
///
/// # Expands roughly to
///
/// ```text
/// fn client(endpoint: String) -> Arc<Client> {
///     client::__fncache().get(
///         || Options::new(),
///         Hooks::<Client>::new().validate(is_open).on_release(..),
///         KeyWriter::new().arg(&endpoint).finish(),
///         move || -> Client { /* the original body */ },
///     )
/// }
/// enum client {} // + impl client { __fncache(), clear(), clear_entry(endpoint) }
/// ```
pub use fncache_macros::cache_resource;

/// **Deprecated**: use [`#[cache_data]`](macro@cache_data), which has the same behaviour.
///
/// Kept so old code builds; every use prints a deprecation warning, and so does calling the
/// function's `clear()` or `clear_entry()`. See the [migration guide](crate#migrating-from-the-deprecated-attributes).
pub use fncache_macros::experimental_memo;

/// **Deprecated**: use [`#[cache_resource]`](macro@cache_resource), which has the same behaviour.
///
/// Kept so old code builds; every use prints a deprecation warning, and so does calling the
/// function's `clear()` or `clear_entry()`. See the [migration guide](crate#migrating-from-the-deprecated-attributes).
pub use fncache_macros::experimental_singleton;

/// **Deprecated**: use [`#[cache_data]`](macro@cache_data) or [`#[cache_resource]`](macro@cache_resource).
///
/// The old all-in-one attribute: with `allow_output_mutation = true` it behaves as
/// `#[cache_resource]` (one shared `Arc<T>`), otherwise as `#[cache_data]` (a fresh copy on
/// every hit). It accepts `ttl`, `max_entries`, `persist`, `show_spinner`,
/// `allow_output_mutation` and `suppress_st_warning` (which has no effect). Every use prints
/// a deprecation warning that recommends one of the new attributes when the return type makes
/// the choice clear. See the [migration guide](crate#migrating-from-the-deprecated-attributes).
pub use fncache_macros::cache;

/// Controls every `#[cache_data]` cache of the process.
pub mod cache_data {
    /// Empties every `#[cache_data]` cache in the process, and removes this program's
    /// persisted entries, those of functions not called in this process included.
    pub fn clear() {
        fncache_runtime::clear_all_data();
    }
}

/// Controls every `#[cache_resource]` cache of the process.
pub mod cache_resource {
    /// Empties every `#[cache_resource]` cache in the process, releasing each value.
    pub fn clear() {
        fncache_runtime::clear_all_resources();
    }
}

pub use fncache_runtime::{
    ByteSize, CacheHandle, ENTRY_OVERHEAD, SizeError, clock, memory_budget, memory_used, progress,
    remove_memory_budget, set_memory_budget,
};

/// Persistence for `#[cache_data(persist = "disk")]`: where entries are kept, what makes them
/// safe to return, and the [`Storage`](persist::Storage) trait to keep them elsewhere.
pub use fncache_runtime::persist;

/// Keeps persisted entries under `dir` instead of `$FNCACHE_DIR` or the user's cache
/// directory (`~/.cache/fncache` on Linux).
///
/// Call it at the start of `main`, before any cached function runs: the first persisted call
/// fixes where entries go, and a later call returns [`persist::StorageInUse`].
///
/// ```no_run
/// use fncache::cache_data;
///
/// #[cache_data(persist = "disk")]
/// fn report(day: u32) -> String {
///     format!("report for day {day}")
/// }
///
/// fncache::set_cache_dir("/var/cache/my-app").expect("nothing cached has run yet");
/// report(7); // computed, then written under /var/cache/my-app
/// ```
pub fn set_cache_dir(dir: impl Into<std::path::PathBuf>) -> Result<(), persist::StorageInUse> {
    persist::set_cache_dir(dir)
}

/// The cache handle of a method, which has no companion `f::clear()`.
///
/// ```
/// use fncache::{cache_data, cache_of};
///
/// #[derive(serde::Serialize)]
/// struct Circle { r: f64 }
///
/// impl Circle {
///     #[cache_data]
///     fn area(&self, scale: f64) -> f64 { 3.14159 * self.r * self.r * scale }
/// }
///
/// let c = Circle { r: 2.0 };
/// c.area(1.0);
/// cache_of(Circle::area).clear_entry(&c, (1.0,)); // one entry: the receiver, then the rest
/// cache_of(Circle::area).clear(); // all of them
/// ```
pub use fncache_runtime::cache_of;

/// The README's example, compiled and run as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[doc(hidden)]
pub mod __private {
    pub use fncache_runtime::codec::{ByEq, BySerialization, Exact, Probe};
    pub use fncache_runtime::key::{Key, KeyWriter};
    pub use fncache_runtime::{
        DataCache, FnId, Hooks, MethodName, Options, ResourceCache, ShowSpinner, log_deprecation,
    };
    pub use std::sync::Arc;
    pub use std::time::Duration;

    /// Runs `body` on `args`: binds parameters given as patterns to the user's block.
    #[inline(always)]
    pub fn bind<A, R>(args: A, body: impl FnOnce(A) -> R) -> R {
        body(args)
    }

    /// [`bind`] for an `async fn`.
    pub async fn bind_async<A, R>(args: A, body: impl AsyncFnOnce(A) -> R) -> R {
        body(args).await
    }
}
