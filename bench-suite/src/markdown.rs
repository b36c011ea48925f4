//! `REPORT.md`: the report for humans.
//!
//! Per stage and input, one table row per implementation — accuracy verdict and its key
//! metric, median time, spread, real-time factor, speed-up over the reference, extra memory,
//! and whether it is the default and why — then the streaming latency table, links to the
//! plots, the machine and how to reproduce the run.

use std::fmt::Write as _;

use auralis_core::ImplKind;

use crate::report::{
    Cell, ImplResult, InputSource, PeerResult, Report, StageReport, StreamingReport,
};
use crate::select::{decide, format_secs};

/// Renders the report. `plots` are the plot files written beside it (linked if present).
pub fn render(report: &Report, plots: &[String]) -> String {
    let mut md = String::new();
    let m = &report.machine;
    let _ = writeln!(md, "# Auralis Lab — bench report\n");
    let _ = writeln!(
        md,
        "{} run of `{}` on {} ({} logical cores, {}), rayon {} threads, {} UTC; took {:.0} s.\n",
        match report.run.mode {
            crate::timing::Mode::Full => "Full",
            crate::timing::Mode::Quick => "Quick",
        },
        m.short_commit(),
        m.cpu_model,
        m.logical_cores,
        m.simd,
        report.run.rayon_threads,
        format_unix_time(m.unix_time_secs),
        report.run.wall_secs
    );
    for warning in &report.run.warnings {
        let _ = writeln!(md, "> **Warning:** {warning}\n");
    }
    let _ = writeln!(
        md,
        "How to read this: every implementation is first compared with the stage's sequential \
         reference; only those that pass are timed. Timing samples are interleaved round-robin \
         across the implementations of a stage and input, so speed-ups are ratios measured in the \
         same conditions. Timed runs write into their previous output, as a caller processing many \
         tracks would; *cold* is one first run into a freshly allocated output (page faults \
         included, a single sample). *Spread* is IQR/median and MAD/median of the samples. *Extra \
         memory* is the peak heap above the level before one run, and the number of allocations \
         it made.\n"
    );
    write_selection_summary(&mut md, report);
    crate::targets::write_markdown(&mut md, report);
    for stage in &report.stages {
        write_stage(&mut md, stage, plots);
    }
    if let Some(batch) = &report.batch {
        crate::batch::write_markdown(&mut md, batch, plots);
    }
    write_machine(&mut md, report);
    md
}

fn write_selection_summary(md: &mut String, report: &Report) {
    let _ = writeln!(md, "## Defaults this run would select\n");
    if report.selection.stages.is_empty() {
        let _ = writeln!(
            md,
            "No standard fixtures were measured, so nothing would be selected.\n"
        );
        return;
    }
    let _ = writeln!(
        md,
        "`cargo xtask select` writes these to `reports/selection.json` (the facade compiles it in).\n"
    );
    let _ = writeln!(
        md,
        "| stage | input size (frames) | measured on | default | why |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for (name, stage) in &report.selection.stages {
        let mut lower = 0u64;
        for bucket in &stage.buckets {
            let range = match bucket.max_frames {
                Some(max) => format!("{lower} – {max}"),
                None => format!("≥ {lower}"),
            };
            let _ = writeln!(
                md,
                "| {name} | {range} | {} | **{}** | {} |",
                bucket.measured_on,
                bucket.implementation,
                escape(&bucket.reason)
            );
            lower = bucket.max_frames.map_or(lower, |m| m + 1);
        }
    }
    let _ = writeln!(md);
}

fn write_stage(md: &mut String, stage: &StageReport, plots: &[String]) {
    let _ = writeln!(md, "## {}\n", stage.name);
    let _ = writeln!(md, "Tolerance: {}\n", stage.tolerance);
    let links: Vec<String> = ["time", "speedup", "stream", "trace", "spectrum"]
        .iter()
        .map(|kind| format!("{kind}_{}.svg", stage.name))
        .filter(|file| plots.contains(file))
        .map(|file| format!("![{file}]({file})"))
        .collect();
    if !links.is_empty() {
        let _ = writeln!(md, "{}\n", links.join(" "));
    }
    for cell in &stage.cells {
        write_cell(md, cell);
    }
    if let Some(streaming) = &stage.streaming {
        write_streaming(md, streaming);
    }
}

fn write_cell(md: &mut String, cell: &Cell) {
    let _ = writeln!(
        md,
        "### {} ({:.1} s, {} frames{})\n",
        cell.input,
        cell.seconds,
        cell.frames,
        if cell.source == InputSource::File {
            ", user file"
        } else {
            ""
        }
    );
    if let Some(error) = &cell.error {
        let _ = writeln!(md, "**Not measured:** {}\n", escape(error));
        return;
    }
    let decision = decide(cell);
    let _ = writeln!(
        md,
        "| implementation | accuracy | key metric | median | spread (IQR / MAD) | samples | × real time | speed-up | cold | extra memory | default |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|");
    for result in &cell.results {
        let _ = writeln!(md, "{}", row(result, decision.implementation));
    }
    for peer in &cell.peers {
        let _ = writeln!(md, "{}", peer_row(peer));
    }
    let verdict = if cell.source == InputSource::File {
        "User files do not decide defaults; on a fixture of this size the rule would pick"
    } else {
        "Default"
    };
    let _ = writeln!(
        md,
        "\n{verdict}: **{}** — {}\n",
        decision.implementation,
        escape(&decision.reason)
    );
}

/// A peer's row: timed in the same rounds, held to the reference with the peer tolerance,
/// never a default.
fn peer_row(peer: &PeerResult) -> String {
    let accuracy = if peer.accuracy.passed {
        "pass (peer tolerance)"
    } else {
        "outside peer tolerance"
    };
    let (median, spread, samples, rtf, speedup) = match &peer.timing {
        Some(t) => (
            format_secs(t.median_secs),
            format!("{:.1} % / {:.1} %", 100.0 * t.iqr_rel, 100.0 * t.mad_rel),
            t.len().to_string(),
            peer.real_time_factor
                .map_or("–".into(), |r| format!("{r:.0}×")),
            peer.speedup_vs_reference
                .map_or("–".into(), |s| format!("{s:.2}×")),
        ),
        None => (
            format!(
                "not timed ({})",
                escape(peer.error.as_deref().unwrap_or("did not run"))
            ),
            "–".into(),
            "0".into(),
            "–".into(),
            "–".into(),
        ),
    };
    format!(
        "| peer: `{}` | {accuracy} | {} | {median} | {spread} | {samples} | {rtf} | {speedup} | – | – | never (peer) |",
        peer.name,
        escape(&peer.accuracy.key_metric)
    )
}

fn row(result: &ImplResult, selected: ImplKind) -> String {
    let accuracy = if result.accuracy.passed {
        "pass"
    } else {
        "**FAIL**"
    };
    let (median, spread, samples, rtf, speedup) = match &result.timing {
        Some(t) => (
            format_secs(t.median_secs),
            format!("{:.1} % / {:.1} %", 100.0 * t.iqr_rel, 100.0 * t.mad_rel),
            t.len().to_string(),
            result
                .real_time_factor
                .map_or("–".into(), |r| format!("{r:.0}×")),
            result
                .speedup_vs_reference
                .map_or("–".into(), |s| format!("{s:.2}×")),
        ),
        None => {
            let why = result.not_timed.as_deref().unwrap_or("not timed");
            (
                format!("not timed ({why})"),
                "–".into(),
                "0".into(),
                "–".into(),
                "–".into(),
            )
        }
    };
    let cold = result.cold_secs.map_or("–".to_string(), format_secs);
    let memory = result.memory.map_or("–".to_string(), |m| {
        format!(
            "{} / {} allocs",
            format_bytes(m.peak_extra_bytes),
            m.allocations
        )
    });
    let default = if result.implementation == selected {
        "**yes**"
    } else if !result.accuracy.passed {
        "no: failed accuracy"
    } else {
        "no"
    };
    format!(
        "| {} | {accuracy} | {} | {median} | {spread} | {samples} | {rtf} | {speedup} | {cold} | {memory} | {default} |",
        result.implementation,
        escape(&result.accuracy.key_metric)
    )
}

fn write_streaming(md: &mut String, s: &StreamingReport) {
    let _ = writeln!(
        md,
        "### Streaming ({}, {} ch, {} Hz, latency {})\n",
        s.input,
        s.channels,
        s.sample_rate,
        s.latency_frames
            .map_or("unknown".to_string(), |l| format!("{l} frames"))
    );
    if let Some(error) = &s.error {
        let _ = writeln!(md, "**Failed:** {}\n", escape(error));
    }
    if s.chunks.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "| chunk (frames) | calls | budget | p50 | p99 | p99.9 | max | max / budget | × real time | allocations |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
    for c in &s.chunks {
        let ns = |v: u64| format_secs(v as f64 * 1e-9);
        let pct = |share: f64| format!("{:.1} %", 100.0 * share);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} ({}) | {} ({}) | {} ({}) | {} | {} | {:.0}× | {}{} |",
            c.chunk_frames,
            c.calls,
            ns(c.budget_ns),
            ns(c.p50_ns),
            pct(c.p50_share),
            ns(c.p99_ns),
            pct(c.p99_share),
            ns(c.p999_ns),
            pct(c.p999_share),
            ns(c.max_ns),
            pct(c.max_share),
            c.real_time_factor,
            if c.allocations == 0 {
                "0".to_string()
            } else {
                format!("**{}**", c.allocations)
            },
            c.error
                .as_ref()
                .map_or(String::new(), |e| format!(" — {}", escape(e)))
        );
    }
    let _ = writeln!(md);
}

fn write_machine(md: &mut String, report: &Report) {
    let m = &report.machine;
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let rows = [
        ("CPU", m.cpu_model.clone()),
        (
            "cores",
            format!(
                "{} logical, {} physical",
                m.logical_cores,
                m.physical_cores
                    .map_or("unknown".to_string(), |p| p.to_string())
            ),
        ),
        (
            "SIMD",
            format!("{} (pulp dispatches to {})", m.simd, m.pulp_arch),
        ),
        ("rayon threads", report.run.rayon_threads.to_string()),
        (
            "memory bandwidth",
            report
                .run
                .memory_bandwidth_gbs
                .map_or("not measured".to_string(), |g| {
                    format!(
                    "{g:.1} GB/s (256 MiB copy, read + written); a run faster than reading its \
                     input is failed as implausible"
                )
                }),
        ),
        (
            "timing noise",
            report.run.jitter.map_or("not measured".to_string(), |j| {
                format!(
                    "fixed work timed {}×: p50 {}, p99 {}, p99.9 {}, max {} — the floor under \
                     the streaming tails",
                    j.calls,
                    format_secs(j.p50_ns as f64 * 1e-9),
                    format_secs(j.p99_ns as f64 * 1e-9),
                    format_secs(j.p999_ns as f64 * 1e-9),
                    format_secs(j.max_ns as f64 * 1e-9)
                )
            }),
        ),
        (
            "streaming scheduling",
            report
                .run
                .stream_scheduling
                .clone()
                .unwrap_or_else(|| "normal (not recorded)".to_string()),
        ),
        ("rustc", m.rustc.clone()),
        ("build", m.build.clone()),
        (
            "commit",
            format!(
                "{}{}",
                m.git_commit.as_deref().unwrap_or("unknown"),
                if m.git_dirty == Some(true) {
                    " (uncommitted changes)"
                } else {
                    ""
                }
            ),
        ),
        ("OS", m.os.clone()),
        (
            "date",
            format!("{} UTC", format_unix_time(m.unix_time_secs)),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {} |", escape(&v));
    }
    let _ = writeln!(md, "\n## Inputs\n");
    let _ = writeln!(
        md,
        "| input | source | duration | channels | rate | SHA-256 |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for i in &report.inputs {
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} s | {} | {} Hz | {} |",
            i.name,
            match i.source {
                InputSource::Fixture => "fixture".to_string(),
                InputSource::File => format!("file {}", i.path.as_deref().unwrap_or("")),
            },
            i.seconds,
            i.channels,
            i.sample_rate,
            i.sha256.as_deref().map_or("–".to_string(), |h| {
                format!("`{}…`", h.chars().take(16).collect::<String>())
            })
        );
    }
    let _ = writeln!(md, "\n## Reproduce\n");
    let _ = writeln!(
        md,
        "```sh\ngit checkout {}\n{}\n```\n",
        m.git_commit.as_deref().unwrap_or("<commit>"),
        report.run.command
    );
    let _ = writeln!(
        md,
        "Fixtures are regenerated bit-identically from their seeds (`cargo xtask fixtures`); \
         absolute times depend on the machine, ratios within one run much less."
    );
}

/// Keeps table cells on one line and free of column separators.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Bytes in binary units (`512 B`, `3.2 KiB`, `61.4 MiB`).
pub fn format_bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    }
}

/// `YYYY-MM-DD HH:MM:SS` for seconds since the Unix epoch (UTC), without a date library:
/// Howard Hinnant's days-to-civil algorithm.
pub fn format_unix_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_sizes() {
        assert_eq!(format_unix_time(0), "1970-01-01 00:00:00");
        // 2000-02-29 12:34:56 UTC (a leap day) = 951 827 696.
        assert_eq!(format_unix_time(951_827_696), "2000-02-29 12:34:56");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(3 * 1024 + 512), "3.5 KiB");
        assert_eq!(format_bytes(64 << 20), "64.0 MiB");
    }

    #[test]
    fn escapes_table_cells() {
        assert_eq!(escape("a|b\nc"), "a\\|b c");
    }
}
