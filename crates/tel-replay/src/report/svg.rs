//! Hand-written SVG charts for the HTML report: log-log scatter, histogram, horizontal grouped bars, and the
//! tuning cost curve.
//!
//! Every chart is a standalone `<svg>` element with a `viewBox`, so the page scales it to its width.
//! Element classes are stable (`pt`, `pt lb`, `bar`, `hbar`, `ref-line`) because the browser test counts them.

use std::fmt::Write as _;

/// Chart canvas width in SVG user units (the page scales it down).
const WIDTH: f64 = 960.0;
/// Space left of the plot area for tick labels and the y title.
const MARGIN_LEFT: f64 = 86.0;
/// Space right of the plot area.
const MARGIN_RIGHT: f64 = 24.0;
/// Space above the plot area for the title.
const MARGIN_TOP: f64 = 40.0;
/// Space below the plot area for tick labels and the x title.
const MARGIN_BOTTOM: f64 = 58.0;
/// Series colours (colour-blind safe Okabe-Ito subset).
const PALETTE: [&str; 4] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7"];

/// One point of a scatter plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScatterPoint {
    /// Horizontal value (> 0; non-positive values are clamped to 1 on the log axis).
    pub x: f64,
    /// Vertical value (> 0; clamped likewise).
    pub y: f64,
    /// The y value is only a lower bound (a truncated call): drawn as an upward triangle.
    pub lower_bound: bool,
}

/// A scatter plot on log-log axes with a shared domain and a `y = x` reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterChart<'a> {
    /// `id` attribute of the `<svg>` element.
    pub id: &'a str,
    /// Title drawn above the plot.
    pub title: &'a str,
    /// Horizontal axis title.
    pub x_label: &'a str,
    /// Vertical axis title.
    pub y_label: &'a str,
    /// The points.
    pub points: &'a [ScatterPoint],
}

/// One histogram bin `[lo, hi)` with its count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Number of values in the bin.
    pub count: u64,
}

/// A histogram of pre-binned counts (equal-width bins, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram<'a> {
    /// `id` attribute of the `<svg>` element.
    pub id: &'a str,
    /// Title drawn above the plot.
    pub title: &'a str,
    /// Horizontal axis title.
    pub x_label: &'a str,
    /// The bins.
    pub bins: &'a [Bin],
}

/// One row of a grouped bar chart: a label, its sample size and one value per series (`None` = not computable).
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    /// Row label, e.g. `docs / low / 1-3`.
    pub label: String,
    /// Number of events behind the row.
    pub n: u64,
    /// One percentage per series, in series order.
    pub values: Vec<Option<f64>>,
}

/// A horizontal grouped bar chart of percentages, one row per group, one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedBars<'a> {
    /// `id` attribute of the `<svg>` element.
    pub id: &'a str,
    /// Title drawn above the plot.
    pub title: &'a str,
    /// Series names with their target line (a percentage), if any.
    pub series: &'a [(&'a str, Option<f64>)],
    /// The rows.
    pub groups: &'a [BarGroup],
}

/// One point of a cost curve: a category on the x axis, a total on the y axis and a note drawn beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// X label, e.g. `2%`.
    pub label: String,
    /// Y value (total budget).
    pub value: f64,
    /// Drawn above the point, e.g. the truncation interval.
    pub note: String,
}

/// A line through evenly spaced categories (the truncation targets) with a linear y axis from 0.
#[derive(Debug, Clone, PartialEq)]
pub struct CostCurve<'a> {
    /// `id` attribute of the `<svg>` element.
    pub id: &'a str,
    /// Title drawn above the plot.
    pub title: &'a str,
    /// Horizontal axis title.
    pub x_label: &'a str,
    /// Vertical axis title.
    pub y_label: &'a str,
    /// The points, in x order.
    pub points: &'a [CurvePoint],
}

/// Renders a cost curve.
pub fn cost_curve(chart: &CostCurve<'_>) -> String {
    let height = 380.0;
    let plot = Plot::new(height);
    let max = chart.points.iter().map(|p| p.value).fold(0.0, f64::max);
    let y_axis = LinearAxis::nice(max);
    let mut svg = open_svg(chart.id, "cost-curve", height, chart.title);
    plot.frame(&mut svg);
    for value in y_axis.ticks() {
        plot.y_tick(
            &mut svg,
            plot.y(y_axis.fraction(value)),
            &format_tick(value),
        );
    }
    let n = chart.points.len().max(1) as f64;
    let position = |i: usize| {
        (
            plot.x((i as f64 + 0.5) / n),
            plot.y(y_axis.fraction(chart.points[i].value)),
        )
    };
    let path: Vec<String> = (0..chart.points.len())
        .map(|i| {
            let (x, y) = position(i);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        svg,
        r##"<polyline class="curve" points="{}" fill="none" stroke="{}" stroke-width="2"/>"##,
        path.join(" "),
        PALETTE[0]
    );
    for (i, point) in chart.points.iter().enumerate() {
        let (x, y) = position(i);
        plot.x_tick(&mut svg, x, &point.label);
        let _ = write!(
            svg,
            r##"<circle class="pt" cx="{x:.1}" cy="{y:.1}" r="5" fill="{}"><title>{}: {} ({})</title></circle><text x="{x:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#333">{}</text>"##,
            PALETTE[0],
            escape(&point.label),
            format_tick(point.value),
            escape(&point.note),
            y - 10.0,
            escape(&point.note)
        );
    }
    plot.titles(&mut svg, chart.x_label, chart.y_label);
    svg.push_str("</svg>");
    svg
}

/// Renders a log-log scatter plot.
pub fn scatter(chart: &ScatterChart<'_>) -> String {
    let height = 560.0;
    let plot = Plot::new(height);
    let values = chart.points.iter().flat_map(|p| [p.x, p.y]);
    let axis = LogAxis::covering(values);
    let mut svg = open_svg(chart.id, "scatter", height, chart.title);
    plot.frame(&mut svg);
    for (value, label) in axis.ticks() {
        let x = plot.x(axis.fraction(value));
        let y = plot.y(axis.fraction(value));
        plot.x_tick(&mut svg, x, &label);
        plot.y_tick(&mut svg, y, &label);
    }
    let (x0, y0) = (plot.x(0.0), plot.y(0.0));
    let (x1, y1) = (plot.x(1.0), plot.y(1.0));
    let _ = write!(
        svg,
        r##"<line class="ref-line" x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="#555" stroke-dasharray="6 4"/>"##
    );
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#555" text-anchor="end">y = x</text>"##,
        x1 - 6.0,
        y1 + 16.0
    );
    for point in chart.points {
        let px = plot.x(axis.fraction(point.x));
        let py = plot.y(axis.fraction(point.y));
        if point.lower_bound {
            let _ = write!(
                svg,
                r##"<path class="pt lb" d="M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z" fill="{}" fill-opacity="0.75"/>"##,
                px,
                py - 5.5,
                px - 4.5,
                py + 3.5,
                px + 4.5,
                py + 3.5,
                PALETTE[1]
            );
        } else {
            let _ = write!(
                svg,
                r##"<circle class="pt" cx="{px:.1}" cy="{py:.1}" r="3" fill="{}" fill-opacity="0.45"/>"##,
                PALETTE[0]
            );
        }
    }
    legend(
        &mut svg,
        plot.left + 12.0,
        plot.top + 14.0,
        &[
            (LegendMark::Circle(PALETTE[0]), "completed call"),
            (
                LegendMark::Triangle(PALETTE[1]),
                "truncated: actual is a lower bound",
            ),
        ],
    );
    plot.titles(&mut svg, chart.x_label, chart.y_label);
    svg.push_str("</svg>");
    svg
}

/// Renders a histogram.
pub fn histogram(chart: &Histogram<'_>) -> String {
    let height = 380.0;
    let plot = Plot::new(height);
    let max_count = chart.bins.iter().map(|b| b.count).max().unwrap_or(0);
    let y_axis = LinearAxis::nice(max_count as f64);
    let mut svg = open_svg(chart.id, "histogram", height, chart.title);
    plot.frame(&mut svg);
    for value in y_axis.ticks() {
        plot.y_tick(
            &mut svg,
            plot.y(y_axis.fraction(value)),
            &format_tick(value),
        );
    }
    let lo = chart.bins.first().map_or(0.0, |b| b.lo);
    let hi = chart.bins.last().map_or(1.0, |b| b.hi);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let fraction = |v: f64| (v - lo) / span;
    for (i, bin) in chart.bins.iter().enumerate() {
        let left = plot.x(fraction(bin.lo));
        let right = plot.x(fraction(bin.hi));
        let top = plot.y(y_axis.fraction(bin.count as f64));
        let _ = write!(
            svg,
            r##"<rect class="bar" x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}–{}: {}</title></rect>"##,
            left + 1.0,
            (right - left - 2.0).max(0.5),
            plot.y(0.0) - top,
            PALETTE[0],
            format_tick(bin.lo),
            format_tick(bin.hi),
            bin.count
        );
        if i == 0 {
            plot.x_tick(&mut svg, left, &format_tick(bin.lo));
        }
        plot.x_tick(&mut svg, right, &format_tick(bin.hi));
    }
    plot.titles(&mut svg, chart.x_label, "events");
    svg.push_str("</svg>");
    svg
}

/// Renders a horizontal grouped bar chart of percentages with `n` labels and optional target lines.
pub fn grouped_bars(chart: &GroupedBars<'_>) -> String {
    let row_height = 10.0 + 14.0 * chart.series.len() as f64;
    let legend_height = 28.0;
    let label_width = 250.0;
    let height = MARGIN_TOP + legend_height + row_height * chart.groups.len() as f64 + 50.0;
    let left = label_width;
    let right = WIDTH - 90.0;
    let top = MARGIN_TOP + legend_height;
    let bottom = height - 40.0;
    let max_value = chart
        .groups
        .iter()
        .flat_map(|g| g.values.iter().flatten().copied())
        .chain(chart.series.iter().filter_map(|(_, t)| *t))
        .fold(0.0_f64, f64::max);
    let axis = LinearAxis::nice(max_value.max(1.0));
    let x = |v: f64| left + axis.fraction(v) * (right - left);
    let mut svg = open_svg(chart.id, "grouped-bars", height, chart.title);
    for value in axis.ticks() {
        let px = x(value);
        let _ = write!(
            svg,
            r##"<line x1="{px:.1}" y1="{top:.1}" x2="{px:.1}" y2="{bottom:.1}" stroke="#e3e3e3"/><text x="{px:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#333">{}%</text>"##,
            bottom + 16.0,
            format_tick(value)
        );
    }
    for (gi, group) in chart.groups.iter().enumerate() {
        let row_top = top + row_height * gi as f64;
        let _ = write!(
            svg,
            r##"<text class="row-label" x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#222">{} <tspan fill="#666">(n={})</tspan></text>"##,
            left - 8.0,
            row_top + row_height / 2.0 + 4.0,
            escape(&group.label),
            group.n
        );
        for (si, value) in group.values.iter().enumerate() {
            let bar_top = row_top + 5.0 + 14.0 * si as f64;
            let colour = PALETTE[si % PALETTE.len()];
            match value {
                Some(v) => {
                    let width = (x(*v) - left).max(1.0);
                    let _ = write!(
                        svg,
                        r##"<rect class="hbar" x="{left:.1}" y="{bar_top:.1}" width="{width:.1}" height="11" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#222">{:.1}%</text>"##,
                        left + width + 4.0,
                        bar_top + 9.5,
                        v
                    );
                }
                None => {
                    let _ = write!(
                        svg,
                        r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#888">n/a</text>"##,
                        left + 4.0,
                        bar_top + 9.5
                    );
                }
            }
        }
    }
    for (si, (name, target)) in chart.series.iter().enumerate() {
        if let Some(t) = target {
            let px = x(*t);
            let _ = write!(
                svg,
                r##"<line class="ref-line" x1="{px:.1}" y1="{top:.1}" x2="{px:.1}" y2="{bottom:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="5 3"><title>target for {}: {:.1}%</title></line>"##,
                PALETTE[si % PALETTE.len()],
                escape(name),
                t
            );
        }
    }
    let entries: Vec<(LegendMark, String)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(si, (name, target))| {
            let text = match target {
                Some(t) => format!("{name} (target ≤ {t:.1}%, dashed)"),
                None => (*name).to_owned(),
            };
            (LegendMark::Square(PALETTE[si % PALETTE.len()]), text)
        })
        .collect();
    let borrowed: Vec<(LegendMark, &str)> = entries.iter().map(|(m, t)| (*m, t.as_str())).collect();
    legend_row(&mut svg, left, MARGIN_TOP + 8.0, &borrowed);
    svg.push_str("</svg>");
    svg
}

/// Escapes text for SVG/HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn open_svg(id: &str, class: &str, height: f64, title: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{}" class="chart {class}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" font-family="system-ui, sans-serif">"##,
        escape(id),
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<text x="{MARGIN_LEFT}" y="24" font-size="16" font-weight="600" fill="#111">{}</text>"##,
        escape(title)
    );
    svg
}

/// The rectangle charts with x/y axes draw in.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Plot {
    fn new(height: f64) -> Self {
        Self {
            left: MARGIN_LEFT,
            right: WIDTH - MARGIN_RIGHT,
            top: MARGIN_TOP,
            bottom: height - MARGIN_BOTTOM,
        }
    }

    /// Horizontal pixel position of an axis fraction in `[0, 1]`.
    fn x(&self, fraction: f64) -> f64 {
        self.left + fraction * (self.right - self.left)
    }

    /// Vertical pixel position of an axis fraction in `[0, 1]` (0 at the bottom).
    fn y(&self, fraction: f64) -> f64 {
        self.bottom - fraction * (self.bottom - self.top)
    }

    fn frame(&self, svg: &mut String) {
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#fafafa" stroke="#999"/>"##,
            self.left,
            self.top,
            self.right - self.left,
            self.bottom - self.top
        );
    }

    fn x_tick(&self, svg: &mut String, x: f64, label: &str) {
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#999"/><text class="tick" x="{x:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#333">{}</text>"##,
            self.bottom,
            self.bottom + 5.0,
            self.bottom + 19.0,
            escape(label)
        );
    }

    fn y_tick(&self, svg: &mut String, y: f64, label: &str) {
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text class="tick" x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#333">{}</text>"##,
            self.left,
            self.right,
            self.left - 7.0,
            y + 4.0,
            escape(label)
        );
    }

    fn titles(&self, svg: &mut String, x_label: &str, y_label: &str) {
        let cx = (self.left + self.right) / 2.0;
        let cy = (self.top + self.bottom) / 2.0;
        let _ = write!(
            svg,
            r##"<text class="axis-title" x="{cx:.1}" y="{:.1}" font-size="13" text-anchor="middle" fill="#111">{}</text><text class="axis-title" x="18" y="{cy:.1}" font-size="13" text-anchor="middle" fill="#111" transform="rotate(-90 18 {cy:.1})">{}</text>"##,
            self.bottom + 42.0,
            escape(x_label),
            escape(y_label)
        );
    }
}

/// A base-10 logarithmic axis over whole decades.
struct LogAxis {
    lo_exp: i32,
    hi_exp: i32,
}

impl LogAxis {
    /// The smallest whole-decade range holding every value (values below 1 are clamped to 1).
    fn covering(values: impl Iterator<Item = f64>) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
        for v in values.map(|v| v.max(1.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            return Self {
                lo_exp: 0,
                hi_exp: 1,
            };
        }
        let lo_exp = lo.log10().floor() as i32;
        let hi_exp = (hi.log10().ceil() as i32).max(lo_exp + 1);
        Self { lo_exp, hi_exp }
    }

    fn fraction(&self, value: f64) -> f64 {
        let exp = value.max(1.0).log10();
        (exp - f64::from(self.lo_exp)) / f64::from(self.hi_exp - self.lo_exp)
    }

    /// Decade ticks, plus 2 and 5 when the axis spans at most two decades.
    fn ticks(&self) -> Vec<(f64, String)> {
        let dense = self.hi_exp - self.lo_exp <= 2;
        let mut ticks = Vec::new();
        for exp in self.lo_exp..=self.hi_exp {
            let decade = 10_f64.powi(exp);
            ticks.push((decade, format_tick(decade)));
            if dense && exp < self.hi_exp {
                for m in [2.0, 5.0] {
                    ticks.push((m * decade, format_tick(m * decade)));
                }
            }
        }
        ticks
    }
}

/// A linear axis from 0 to a "nice" maximum (1, 2 or 5 times a power of ten steps).
struct LinearAxis {
    step: f64,
    max: f64,
}

impl LinearAxis {
    fn nice(max_value: f64) -> Self {
        let target = if max_value > 0.0 { max_value } else { 1.0 };
        let raw = target / 5.0;
        let magnitude = 10_f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        let step = if step < 1.0 && max_value >= 1.0 {
            1.0
        } else {
            step
        };
        Self {
            step,
            max: (target / step).ceil() * step,
        }
    }

    fn fraction(&self, value: f64) -> f64 {
        value / self.max
    }

    fn ticks(&self) -> Vec<f64> {
        let count = (self.max / self.step).round() as u32;
        (0..=count).map(|i| f64::from(i) * self.step).collect()
    }
}

/// Tick label: `1k`, `10k`, `1M` for round thousands and millions; otherwise the shortest plain form.
fn format_tick(value: f64) -> String {
    let fmt = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    };
    if value >= 1e6 && (value / 1e6).fract() == 0.0 {
        format!("{}M", fmt(value / 1e6))
    } else if value >= 1e3 && (value / 1e3).fract() == 0.0 {
        format!("{}k", fmt(value / 1e3))
    } else {
        fmt(value)
    }
}

#[derive(Debug, Clone, Copy)]
enum LegendMark {
    Circle(&'static str),
    Triangle(&'static str),
    Square(&'static str),
}

fn legend_mark(svg: &mut String, mark: LegendMark, x: f64, y: f64) {
    let _ = match mark {
        LegendMark::Circle(c) => write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{c}" fill-opacity="0.6"/>"##
        ),
        LegendMark::Triangle(c) => write!(
            svg,
            r##"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z" fill="{c}"/>"##,
            y - 6.0,
            x - 5.0,
            y + 4.0,
            x + 5.0,
            y + 4.0
        ),
        LegendMark::Square(c) => write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="{c}"/>"##,
            x - 5.0,
            y - 5.0
        ),
    };
}

/// A vertical legend box (inside a plot).
fn legend(svg: &mut String, x: f64, y: f64, entries: &[(LegendMark, &str)]) {
    let width = 20.0 + 7.0 * entries.iter().map(|(_, t)| t.len()).max().unwrap_or(0) as f64;
    let _ = write!(
        svg,
        r##"<rect class="legend" x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>"##,
        x - 6.0,
        y - 12.0,
        8.0 + 18.0 * entries.len() as f64
    );
    for (i, (mark, text)) in entries.iter().enumerate() {
        let row_y = y + 18.0 * i as f64;
        legend_mark(svg, *mark, x + 4.0, row_y - 1.0);
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#222">{}</text>"##,
            x + 14.0,
            row_y + 3.0,
            escape(text)
        );
    }
}

/// A horizontal legend row (above a plot).
fn legend_row(svg: &mut String, x: f64, y: f64, entries: &[(LegendMark, &str)]) {
    let mut cursor = x;
    for (mark, text) in entries {
        legend_mark(svg, *mark, cursor + 5.0, y);
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#222">{}</text>"##,
            cursor + 14.0,
            y + 4.0,
            escape(text)
        );
        cursor += 30.0 + 6.5 * text.chars().count() as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn scatter_draws_one_marker_per_point_and_triangles_for_lower_bounds() {
        let points = [
            ScatterPoint {
                x: 100.0,
                y: 120.0,
                lower_bound: false,
            },
            ScatterPoint {
                x: 5000.0,
                y: 16384.0,
                lower_bound: true,
            },
            ScatterPoint {
                x: 0.0,
                y: 50.0,
                lower_bound: false,
            },
        ];
        let svg = scatter(&ScatterChart {
            id: "scatter-pa",
            title: "Predicted vs actual",
            x_label: "predicted",
            y_label: "actual",
            points: &points,
        });
        assert_eq!(count(&svg, r##"class="pt""##), 2);
        assert_eq!(count(&svg, r##"class="pt lb""##), 1);
        assert_eq!(count(&svg, r##"class="ref-line""##), 1);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r##"id="scatter-pa""##));
        // Domain 1..100k: every decade labelled, thousands abbreviated.
        for label in [">1<", ">10<", ">100<", ">1k<", ">10k<", ">100k<"] {
            assert!(svg.contains(label), "missing tick {label}");
        }
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn scatter_of_no_points_is_still_a_valid_chart() {
        let svg = scatter(&ScatterChart {
            id: "empty",
            title: "t",
            x_label: "x",
            y_label: "y",
            points: &[],
        });
        assert_eq!(count(&svg, r##"class="pt"##), 0);
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn log_axis_positions_decades_evenly() {
        let axis = LogAxis::covering([3.0, 4000.0].into_iter());
        assert_eq!((axis.lo_exp, axis.hi_exp), (0, 4));
        assert!((axis.fraction(100.0) - 0.5).abs() < 1e-12);
        assert_eq!(axis.fraction(0.0), 0.0);
    }

    #[test]
    fn linear_axis_max_covers_the_data_with_round_steps() {
        let axis = LinearAxis::nice(87.0);
        assert_eq!(axis.step, 20.0);
        assert_eq!(axis.max, 100.0);
        assert_eq!(axis.ticks(), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let tiny = LinearAxis::nice(3.0);
        assert!(tiny.max >= 3.0 && tiny.step >= 1.0);
    }

    #[test]
    fn histogram_draws_every_bin_with_its_count() {
        let bins = [
            Bin {
                lo: 0.0,
                hi: 20.0,
                count: 3,
            },
            Bin {
                lo: 20.0,
                hi: 40.0,
                count: 0,
            },
            Bin {
                lo: 40.0,
                hi: 60.0,
                count: 7,
            },
        ];
        let svg = histogram(&Histogram {
            id: "smape-hist",
            title: "SMAPE",
            x_label: "SMAPE (0-200)",
            bins: &bins,
        });
        assert_eq!(count(&svg, r##"class="bar""##), 3);
        assert!(svg.contains("40–60: 7"));
    }

    #[test]
    fn grouped_bars_label_rows_with_n_and_mark_missing_values() {
        let groups = [
            BarGroup {
                label: "docs / low <1-3>".into(),
                n: 12,
                values: vec![Some(25.0), None],
            },
            BarGroup {
                label: "tests / high".into(),
                n: 3,
                values: vec![Some(0.0), Some(33.3)],
            },
        ];
        let svg = grouped_bars(&GroupedBars {
            id: "strata",
            title: "By stratum",
            series: &[("truncation", Some(2.0)), ("underestimation", Some(5.0))],
            groups: &groups,
        });
        assert_eq!(count(&svg, r##"class="hbar""##), 3);
        assert_eq!(count(&svg, r##"class="ref-line""##), 2);
        assert!(svg.contains("(n=12)") && svg.contains("(n=3)"));
        assert!(svg.contains("docs / low &lt;1-3&gt;"));
        assert!(svg.contains(">n/a<"));
        assert!(svg.contains("33.3%"));
    }

    #[test]
    fn tick_labels_abbreviate_round_thousands_only() {
        assert_eq!(format_tick(1000.0), "1k");
        assert_eq!(format_tick(20000.0), "20k");
        assert_eq!(format_tick(1_000_000.0), "1M");
        assert_eq!(format_tick(1500.0), "1500");
        assert_eq!(format_tick(2.5), "2.5");
    }
}
