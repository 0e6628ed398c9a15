//! The default [`Storage`]: one file per entry in a directory tree (see [`DiskStorage`]).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::format::{self, HEADER_LEN};
use super::{Entry, Function, Retention, Storage, Versions};
use crate::clock;

/// Temporary files older than this are left over from a crash, and removed.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Entries on the local disk, one file each, under one root directory:
///
/// ```text
/// <root>/<program>/<function>/<code version>/<value key digest, hex>
/// ```
///
/// - Every name comes from a digest or a Rust path, so no argument value reaches a path.
/// - A write goes to a temporary file in the same directory, which is then renamed over the
///   entry: a reader sees the old entry or the new one, never a torn one, even if the writer is
///   killed half-way (its temporary file is removed later, once it is an hour old).
/// - Directories are created owner-only (0700), and so are files (0600), on Unix.
/// - A file's modification time is when it was last used: written or read. `max_entries`
///   removes the least recently used files beyond it after each write; `ttl` removes expired
///   files when a directory is swept (on its first write in a process, then once per ttl).
/// - Writes are not flushed to the device (no `fsync`): a crash of the process loses nothing,
///   and a power cut may lose recent entries, but a damaged file is only ever a miss.
///
/// ```
/// use fncache_runtime::persist::DiskStorage;
/// let disk = DiskStorage::new("/tmp/my-app-cache");
/// assert_eq!(disk.root(), std::path::Path::new("/tmp/my-app-cache"));
/// ```
#[derive(Debug)]
pub struct DiskStorage {
    root: PathBuf,
    /// When each version directory was last swept for expired entries (wall-clock nanoseconds).
    swept: Mutex<HashMap<PathBuf, u64>>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl DiskStorage {
    /// Entries under `root`, which is created (owner-only) on the first write.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskStorage {
            root: root.into(),
            swept: Mutex::new(HashMap::new()),
        }
    }

    /// The directory the environment asks for: `FNCACHE_DIR` if it is set, otherwise
    /// [`DiskStorage::default_dir`].
    pub fn dir_from_env() -> Option<PathBuf> {
        match std::env::var_os("FNCACHE_DIR") {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
            _ => Self::default_dir(),
        }
    }

    /// The user's cache directory + `fncache`: `$XDG_CACHE_HOME/fncache` or
    /// `~/.cache/fncache` on Linux and other Unix systems, `~/Library/Caches/fncache` on macOS,
    /// `%LOCALAPPDATA%\fncache` on Windows. `None` if the environment does not say where home is.
    pub fn default_dir() -> Option<PathBuf> {
        user_cache_dir().map(|dir| dir.join("fncache"))
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one program's entries.
    pub fn program_dir(&self, program: &str) -> PathBuf {
        self.root.join(segment(program))
    }

    /// The directory of one function's entries, every version of its code included.
    pub fn function_dir(&self, function: &Function<'_>) -> PathBuf {
        self.program_dir(function.program)
            .join(function_segment(function.program, function.path))
    }

    /// The directory of the entries of one version of a function's code.
    pub fn version_dir(&self, function: &Function<'_>) -> PathBuf {
        self.function_dir(function).join(segment(function.version))
    }

    /// The file of one entry.
    pub fn entry_path(&self, entry: &Entry<'_>) -> PathBuf {
        self.version_dir(&entry.function).join(hex(&entry.key))
    }

    /// Removes expired and surplus entries of one version directory, and stale temporary files.
    fn prune(&self, dir: &Path, retention: &Retention) {
        let now = clock::wall_now();
        let sweep = {
            let mut swept = self.swept.lock().unwrap_or_else(|e| e.into_inner());
            let due = match (swept.get(dir), retention.ttl) {
                (None, _) => true,
                (Some(&last), Some(ttl)) => now.saturating_sub(last) >= clock::nanos(ttl),
                (Some(_), None) => false,
            };
            if due {
                swept.insert(dir.to_owned(), now);
            }
            due
        };
        if !sweep && retention.max_entries.is_none() {
            return;
        }
        let Ok(listing) = fs::read_dir(dir) else {
            return;
        };
        let mut entries = Vec::new();
        for item in listing.flatten() {
            let name = item.file_name();
            let path = item.path();
            let Ok(meta) = item.metadata() else { continue };
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if is_temp(&name) {
                let old = SystemTime::now()
                    .duration_since(used)
                    .is_ok_and(|age| age >= STALE_TEMP);
                if sweep && old {
                    let _ = fs::remove_file(&path);
                }
                continue;
            }
            if sweep
                && let Some(ttl) = retention.ttl
                && is_expired(&path, now, clock::nanos(ttl))
            {
                let _ = fs::remove_file(&path);
                continue;
            }
            entries.push((used, name, path));
        }
        if let Some(max) = retention.max_entries
            && entries.len() > max
        {
            entries.sort();
            let surplus = entries.len() - max;
            for (_, _, path) in entries.into_iter().take(surplus) {
                let _ = fs::remove_file(path);
            }
        }
    }
}

impl Storage for DiskStorage {
    fn get(&self, entry: &Entry<'_>) -> io::Result<Option<Arc<[u8]>>> {
        let mut file = match File::open(self.entry_path(entry)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let len = usize::try_from(file.metadata()?.len())
            .ok()
            .filter(|&len| Vec::<u8>::new().try_reserve_exact(len).is_ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "the entry is too large"))?;
        // Read in place into the buffer that memory will keep: the record's only copy.
        let mut record: Arc<[u8]> = std::iter::repeat_n(0, len).collect();
        let buffer = Arc::get_mut(&mut record).expect("a buffer made just now is not shared");
        file.read_exact(buffer)?;
        // A use, for `max_entries`. Best effort: a read-only file system still serves hits.
        let _ = file.set_modified(SystemTime::now());
        Ok(Some(record))
    }

    fn put(&self, entry: &Entry<'_>, record: &[u8], retention: &Retention) -> io::Result<()> {
        let dir = self.version_dir(&entry.function);
        create_private_dir(&dir)?;
        let name = hex(&entry.key);
        let temp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write_new(&temp, record).and_then(|()| fs::rename(&temp, dir.join(&name)));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written?;
        self.prune(&dir, retention);
        Ok(())
    }

    fn remove(&self, entry: &Entry<'_>) -> io::Result<()> {
        ignore_not_found(fs::remove_file(self.entry_path(entry)))
    }

    fn clear_function(&self, function: &Function<'_>, versions: Versions) -> io::Result<()> {
        let dir = self.function_dir(function);
        match versions {
            Versions::All => remove_dir_all(&dir),
            Versions::AllButCurrent => {
                let current = segment(function.version);
                let listing = match fs::read_dir(&dir) {
                    Ok(listing) => listing,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => return Err(e),
                };
                for item in listing {
                    let item = item?;
                    let name = item.file_name();
                    let same = name.to_str().is_some_and(|name| {
                        name == current || super::same_build(name, function.version)
                    });
                    if !same && name != OsStr::new(&current) {
                        remove_dir_all(&item.path())?;
                    }
                }
                Ok(())
            }
        }
    }

    fn clear_program(&self, program: &str) -> io::Result<()> {
        remove_dir_all(&self.program_dir(program))
    }
}

/// Writes `bytes` to a new file, owner-only, dated now.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    // Explicit, so that entries written in the same clock tick still order by use.
    let _ = file.set_modified(SystemTime::now());
    Ok(())
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Removes a directory tree; one that is not there is already removed. A writer in another
/// process may add a file while it goes, so a second attempt follows a failed first.
fn remove_dir_all(dir: &Path) -> io::Result<()> {
    match ignore_not_found(fs::remove_dir_all(dir)) {
        Ok(()) => Ok(()),
        Err(_) => ignore_not_found(fs::remove_dir_all(dir)),
    }
}

fn ignore_not_found(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn is_temp(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Whether the entry at `path` was stored `ttl` or more before `now` (unreadable: no).
fn is_expired(path: &Path, now: u64, ttl: u64) -> bool {
    let mut header = [0; HEADER_LEN];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .ok()
        .and_then(|()| format::stored_at(&header))
        .is_some_and(|stored_at| now.saturating_sub(stored_at) >= ttl)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file name made of `name`'s safe characters; anything else (or an overlong name) becomes a
/// digest, so that two different names never share a directory.
fn segment(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !name.is_empty() && name.len() <= 64 && name.chars().all(safe) {
        name.to_owned()
    } else {
        format!("_{}", &hex(blake3::hash(name.as_bytes()).as_bytes())[..32])
    }
}

/// A function's directory name: its path inside the program with `::` as `.`, for people
/// looking at the directory, then a digest of the whole path, which keeps it unique.
fn function_segment(program: &str, path: &str) -> String {
    let inside = path
        .strip_prefix(program)
        .and_then(|rest| rest.strip_prefix("::"))
        .unwrap_or(path);
    let readable: String = inside
        .replace("::", ".")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(96)
        .collect();
    let digest = hex(&blake3::hash(path.as_bytes()).as_bytes()[..8]);
    format!("{readable}-{digest}")
}

fn user_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|home| home.join("Library").join("Caches"))
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|home| home.join(".cache")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_distinct() {
        assert_eq!(segment("my_crate"), "my_crate");
        assert_ne!(segment("a/b"), segment("a_b"));
        assert!(segment("../etc").starts_with('_'));
        assert!(!segment(&"x".repeat(300)).contains('x'));
        let f = function_segment("app", "app::db::load");
        assert!(f.starts_with("db.load-"), "{f}");
        assert_ne!(f, function_segment("app", "app::db_load"));
        assert!(!function_segment("app", "app::r#type::f").contains('#'));
    }
}
