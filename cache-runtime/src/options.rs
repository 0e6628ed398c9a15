//! The options of one cached function, as the attribute macros build them.

use std::time::Duration;

use crate::progress::Spinner;

/// Who a cached function is: its path and a hash of its code.
///
/// The path is the function's own (`my_crate::db::connect`): the `module_path!()` where it is
/// declared, then its name. The code hash changes whenever the function's tokens do, so
/// an edited function never meets entries its older code stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FnId {
    /// The function's path.
    pub path: &'static str,
    /// A hex digest of the function's tokens.
    pub code: &'static str,
}

impl FnId {
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
    pub(crate) persist: bool,
    pub(crate) show_spinner: ShowSpinner,
    pub(crate) show_time: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ttl: None,
            max_entries: None,
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

    pub(crate) fn limits(&self, id: &FnId) -> crate::store::Limits {
        if self.ttl == Some(Duration::ZERO) {
            tracing::warn!(
                "fncache: `{}` has a ttl of zero, so nothing it computes is ever reused",
                id.path
            );
        }
        crate::store::Limits {
            ttl: self.ttl.map(crate::clock::nanos),
            max_entries: self.max_entries,
        }
    }
}
