//! What a batch shows while it runs: on a terminal, an overall bar (files done of total,
//! hours of audio processed, speed in × real time, ETA) over one line per track in flight
//! (indicatif's `MultiProgress`); elsewhere (a log, a pipe), one line per finished file.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::console;

/// The display of a running batch; shared by the workers.
pub struct Progress {
    total: usize,
    started: Instant,
    /// Files finished (any outcome) and seconds of audio mastered.
    done: Mutex<(usize, f64)>,
    terminal: Option<(MultiProgress, ProgressBar)>,
}

/// One track in flight (a line of its own on a terminal).
pub struct TrackLine(Option<ProgressBar>);

impl Progress {
    pub fn new(total: usize) -> Self {
        let terminal = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = multi.add(ProgressBar::new(total as u64));
            overall.set_style(
                ProgressStyle::with_template("[{bar:30}] {pos}/{len} files  {msg}  ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            overall.enable_steady_tick(Duration::from_millis(250));
            (multi, overall)
        });
        Progress {
            total,
            started: Instant::now(),
            done: Mutex::new((0, 0.0)),
            terminal,
        }
    }

    /// A line for a track starting.
    pub fn start(&self, name: &str) -> TrackLine {
        TrackLine(self.terminal.as_ref().map(|(multi, _)| {
            let line = multi.add(ProgressBar::new(auralis::pipeline::STEPS.len() as u64));
            line.set_style(
                ProgressStyle::with_template("  {prefix:.bold} [{bar:12}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            line.set_prefix(name.to_string());
            line.set_message("decoding");
            line
        }))
    }

    /// A track finished (mastered `audio_secs`, skipped or failed with 0): `message` is the
    /// one-line outcome.
    pub fn finish(&self, line: TrackLine, audio_secs: f64, message: &str) {
        let (done, secs) = {
            let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
            done.0 += 1;
            done.1 += audio_secs;
            *done
        };
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-9);
        match &self.terminal {
            Some((multi, overall)) => {
                if let Some(line) = line.0 {
                    line.finish_and_clear();
                    multi.remove(&line);
                }
                overall.set_position(done as u64);
                overall.set_message(format!(
                    "{:.2} h of audio, {:.0}× real time",
                    secs / 3600.0,
                    secs / elapsed
                ));
                if message.contains("failed") {
                    let _ = multi.println(message);
                }
            }
            None => console::note(&format!("[{done}/{}] {message}", self.total)),
        }
    }

    /// Clears the display before the final table.
    pub fn close(&self) {
        if let Some((multi, overall)) = &self.terminal {
            overall.finish_and_clear();
            let _ = multi.clear();
        }
    }
}

impl TrackLine {
    pub fn decoded(&self, secs: f64) {
        if let Some(line) = &self.0 {
            line.set_message(format!("{secs:.0} s of audio"));
        }
    }

    pub fn step(&self, step: &str) {
        if let Some(line) = &self.0 {
            line.inc(1);
            line.set_message(format!("{step} done"));
        }
    }
}
