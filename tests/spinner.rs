//! The spinner: the progress hook hears of the outermost computation only, with the right text,
//! and only when `show_spinner` is on; the default hook draws on a terminal and nothing else.
//!
//! The hook is process-wide, so the hook tests run one at a time, and the default hook is
//! checked in child processes (this test binary run again, as `spinner_child`).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use fncache::cache_data;
use fncache::progress::{self, CallId, CallInfo, ProgressHook};

/// What a recording hook saw: `started(text, show_time)` and `finished` events, in order.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
}

struct RecordingHook(Arc<Recorder>);

impl ProgressHook for RecordingHook {
    fn started(&self, id: CallId, call: &CallInfo<'_>) {
        let event = format!(
            "start {id} {} {} time={}",
            call.function, call.text, call.show_time
        );
        self.0.events.lock().unwrap().push(event);
    }

    fn finished(&self, id: CallId, _elapsed: Duration) {
        self.0.events.lock().unwrap().push(format!("end {id}"));
    }
}

/// Installs a recording hook for one test, and the default back when it is dropped.
fn recording() -> (MutexGuard<'static, ()>, Arc<Recorder>) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let recorder = Arc::new(Recorder::default());
    progress::set_progress_hook(RecordingHook(recorder.clone()));
    (guard, recorder)
}

fn events(recorder: &Recorder) -> Vec<String> {
    let events = recorder.events.lock().unwrap().clone();
    // Call ids differ from run to run: keep the order, drop the numbers.
    events
        .iter()
        .map(|e| {
            e.split(' ')
                .filter(|w| w.parse::<u64>().is_err())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[cache_data]
fn inner(x: u32) -> u32 {
    x + 1
}

#[cache_data]
fn outer(x: u32) -> u32 {
    inner(x) + inner(x + 100)
}

#[test]
fn only_the_outermost_computation_is_reported() {
    let (_guard, recorder) = recording();
    assert_eq!(outer(1), 2 + 102);
    assert_eq!(
        events(&recorder),
        ["start outer Running `outer(...)`. time=false", "end"]
    );
    // A hit computes nothing and reports nothing; the nested ones then run on their own.
    assert_eq!(outer(1), 104);
    assert_eq!(inner(5), 6);
    assert_eq!(
        events(&recorder),
        [
            "start outer Running `outer(...)`. time=false",
            "end",
            "start inner Running `inner(...)`. time=false",
            "end"
        ]
    );
    progress::reset_progress_hook();
}

#[cache_data(show_spinner = false)]
fn quiet(x: u32) -> u32 {
    x
}

#[cache_data(show_spinner = "Crunching the numbers", show_time = true)]
fn custom(x: u32) -> u32 {
    x
}

#[test]
fn show_spinner_false_is_silent_and_a_text_replaces_the_default() {
    let (_guard, recorder) = recording();
    quiet(1);
    assert!(events(&recorder).is_empty(), "{:?}", events(&recorder));
    custom(1);
    assert_eq!(
        events(&recorder),
        ["start custom Crunching the numbers time=true", "end"]
    );
    progress::reset_progress_hook();
}

#[cache_data]
fn panics(x: u32) -> u32 {
    panic!("no value for {x}")
}

#[test]
fn a_panicking_computation_still_ends_its_report() {
    let (_guard, recorder) = recording();
    let caught = std::panic::catch_unwind(|| panics(1));
    assert!(caught.is_err());
    assert_eq!(
        events(&recorder),
        ["start panics Running `panics(...)`. time=false", "end"]
    );
    progress::reset_progress_hook();
}

static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Slow enough for the default spinner (which waits half a second) to draw.
#[cache_data(show_time = true)]
fn slow(x: u32) -> u32 {
    SLOW_CALLS.fetch_add(1, SeqCst);
    thread::sleep(Duration::from_millis(900));
    x
}

/// Not a test of its own: the child process of the two tests below.
#[test]
#[ignore = "run by the spinner tests as a child process"]
fn spinner_child() {
    assert_eq!(slow(7), 7);
    assert_eq!(SLOW_CALLS.load(SeqCst), 1);
    eprint!("@@done");
}

fn child() -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "spinner_child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    command
}

#[test]
fn the_default_spinner_draws_nothing_when_stderr_is_not_a_terminal() {
    let output = child().output().expect("run the child");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("@@done"), "{stderr}");
    assert!(
        !stderr.contains("Running"),
        "a spinner was drawn on a pipe: {stderr:?}"
    );
    assert!(!stderr.contains('\r'), "{stderr:?}");
}

#[test]
fn the_default_spinner_draws_and_erases_itself_on_a_terminal() {
    // `script` runs the child on a pseudo-terminal and copies what it wrote.
    let exe = std::env::current_exe().unwrap();
    let command = format!(
        "{} spinner_child --exact --ignored --nocapture --test-threads=1",
        exe.display()
    );
    let output = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .output()
        .expect("`script` (util-linux) runs the child on a terminal");
    assert!(output.status.success(), "{output:?}");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("@@done"), "{screen:?}");
    let drawn = screen
        .find("Running `slow(...)`.")
        .expect("the spinner was drawn");
    assert!(
        screen[drawn..].contains(" s)"),
        "show_time adds the elapsed time: {screen:?}"
    );
    let erased = screen
        .rfind("\r\x1b[K")
        .expect("the spinner line was erased");
    assert!(
        erased > drawn && erased < screen.find("@@done").unwrap(),
        "{screen:?}"
    );
}
