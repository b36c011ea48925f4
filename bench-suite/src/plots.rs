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
use plotters::coord::Shift;
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
        let renderers: [(&str, Renderer); 4] = [
            ("time", time_plot),
            ("speedup", speedup_plot),
            ("stream", stream_plot),
            ("trace", trace_plot),
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
    (plots, errors)
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
        let mut chart = ChartBuilder::on(root)
            .caption(format!("{}: median time per run", stage.name), CAPTION_FONT)
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x_range.log_scale(), y_range.log_scale())
            .map_err(|e| e.to_string())?;
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
            let color = impl_color(*kind);
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(kind.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(|e| e.to_string())
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
    Some(draw_svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: speed-up over the reference (same run)", stage.name),
                CAPTION_FONT,
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)
            .map_err(|e| e.to_string())?;
        let label = |x: &f64| -> String {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < n {
                inputs[i as usize].to_string()
            } else {
                String::new()
            }
        };
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
        chart
            .draw_series(LineSeries::new(
                vec![(-0.5, 1.0), (n as f64 - 0.5, 1.0)],
                BLACK.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?
            .label("reference (1×)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(|e| e.to_string())
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
    Some(draw_svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{}: streaming call latency ({})",
                    stage.name, streaming.input
                ),
                CAPTION_FONT,
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.3f64..(n as f64 - 0.7), y_range.log_scale())
            .map_err(|e| e.to_string())?;
        let label = |x: &f64| -> String {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < n {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
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
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(format!("{frames} frames"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .draw_series(LineSeries::new(
                vec![(-0.3, 100.0), (n as f64 - 0.7, 100.0)],
                RED.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?
            .label("real-time budget")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(|e| e.to_string())
    }))
}

fn trace_plot(stage: &StageReport) -> Option<Result<String, String>> {
    let first = stage.traces.first()?;
    let series: Vec<(String, Vec<(f64, f64)>)> = stage
        .traces
        .iter()
        .filter(|t| t.trace.unit == first.trace.unit && !t.trace.values.is_empty())
        .map(|t| {
            let points = t
                .trace
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| (i as f64 * t.trace.period_secs, v as f64))
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
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: {} over {}", stage.name, first.trace.name, first.input),
                CAPTION_FONT,
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, (y_lo - pad)..(y_hi + pad))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc(format!("{} ({})", first.trace.name, first.trace.unit))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = SERIES_COLORS[i % SERIES_COLORS.len()];
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(1)))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(|e| e.to_string())
    }))
}
