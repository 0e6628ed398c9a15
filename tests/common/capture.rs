//! A `tracing` subscriber that keeps every event, for tests of what the cache logs. It is the
//! process's global default (so that events of every thread reach it); a test matches lines to
//! its functions by the paths they name.

use std::fmt;
use std::sync::{Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber, span};

/// One event, as the subscriber saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub target: String,
    pub level: Level,
    pub message: String,
}

static LOGGED: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

struct Capture;

struct MessageField<'a>(&'a mut String);

impl Visit for MessageField<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = String::new();
        event.record(&mut MessageField(&mut message));
        let metadata = event.metadata();
        super::lock(&LOGGED).push(Logged {
            target: metadata.target().to_owned(),
            level: *metadata.level(),
            message,
        });
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Every event logged since the capture was installed whose message names `module` (a
/// path such as `deprecated::log_memo`, in backticks as the log line writes it), or a
/// function in it.
pub fn lines_about(module: &str) -> Vec<Logged> {
    install();
    let (exact, inside) = (format!("`{module}`"), format!("`{module}::"));
    super::lock(&LOGGED)
        .iter()
        .filter(|logged| logged.message.contains(&exact) || logged.message.contains(&inside))
        .cloned()
        .collect()
}

/// Installs the capture, once per process; call before the first call it must see.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Capture)
            .expect("no other global subscriber in this test binary");
    });
}

/// Every event logged since the capture was installed whose message contains `text`.
pub fn lines_with(text: &str) -> Vec<Logged> {
    install();
    super::lock(&LOGGED)
        .iter()
        .filter(|logged| logged.message.contains(text))
        .cloned()
        .collect()
}
