//! The terminal progress bar (indicatif). It draws to stderr and only when stderr is a
//! terminal, so logs and CI output stay clean. It is updated between measurements only —
//! never from a ticker thread, which would allocate while memory is being measured.

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::run::Progress;

/// A progress bar for a bench run.
pub struct TerminalProgress {
    bar: ProgressBar,
    /// Whether a step is under way (so the next `step` completes it).
    running: AtomicBool,
}

impl TerminalProgress {
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise:.dim} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        TerminalProgress {
            bar,
            running: AtomicBool::new(false),
        }
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for TerminalProgress {
    fn begin(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(0);
    }

    fn step(&self, message: &str) {
        if self.running.swap(true, Ordering::Relaxed) {
            self.bar.inc(1);
        }
        self.bar.set_message(message.to_string());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
