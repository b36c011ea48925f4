//! SIGINT and SIGTERM: leave nothing half-written behind and exit 130 / 143.
//!
//! A watcher thread waits for either signal (signal-hook's self-pipe, so the handler itself
//! does nothing but wake it). By default the first signal ends the process: the watcher
//! removes every named temporary file the writer has open (`auralis_io::remove_temporaries`;
//! unnamed `O_TMPFILE` temporaries vanish with the process anyway) and exits with 128 + the
//! signal number, as shells report a death by signal. A complete output that was already
//! moved into place stays: it is whole.
//!
//! A batch asks for a graceful stop instead ([`graceful`]): the first signal is only
//! recorded ([`pending`]) — the batch takes no new file, lets the files in flight finish,
//! prints its summary and exits 130 / 143 itself — and a second signal ends the process at
//! once, as above (still without half-written files: outputs are renamed into place whole).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Whether the first signal only asks for a stop (a batch) rather than ending the process.
static GRACEFUL: AtomicBool = AtomicBool::new(false);
/// The first signal received in graceful mode (0: none yet).
static PENDING: AtomicI32 = AtomicI32::new(0);

/// Starts the watcher. If signals cannot be watched (no threads, odd platform), the
/// default disposition stays: the process dies, and the next write into the same directory
/// removes the temporary file it left (see `auralis_io`).
pub fn install() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("auralis-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if GRACEFUL.load(Ordering::SeqCst)
                    && PENDING
                        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                {
                    raw_note(
                        b"auralis: stopping: no new files; the files in flight finish \
                          (press Ctrl-C again to abort them)\n",
                    );
                    continue;
                }
                auralis::io::remove_temporaries();
                raw_note(match signal {
                    SIGINT => b"auralis: interrupted (SIGINT); nothing was left half-written\n",
                    _ => b"auralis: terminated (SIGTERM); nothing was left half-written\n",
                });
                // The exit status names the first signal (a batch stopping on SIGTERM and
                // then aborted with Ctrl-C was terminated).
                let first = match PENDING.load(Ordering::SeqCst) {
                    0 => signal,
                    first => first,
                };
                // `_exit`: no atexit handlers or stdout flushing that could block either.
                // SAFETY: ends the process; nothing here relies on destructors.
                unsafe { libc::_exit(128 + first) };
            }
        });
}

/// A raw write to stderr, not through the stderr lock: the main thread may hold that lock
/// while blocked on a full stderr, and the exit must not wait for it.
fn raw_note(note: &[u8]) {
    // SAFETY: writing a valid buffer to fd 2; the result is deliberately ignored.
    let _ = unsafe { libc::write(2, note.as_ptr().cast(), note.len()) };
}

/// From now on the first SIGINT / SIGTERM only sets [`pending`]; the second ends the process.
pub fn graceful() {
    GRACEFUL.store(true, Ordering::SeqCst);
}

/// The signal that asked for a stop in graceful mode, if one came.
pub fn pending() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}
