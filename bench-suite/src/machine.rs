//! What the numbers were measured on: CPU, cores, SIMD level, compiler, commit, OS, date.
//!
//! Ratios measured in one run transfer between machines far better than absolute times, but
//! not perfectly: a parallel variant's speed-up depends on the core count and a vectorized
//! one's on the SIMD level. The regression check reads these fields to decide what it can
//! fairly compare with a baseline from another machine.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The machine and build a report was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// `model name` from `/proc/cpuinfo` (or `"unknown"`).
    pub cpu_model: String,
    /// Threads the OS lets this process run at once (`available_parallelism`).
    pub logical_cores: usize,
    /// Distinct (package, core) pairs in `/proc/cpuinfo`, when it says.
    pub physical_cores: Option<usize>,
    /// Widest SIMD level the CPU offers: `avx512f`, `avx2+fma`, `sse4.2`, `neon`, `scalar`.
    pub simd: String,
    /// The instruction set pulp's run-time dispatch picked (its `Simd` type name).
    pub pulp_arch: String,
    /// `rustc -V` of the toolchain on the PATH when the run started.
    pub rustc: String,
    /// `release` or `debug` (debug assertions on: timings are meaningless).
    pub build: String,
    pub git_commit: Option<String>,
    /// Uncommitted changes in the work tree when the run started, outside `reports/`.
    pub git_dirty: Option<bool>,
    /// `<os>-<arch>` plus the kernel release when readable.
    pub os: String,
    /// When the run started (seconds since the Unix epoch).
    pub unix_time_secs: u64,
}

impl MachineInfo {
    /// Probes the machine. `repo` is the directory `git` is asked about. Never fails: what
    /// cannot be found out is recorded as unknown.
    pub fn probe(repo: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let git_commit = command_output("git", &["rev-parse", "HEAD"], repo);
        // `reports/` is the lab's own output, rewritten by every run: changes there are not
        // "uncommitted code" (otherwise every second run in a row would be marked dirty).
        let git_dirty = command_output_raw(
            "git",
            &["status", "--porcelain", "--", ".", ":(exclude)reports"],
            repo,
        )
        .map(|status| !status.trim().is_empty());
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
        MachineInfo {
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_string()),
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            physical_cores: physical_cores(&cpuinfo),
            simd: simd_level().to_string(),
            pulp_arch: pulp_arch(),
            rustc: command_output(&rustc, &["-V"], repo).unwrap_or_else(|| "unknown".into()),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_string(),
            git_commit,
            git_dirty,
            os: os_description(),
            unix_time_secs: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// `abc1234` or `abc1234-dirty` or `unknown`, for headings and selection sources.
    pub fn short_commit(&self) -> String {
        match (&self.git_commit, self.git_dirty) {
            (Some(c), dirty) => {
                let short: String = c.chars().take(10).collect();
                if dirty == Some(true) {
                    format!("{short}-dirty")
                } else {
                    short
                }
            }
            (None, _) => "unknown commit".to_string(),
        }
    }
}

/// The first `model name` line of `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Counts distinct `(physical id, core id)` pairs; `None` if the file does not list them.
pub fn physical_cores(cpuinfo: &str) -> Option<usize> {
    let mut cores = std::collections::BTreeSet::new();
    let mut package = None;
    for line in cpuinfo.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key.trim() {
            "physical id" => package = Some(value.trim().to_string()),
            "core id" => {
                cores.insert((package.clone(), value.trim().to_string()));
            }
            _ => {}
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

pub use auralis_core::simd_level;

/// The `Simd` type pulp dispatches to on this CPU, e.g. `V3` (AVX2+FMA) or `V4` (AVX-512).
pub fn pulp_arch() -> String {
    struct Probe;
    impl pulp::WithSimd for Probe {
        type Output = &'static str;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _simd: S) -> &'static str {
            std::any::type_name::<S>()
        }
    }
    let full = pulp::Arch::new().dispatch(Probe);
    full.rsplit("::").next().unwrap_or(full).to_string()
}

fn os_description() -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!(" {}", s.trim()))
        .unwrap_or_default();
    format!(
        "{}-{}{kernel}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn command_output_raw(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn command_output(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    command_output_raw(program, args, dir)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPUINFO: &str =
        "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nphysical id\t: 0\ncore id\t\t: 0\n\n\
processor\t: 1\nmodel name\t: AMD EPYC 9R14\nphysical id\t: 0\ncore id\t\t: 0\n\n\
processor\t: 2\nmodel name\t: AMD EPYC 9R14\nphysical id\t: 0\ncore id\t\t: 1\n\n\
processor\t: 3\nmodel name\t: AMD EPYC 9R14\nphysical id\t: 1\ncore id\t\t: 0\n";

    #[test]
    fn parses_cpuinfo() {
        assert_eq!(cpu_model(CPUINFO).as_deref(), Some("AMD EPYC 9R14"));
        // (0,0) twice (hyper-threads), (0,1), (1,0): three physical cores.
        assert_eq!(physical_cores(CPUINFO), Some(3));
        assert_eq!(cpu_model("flags: x"), None);
        assert_eq!(physical_cores("processor: 0"), None);
    }

    #[test]
    fn probe_never_fails_and_names_things() {
        let m = MachineInfo::probe(Path::new("/nonexistent-dir-for-sure"));
        assert!(m.logical_cores >= 1);
        assert!(!m.simd.is_empty() && !m.pulp_arch.is_empty());
        assert_eq!(m.git_commit, None, "git cannot run in a missing directory");
        assert_eq!(m.short_commit(), "unknown commit");
    }
}
