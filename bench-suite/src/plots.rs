//! SVG plots of a report, drawn with plotters' SVG backend (text is SVG `<text>`, so no font
//! files are needed and the plots diff and scale like the rest of the report).
//!
//! * `time_<stage>.svg` — median time per run against input duration, per implementation
//!   (log–log: a straight line of slope 1 is linear scaling).
//! * `speedup_<stage>.svg` — speed-up over the reference per input and implementation.
//! * `stream_<stage>.svg` — streaming latency percentile curves per chunk size, as a share of
//!   the chunk's real-time budget.
//! * `trace_<stage>.svg` — the stage's time series (e.g. gain reduction) over one fixture.

use auralis_core::ImplKind;
use plotters::coord::ranged1d::AsRangedCoord;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{Report, StageReport};

const SIZE: (u32, u32) = (820, 480);
const CAPTION_FONT: (&str, u32) = ("sans-serif", 22);

/// Draws one kind of plot for a stage: `None` when the stage has no data for it.
type Renderer = fn(&StageReport) -> Option<Result<String, String>>;

/// One rendered plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// File name, e.g. `time_spectrum.svg`.
    pub file: String,
    pub svg: String,
}

/// Renders every plot the report has data for. Plots that cannot be drawn are returned as
/// error messages instead (a missing plot must not lose the report).
pub fn render_all(report: &Report) -> (Vec<Plot>, Vec<String>) {
    let mut plots = Vec::new();
    let mut errors = Vec::new();
    for stage in &report.stages {
        let renderers: [(&str, Renderer); 5] = [
            ("time", time_plot),
            ("speedup", speedup_plot),
            ("stream", stream_plot),
            ("trace", trace_plot),
            ("spectrum", spectrum_plot),
        ];
        for (kind, render) in renderers {
            let file = format!("{kind}_{}.svg", stage.name);
            match render(stage) {
                Some(Ok(svg)) => plots.push(Plot { file, svg }),
                Some(Err(e)) => errors.push(format!("{file}: {e}")),
                None => {}
            }
        }
    }
    if let Some(batch) = &report.batch {
        match batch_plot(batch) {
            Some(Ok(svg)) => plots.push(Plot {
                file: crate::batch::PLOT_FILE.into(),
                svg,
            }),
            Some(Err(e)) => errors.push(format!("{}: {e}", crate::batch::PLOT_FILE)),
            None => {}
        }
    }
    (plots, errors)
}

/// Throughput (× real time) against the number of jobs, one line per set of tracks, with
/// the within-files strategy (one track at a time, parallel pipeline) as a level.
fn batch_plot(batch: &crate::batch::BatchReport) -> Option<Result<String, String>> {
    let curves = crate::batch::throughput_curves(batch);
    let top = curves
        .iter()
        .flat_map(|(_, p, w)| p.iter().map(|q| q.1).chain(*w))
        .fold(0.0f64, f64::max);
    if curves.is_empty() || top <= 0.0 {
        return None;
    }
    let x_range = 0.8f64..4.2;
    Some(draw_svg(|root| {
        let mut chart = chart_frame(
            root,
            "batch: throughput against jobs".to_string(),
            70,
            x_range.clone(),
            0.0..top * 1.15,
        )?;
        chart
            .configure_mesh()
            .x_labels(4)
            .x_desc("tracks in flight (jobs), streamed chain each")
            .y_desc("× real time")
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (name, points, within)) in curves.iter().enumerate() {
            let color = SERIES_COLORS[i % SERIES_COLORS.len()];
            draw_marked_line(&mut chart, points, color, format!("{name} across files"), 4)?;
            if let Some(w) = within {
                draw_level(
                    &mut chart,
                    x_range.clone(),
                    *w,
                    color,
                    &format!("{name} within files (1 job, parallel pipeline)"),
                )?;
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }))
}

fn impl_color(kind: ImplKind) -> RGBColor {
    match kind {
        ImplKind::Reference => RGBColor(60, 60, 60),
        ImplKind::Vectorized => RGBColor(31, 119, 180),
        ImplKind::Parallel => RGBColor(214, 95, 14),
    }
}

const SERIES_COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 95, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Draws into an SVG string; plotters' errors become strings.
fn draw_svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A log axis range covering `values` with some margin (and never empty).
fn log_range(values: impl Iterator<Item = f64>) -> Option<std::ops::Range<f64>> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    (hi > 0.0).then(|| (lo / 1.6)..(hi * 1.6))
}

/// A chart drawn into an SVG string, with `X` × `Y` axes.
type SvgChart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// The frame every plot shares: `caption` above, fixed margins, a 45 px x label area and a
/// `y_label_area` px one (sized for the widest y tick labels), around `x` × `y`.
fn chart_frame<'a, 'b, X: AsRangedCoord, Y: AsRangedCoord>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: String,
    y_label_area: u32,
    x: X,
    y: Y,
) -> Result<SvgChart<'a, 'b, X::CoordDescType, Y::CoordDescType>, String> {
    ChartBuilder::on(root)
        .caption(caption, CAPTION_FONT)
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())
}

/// The tick label at `x` on an axis whose categories stand at 0, 1, 2, …: the category's
/// name at its integer position, nothing in between (plotters asks about every tick).
fn category_label(names: &[impl AsRef<str>], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < names.len() {
        names[i as usize].as_ref().to_string()
    } else {
        String::new()
    }
}

/// Draws a line through `points` with a legend entry: a short line drawn with `legend`.
fn draw_line<CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, CT>,
    points: Vec<(f64, f64)>,
    line: ShapeStyle,
    label: impl Into<String>,
    legend: ShapeStyle,
) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(points, line))
        .map_err(|e| e.to_string())?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], legend));
    Ok(())
}

/// Draws a thin horizontal line at `y` across `x`, marking a reference level.
fn draw_level<CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, CT>,
    x: std::ops::Range<f64>,
    y: f64,
    color: RGBColor,
    label: &str,
) -> Result<(), String> {
    let ends = vec![(x.start, y), (x.end, y)];
    draw_line(chart, ends, color.stroke_width(1), label, color.into())
}

/// Draws a 2 px line through `points` in `color`, marking every point with a dot of `radius`.
fn draw_marked_line<CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, CT>,
    points: &[(f64, f64)],
    color: RGBColor,
    label: impl Into<String>,
    radius: u32,
) -> Result<(), String> {
    let style = color.stroke_width(2);
    draw_line(chart, points.to_vec(), style, label, style)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, radius, color.filled())),
        )
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Draws the legend box at `position`.
fn draw_legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()
        .map_err(|e| e.to_string())
}

fn time_plot(stage: &StageReport) -> Option<Result<String, String>> {
    let series: Vec<(ImplKind, Vec<(f64, f64)>)> = stage
        .implementations
        .iter()
        .map(|&kind| {
            let mut points: Vec<(f64, f64)> = stage
                .cells
                .iter()
                .filter_map(|c| {
                    let t = c.result(kind)?.timing.as_ref()?;
                    (c.seconds > 0.0 && t.median_secs > 0.0).then_some((c.seconds, t.median_secs))
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (kind, points)
        })
        .filter(|(_, p)| !p.is_empty())
        .collect();
    let x_range = log_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)))?;
    let y_range = log_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)))?;
    Some(draw_svg(|root| {
        let mut chart = chart_frame(
            root,
            format!("{}: median time per run", stage.name),
            80,
            x_range.log_scale(),
            y_range.log_scale(),
        )?;
        chart
            .configure_mesh()
            .max_light_lines(2)
            .x_labels(6)
            .y_labels(8)
            .x_desc("input duration (s)")
            .y_desc("median time per run")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| crate::select::format_secs(*y))
            .draw()
            .map_err(|e| e.to_string())?;
        for (kind, points) in &series {
            draw_marked_line(&mut chart, points, impl_color(*kind), kind.name(), 4)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }))
}

fn speedup_plot(stage: &StageReport) -> Option<Result<String, String>> {
    let kinds: Vec<ImplKind> = stage
        .implementations
        .iter()
        .copied()
        .filter(|k| *k != ImplKind::Reference)
        .collect();
    let inputs: Vec<&str> = stage.cells.iter().map(|c| c.input.as_str()).collect();
    let bars: Vec<(usize, usize, f64)> = stage
        .cells
        .iter()
        .enumerate()
        .flat_map(|(i, cell)| {
            kinds.iter().enumerate().filter_map(move |(k, &kind)| {
                cell.result(kind)?
                    .speedup_vs_reference
                    .filter(|s| s.is_finite())
                    .map(|s| (i, k, s))
            })
        })
        .collect();
    if bars.is_empty() || kinds.is_empty() {
        return None;
    }
    // Headroom above the tallest bar for its label and the legend.
    let y_max = bars.iter().map(|b| b.2).fold(1.0f64, f64::max) * 1.35;
    let n = inputs.len();
    let width = 0.8 / kinds.len() as f64;
    let x_range = -0.5f64..(n as f64 - 0.5);
    Some(draw_svg(|root| {
        let mut chart = chart_frame(
            root,
            format!("{}: speed-up over the reference (same run)", stage.name),
            60,
            x_range.clone(),
            0f64..y_max,
        )?;
        let label = |x: &f64| category_label(&inputs, *x);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&label)
            .y_desc("× reference speed")
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, &kind) in kinds.iter().enumerate() {
            let color = impl_color(kind);
            let left = |i: usize| i as f64 - 0.4 + k as f64 * width;
            chart
                .draw_series(bars.iter().filter(|b| b.1 == k).map(|&(i, _, s)| {
                    Rectangle::new([(left(i), 0.0), (left(i) + width * 0.9, s)], color.filled())
                }))
                .map_err(|e| e.to_string())?
                .label(kind.name())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled())
                });
            chart
                .draw_series(bars.iter().filter(|b| b.1 == k).map(|&(i, _, s)| {
                    let style = ("sans-serif", 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom));
                    Text::new(
                        format!("{s:.2}×"),
                        (left(i) + width * 0.45, s + y_max * 0.01),
                        style,
                    )
                }))
                .map_err(|e| e.to_string())?;
        }
        draw_level(&mut chart, x_range, 1.0, BLACK, "reference (1×)")?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
    }))
}

fn stream_plot(stage: &StageReport) -> Option<Result<String, String>> {
    let streaming = stage.streaming.as_ref()?;
    let curves: Vec<(usize, Vec<(f64, f64)>)> = streaming
        .chunks
        .iter()
        .filter(|c| c.calls > 0 && c.budget_ns > 0)
        .map(|c| {
            let points = c
                .percentiles
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, 100.0 * p.ns.max(1) as f64 / c.budget_ns as f64))
                .collect();
            (c.chunk_frames, points)
        })
        .collect();
    let labels: Vec<String> = streaming
        .chunks
        .first()?
        .percentiles
        .iter()
        .map(|p| {
            if p.percentile >= 100.0 {
                "max".to_string()
            } else {
                format!("p{}", p.percentile)
            }
        })
        .collect();
    if curves.is_empty() || labels.is_empty() {
        return None;
    }
    let y_range = log_range(
        curves
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.1))
            .chain(std::iter::once(100.0)),
    )?;
    let n = labels.len();
    let x_range = -0.3f64..(n as f64 - 0.7);
    Some(draw_svg(|root| {
        let mut chart = chart_frame(
            root,
            format!(
                "{}: streaming call latency ({})",
                stage.name, streaming.input
            ),
            70,
            x_range.clone(),
            y_range.log_scale(),
        )?;
        let label = |x: &f64| category_label(&labels, *x);
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&label)
            .x_desc("percentile of calls")
            .y_desc("% of the chunk's real-time budget")
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (frames, points)) in curves.iter().enumerate() {
            let color = SERIES_COLORS[i % SERIES_COLORS.len()];
            draw_marked_line(&mut chart, points, color, format!("{frames} frames"), 3)?;
        }
        draw_level(&mut chart, x_range, 100.0, RED, "real-time budget")?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }))
}

/// Spectra a stage exposes (traces with frequencies, e.g. a master's band levels before and
/// after), on a logarithmic frequency axis.
fn spectrum_plot(stage: &StageReport) -> Option<Result<String, String>> {
    let series: Vec<(String, Vec<(f64, f64)>)> = stage
        .traces
        .iter()
        .filter_map(|t| {
            let hz = t.trace.x_hz.as_ref()?;
            let points: Vec<(f64, f64)> = hz
                .iter()
                .zip(&t.trace.values)
                // A band with no energy sits at the profile floor (−200 dB): left out, not plotted.
                .filter(|(f, v)| **f > 0.0 && v.is_finite() && **v > -150.0)
                .map(|(&f, &v)| (f, f64::from(v)))
                .collect();
            (!points.is_empty()).then(|| (format!("{} ({})", t.trace.name, t.input), points))
        })
        .collect();
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let x_range = log_range(all().map(|p| p.0))?;
    let (lo, hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    if !lo.is_finite() {
        return None;
    }
    let unit = stage
        .traces
        .iter()
        .find(|t| t.trace.x_hz.is_some())?
        .trace
        .unit
        .clone();
    Some(draw_svg(|root| {
        let mut chart = chart_frame(
            root,
            format!("{}: band levels before and after", stage.name),
            60,
            x_range.log_scale(),
            (lo - 3.0)..(hi + 3.0),
        )?;
        chart
            .configure_mesh()
            .x_desc("band centre (Hz)")
            .y_desc(unit)
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = SERIES_COLORS[i % SERIES_COLORS.len()];
            draw_marked_line(&mut chart, points, color, name.clone(), 3)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
    }))
}

fn trace_plot(stage: &StageReport) -> Option<Result<String, String>> {
    let first = stage.traces.iter().find(|t| t.trace.x_hz.is_none())?;
    let series: Vec<(String, Vec<(f64, f64)>)> = stage
        .traces
        .iter()
        .filter(|t| t.trace.x_hz.is_none())
        .filter(|t| t.trace.unit == first.trace.unit && !t.trace.values.is_empty())
        .map(|t| {
            let points = t
                .trace
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    (
                        t.trace.start_secs + i as f64 * t.trace.period_secs,
                        v as f64,
                    )
                })
                .collect();
            (t.trace.name.clone(), points)
        })
        .collect();
    let x_max = series
        .iter()
        .flat_map(|(_, p)| p.last().map(|q| q.0))
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let (y_lo, y_hi) = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !y_lo.is_finite() {
        return None;
    }
    let pad = ((y_hi - y_lo) * 0.08).max(0.5);
    Some(draw_svg(|root| {
        let mut chart = chart_frame(
            root,
            format!("{}: {} over {}", stage.name, first.trace.name, first.input),
            60,
            0f64..x_max,
            (y_lo - pad)..(y_hi + pad),
        )?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc(format!("{} ({})", first.trace.name, first.trace.unit))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = SERIES_COLORS[i % SERIES_COLORS.len()];
            // Thin lines (a trace is dense), but a legend line thick enough to see the colour.
            draw_line(
                &mut chart,
                points.clone(),
                color.stroke_width(1),
                name.as_str(),
                color.stroke_width(2),
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }))
}
