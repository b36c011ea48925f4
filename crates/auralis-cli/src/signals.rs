//! SIGINT and SIGTERM: leave nothing half-written behind and exit 130 / 143.
//!
//! A watcher thread waits for either signal (signal-hook's self-pipe, so the handler itself
//! does nothing but wake it). It removes every named temporary file the writer has open
//! (`auralis_io::remove_temporaries`; unnamed `O_TMPFILE` temporaries vanish with the
//! process anyway) and exits with 128 + the signal number, as shells report a death by
//! signal. A complete output that was already moved into place stays: it is whole.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

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
            if let Some(signal) = signals.forever().next() {
                auralis::io::remove_temporaries();
                let note: &[u8] = match signal {
                    SIGINT => b"auralis: interrupted (SIGINT); nothing was left half-written\n",
                    _ => b"auralis: terminated (SIGTERM); nothing was left half-written\n",
                };
                // A raw write, not through the stderr lock: the main thread may hold that
                // lock while blocked on a full stderr, and the exit must not wait for it.
                // SAFETY: writing a valid buffer to fd 2; the result is deliberately ignored.
                let _ = unsafe { libc::write(2, note.as_ptr().cast(), note.len()) };
                // `_exit`: no atexit handlers or stdout flushing that could block either.
                // SAFETY: ends the process; nothing here relies on destructors.
                unsafe { libc::_exit(128 + signal) };
            }
        });
}
