//! The spinner shown while a cached function computes, behind a replaceable hook.
//!
//! On a miss the runtime tells the installed [`ProgressHook`] when the computation starts and
//! when it ends, for the outermost cached computation of a thread only (a cached function that
//! calls other cached functions shows one spinner, not a stack of them), and only when the
//! function's `show_spinner` is on.
//!
//! The default hook draws a one-line spinner on stderr once a computation has run for half a
//! second, and erases it when the computation ends; when stderr is not a terminal it draws
//! nothing at all. A TUI or a server installs its own hook with [`set_progress_hook`], or
//! [`NoProgress`] to silence it.
//!
//! ```
//! use fncache_runtime::progress::{set_progress_hook, CallId, CallInfo, ProgressHook};
//!
//! struct LogIt;
//! impl ProgressHook for LogIt {
//!     fn started(&self, _id: CallId, call: &CallInfo<'_>) {
//!         eprintln!("{}", call.text);
//!     }
//!     fn finished(&self, _id: CallId, elapsed: std::time::Duration) {
//!         eprintln!("done in {elapsed:?}");
//!     }
//! }
//! set_progress_hook(LogIt);
//! ```

use std::cell::Cell;
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::options::FnId;

/// Identifies one computation between [`ProgressHook::started`] and [`ProgressHook::finished`].
pub type CallId = u64;

/// What a hook is told about a computation that starts.
#[derive(Debug)]
pub struct CallInfo<'a> {
    /// The cached function's name.
    pub function: &'a str,
    /// The text to show: ``Running `f(...)`.`` or the function's custom `show_spinner` text.
    pub text: &'a str,
    /// Whether the function asked for the elapsed time to be shown (`show_time = true`).
    pub show_time: bool,
}

/// Receives the start and end of every outermost cached computation that shows a spinner.
///
/// Both methods run on the computing thread, so they should return quickly.
pub trait ProgressHook: Send + Sync + 'static {
    /// A computation starts.
    fn started(&self, id: CallId, call: &CallInfo<'_>);
    /// The computation `id` ended (with a value, an error or a panic).
    fn finished(&self, id: CallId, elapsed: Duration);
}

/// A hook that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressHook for NoProgress {
    fn started(&self, _: CallId, _: &CallInfo<'_>) {}
    fn finished(&self, _: CallId, _: Duration) {}
}

/// Replaces the progress hook for the whole process.
pub fn set_progress_hook(hook: impl ProgressHook) {
    let mut installed = HOOK.write().unwrap_or_else(|e| e.into_inner());
    *installed = Some(Arc::new(hook));
    INSTALLED.store(true, Ordering::Release);
}

/// Restores the default stderr spinner.
pub fn reset_progress_hook() {
    let mut installed = HOOK.write().unwrap_or_else(|e| e.into_inner());
    *installed = None;
    INSTALLED.store(false, Ordering::Release);
}

static HOOK: RwLock<Option<Arc<dyn ProgressHook>>> = RwLock::new(None);
/// Whether `HOOK` holds a hook of the user's: written under its write lock, read without it.
static INSTALLED: AtomicBool = AtomicBool::new(false);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether a computation that starts now is worth telling anyone about: a hook of the user's
/// hears of every one, the default hook only draws on a terminal. Otherwise a miss skips the
/// hook's lock, its reference count, the call id and both clock reads.
fn listened_to() -> bool {
    INSTALLED.load(Ordering::Acquire) || stderr_is_terminal()
}

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// How a function shows its computations, from its `show_spinner` and `show_time` options.
#[derive(Debug, Clone)]
pub struct Spinner {
    /// `None` when `show_spinner = false`.
    pub text: Option<String>,
    /// `show_time`.
    pub show_time: bool,
}

impl Spinner {
    /// The default text for function `name`: ``Running `name(...)`.``
    pub fn default_text(name: &str) -> String {
        format!("Running `{name}(...)`.")
    }
}

/// When a computation starts with less stack than this left, it runs on a new segment.
const STACK_RED_ZONE: usize = 128 * 1024;

/// The size of each segment a deep recursion grows its stack by.
const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `compute`, telling the hook about it if it is the thread's outermost computation.
///
/// A memoized recursion goes through this once per level, with the cache's frames on top of
/// the function's own, so it would overflow a stack that the plain function fits in. So a
/// computation that starts near the end of the stack runs on a fresh segment, as rustc grows
/// its own (`stacker`): a check of the stack pointer per miss, nothing on a hit.
pub(crate) fn run<R>(function: &FnId, spinner: &Spinner, compute: impl FnOnce() -> R) -> R {
    let depth = DEPTH.with(|d| d.replace(d.get() + 1));
    let _depth = Restore(depth);
    let _shown = match &spinner.text {
        Some(text) if depth == 0 && listened_to() => {
            Some(Shown::start(function.name(), text, spinner.show_time))
        }
        _ => None,
    };
    if stacker::remaining_stack().is_some_and(|left| left >= STACK_RED_ZONE) {
        compute()
    } else {
        on_new_segment(compute)
    }
}

/// Runs `compute` on a fresh stack segment. Out of line, so that what `stacker::grow` keeps
/// on the stack is no part of the frame that every level of a recursion pays for.
#[cold]
#[inline(never)]
fn on_new_segment<R>(compute: impl FnOnce() -> R) -> R {
    stacker::grow(STACK_SEGMENT, compute)
}

/// [`run`] for a future: the thread's depth is raised while the future is polled (so cached
/// calls made inside it are nested), and the hook hears of it from the first poll to the end,
/// or to the drop of a cancelled future.
pub(crate) fn run_async<'a, F: Future + 'a>(
    function: &'a FnId,
    spinner: &'a Spinner,
    compute: F,
) -> impl Future<Output = F::Output> + 'a {
    let mut compute = Box::pin(compute);
    let mut shown_guard: Option<Shown> = None;
    let mut first_poll = true;
    std::future::poll_fn(move |cx| {
        let depth = DEPTH.with(|d| d.replace(d.get() + 1));
        let _depth = Restore(depth);
        if std::mem::take(&mut first_poll)
            && depth == 0
            && let Some(text) = &spinner.text
            && listened_to()
        {
            shown_guard = Some(Shown::start(function.name(), text, spinner.show_time));
        }
        let polled = compute.as_mut().poll(cx);
        if polled.is_ready() {
            drop(shown_guard.take());
        }
        polled
    })
}

struct Restore(u32);

impl Drop for Restore {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(self.0));
    }
}

/// A computation the hook was told about; telling it of the end on drop covers panics too.
struct Shown {
    hook: Arc<dyn ProgressHook>,
    id: CallId,
    started: Instant,
}

impl Shown {
    #[inline(never)]
    fn start(function: &str, text: &str, show_time: bool) -> Self {
        let hook = HOOK
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(terminal);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        hook.started(
            id,
            &CallInfo {
                function,
                text,
                show_time,
            },
        );
        Shown {
            hook,
            id,
            started: Instant::now(),
        }
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.hook.finished(self.id, self.started.elapsed());
    }
}

// ---------------------------------------------------------------------------------------------
// The default hook: a spinner on stderr, drawn by one background thread.

/// How long a computation runs before the spinner appears.
const DELAY: Duration = Duration::from_millis(500);
const FRAME: Duration = Duration::from_millis(100);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

fn terminal() -> Arc<dyn ProgressHook> {
    terminal_spinner()
}

fn terminal_spinner() -> Arc<TerminalSpinner> {
    static TERMINAL: OnceLock<Arc<TerminalSpinner>> = OnceLock::new();
    TERMINAL
        .get_or_init(|| Arc::new(TerminalSpinner::default()))
        .clone()
}

#[derive(Default)]
struct TerminalSpinner {
    state: Mutex<Drawing>,
    wake: Condvar,
    thread: OnceLock<()>,
}

#[derive(Default)]
struct Drawing {
    active: Vec<Active>,
    /// The computation whose line is on screen, if any.
    drawn: Option<CallId>,
    frame: usize,
}

struct Active {
    id: CallId,
    text: String,
    show_time: bool,
    since: Instant,
}

impl ProgressHook for TerminalSpinner {
    fn started(&self, id: CallId, call: &CallInfo<'_>) {
        if !stderr_is_terminal() {
            return;
        }
        let active = Active {
            id,
            text: call.text.to_owned(),
            show_time: call.show_time,
            since: Instant::now(),
        };
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .active
            .push(active);
        self.thread.get_or_init(|| {
            let spinner = terminal_spinner();
            let spawned = std::thread::Builder::new()
                .name("fncache-spinner".into())
                .spawn(move || spinner.draw_forever());
            if let Err(e) = spawned {
                tracing::warn!("fncache: could not start the spinner thread: {e}");
            }
        });
        self.wake.notify_one();
    }

    fn finished(&self, id: CallId, _elapsed: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.active.retain(|a| a.id != id);
        if state.drawn == Some(id) {
            state.drawn = None;
            erase();
        }
    }
}

impl TerminalSpinner {
    fn draw_forever(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            state = if state.active.is_empty() {
                self.wake.wait(state).unwrap_or_else(|e| e.into_inner())
            } else {
                self.wake
                    .wait_timeout(state, FRAME)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            };
            let frame = state.frame;
            state.frame = state.frame.wrapping_add(1);
            let due = state
                .active
                .iter()
                .filter(|a| a.since.elapsed() >= DELAY)
                .min_by_key(|a| a.since);
            if let Some(active) = due {
                let line = spinner_line(
                    FRAMES[frame % FRAMES.len()],
                    &active.text,
                    active.show_time.then(|| active.since.elapsed()),
                );
                state.drawn = Some(active.id);
                draw(&line);
            }
        }
    }
}

/// The spinner's line, without control characters.
pub fn spinner_line(frame: char, text: &str, elapsed: Option<Duration>) -> String {
    match elapsed {
        Some(elapsed) => format!("{frame} {text} ({:.1} s)", elapsed.as_secs_f64()),
        None => format!("{frame} {text}"),
    }
}

fn stderr_is_terminal() -> bool {
    static IS_TERMINAL: OnceLock<bool> = OnceLock::new();
    *IS_TERMINAL.get_or_init(|| std::io::stderr().is_terminal())
}

fn draw(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r{line}\x1b[K");
    let _ = err.flush();
}

fn erase() {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[K");
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_text_and_optional_time() {
        assert_eq!(
            spinner_line('⠋', "Running `f(...)`.", None),
            "⠋ Running `f(...)`."
        );
        assert_eq!(
            spinner_line('⠋', "Loading", Some(Duration::from_millis(1250))),
            "⠋ Loading (1.2 s)"
        );
    }
}
