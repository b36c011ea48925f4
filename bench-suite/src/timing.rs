//! Honest timing: interleaved samples and robust statistics.
//!
//! * **Interleaved.** The implementations of one stage on one input are sampled round-robin
//!   (`ref, vec, par, ref, vec, par, …`), and each round starts one position later than the
//!   last, so frequency scaling, thermal drift and noisy neighbours hit every implementation
//!   alike instead of whichever happened to run last. Speed-ups are ratios *within* one such
//!   run.
//! * **Every sample is kept**, and summarised with order statistics (median, quartiles, MAD),
//!   which a single descheduled sample cannot drag around the way it drags a mean.
//! * **Only the work is timed.** The output is dropped after the clock stops, so freeing a
//!   large result is not charged to the implementation that made it.

use std::any::Any;
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Summary of one implementation's timing samples (seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingStats {
    /// Every sample, in the order it was taken.
    pub samples_secs: Vec<f64>,
    pub median_secs: f64,
    pub min_secs: f64,
    pub max_secs: f64,
    /// First and third quartiles (linear interpolation between order statistics, like
    /// `numpy.quantile`'s default).
    pub q1_secs: f64,
    pub q3_secs: f64,
    /// Interquartile range over the median: the spread the regression check treats as this
    /// implementation's noise (the selection pairs samples by round instead, `select.rs`).
    pub iqr_rel: f64,
    /// Median absolute deviation from the median, over the median.
    pub mad_rel: f64,
}

impl TimingStats {
    /// Summarises samples; `None` when there are none or any is not a finite, non-negative
    /// duration.
    pub fn from_samples(samples_secs: Vec<f64>) -> Option<Self> {
        if samples_secs.is_empty() || samples_secs.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return None;
        }
        let mut sorted = samples_secs.clone();
        sorted.sort_by(f64::total_cmp);
        let median = quantile_sorted(&sorted, 0.5);
        let q1 = quantile_sorted(&sorted, 0.25);
        let q3 = quantile_sorted(&sorted, 0.75);
        let mut deviations: Vec<f64> = sorted.iter().map(|s| (s - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = quantile_sorted(&deviations, 0.5);
        Some(TimingStats {
            median_secs: median,
            min_secs: sorted[0],
            max_secs: sorted[sorted.len() - 1],
            q1_secs: q1,
            q3_secs: q3,
            iqr_rel: relative(q3 - q1, median),
            mad_rel: relative(mad, median),
            samples_secs,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples_secs.len()
    }

    /// Always false: stats are only built from at least one sample.
    pub fn is_empty(&self) -> bool {
        self.samples_secs.is_empty()
    }
}

/// `spread / median`, defined as 0 for a zero median (a run too short for the clock to see
/// has no measurable spread either).
fn relative(spread: f64, median: f64) -> f64 {
    if median > 0.0 {
        spread / median
    } else {
        0.0
    }
}

/// The `q`-quantile of sorted, non-empty data by linear interpolation between the two
/// nearest order statistics (position `q·(n−1)`).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// How many samples to take and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplePlan {
    /// Warm-up: at least this many untimed runs of each implementation …
    pub warmup_runs: usize,
    /// … and more (up to `4 × warmup_runs`) until this much time was spent warming up.
    pub warmup_time: Duration,
    /// Rounds always taken (one sample of each implementation per round).
    pub min_samples: usize,
    /// Rounds never exceeded.
    pub max_samples: usize,
    /// After `min_samples` rounds, further rounds are taken while the sampling has run for
    /// less than this (so fast implementations get many samples, slow ones the minimum).
    pub budget: Duration,
}

/// How thoroughly a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every standard fixture, enough samples for a stable median (≈ 45–60 s for all four
    /// stages on a 2-core machine; the budget is 2 minutes).
    Full,
    /// The short fixtures and fewer samples (≈ 10 s; the budget is 30 s): a CI smoke run.
    Quick,
}

impl SamplePlan {
    /// The plan for one stage on one input of `audio_secs` seconds. `samples` fixes the
    /// number of samples (no adaptivity), for reproducible or very short runs.
    ///
    /// Minimum counts: a median of 15 samples is stable to a few per cent on a quiet machine
    /// for 5 s inputs; longer inputs average more work per sample and vary less, so fewer
    /// samples reach the same stability (9 for 30 s, 5 for 180 s) inside the 2-minute budget.
    pub fn for_input(audio_secs: f64, mode: Mode, samples: Option<usize>) -> Self {
        let (warmup_time, budget, min_samples, max_samples) = match mode {
            Mode::Full => (
                Duration::from_millis(100),
                // 2.6 s per cell keeps the full run (seven stages, the streamed chain's row,
                // the batch sets) inside its 3 minutes: 177 s at 3.0 s.
                Duration::from_millis(2600),
                match audio_secs {
                    s if s <= 10.0 => 15,
                    s if s <= 60.0 => 9,
                    _ => 5,
                },
                200,
            ),
            Mode::Quick => (
                Duration::from_millis(30),
                Duration::from_millis(1000),
                if audio_secs <= 10.0 { 7 } else { 5 },
                40,
            ),
        };
        let mut plan = SamplePlan {
            warmup_runs: 1,
            warmup_time,
            min_samples,
            max_samples,
            budget,
        };
        if let Some(n) = samples {
            plan.min_samples = n;
            plan.max_samples = n;
        }
        plan
    }

    /// The plan for confirming a suspected regression: three times the samples and twice the
    /// budget, so the verdict rests on more evidence than the run that raised the suspicion.
    pub fn remeasure(self) -> Self {
        let min_samples = (self.min_samples * 3).max(9);
        SamplePlan {
            min_samples,
            max_samples: self.max_samples.max(min_samples),
            budget: self.budget * 2,
            ..self
        }
    }
}

/// One implementation under timing: runs once and returns its output, which the sampler
/// drops after stopping the clock.
pub type Contender<'a> = &'a mut dyn FnMut() -> Result<Box<dyn Any + Send>, String>;

/// A contender failed while being timed (it passed accuracy before, so this means it is
/// nondeterministic or exhausted a resource).
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingError {
    /// Index of the failing contender.
    pub contender: usize,
    pub message: String,
}

/// Which call a self-timed contender is making: a warm-up call (numbered from 0) or the
/// sample of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Warmup(usize),
    Round(usize),
}

/// A contender that times its own work and returns the seconds it took, so that it can do
/// untimed work around it (prepare a fresh input, poison its output slot, verify the output;
/// see `verified.rs`).
pub type SelfTimed<'a> = &'a mut dyn FnMut(Call) -> Result<f64, String>;

/// Warms up, then samples every contender round-robin according to `plan`. Returns one
/// sample vector (seconds) per contender, in the contenders' order.
pub fn sample_interleaved(
    contenders: &mut [Contender<'_>],
    plan: &SamplePlan,
) -> Result<Vec<Vec<f64>>, SamplingError> {
    let mut wrapped: Vec<_> = contenders
        .iter_mut()
        .map(|contender| move |_: Call| time_once(contender))
        .collect();
    let mut timed: Vec<SelfTimed<'_>> = wrapped.iter_mut().map(|c| c as SelfTimed<'_>).collect();
    sample_interleaved_self_timed(&mut timed, plan)
}

/// [`sample_interleaved`] for contenders that time themselves.
pub fn sample_interleaved_self_timed(
    contenders: &mut [SelfTimed<'_>],
    plan: &SamplePlan,
) -> Result<Vec<Vec<f64>>, SamplingError> {
    let n = contenders.len();
    let mut samples = vec![Vec::with_capacity(plan.min_samples); n];
    if n == 0 {
        return Ok(samples);
    }
    let fail = |contender: usize| move |message: String| SamplingError { contender, message };
    let warmup_start = Instant::now();
    let mut warmup_rounds = 0;
    while warmup_rounds < plan.warmup_runs
        || (warmup_start.elapsed() < plan.warmup_time && warmup_rounds < 4 * plan.warmup_runs)
    {
        for (index, contender) in contenders.iter_mut().enumerate() {
            contender(Call::Warmup(warmup_rounds)).map_err(fail(index))?;
        }
        warmup_rounds += 1;
    }
    let start = Instant::now();
    for round in 0..plan.max_samples {
        if round >= plan.min_samples && start.elapsed() >= plan.budget {
            break;
        }
        for offset in 0..n {
            let index = (round + offset) % n;
            let secs = contenders[index](Call::Round(round)).map_err(fail(index))?;
            samples[index].push(secs);
        }
    }
    Ok(samples)
}

/// Times one run; the output is dropped after the clock stops.
fn time_once(contender: &mut Contender<'_>) -> Result<f64, String> {
    let start = Instant::now();
    let output = contender()?;
    let elapsed = start.elapsed();
    drop(black_box(output));
    Ok(elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn odd_count_hand_computed() {
        // sorted 1 2 3 4 5: median 3, quartiles 2 and 4; |x−3| = 2 1 0 1 2 → MAD 1.
        let s = TimingStats::from_samples(vec![5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!(close(s.median_secs, 3.0));
        assert!(close(s.q1_secs, 2.0) && close(s.q3_secs, 4.0));
        assert!(close(s.min_secs, 1.0) && close(s.max_secs, 5.0));
        assert!(close(s.iqr_rel, 2.0 / 3.0));
        assert!(close(s.mad_rel, 1.0 / 3.0));
        assert_eq!(s.samples_secs, vec![5.0, 1.0, 3.0, 2.0, 4.0], "order kept");
    }

    #[test]
    fn even_count_with_outlier_hand_computed() {
        // sorted 1 2 3 4 10 20: median (3+4)/2 = 3.5; q1 at position 1.25 → 2.25;
        // q3 at 3.75 → 4 + 0.75·6 = 8.5; |x−3.5| sorted .5 .5 1.5 2.5 6.5 16.5 → MAD 2.
        let s = TimingStats::from_samples(vec![20.0, 1.0, 10.0, 2.0, 4.0, 3.0]).unwrap();
        assert!(close(s.median_secs, 3.5));
        assert!(close(s.q1_secs, 2.25));
        assert!(close(s.q3_secs, 8.5));
        assert!(close(s.iqr_rel, 6.25 / 3.5));
        assert!(close(s.mad_rel, 2.0 / 3.5));
    }

    #[test]
    fn single_and_invalid_samples() {
        let s = TimingStats::from_samples(vec![0.25]).unwrap();
        assert!(close(s.median_secs, 0.25) && s.iqr_rel == 0.0 && s.mad_rel == 0.0);
        assert!(TimingStats::from_samples(vec![]).is_none());
        assert!(TimingStats::from_samples(vec![1.0, f64::NAN]).is_none());
        assert!(TimingStats::from_samples(vec![-1.0]).is_none());
        let zero = TimingStats::from_samples(vec![0.0, 0.0]).unwrap();
        assert_eq!(zero.iqr_rel, 0.0);
    }

    #[test]
    fn sampler_interleaves_rotates_and_respects_counts() {
        let log = std::cell::RefCell::new(Vec::new());
        let mut a = || -> Result<Box<dyn Any + Send>, String> {
            log.borrow_mut().push('a');
            Ok(Box::new(1u8))
        };
        let mut b = || -> Result<Box<dyn Any + Send>, String> {
            log.borrow_mut().push('b');
            Ok(Box::new(2u8))
        };
        let plan = SamplePlan {
            warmup_runs: 1,
            warmup_time: Duration::ZERO,
            min_samples: 4,
            max_samples: 4,
            budget: Duration::ZERO,
        };
        let samples = sample_interleaved(&mut [&mut a, &mut b], &plan).unwrap();
        assert_eq!(samples[0].len(), 4);
        assert_eq!(samples[1].len(), 4);
        let order: String = log.borrow().iter().collect();
        // Warm-up "ab", then rounds alternate their starting contender.
        assert_eq!(order, "abab".to_string() + "baab" + "ba");
    }

    #[test]
    fn sampler_takes_more_rounds_within_budget_and_reports_failures() {
        let mut fast = || -> Result<Box<dyn Any + Send>, String> { Ok(Box::new(())) };
        let plan = SamplePlan {
            warmup_runs: 1,
            warmup_time: Duration::ZERO,
            min_samples: 3,
            max_samples: 50,
            budget: Duration::from_secs(10),
        };
        let samples = sample_interleaved(&mut [&mut fast], &plan).unwrap();
        assert_eq!(
            samples[0].len(),
            50,
            "a fast contender gets up to max_samples"
        );

        let mut calls = 0;
        let mut flaky = || -> Result<Box<dyn Any + Send>, String> {
            calls += 1;
            if calls > 2 {
                Err("out of luck".into())
            } else {
                Ok(Box::new(()))
            }
        };
        let err = sample_interleaved(&mut [&mut flaky], &plan).unwrap_err();
        assert_eq!(err.contender, 0);
        assert_eq!(err.message, "out of luck");
    }

    #[test]
    fn plans_follow_the_stated_minimums() {
        assert_eq!(SamplePlan::for_input(5.0, Mode::Full, None).min_samples, 15);
        assert_eq!(SamplePlan::for_input(30.0, Mode::Full, None).min_samples, 9);
        assert_eq!(
            SamplePlan::for_input(180.0, Mode::Full, None).min_samples,
            5
        );
        let fixed = SamplePlan::for_input(5.0, Mode::Quick, Some(3));
        assert_eq!((fixed.min_samples, fixed.max_samples), (3, 3));
        let re = SamplePlan::for_input(180.0, Mode::Full, None).remeasure();
        assert_eq!(re.min_samples, 15);
    }
}
