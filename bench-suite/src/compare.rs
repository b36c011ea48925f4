//! `cargo xtask compare`: two builds' selected defaults, timed interleaved, with a confidence
//! interval per cell that a whole run can trust.
//!
//! Why it exists: the ratio gate (`bench --check`) allows 35 % plus noise and the
//! instruction-count gate is blind to a slowdown that adds no instructions (a memory-bound
//! access pattern, a lock, a sleep, worse thread scaling). This compares two builds directly,
//! on the same machine in the same minutes, so slow machine phases hit both alike.
//!
//! How:
//! * Each build runs as a **worker process** (`xtask compare-worker`) that holds its own
//!   stages, its own `reports/selection.json` and the fixtures in memory, and answers
//!   `run CELL SEED` with the nanoseconds one call took. A cell is a stage at one fixture
//!   length, run with the implementation that build selects for it.
//! * The orchestrator times **ABBA blocks** (BAAB on odd rounds): A and B on one fresh input,
//!   then B and A on another (inputs gained and circularly shifted per seed, outside the timed window, as the
//!   lab's timing does — no cache of any kind can hit). A block's log-ratio
//!   `ln((B₁ + B₂) / (A₁ + A₂))` cancels any drift linear over the block.
//! * Per cell, the block log-ratios get a distribution-free confidence interval (Wilcoxon
//!   signed-rank with its Hodges–Lehmann estimate: no normality assumed, robust to a wild
//!   block; see [`signed_rank_interval`]). Its level is Bonferroni-corrected,
//!   `1 − 0.05 / cells`, so a whole run raises a false alarm at most 5 % of the time even if
//!   every cell is tested.
//! * A cell **fails** only when its whole interval lies above `+threshold`; failing cells are
//!   **re-measured** with new inputs and fail the run only if they fail again.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use auralis_core::selection::Selection;
use auralis_core::{AudioBuffer, ImplKind, LabStage};
use auralis_fixtures::rng::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::error::{LabError, LabResult};
use crate::verified::FreshInputs;

/// ABBA blocks per cell by default: at 40, intervals on this machine are 4–6 % wide at the
/// corrected level (30 gave 6–9 %), enough to catch 10 % against a 5 % threshold; the power
/// study (`cargo xtask compare --study`, table in README) measured it.
pub const DEFAULT_ROUNDS: usize = 40;

/// A cell fails when its whole interval lies above this slowdown.
pub const DEFAULT_THRESHOLD: f64 = 0.05;

/// Family-wise false-alarm rate of one comparison (before re-measuring).
pub const FAMILY_ALPHA: f64 = 0.05;

/// Fixture lengths compared by default: long enough to be real work (the 5 s runs take
/// 1–4 ms, the 30 s ones 5–25 ms), short enough that a comparison takes about a minute. The
/// 180 s fixture adds nothing the 30 s one does not show at six times the cost.
pub const DEFAULT_SECONDS: [f64; 2] = [5.0, 30.0];

// ---------------------------------------------------------------- worker (one build) ----

/// One cell as the worker holds it.
struct WorkerCell {
    name: String,
    /// Index into the worker's stages.
    stage: usize,
    kind: ImplKind,
    audio: AudioBuffer,
    slot: Option<Box<dyn std::any::Any + Send>>,
}

/// The cell name: stage and fixture length, e.g. `eq@30s`.
pub fn cell_name(stage: &str, seconds: f64) -> String {
    format!("{stage}@{seconds}s")
}

/// The worker's loop (`xtask compare-worker`): announces its cells with the implementation
/// its selection picks, then answers `run CELL SEED` lines with `ns N` (or `err MESSAGE`)
/// until `quit` or end of input.
///
/// `plant_slowdown` (a fraction, for the power study only) sleeps that fraction of each
/// call's own time inside the timed window: a wall-time slowdown that adds no instructions.
pub fn serve(
    stages: Vec<Box<dyn LabStage>>,
    selection: &Selection,
    seconds: &[f64],
    plant_slowdown: f64,
    input: impl BufRead,
    mut output: impl Write,
) -> LabResult<()> {
    if plant_slowdown > 0.0 {
        set_fine_timer_slack();
    }
    let fixtures: Vec<(f64, AudioBuffer)> = seconds
        .iter()
        .map(|&s| (s, auralis_fixtures::generate_seconds(s)))
        .collect();
    let mut cells = Vec::new();
    for (index, stage) in stages.iter().enumerate() {
        for (s, audio) in &fixtures {
            let kind = selection.choose(stage.name(), audio.len() as u64);
            let kind = if stage.implementations().contains(&kind) {
                kind
            } else {
                ImplKind::Reference
            };
            cells.push(WorkerCell {
                name: cell_name(stage.name(), *s),
                stage: index,
                kind,
                audio: audio.clone(),
                slot: None,
            });
        }
    }
    let announce: Vec<String> = cells
        .iter()
        .map(|c| format!("{}={}", c.name, c.kind))
        .collect();
    let io = |e: std::io::Error| LabError::Run(format!("compare worker: {e}"));
    writeln!(output, "cells {}", announce.join(" ")).map_err(io)?;
    output.flush().map_err(io)?;
    for line in input.lines() {
        let line = line.map_err(io)?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("quit"), ..) => break,
            (None, ..) => continue,
            (Some("run"), Some(name), Some(seed)) => {
                let reply = match (
                    cells.iter_mut().find(|c| c.name == name),
                    seed.parse::<u64>(),
                ) {
                    (Some(cell), Ok(seed)) => {
                        match time_one(&*stages[cell.stage], cell, seed, plant_slowdown) {
                            Ok(ns) => format!("ns {ns}"),
                            Err(e) => format!("err {}", e.replace('\n', " ")),
                        }
                    }
                    (None, _) => format!("err no cell `{name}`"),
                    (_, Err(e)) => format!("err bad seed: {e}"),
                };
                writeln!(output, "{reply}").map_err(io)?;
                output.flush().map_err(io)?;
            }
            _ => {
                writeln!(output, "err cannot parse `{line}`").map_err(io)?;
                output.flush().map_err(io)?;
            }
        }
    }
    Ok(())
}

/// One timed call on a fresh input derived from `seed`; the slot is poisoned first (outside
/// the window), as the lab's timing does.
fn time_one(
    stage: &dyn LabStage,
    cell: &mut WorkerCell,
    seed: u64,
    plant_slowdown: f64,
) -> Result<u64, String> {
    let fresh = FreshInputs::new(&cell.audio, seed);
    let (kind, slot) = (cell.kind, &mut cell.slot);
    fresh.with_input(0, 0, |input| {
        stage.poison_erased(slot);
        let start = Instant::now();
        stage
            .run_into_erased(kind, input, slot)
            .map_err(|e| e.to_string())?;
        let worked = start.elapsed();
        if plant_slowdown > 0.0 {
            std::thread::sleep(worked.mul_f64(plant_slowdown));
        }
        let elapsed = start.elapsed();
        std::hint::black_box(&*slot);
        Ok(elapsed.as_nanos() as u64)
    })
}

/// Asks the kernel for 1 ns timer slack (default 50 µs), so a planted sleep lasts what it
/// asks for instead of up to 50 µs more — 1 % of a 5 ms call.
fn set_fine_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and changes only this thread's
    // timer slack; it cannot touch memory.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

// ---------------------------------------------------------------- orchestrator ----------

/// The start of the error a build without `compare-worker` (older than this module) gives.
pub const NO_WORKER: &str = "no compare worker in that build";

/// A running worker process.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Its cells and the implementation it runs in each.
    pub cells: Vec<(String, ImplKind)>,
    label: String,
}

impl Worker {
    /// Starts `command` (an `xtask compare-worker …`) and reads its cell list.
    pub fn spawn(mut command: Command, label: &str) -> LabResult<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| LabError::Run(format!("cannot start the {label} worker: {e}")))?;
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut first = String::new();
        if let Err(e) = stdout.read_line(&mut first) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LabError::Run(format!("{label} worker: {e}")));
        }
        let Some(list) = first.trim().strip_prefix("cells") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LabError::Input(format!(
                "{NO_WORKER}: the {label} build answered `{}`; compare against a commit that has \
                 `cargo xtask compare`",
                first.trim()
            )));
        };
        let cells = list
            .split_whitespace()
            .map(|c| {
                c.split_once('=')
                    .and_then(|(name, kind)| Some((name.to_string(), kind.parse().ok()?)))
                    .ok_or_else(|| LabError::Run(format!("{label} worker announced `{c}`")))
            })
            .collect::<LabResult<Vec<_>>>();
        let cells = match cells {
            Ok(cells) => cells,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Self {
            child,
            stdin,
            stdout,
            cells,
            label: label.to_string(),
        })
    }

    /// One timed call of `cell` on the input of `seed`, in nanoseconds.
    pub fn run(&mut self, cell: &str, seed: u64) -> LabResult<u64> {
        let failed = |e: String| LabError::Run(format!("{} worker, {cell}: {e}", self.label));
        writeln!(self.stdin, "run {cell} {seed}").map_err(|e| failed(e.to_string()))?;
        self.stdin.flush().map_err(|e| failed(e.to_string()))?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| failed(e.to_string()))?;
        match line.trim().split_once(' ') {
            Some(("ns", n)) => n.parse().map_err(|e| failed(format!("{e}"))),
            Some(("err", message)) => Err(failed(message.to_string())),
            _ => Err(failed(format!("unexpected reply `{}`", line.trim()))),
        }
    }

    fn kind_of(&self, cell: &str) -> Option<ImplKind> {
        self.cells.iter().find(|(c, _)| c == cell).map(|&(_, k)| k)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        // Give it a moment to leave on its own, then make sure.
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The cells both builds have, in A's order; and those only one has (reported, not
/// compared).
pub fn common_cells(a: &Worker, b: &Worker) -> (Vec<String>, Vec<String>) {
    let mut common = Vec::new();
    let mut only = Vec::new();
    for (cell, _) in &a.cells {
        if b.kind_of(cell).is_some() {
            common.push(cell.clone());
        } else {
            only.push(format!("{cell} (base only)"));
        }
    }
    for (cell, _) in &b.cells {
        if a.kind_of(cell).is_none() {
            only.push(format!("{cell} (new)"));
        }
    }
    (common, only)
}

/// The blocks of one cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellSamples {
    pub cell: String,
    pub kind_a: ImplKind,
    pub kind_b: ImplKind,
    /// `ln((B₁ + B₂) / (A₁ + A₂))` per ABBA block.
    pub log_ratios: Vec<f64>,
    /// Median call time of A, seconds (for the table).
    pub median_a_secs: f64,
}

/// Times `rounds` ABBA blocks of every cell, cells rotated round by round so no cell always
/// follows the same one. Seeds come from `seed`, so both builds see the same inputs.
pub fn measure(
    a: &mut Worker,
    b: &mut Worker,
    cells: &[String],
    rounds: usize,
    seed: u64,
    progress: &dyn Fn(usize, usize),
) -> LabResult<Vec<CellSamples>> {
    if rounds == 0 {
        return Err(LabError::Usage("compare needs at least one round".into()));
    }
    let mut rng = SplitMix64::new(seed);
    let mut ratios = vec![Vec::with_capacity(rounds); cells.len()];
    let mut a_times = vec![Vec::with_capacity(2 * rounds); cells.len()];
    for round in 0..rounds {
        progress(round, rounds);
        for k in 0..cells.len() {
            let i = (k + round) % cells.len();
            let cell = &cells[i];
            let (s1, s2) = (rng.next_u64(), rng.next_u64());
            // ABBA on even rounds, BAAB on odd ones: in ABBA the second B directly follows
            // B's own call (warm caches) while the second A does not, which would favour B
            // every time (a review found it); alternating gives each side that seat half the
            // time.
            let (a1, b1, b2, a2) = if round % 2 == 0 {
                let a1 = a.run(cell, s1)?;
                let b1 = b.run(cell, s1)?;
                let b2 = b.run(cell, s2)?;
                (a1, b1, b2, a.run(cell, s2)?)
            } else {
                let b1 = b.run(cell, s1)?;
                let a1 = a.run(cell, s1)?;
                let a2 = a.run(cell, s2)?;
                let b2 = b.run(cell, s2)?;
                (a1, b1, b2, a2)
            };
            ratios[i].push(((b1 + b2) as f64 / (a1 + a2).max(1) as f64).ln());
            a_times[i].extend([a1, a2]);
        }
    }
    Ok(cells
        .iter()
        .zip(ratios)
        .zip(a_times)
        .map(|((cell, log_ratios), mut times)| {
            times.sort_unstable();
            CellSamples {
                cell: cell.clone(),
                kind_a: a.kind_of(cell).unwrap_or_default(),
                kind_b: b.kind_of(cell).unwrap_or_default(),
                log_ratios,
                median_a_secs: times[times.len() / 2] as f64 * 1e-9,
            }
        })
        .collect())
}

/// What one cell's interval says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is above `+threshold`: a regression.
    Slower,
    /// The whole interval is below `−threshold`: an improvement.
    Faster,
    /// Neither.
    Unchanged,
    /// Too few blocks for an interval at the corrected level.
    TooFewRounds,
}

/// One cell's change with its interval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellVerdict {
    pub cell: String,
    pub kind_a: ImplKind,
    pub kind_b: ImplKind,
    pub blocks: usize,
    /// Change of B against A, Hodges–Lehmann (0.10 = B takes 10 % longer).
    pub change: f64,
    /// The confidence interval of the change.
    pub low: f64,
    pub high: f64,
    /// Its confidence level (Bonferroni-corrected, at least `1 − FAMILY_ALPHA / cells`).
    pub confidence: f64,
    pub median_a_secs: f64,
    pub verdict: Verdict,
}

/// The Wilcoxon signed-rank confidence interval for the centre of `values` at two-sided
/// level `1 − alpha`, with its Hodges–Lehmann estimate: `(estimate, low, high, coverage)`,
/// or `None` if `values` are too few for the level.
///
/// Why this and not a t-interval or the sign test: block ratios have heavy tails (a
/// neighbour's burst hits one block), which a t-interval lets through and one wild block
/// moves; the sign test ignores them too but wastes a third of the data (efficiency 0.64 under
/// normal noise, against 0.95 here). The interval is the `C`-th smallest and largest of the
/// `n(n+1)/2` Walsh averages `(xᵢ + xⱼ)/2, i ≤ j`, with `C − 1` the largest count such that
/// `P(W⁺ ≤ C − 1) ≤ alpha/2` under the exact null distribution of the signed-rank statistic.
pub fn signed_rank_interval(values: &[f64], alpha: f64) -> Option<(f64, f64, f64, f64)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let m = n * (n + 1) / 2;
    // Exact null distribution of W⁺ by dynamic programming over ranks (probabilities, halved
    // at each rank so nothing overflows): O(n · m), 110 k steps for 60 blocks.
    let mut dist = vec![0.0f64; m + 1];
    dist[0] = 1.0;
    for rank in 1..=n {
        for s in (rank..=rank * (rank + 1) / 2).rev() {
            dist[s] = 0.5 * (dist[s] + dist[s - rank]);
        }
        for d in dist.iter_mut().take(rank) {
            *d *= 0.5;
        }
    }
    let (mut below, mut c) = (0.0, 0usize);
    for (s, p) in dist.iter().enumerate() {
        if below + p > alpha / 2.0 {
            break;
        }
        below += p;
        c = s + 1;
    }
    if c == 0 || 2 * c > m {
        return None;
    }
    let mut walsh = Vec::with_capacity(m);
    for i in 0..n {
        for j in i..n {
            walsh.push(0.5 * (values[i] + values[j]));
        }
    }
    walsh.sort_by(f64::total_cmp);
    let estimate = if m % 2 == 1 {
        walsh[m / 2]
    } else {
        0.5 * (walsh[m / 2 - 1] + walsh[m / 2])
    };
    Some((estimate, walsh[c - 1], walsh[m - c], 1.0 - 2.0 * below))
}

/// Judges every cell: the interval level is corrected for `samples.len()` cells.
pub fn judge(samples: &[CellSamples], threshold: f64) -> Vec<CellVerdict> {
    judge_among(samples, threshold, samples.len())
}

/// [`judge`] with the level corrected for `cells` cells (a re-measurement of a few cells is
/// judged at the level of the whole run).
pub fn judge_among(samples: &[CellSamples], threshold: f64, cells: usize) -> Vec<CellVerdict> {
    let alpha = FAMILY_ALPHA / cells.max(1) as f64;
    let limit = (1.0 + threshold).ln();
    samples
        .iter()
        .map(|s| {
            let (estimate, low, high, confidence, verdict) =
                match signed_rank_interval(&s.log_ratios, alpha) {
                    None => (
                        f64::NAN,
                        f64::NEG_INFINITY,
                        f64::INFINITY,
                        0.0,
                        Verdict::TooFewRounds,
                    ),
                    Some((estimate, low, high, confidence)) => {
                        let verdict = if low > limit {
                            Verdict::Slower
                        } else if high < -limit {
                            Verdict::Faster
                        } else {
                            Verdict::Unchanged
                        };
                        (estimate, low, high, confidence, verdict)
                    }
                };
            CellVerdict {
                cell: s.cell.clone(),
                kind_a: s.kind_a,
                kind_b: s.kind_b,
                blocks: s.log_ratios.len(),
                change: estimate.exp() - 1.0,
                low: low.exp() - 1.0,
                high: high.exp() - 1.0,
                confidence,
                median_a_secs: s.median_a_secs,
                verdict,
            }
        })
        .collect()
}

/// A whole comparison: first measurement, and the re-measurement of the cells that failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub threshold: f64,
    pub rounds: usize,
    pub verdicts: Vec<CellVerdict>,
    /// The failing cells measured again with new inputs (empty if none failed).
    pub remeasured: Vec<CellVerdict>,
    /// Cells only one build has.
    pub not_compared: Vec<String>,
}

impl Comparison {
    /// Cells that failed twice: what fails the run.
    pub fn regressions(&self) -> Vec<&CellVerdict> {
        self.remeasured
            .iter()
            .filter(|v| v.verdict == Verdict::Slower)
            .collect()
    }

    pub fn passed(&self) -> bool {
        self.regressions().is_empty()
    }

    /// A Markdown table of the first measurement, then the re-measurement.
    pub fn table(&self) -> String {
        let levels: Vec<f64> = self
            .verdicts
            .iter()
            .filter(|v| v.verdict != Verdict::TooFewRounds)
            .map(|v| v.confidence * 100.0)
            .collect();
        let lowest = levels.iter().copied().fold(100.0, f64::min);
        let mut out = format!(
            "| cell | base → head | base median | change | ≥ {lowest:.1} % interval | verdict |\n|---|---|---|---|---|---|\n",
        );
        let row = |v: &CellVerdict, note: &str| {
            format!(
                "| {} | {} → {} | {} | {:+.1} % | {:+.1} % … {:+.1} % | {:?}{note} |\n",
                v.cell,
                v.kind_a,
                v.kind_b,
                crate::select::format_secs(v.median_a_secs),
                v.change * 100.0,
                v.low * 100.0,
                v.high * 100.0,
                v.verdict
            )
        };
        for v in &self.verdicts {
            out.push_str(&row(v, ""));
        }
        for v in &self.remeasured {
            out.push_str(&row(v, " (re-measured)"));
        }
        for c in &self.not_compared {
            out.push_str(&format!("| {c} | | | | | not compared |\n"));
        }
        out
    }
}

/// Measures, judges, and re-measures the cells that failed (with new inputs, same level).
pub fn compare(
    a: &mut Worker,
    b: &mut Worker,
    rounds: usize,
    threshold: f64,
    seed: u64,
    progress: &dyn Fn(&str),
) -> LabResult<Comparison> {
    let (cells, not_compared) = common_cells(a, b);
    let samples = measure(a, b, &cells, rounds, seed, &|r, n| {
        progress(&format!("round {}/{n}", r + 1))
    })?;
    let verdicts = judge(&samples, threshold);
    let failing: Vec<String> = verdicts
        .iter()
        .filter(|v| v.verdict == Verdict::Slower)
        .map(|v| v.cell.clone())
        .collect();
    let remeasured = if failing.is_empty() {
        Vec::new()
    } else {
        progress(&format!("re-measuring {}", failing.join(", ")));
        let again = measure(a, b, &failing, rounds, seed ^ 0xA5A5_5A5A, &|_, _| {})?;
        judge_among(&again, threshold, cells.len())
    };
    Ok(Comparison {
        threshold,
        rounds,
        verdicts,
        remeasured,
        not_compared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_uses_the_exact_signed_rank_critical_value() {
        // n = 30, two-sided 95 %: the tables' critical value is 137 (reject if W ≤ 137), so
        // the interval runs from the 138th smallest to the 138th largest of 465 Walsh averages.
        let values: Vec<f64> = (1..=30).map(f64::from).collect();
        let (estimate, low, high, coverage) = signed_rank_interval(&values, 0.05).unwrap();
        let mut walsh = Vec::new();
        for i in 0..30 {
            for j in i..30 {
                walsh.push(0.5 * (values[i] + values[j]));
            }
        }
        walsh.sort_by(f64::total_cmp);
        assert_eq!((low, high), (walsh[137], walsh[465 - 138]));
        assert!((estimate - 15.5).abs() < 1e-12);
        assert!((0.95..0.96).contains(&coverage), "{coverage}");
        // Corrected for 8 cells: wider, and at the corrected level.
        let (_, low8, high8, c8) = signed_rank_interval(&values, 0.05 / 8.0).unwrap();
        assert!(low8 < low && high8 > high && c8 >= 1.0 - 0.05 / 8.0);
        // Too few values for the level.
        assert!(signed_rank_interval(&values[..5], 0.01).is_none());
        assert!(signed_rank_interval(&[], 0.05).is_none());
    }

    fn samples(cell: &str, ratios: &[f64]) -> CellSamples {
        CellSamples {
            cell: cell.into(),
            kind_a: ImplKind::Vectorized,
            kind_b: ImplKind::Vectorized,
            log_ratios: ratios.iter().map(|r| r.ln()).collect(),
            median_a_secs: 0.01,
        }
    }

    #[test]
    fn a_clear_slowdown_fails_and_noise_does_not() {
        let mut rng = SplitMix64::new(1);
        let noisy = |shift: f64, rng: &mut SplitMix64| -> Vec<f64> {
            (0..30)
                .map(|_| shift * (1.0 + 0.03 * rng.next_signed()))
                .collect()
        };
        let same = noisy(1.0, &mut rng);
        let slower = noisy(1.10, &mut rng);
        let faster = noisy(0.85, &mut rng);
        let v = judge(
            &[
                samples("a", &same),
                samples("b", &slower),
                samples("c", &faster),
            ],
            0.05,
        );
        assert_eq!(v[0].verdict, Verdict::Unchanged, "{v:?}");
        assert_eq!(v[1].verdict, Verdict::Slower, "{v:?}");
        assert_eq!(v[2].verdict, Verdict::Faster, "{v:?}");
        assert!(v[1].low > 0.05 && v[1].high < 0.15, "{v:?}");
        // 7 % slower with ±3 % noise: the interval straddles the 5 % threshold or sits just
        // above it, but never fails on a 3 % change.
        let small = noisy(1.03, &mut rng);
        let v = judge(&[samples("d", &small)], 0.05);
        assert_ne!(v[0].verdict, Verdict::Slower, "{v:?}");
    }

    #[test]
    fn one_wild_block_moves_nothing() {
        let mut ratios = vec![1.0; 30];
        ratios[3] = 50.0;
        let v = judge(&[samples("a", &ratios)], 0.05);
        assert_eq!(v[0].verdict, Verdict::Unchanged);
        assert!(v[0].high.abs() < 1e-12, "{v:?}");
    }
}
