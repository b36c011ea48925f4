//! Instruction counts: a regression gate that does not depend on how busy the machine is.
//!
//! Wall time on the lab's shared VM moves by ±25 % between quiet and busy phases, so the
//! timing gate ([`crate::check`]) can only compare ratios within one run, with wide margins.
//! The number of instructions an implementation executes on a fixed input does not move at
//! all: measured under valgrind's callgrind, repeated runs of every stage × implementation
//! agreed to within 0.02 % (most to the instruction). A change that makes an implementation
//! do more work therefore shows up, whatever the machine is doing.
//!
//! Instructions are not time — a memory stall or a slower instruction costs time without
//! costing instructions — so this complements the timing gate, it does not replace it.
//!
//! How a count is taken: `cargo xtask icount` runs itself once per stage × implementation
//! under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=*icount_region*`
//! ([`probe`]). The probe generates the standard fixture in memory, runs the implementation
//! once to warm up (plans, first-touch of the output), then once more inside
//! [`icount_region`] — writing into the previous output, as the lab's timing samples do —
//! and only that call is counted. Counts depend on the compiler, valgrind and the SIMD level
//! pulp dispatches to under valgrind (it emulates AVX2, not AVX-512), so each is recorded and
//! counts are only compared when all three match.

use std::path::Path;
use std::process::Command;

use auralis_core::{AudioBuffer, ImplKind, LabStage};
use serde::{Deserialize, Serialize};

use crate::error::{LabError, LabResult};

/// Version of the count file's layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Fixture length counted: long enough for every stage's steady state (hundreds of STFT
/// frames, dozens of dynamics chunks), short enough that the whole gate takes about half a
/// minute under valgrind.
pub const FIXTURE_SECONDS: f64 = 5.0;

/// Rayon threads in the counted runs: one. Callgrind's toggle follows the call stack of each
/// thread, so with more threads only the work of the thread that entered [`icount_region`]
/// is counted, and that depends on work stealing (measured: the parallel EQ counted 14.1 M
/// or 34.0 M instructions in two runs with 2 threads). With one thread every task runs
/// inside the region: the count is the parallel variant's whole work, block overlaps and
/// warm-ups included, which is what a regression in it would change. (Results do not depend
/// on the thread count; that is tested elsewhere.)
pub const RAYON_THREADS: usize = 1;

/// Largest relative increase allowed before the gate fails. Repeated counts on the lab
/// machine differ by at most ≈ 0.02 % (the EQ reference: 71 936 589 against 71 946 280;
/// most counts repeat exactly) — layout-dependent library paths such as memcpy alignment
/// prologues — so 1 % is 50 times the noise and still below any change a benchmark
/// could see.
pub const TOLERANCE: f64 = 0.01;

/// The callgrind pattern that selects the counted region.
pub const REGION_PATTERN: &str = "*icount_region*";

/// The instruction counts of one run of the gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcountReport {
    pub schema_version: u32,
    /// `rustc -V` of the build.
    pub rustc: String,
    /// `valgrind --version`.
    pub valgrind: String,
    /// The SIMD level pulp dispatched to under valgrind.
    pub pulp_arch: String,
    pub rayon_threads: usize,
    pub fixture_seconds: f64,
    /// The commit counted (`abc1234` or `abc1234-dirty`).
    pub commit: String,
    pub counts: Vec<Count>,
}

/// Instructions of one implementation's steady-state run on the fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub stage: String,
    pub implementation: ImplKind,
    pub instructions: u64,
}

impl IcountReport {
    pub fn read(path: &Path) -> LabResult<Self> {
        let text = crate::report::read_text(path)?;
        serde_json::from_str(&text).map_err(|e| {
            LabError::Input(format!(
                "{}: not an instruction-count file: {e}",
                path.display()
            ))
        })
    }

    pub fn to_json(&self) -> LabResult<String> {
        serde_json::to_string_pretty(self)
            .map(|s| s + "\n")
            .map_err(|e| LabError::Output(format!("cannot serialise the counts: {e}")))
    }

    /// A one-line-per-count table for the terminal.
    pub fn table(&self) -> String {
        let mut out = format!(
            "instructions per run on the {} s fixture ({}, {}, pulp {}, {} rayon threads):\n",
            self.fixture_seconds, self.rustc, self.valgrind, self.pulp_arch, self.rayon_threads
        );
        for c in &self.counts {
            out.push_str(&format!(
                "  {:<12} {:<10} {:>14}  ({:.1} per frame)\n",
                c.stage,
                c.implementation.to_string(),
                c.instructions,
                c.instructions as f64 / (self.fixture_seconds * 44_100.0)
            ));
        }
        out
    }
}

/// The counted call. Never inlined: callgrind switches counting on and off at its entry
/// and exit ([`REGION_PATTERN`]).
#[inline(never)]
pub fn icount_region(
    stage: &dyn LabStage,
    kind: ImplKind,
    audio: &AudioBuffer,
    previous: &mut Option<Box<dyn std::any::Any + Send>>,
) -> auralis_core::Result<()> {
    stage.run_into_erased(kind, audio, previous)
}

/// The probe's body (run by `cargo xtask icount` under valgrind): one warm-up run, then the
/// counted one. Prints the SIMD level pulp dispatched to, for the report.
pub fn probe(stage: &dyn LabStage, kind: ImplKind) -> LabResult<()> {
    // (The planted self-test passes a [`PlantedExtraPass`] here.)
    let audio = auralis_fixtures::generate_seconds(FIXTURE_SECONDS);
    let mut previous = None;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(RAYON_THREADS)
        .build()
        .map_err(|e| LabError::Run(format!("cannot build a thread pool: {e}")))?;
    let failed = |e| LabError::Run(format!("{} / {kind} failed: {e}", stage.name()));
    pool.install(|| -> LabResult<()> {
        // The warm-up runs outside the region, so it is not counted.
        stage
            .run_into_erased(kind, &audio, &mut previous)
            .map_err(failed)?;
        icount_region(stage, kind, &audio, &mut previous).map_err(failed)
    })?;
    std::hint::black_box(&previous);
    println!("pulp {}", crate::machine::pulp_arch());
    Ok(())
}

/// Fraction of the input the planted extra pass re-processes: 15 %, the slowdown the issue
/// says only this gate can see (the time gate allows 35 % plus noise).
pub const PLANTED_EXTRA_FRACTION: f64 = 0.15;

/// The probe argument that wraps the counted stage in [`PlantedExtraPass`].
pub const PLANTED_FLAG: &str = "--planted-extra-pass";

/// A planted fault for the gate's self-test: the stage's real work, then an extra pass over
/// the first [`PLANTED_EXTRA_FRACTION`] of the input (as a careless second analysis pass or a
/// duplicated filter would add). `cargo xtask icount --check` counts it for every stage and
/// fails unless [`compare`] flags it — so CI shows, on every run, that the gate still sees a
/// 15 % slowdown on each stage.
pub struct PlantedExtraPass(pub Box<dyn LabStage>);

impl PlantedExtraPass {
    fn extra_input(audio: &AudioBuffer) -> auralis_core::Result<AudioBuffer> {
        let frames = ((audio.len() as f64 * PLANTED_EXTRA_FRACTION) as usize).max(1);
        AudioBuffer::new(
            audio
                .channels()
                .iter()
                .map(|c| c[..frames].to_vec())
                .collect(),
            audio.sample_rate(),
        )
        .map_err(Into::into)
    }
}

impl LabStage for PlantedExtraPass {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn implementations(&self) -> &'static [ImplKind] {
        self.0.implementations()
    }
    fn tolerance(&self) -> &'static str {
        self.0.tolerance()
    }
    fn run_erased(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
    ) -> auralis_core::Result<Box<dyn std::any::Any + Send>> {
        let out = self.0.run_erased(kind, audio)?;
        std::hint::black_box(self.0.run_erased(kind, &Self::extra_input(audio)?)?);
        Ok(out)
    }
    fn run_into_erased(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        slot: &mut Option<Box<dyn std::any::Any + Send>>,
    ) -> auralis_core::Result<()> {
        self.0.run_into_erased(kind, audio, slot)?;
        std::hint::black_box(self.0.run_erased(kind, &Self::extra_input(audio)?)?);
        Ok(())
    }
    fn compare_erased(
        &self,
        reference: &dyn std::any::Any,
        candidate: &dyn std::any::Any,
    ) -> auralis_core::Accuracy {
        self.0.compare_erased(reference, candidate)
    }
    fn traces_erased(&self, output: &dyn std::any::Any) -> Vec<auralis_core::Trace> {
        self.0.traces_erased(output)
    }
    fn poison_erased(&self, slot: &mut Option<Box<dyn std::any::Any + Send>>) {
        self.0.poison_erased(slot)
    }
    fn identical_erased(&self, a: &dyn std::any::Any, b: &dyn std::any::Any) -> bool {
        self.0.identical_erased(a, b)
    }
    fn thread_independence(&self) -> auralis_core::ThreadIndependence {
        self.0.thread_independence()
    }
    fn stream_erased(
        &self,
        channels: usize,
        sample_rate: u32,
    ) -> Option<auralis_core::Result<Box<dyn auralis_core::StreamProcessor>>> {
        self.0.stream_erased(channels, sample_rate)
    }
}

/// The implementation the plant is counted on: the vectorized one where a stage has it (its
/// count is the smallest, so a 15 % pass is the hardest to see against any fixed overhead).
pub fn planted_kind(stage: &dyn LabStage) -> ImplKind {
    if stage.implementations().contains(&ImplKind::Vectorized) {
        ImplKind::Vectorized
    } else {
        ImplKind::Reference
    }
}

/// Counts the planted extra pass on every stage and holds each against this run's honest
/// count with the gate's own [`compare`]: a plant the gate would let through is a failure of
/// the gate. Returns one line per stage (measured increase) and the failures.
pub fn check_planted(
    program: &Path,
    probe_command: &str,
    honest: &IcountReport,
    stages: &[Box<dyn LabStage>],
    progress: &dyn Fn(&str),
) -> LabResult<(Vec<String>, Vec<String>)> {
    let (mut lines, mut failures) = (Vec::new(), Vec::new());
    for stage in stages {
        let kind = planted_kind(&**stage);
        progress(&format!(
            "counting {} / {kind} with a planted extra pass",
            stage.name()
        ));
        let args = [
            probe_command.to_string(),
            stage.name().to_string(),
            kind.to_string(),
            PLANTED_FLAG.to_string(),
        ];
        let (instructions, _) = count_under_callgrind(program, &args)?;
        let Some(base) = honest
            .counts
            .iter()
            .find(|c| c.stage == stage.name() && c.implementation == kind)
        else {
            failures.push(format!(
                "{} / {kind}: no honest count to hold the plant to",
                stage.name()
            ));
            continue;
        };
        let mut planted = honest.clone();
        planted.counts = vec![Count {
            instructions,
            ..base.clone()
        }];
        let mut reference = honest.clone();
        reference.counts = vec![base.clone()];
        let outcome = compare(&reference, &planted);
        let increase = (instructions as f64 / base.instructions.max(1) as f64 - 1.0) * 100.0;
        let line = format!(
            "{} / {kind} + extra pass over {:.0} % of the input: {:+.1} % instructions",
            stage.name(),
            PLANTED_EXTRA_FRACTION * 100.0,
            increase
        );
        if outcome.passed() {
            failures.push(format!("{line} — NOT caught by the gate"));
        } else {
            lines.push(format!("{line} — caught"));
        }
    }
    Ok((lines, failures))
}

/// Runs `program probe_args…` under callgrind counting only [`icount_region`]; returns the
/// instructions counted and the program's standard output.
pub fn count_under_callgrind(program: &Path, probe_args: &[String]) -> LabResult<(u64, String)> {
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--callgrind-out-file=/dev/null")
        .arg("--collect-atstart=no")
        .arg(format!("--toggle-collect={REGION_PATTERN}"))
        .arg(program)
        .args(probe_args)
        .output()
        .map_err(|e| {
            LabError::Run(format!(
                "cannot run valgrind ({e}); install it (Debian: apt-get install valgrind)"
            ))
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(LabError::Run(format!(
            "the probe {} failed under valgrind: {}",
            probe_args.join(" "),
            last.unwrap_or("(no message)")
        )));
    }
    let collected = parse_collected(&stderr).ok_or_else(|| {
        LabError::Run(format!(
            "valgrind printed no instruction count for {}",
            probe_args.join(" ")
        ))
    })?;
    Ok((collected, stdout))
}

/// The count in callgrind's summary line `==PID== Collected : 31199569`.
pub fn parse_collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|line| {
        let (_, rest) = line.split_once("Collected :")?;
        rest.trim().parse().ok()
    })
}

/// Counts every implementation of every stage by running `program probe STAGE IMPL` under
/// valgrind.
pub fn count_all(
    program: &Path,
    probe_command: &str,
    stages: &[Box<dyn LabStage>],
    rustc: String,
    commit: String,
    progress: &dyn Fn(&str),
) -> LabResult<IcountReport> {
    let valgrind = Command::new("valgrind")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .ok_or_else(|| {
            LabError::Run(
                "valgrind is not installed; install it (Debian: apt-get install valgrind)".into(),
            )
        })?;
    let mut counts = Vec::new();
    let mut pulp_arch = String::from("unknown");
    for stage in stages {
        for &kind in stage.implementations() {
            progress(&format!("counting {} / {kind}", stage.name()));
            let args = [
                probe_command.to_string(),
                stage.name().to_string(),
                kind.to_string(),
            ];
            let (instructions, stdout) = count_under_callgrind(program, &args)?;
            if let Some(arch) = stdout.lines().find_map(|l| l.strip_prefix("pulp ")) {
                pulp_arch = arch.trim().to_string();
            }
            counts.push(Count {
                stage: stage.name().to_string(),
                implementation: kind,
                instructions,
            });
        }
    }
    Ok(IcountReport {
        schema_version: SCHEMA_VERSION,
        rustc,
        valgrind,
        pulp_arch,
        rayon_threads: RAYON_THREADS,
        fixture_seconds: FIXTURE_SECONDS,
        commit,
        counts,
    })
}

/// The verdict of comparing counts with a baseline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IcountOutcome {
    /// Regressions: each fails the gate.
    pub failures: Vec<String>,
    /// Everything else worth a line: improvements, new implementations, why nothing was
    /// compared.
    pub notes: Vec<String>,
    /// Counts compared.
    pub compared: usize,
}

impl IcountOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Failures, then notes, then one verdict line.
    pub fn summary(&self) -> String {
        let mut out = crate::check::findings(&self.failures, &self.notes);
        out.push_str(&format!(
            "instruction-count check {}: {} failure(s), {} count(s) compared\n",
            if self.passed() { "passed" } else { "failed" },
            self.failures.len(),
            self.compared
        ));
        out
    }
}

/// Compares `current` with `baseline`: a count more than [`TOLERANCE`] above its baseline, or
/// a baseline count missing from `current`, fails. Counts from a different compiler, valgrind
/// or SIMD level are not comparable: nothing is compared and a note says to re-bless.
pub fn compare(baseline: &IcountReport, current: &IcountReport) -> IcountOutcome {
    let mut outcome = IcountOutcome::default();
    let setup = |r: &IcountReport| {
        (
            r.rustc.clone(),
            r.valgrind.clone(),
            r.pulp_arch.clone(),
            r.rayon_threads,
            r.fixture_seconds.to_bits(),
        )
    };
    if setup(baseline) != setup(current) {
        outcome.notes.push(format!(
            "not comparable: the baseline was counted with {}, {}, pulp {}, {} threads, {} s; \
             this run with {}, {}, pulp {}, {} threads, {} s — re-bless with \
             `cargo xtask icount --write-baseline`",
            baseline.rustc,
            baseline.valgrind,
            baseline.pulp_arch,
            baseline.rayon_threads,
            baseline.fixture_seconds,
            current.rustc,
            current.valgrind,
            current.pulp_arch,
            current.rayon_threads,
            current.fixture_seconds
        ));
        return outcome;
    }
    for base in &baseline.counts {
        let name = format!("{} / {}", base.stage, base.implementation);
        let Some(now) = current
            .counts
            .iter()
            .find(|c| c.stage == base.stage && c.implementation == base.implementation)
        else {
            outcome
                .failures
                .push(format!("{name}: in the baseline but not counted now"));
            continue;
        };
        outcome.compared += 1;
        let ratio = now.instructions as f64 / base.instructions.max(1) as f64;
        let change = format!(
            "{name}: {} → {} instructions ({:+.2} %)",
            base.instructions,
            now.instructions,
            (ratio - 1.0) * 100.0
        );
        if ratio > 1.0 + TOLERANCE {
            outcome.failures.push(format!(
                "{change}, more than the {:.0} % allowed",
                TOLERANCE * 100.0
            ));
        } else if ratio < 1.0 - TOLERANCE {
            outcome.notes.push(format!(
                "{change}: fewer; adopt with `cargo xtask icount --write-baseline`"
            ));
        }
    }
    for now in &current.counts {
        let known = baseline
            .counts
            .iter()
            .any(|b| b.stage == now.stage && b.implementation == now.implementation);
        if !known {
            outcome.notes.push(format!(
                "{} / {}: new, not in the baseline",
                now.stage, now.implementation
            ));
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(counts: &[(&str, ImplKind, u64)]) -> IcountReport {
        IcountReport {
            schema_version: SCHEMA_VERSION,
            rustc: "rustc 1.95.0".into(),
            valgrind: "valgrind-3.19.0".into(),
            pulp_arch: "V3".into(),
            rayon_threads: RAYON_THREADS,
            fixture_seconds: FIXTURE_SECONDS,
            commit: "abc1234".into(),
            counts: counts
                .iter()
                .map(|&(stage, implementation, instructions)| Count {
                    stage: stage.into(),
                    implementation,
                    instructions,
                })
                .collect(),
        }
    }

    #[test]
    fn parses_callgrinds_summary() {
        let stderr = "==11848== Callgrind, a call-graph generating cache profiler\n\
                      ==11848== Events    : Ir\n==11848== Collected : 31199569\n\
                      ==11848== I   refs:      31,199,569\n";
        assert_eq!(parse_collected(stderr), Some(31_199_569));
        assert_eq!(parse_collected("==1== Events : Ir\n"), None);
    }

    #[test]
    fn an_increase_beyond_the_tolerance_fails_and_within_passes() {
        let base = report(&[
            ("eq", ImplKind::Reference, 1_000_000),
            ("eq", ImplKind::Vectorized, 1_000_000),
        ]);
        let within = report(&[
            ("eq", ImplKind::Reference, 1_009_000),
            ("eq", ImplKind::Vectorized, 1_000_000),
        ]);
        let o = compare(&base, &within);
        assert!(o.passed(), "{}", o.summary());
        assert_eq!(o.compared, 2);
        let beyond = report(&[
            ("eq", ImplKind::Reference, 1_000_000),
            ("eq", ImplKind::Vectorized, 1_011_000),
        ]);
        let o = compare(&base, &beyond);
        assert!(!o.passed());
        assert!(
            o.failures[0].contains("eq / vectorized"),
            "{:?}",
            o.failures
        );
    }

    #[test]
    fn a_missing_count_fails_and_new_or_fewer_counts_are_notes() {
        let base = report(&[
            ("eq", ImplKind::Reference, 1_000_000),
            ("eq", ImplKind::Parallel, 1_000_000),
        ]);
        let current = report(&[
            ("eq", ImplKind::Reference, 900_000),
            ("dynamics", ImplKind::Reference, 5),
        ]);
        let o = compare(&base, &current);
        assert_eq!(o.failures.len(), 1, "{}", o.summary());
        assert!(o.failures[0].contains("eq / parallel"));
        assert!(o.notes.iter().any(|n| n.contains("fewer")));
        assert!(o
            .notes
            .iter()
            .any(|n| n.contains("dynamics / reference: new")));
    }

    #[test]
    fn counts_from_another_compiler_are_not_compared() {
        let base = report(&[("eq", ImplKind::Reference, 1_000_000)]);
        let mut current = report(&[("eq", ImplKind::Reference, 2_000_000)]);
        current.rustc = "rustc 1.96.0".into();
        let o = compare(&base, &current);
        assert!(o.passed());
        assert_eq!(o.compared, 0);
        assert!(o.notes[0].contains("not comparable"));
    }

    #[test]
    fn reports_round_trip_through_json() {
        let r = report(&[("spectrum", ImplKind::Parallel, 42)]);
        let back: IcountReport = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
