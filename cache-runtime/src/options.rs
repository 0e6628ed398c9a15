//! The options of one cached function, as the attribute macros build them.

use std::time::Duration;

use crate::progress::Spinner;

/// Who a cached function is: its path, a hash of its code, where it is written, its package,
/// and the `version` its attribute gives, if any.
///
/// The path is the function's own (`my_crate::db::connect`): the `module_path!()` where it is
/// declared, then its name. The code hash changes whenever the function's tokens do, so
/// an edited function never meets entries its older code stored. The site (`file:line:column`)
/// tells apart two functions of one path (a nested `fn inner` in two functions of a module).
/// Persisted entries also follow the running executable (see [`crate::persist`]), unless
/// `version` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FnId {
    /// The function's path.
    pub path: &'static str,
    /// A hex digest of the function's tokens.
    pub code: &'static str,
    /// Where the function is written: `file:line:column` of its name.
    pub site: &'static str,
    /// The crate's package name and version, `name version`.
    pub package: &'static str,
    /// The attribute's `version = ..`: persisted entries of this function survive rebuilds
    /// while it stays the same.
    pub version: Option<&'static str>,
}

impl FnId {
    /// The function `path` with the code hash `code`, written nowhere in particular (the
    /// macros fill in every field; this is for caches built by hand).
    pub const fn new(path: &'static str, code: &'static str) -> Self {
        FnId {
            path,
            code,
            site: "",
            package: "",
            version: None,
        }
    }

    /// The same written at `site`.
    pub const fn at(mut self, site: &'static str) -> Self {
        self.site = site;
        self
    }

    /// The same with `version = ..` given.
    pub const fn versioned(mut self, version: &'static str) -> Self {
        self.version = Some(version);
        self
    }

    /// The function's name: the last segment of its path.
    pub fn name(&self) -> &'static str {
        self.path.rsplit("::").next().unwrap_or(self.path)
    }
}

/// What the `show_spinner` option says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowSpinner {
    /// ``Running `f(...)`.`` (the default).
    Default,
    /// No spinner.
    Off,
    /// This text.
    Text(&'static str),
}

/// The options of one cached function, fixed on its first call.
///
/// A resource's `validate` and `on_release` are not here: they are typed by the value, which a
/// generic function has one of per instantiation, so they come with each call ([`Hooks`](crate::Hooks)).
pub struct Options {
    pub(crate) ttl: Option<Duration>,
    pub(crate) max_entries: Option<usize>,
    pub(crate) max_size: Option<u64>,
    pub(crate) persist: bool,
    pub(crate) show_spinner: ShowSpinner,
    pub(crate) show_time: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ttl: None,
            max_entries: None,
            max_size: None,
            persist: false,
            show_spinner: ShowSpinner::Default,
            show_time: false,
        }
    }
}

impl Options {
    /// The defaults: no ttl, no size limit, the default spinner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries expire this long after they are stored.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// At most this many entries; the least recently used goes first.
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = Some(max_entries);
        self
    }

    /// At most this many bytes in memory, the least recently used going first. An entry
    /// counts its value's bytes (encoded, for `#[cache_data]`; what `weigh` says, for
    /// `#[cache_resource]`) plus a fixed [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD) for its key
    /// and bookkeeping. A value larger than this on its own is cached alone.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// Whether entries are also written to the persistent store (`#[cache_data]` only).
    pub fn persist(mut self, persist: bool) -> Self {
        self.persist = persist;
        self
    }

    /// Whether and what to show while computing.
    pub fn show_spinner(mut self, show_spinner: ShowSpinner) -> Self {
        self.show_spinner = show_spinner;
        self
    }

    /// Whether the spinner shows the elapsed time.
    pub fn show_time(mut self, show_time: bool) -> Self {
        self.show_time = show_time;
        self
    }

    pub(crate) fn spinner(&self, id: &FnId) -> Spinner {
        let text = match self.show_spinner {
            ShowSpinner::Off => None,
            ShowSpinner::Default => Some(Spinner::default_text(id.name())),
            ShowSpinner::Text(text) => Some(text.to_owned()),
        };
        Spinner {
            text,
            show_time: self.show_time,
        }
    }

    /// The store's limits; `budgeted` if the process's memory budget covers it.
    pub(crate) fn limits(&self, id: &FnId, budgeted: bool) -> crate::store::Limits {
        if self.ttl == Some(Duration::ZERO) {
            tracing::warn!(
                "fncache: `{}` has a ttl of zero, so nothing it computes is ever reused",
                id.path
            );
        }
        crate::store::Limits {
            ttl: self.ttl.map(crate::clock::nanos),
            max_entries: self.max_entries,
            max_size: self.max_size,
            path: id.path,
            budgeted,
        }
    }
}
