//! Persistence of `#[cache_data(persist = "disk")]` entries, across restarts.
//!
//! Memory is a layer over the persistent store: a memory hit never touches it; a memory miss
//! reads it (and a value found there refills memory); a computed value goes to both. The store
//! itself is behind a small trait, [`Storage`], whose default implementation is the local disk
//! ([`DiskStorage`]); another (a shared Redis, a test double) can be installed at start-up with
//! [`set_storage`].
//!
//! Where the disk store lives: [`set_cache_dir`] if it was called before the first persisted
//! call, otherwise the `FNCACHE_DIR` environment variable, otherwise `fncache` in the user's
//! cache directory (see [`DiskStorage::default_dir`]). Entries are grouped per program (the
//! crate that defines the function) and per function, so one program's clear never touches
//! another's.
//!
//! What makes a persisted entry safe to return:
//!
//! - Every record carries a header (format version, function, key, type fingerprint, time
//!   stored, length) and a checksum over all of it; anything that does not check out exactly
//!   is a miss, logged once, and the value is recomputed and the record replaced.
//! - **An entry belongs to one build.** A function's identity (in every record header and in
//!   the name of the version its entries live under) is its path, its crate's name and
//!   version, its code hash, where it is written (`file:line:column`, so two nested
//!   `fn inner` of one module are two functions), and the blake3 digest of the running
//!   executable, read once per process. Any build that could compute differently is another
//!   executable: other code anywhere in the program (a helper, a `const`, a `with` function,
//!   a changed argument or return type, a dependency), other features or cfg, a test build.
//!   So a rebuild of changed code starts with no persisted entries, and the entries of other
//!   builds are removed when the function is first used (entries of the same build, of other
//!   functions with the same path, are kept). What no build can see is not covered: files
//!   and databases the function reads, environment variables, the clock; key those by an
//!   argument. If the executable cannot be read, nothing is persisted (one warning).
//! - **`version = ..` replaces the build.** `#[cache_data(persist = true, version = 3)]` (an
//!   integer or a string) ties entries to the path, the crate's name and version, and the
//!   given version only, so they survive rebuilds: bump it when the function's results
//!   change. The value's type fingerprint (below) still guards its shape. Two functions with
//!   one path and one `version` in a process would share entries; the second one used is not
//!   persisted (one warning).
//! - The value's type is fingerprinted (its serde shape), so an entry written for an older
//!   definition of the type is a miss, even though the function's code did not change.
//! - `ttl` counts from when the entry was stored, on the wall clock, across restarts.
//! - Decoding is bounded by the record's length.
//!
//! Persistence is best effort: an unwritable directory, a full disk or an unreadable file
//! never fails a call. The value is computed and returned, kept in memory, and one warning is
//! logged for the function.
//!
//! ```no_run
//! use fncache_runtime::persist;
//!
//! // At the start of `main`, before any cached function runs:
//! persist::set_cache_dir("/var/cache/my-app").expect("no cached function has run yet");
//! ```

mod disk;
mod fingerprint;
mod format;

pub use disk::DiskStorage;
pub use format::{HEADER_LEN, VERSION};

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use crate::bounds::CacheData;
use crate::clock;
use crate::codec::{self, Codec, CodecError, Exact};
use crate::key::Key;
use crate::options::{FnId, Options};
use fingerprint::{Fingerprint, ShapeError};
use format::{Header, Invalid};

/// Where persisted entries are kept: the boundary between fncache and a persistent store.
///
/// fncache hands the store opaque *records* (a header and the encoded value, see
/// [`HEADER_LEN`]) and checks every record it gets back, so an implementation only stores
/// and returns bytes; it need not verify them. Every method is best effort: an error is logged
/// by the caller and the call goes on from memory, so an implementation should fail rather
/// than block for long.
///
/// [`DiskStorage`] is the default. Install another with [`set_storage`]:
///
/// ```
/// use std::collections::HashMap;
/// use std::io;
/// use std::sync::{Arc, Mutex};
/// use fncache_runtime::persist::{self, Entry, Function, Retention, Storage, Versions};
///
/// /// Keeps records in a map (a Redis client would keep them in Redis).
/// #[derive(Default)]
/// struct InMemory(Mutex<HashMap<(String, String, String, [u8; 32]), Arc<[u8]>>>);
///
/// fn name(e: &Entry<'_>) -> (String, String, String, [u8; 32]) {
///     let f = e.function;
///     (f.program.into(), f.path.into(), f.version.into(), e.key)
/// }
///
/// impl Storage for InMemory {
///     fn get(&self, entry: &Entry<'_>) -> io::Result<Option<Arc<[u8]>>> {
///         Ok(self.0.lock().unwrap().get(&name(entry)).cloned())
///     }
///     fn put(&self, entry: &Entry<'_>, record: &[u8], _: &Retention) -> io::Result<()> {
///         self.0.lock().unwrap().insert(name(entry), record.into());
///         Ok(())
///     }
///     fn remove(&self, entry: &Entry<'_>) -> io::Result<()> {
///         self.0.lock().unwrap().remove(&name(entry));
///         Ok(())
///     }
///     fn clear_function(&self, f: &Function<'_>, versions: Versions) -> io::Result<()> {
///         self.0.lock().unwrap().retain(|(program, path, version, _), _| {
///             !(program == f.program
///                 && path == f.path
///                 && (versions == Versions::All
///                     || !(version == f.version || persist::same_build(version, f.version))))
///         });
///         Ok(())
///     }
///     fn clear_program(&self, program: &str) -> io::Result<()> {
///         self.0.lock().unwrap().retain(|(p, ..), _| p != program);
///         Ok(())
///     }
/// }
///
/// persist::set_storage(InMemory::default()).expect("before any persisted call");
/// ```
pub trait Storage: Send + Sync + 'static {
    /// The record stored for `entry`, or `None`. A store that bounds its entries by use
    /// (`max_entries`) counts this as a use.
    ///
    /// The record comes back shared because it is kept in memory as it is (a hit of a large
    /// value then costs no extra copy of it).
    fn get(&self, entry: &Entry<'_>) -> io::Result<Option<Arc<[u8]>>>;

    /// Stores `record` for `entry`, replacing any, so that a concurrent [`get`](Self::get)
    /// returns the old record or the new one, never a mix. `retention` says how long the
    /// function's entries live and how many it keeps: a store should drop expired and least
    /// recently used entries beyond them.
    fn put(&self, entry: &Entry<'_>, record: &[u8], retention: &Retention) -> io::Result<()>;

    /// Removes `entry`'s record, if there is one.
    fn remove(&self, entry: &Entry<'_>) -> io::Result<()>;

    /// Removes the records of `function`: of every version of its code, or of every version
    /// but `function.version`.
    fn clear_function(&self, function: &Function<'_>, versions: Versions) -> io::Result<()>;

    /// Removes every record of `program`.
    fn clear_program(&self, program: &str) -> io::Result<()>;
}

/// One version of one cached function, as the store sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Function<'a> {
    /// The crate that defines the function: entries are grouped (and cleared) by program.
    pub program: &'a str,
    /// The function's path (`my_crate::db::load`).
    pub path: &'a str,
    /// The function's version: a digest of what its entries depend on (its code, where it is
    /// written and the executable, or its `version = ..`); entries of another version are
    /// never returned.
    pub version: &'a str,
}

impl<'a> Function<'a> {
    /// The function `path` of `program`, at the code version `version`.
    pub fn new(program: &'a str, path: &'a str, version: &'a str) -> Self {
        Function {
            program,
            path,
            version,
        }
    }

    /// The function a cache belongs to: its program is the first segment of its path, its
    /// version names its identity (see the module docs): the build's and the function's, or
    /// its `version = ..`. Empty if the executable cannot be read (nothing is persisted then).
    ///
    /// ```
    /// use fncache_runtime::{FnId, persist::Function};
    /// let f = Function::of(&FnId::new("my_app::db::load", "c0de").versioned("3"));
    /// assert_eq!((f.program, f.path), ("my_app", "my_app::db::load"));
    /// assert!(f.version.starts_with("v-"));
    /// let g = Function::of(&FnId::new("my_app::db::load", "c0de").versioned("4"));
    /// assert_ne!(f.version, g.version);
    /// ```
    pub fn of(id: &FnId) -> Function<'static> {
        let version = identity(id).map_or("", |identity| identity.version);
        Function::new(program_of(id.path), id.path, version)
    }
}

/// One entry: a function and the 256-bit digest of a call's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Entry<'a> {
    /// Whose entry it is.
    pub function: Function<'a>,
    /// The digest of the call's key ([`Key::digest`]): never the arguments themselves.
    pub key: [u8; 32],
}

impl<'a> Entry<'a> {
    /// The entry of `function` for the key whose digest is `key` ([`Key::digest`]).
    pub fn new(function: Function<'a>, key: [u8; 32]) -> Self {
        Entry { function, key }
    }
}

/// How long a function's entries live, and how many it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Retention {
    /// The function's `ttl`, counted from when an entry was stored.
    pub ttl: Option<Duration>,
    /// The function's `max_entries`, least recently used first out.
    pub max_entries: Option<usize>,
}

/// Which of a function's records [`Storage::clear_function`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// Those of every version of the function's code.
    All,
    /// Those of other builds: every version but the current one and the others of the same
    /// build ([`same_build`]), which are other functions of the same path (two nested
    /// `fn inner` of one module).
    AllButCurrent,
}

/// Whether two versions of a function's path belong to one build, so that making one current
/// must not remove the other: a version is `<build>-<identity>`, where the build is the
/// executable's digest (or `v` for functions that give `version = ..`).
///
/// ```
/// use fncache_runtime::persist::same_build;
/// assert!(same_build("1a2b3c4d-aaaa", "1a2b3c4d-bbbb"));
/// assert!(!same_build("1a2b3c4d-aaaa", "99999999-aaaa"));
/// ```
pub fn same_build(a: &str, b: &str) -> bool {
    match (a.split_once('-'), b.split_once('-')) {
        (Some((x, _)), Some((y, _))) => x == y,
        _ => false,
    }
}

/// The persistent store was already chosen: the first persisted call (or clear) chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageInUse;

impl fmt::Display for StorageInUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "fncache's persistent store is already in use: choose it before the first persisted call",
        )
    }
}

impl std::error::Error for StorageInUse {}

/// The process's store; `None` when there is nowhere to persist to.
static STORAGE: OnceLock<Option<Box<dyn Storage>>> = OnceLock::new();

/// Installs the persistent store, in place of the local disk. Call it at start-up: once a
/// persisted function has been called (or cleared), the store is fixed and this returns
/// [`StorageInUse`]. See [`Storage`] for an example.
pub fn set_storage(storage: impl Storage) -> Result<(), StorageInUse> {
    STORAGE
        .set(Some(Box::new(storage)))
        .map_err(|_| StorageInUse)
}

/// Keeps persisted entries on the local disk under `dir`, rather than under `FNCACHE_DIR` or
/// the user's cache directory. Call it at start-up, before any persisted function runs.
///
/// ```no_run
/// fncache_runtime::persist::set_cache_dir("/var/cache/my-app").unwrap();
/// ```
pub fn set_cache_dir(dir: impl Into<PathBuf>) -> Result<(), StorageInUse> {
    set_storage(DiskStorage::new(dir))
}

/// The store, chosen now if it was not yet.
fn storage() -> Option<&'static dyn Storage> {
    let storage = STORAGE.get_or_init(|| match DiskStorage::dir_from_env() {
        Some(dir) => Some(Box::new(DiskStorage::new(dir))),
        None => {
            tracing::warn!(
                "fncache: no cache directory (set `FNCACHE_DIR`, `HOME` or call `fncache::set_cache_dir`); persisted functions keep their entries in memory only"
            );
            None
        }
    });
    storage.as_deref()
}

/// The programs whose functions persisted something in this process.
static PROGRAMS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Removes every persisted entry of this program: of every crate whose persisted functions
/// were used in this process, and of the crate the executable was built from (so that entries
/// of functions not used in this process go too). For `fncache::cache_data::clear()`.
pub(crate) fn clear_programs() {
    let mut programs: BTreeSet<String> = PROGRAMS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    programs.extend(executable_crate());
    let Some(storage) = storage() else { return };
    for program in programs {
        if let Err(e) = storage.clear_program(&program) {
            tracing::warn!("fncache: could not clear the persisted entries of `{program}`: {e}");
        }
    }
}

/// The crate name of the running executable, as Cargo names its file: `my-app` for the crate
/// `my_app`, and `my_app-0123456789abcdef` for its tests.
fn executable_crate() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    let name = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => stem,
    };
    let name = name.replace('-', "_");
    let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| !c.is_ascii_digit());
    valid.then_some(name)
}

/// The fingerprint of `T`'s shape (see `fingerprint.rs`), traced once per type and process
/// and shared by every function that returns `T` and by the codec's check.
fn traced<T: serde::de::DeserializeOwned>() -> Result<Fingerprint, ShapeError> {
    type Traced = Vec<(std::any::TypeId, Result<Fingerprint, ShapeError>)>;
    static TRACED: Mutex<Traced> = Mutex::new(Vec::new());
    let id = typeid::of::<T>();
    if let Some((_, known)) = TRACED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(t, _)| *t == id)
    {
        return known.clone();
    }
    // Traced unlocked: a `Deserialize` impl may itself be slow or use another cache.
    let traced = fingerprint::of::<T>();
    TRACED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, traced.clone()));
    traced
}

/// Whether the shape of `T` can be traced: then its `Deserialize` never asks for
/// `deserialize_any`, and so has no untagged enum whose variants could serialize alike.
pub(crate) fn traceable<T: serde::de::DeserializeOwned>() -> bool {
    traced::<T>().is_ok()
}

/// What a persisted function's entries are tied to: the digest in its record headers, and
/// the name of its version in the store, `<build>-<identity>` (see [`same_build`]).
#[derive(Clone, Copy)]
struct Identity {
    key: [u8; 32],
    version: &'static str,
}

/// The identity of `id`, computed once per function and process: its path and package, then
/// either its `version = ..` or its code hash, its site and the executable's digest. `None`
/// if the executable cannot be read (then nothing of the function is persisted).
fn identity(id: &FnId) -> Option<Identity> {
    static KNOWN: Mutex<Vec<(FnId, Identity)>> = Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, identity)) = known.iter().find(|(k, _)| k == id) {
        return Some(*identity);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"fncache function 2\0");
    for part in [id.path, id.package] {
        hasher.update(part.as_bytes());
        hasher.update(b"\0");
    }
    match id.version {
        Some(version) => {
            hasher.update(b"version\0");
            hasher.update(version.as_bytes());
        }
        None => {
            for part in [id.code, id.site] {
                hasher.update(part.as_bytes());
                hasher.update(b"\0");
            }
            hasher.update(executable_digest()?);
        }
    }
    let key = *hasher.finalize().as_bytes();
    let build = match id.version {
        Some(_) => String::from("v"),
        None => hex(&executable_digest()?[..4]),
    };
    let version = format!("{build}-{}", hex(&key[..12]));
    let identity = Identity {
        key,
        // One short string per persisted function, for the life of the process.
        version: Box::leak(version.into_boxed_str()),
    };
    known.push((*id, identity));
    Some(identity)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The blake3 digest of the running executable's bytes, read once per process: every build
/// that could compute differently (other code anywhere in it, other features, a test build)
/// is another executable. `None` if it cannot be read.
fn executable_digest() -> Option<&'static [u8; 32]> {
    static DIGEST: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    DIGEST
        .get_or_init(|| {
            let read = || -> io::Result<[u8; 32]> {
                let file = std::fs::File::open(std::env::current_exe()?)?;
                let mut hasher = blake3::Hasher::new();
                hasher.update_reader(io::BufReader::with_capacity(1 << 20, file))?;
                Ok(*hasher.finalize().as_bytes())
            };
            read()
                .map_err(|e| {
                    tracing::warn!(
                        "fncache: the running executable cannot be read ({e}), so no entry is persisted unless its function gives `version = ..`"
                    );
                })
                .ok()
        })
        .as_ref()
}

/// The persisted functions of this process: their site and identity key.
static REGISTERED: Mutex<Vec<(&'static str, [u8; 32])>> = Mutex::new(Vec::new());

/// The program of a function path: its first segment, the crate.
fn program_of(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

/// Removes the persisted entries of a function not used in this process (whose options,
/// and so whether it persists, are not known): `f::clear()` before `f`'s first call.
pub(crate) fn forget_function(id: &FnId) {
    if let Some(storage) = storage()
        && let Err(e) = storage.clear_function(&Function::of(id), Versions::All)
    {
        tracing::warn!(
            "fncache: could not clear the persisted entries of `{}`: {e}",
            id.path
        );
    }
}

/// Removes one persisted entry of a function not used in this process.
pub(crate) fn forget_entry(id: &FnId, key: Key) {
    let entry = Entry {
        function: Function::of(id),
        key: key.digest(),
    };
    if let Some(storage) = storage()
        && let Err(e) = storage.remove(&entry)
    {
        tracing::warn!(
            "fncache: could not clear a persisted entry of `{}`: {e}",
            id.path
        );
    }
}

/// A value found in the persistent store.
pub(crate) struct Loaded<T> {
    pub(crate) value: T,
    /// Its record, for the memory layer.
    pub(crate) record: Arc<[u8]>,
    /// How long ago it was stored, in clock nanoseconds.
    pub(crate) age: u64,
}

/// The persistent side of one `#[cache_data(persist = ..)]` function.
pub(crate) struct Persisted {
    id: FnId,
    function: Function<'static>,
    /// The digest that names the function (path and code) in every record header.
    function_key: [u8; 32],
    retention: Retention,
    /// The fingerprint of each return type seen (one, except for a method of a generic impl).
    types: Mutex<Vec<(std::any::TypeId, Option<Fingerprint>)>>,
    /// Bumped by every clear, so that a computation that started before a clear does not
    /// write its value after it; writers hold it shared, clears exclusively.
    generation: RwLock<u64>,
    /// Whether this function has logged a failure of the store yet (the first one is a
    /// warning, later ones are debug messages).
    warned: AtomicBool,
}

impl Persisted {
    /// The persistent side of the function `id`, if its options ask for one. Entries written
    /// by older versions of its code are removed here, on its first use.
    pub(crate) fn new(id: &FnId, options: &Options) -> Option<Self> {
        if !options.persist {
            return None;
        }
        let identity = identity(id)?;
        let function = Function::new(program_of(id.path), id.path, identity.version);
        // Two functions of one identity (only `version = ..` can make one: two `fn inner`
        // of one module, one version) would answer each other's calls: the second one is not
        // persisted.
        {
            let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
            if registered
                .iter()
                .any(|&(site, key)| key == identity.key && site != id.site)
            {
                tracing::warn!(
                    "fncache: `{}` at {} has the persisted identity of another function (same path and `version`), so its entries stay in memory; give it another `version`",
                    id.path,
                    id.site
                );
                return None;
            }
            registered.push((id.site, identity.key));
        }
        PROGRAMS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(function.program);
        let persisted = Persisted {
            id: *id,
            function,
            function_key: identity.key,
            retention: Retention {
                ttl: options.ttl,
                max_entries: options.max_entries,
            },
            types: Mutex::new(Vec::new()),
            generation: RwLock::new(0),
            warned: AtomicBool::new(false),
        };
        if let Some(storage) = storage()
            && let Err(e) = storage.clear_function(&function, Versions::AllButCurrent)
        {
            persisted.failed("remove the entries of its older versions", &e);
        }
        Some(persisted)
    }

    /// The current generation, to hand back to [`save`](Self::save).
    pub(crate) fn generation(&self) -> u64 {
        *self.generation.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The persisted value of `key`, if there is a valid, unexpired one. Anything else found
    /// is removed (and, unless it simply expired, logged).
    pub(crate) fn load<T: CacheData>(&self, key: Key) -> Option<Loaded<T>> {
        let storage = storage()?;
        let fingerprint = self.fingerprint::<T>()?;
        let entry = self.entry(key);
        let record = match storage.get(&entry) {
            Ok(record) => record?,
            Err(e) => {
                self.failed("read an entry", &e);
                return None;
            }
        };
        let expected = self.header(&entry, fingerprint, 0);
        let problem = match format::open(&record, &expected) {
            Ok((header, payload)) => {
                let age = clock::wall_now().saturating_sub(header.stored_at);
                if self
                    .retention
                    .ttl
                    .is_some_and(|ttl| age >= clock::nanos(ttl))
                {
                    tracing::debug!("fncache: a persisted entry of `{}` expired", self.id.path);
                    self.remove(storage, &entry);
                    return None;
                }
                match codec::decode_stored::<T>(payload) {
                    Ok(value) => {
                        return Some(Loaded {
                            value,
                            record: record.clone(),
                            age,
                        });
                    }
                    Err(e) => format!("it does not decode ({e})"),
                }
            }
            Err(Invalid::WrongType) => {
                tracing::info!(
                    "fncache: a persisted entry of `{}` was written for another definition of its return type; recomputing",
                    self.id.path
                );
                self.remove(storage, &entry);
                return None;
            }
            Err(invalid) => format!("{invalid}"),
        };
        tracing::warn!(
            "fncache: a persisted entry of `{}` is unusable ({problem}); recomputing",
            self.id.path
        );
        self.remove(storage, &entry);
        None
    }

    /// The record of a computed value, and whether it may be written (not if its type has
    /// no fingerprint: then it is kept in memory only, with a header all the same, so that
    /// every value in memory has the same layout).
    pub(crate) fn record<T: CacheData>(
        &self,
        key: Key,
        value: &T,
        exact: Exact<T>,
        positional: bool,
    ) -> Result<(Vec<u8>, Codec, bool), CodecError> {
        let fingerprint = self.fingerprint::<T>();
        let header = self.header(
            &self.entry(key),
            fingerprint.unwrap_or_default(),
            clock::wall_now(),
        );
        let mut record = Vec::new();
        format::begin(&mut record, &header);
        let codec = codec::encode_stored(value, exact, positional, &mut record)?;
        format::seal(&mut record);
        Ok((record, codec, fingerprint.is_some()))
    }

    /// Writes a record that [`record`](Self::record) made, unless the function was cleared
    /// since `generation`.
    pub(crate) fn save(&self, key: Key, record: &[u8], generation: u64) {
        let Some(storage) = storage() else { return };
        let current = self.generation.read().unwrap_or_else(|e| e.into_inner());
        if *current != generation {
            return;
        }
        if let Err(e) = storage.put(&self.entry(key), record, &self.retention) {
            self.failed("write an entry", &e);
        }
    }

    /// Removes every persisted entry of the function, of every version of its code.
    pub(crate) fn clear(&self) {
        let mut generation = self.generation.write().unwrap_or_else(|e| e.into_inner());
        *generation += 1;
        if let Some(storage) = storage()
            && let Err(e) = storage.clear_function(&self.function, Versions::All)
        {
            self.failed("clear its entries", &e);
        }
    }

    /// Removes the persisted entry of `key`.
    pub(crate) fn clear_entry(&self, key: Key) {
        let mut generation = self.generation.write().unwrap_or_else(|e| e.into_inner());
        *generation += 1;
        if let Some(storage) = storage() {
            self.remove(storage, &self.entry(key));
        }
    }

    fn entry(&self, key: Key) -> Entry<'static> {
        Entry {
            function: self.function,
            key: key.digest(),
        }
    }

    fn header(&self, entry: &Entry<'_>, fingerprint: Fingerprint, stored_at: u64) -> Header {
        Header {
            function: self.function_key,
            key: entry.key,
            fingerprint,
            stored_at,
        }
    }

    fn remove(&self, storage: &dyn Storage, entry: &Entry<'_>) {
        if let Err(e) = storage.remove(entry) {
            self.failed("remove an entry", &e);
        }
    }

    /// `T`'s fingerprint, traced on first use; `None` (and one warning) if `T` has none.
    fn fingerprint<T: CacheData>(&self) -> Option<Fingerprint> {
        let id = typeid::of::<T>();
        if let Some((_, known)) = self
            .types
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(t, _)| *t == id)
        {
            return *known;
        }
        let name = std::any::type_name::<T>();
        let known = match traced::<T>() {
            Ok(fingerprint) => Some(fingerprint),
            // Without `version = ..` an entry belongs to one build, whose types cannot change
            // under it: the name tells the function's return types apart (a generic one's key
            // holds each type's identity already).
            Err(_) if self.id.version.is_none() => {
                let mut hasher = blake3::Hasher::new();
                hasher.update(b"fncache untraced type\0");
                hasher.update(name.as_bytes());
                Some(*hasher.finalize().as_bytes())
            }
            Err(e) => {
                tracing::warn!(
                    "fncache: `{}` cannot be persisted with `version = ..`: the shape of `{name}` cannot be traced ({e}), so a rebuild could not tell its old entries from new ones; its entries stay in memory",
                    self.id.path
                );
                None
            }
        };
        let mut types = self.types.lock().unwrap_or_else(|e| e.into_inner());
        // Another thread may have decided meanwhile: the first decision stands.
        match types.iter().find(|(t, _)| *t == id) {
            Some((_, first)) => *first,
            None => {
                types.push((id, known));
                known
            }
        }
    }

    /// Logs a failure of the store: a warning the first time for this function, then quietly.
    fn failed(&self, what: &str, e: &io::Error) {
        if self.warned.swap(true, Ordering::Relaxed) {
            tracing::debug!(
                "fncache: `{}` could not {what} in the persistent store: {e}",
                self.id.path
            );
        } else {
            tracing::warn!(
                "fncache: `{}` could not {what} in the persistent store ({e}); it keeps working from memory",
                self.id.path
            );
        }
    }
}
