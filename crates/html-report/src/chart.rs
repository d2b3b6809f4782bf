//! A [`BarChart`] as a `<figure>` with an inline SVG.

use std::fmt::Write as _;

use crate::numbers::{coord, nice_ticks, tick_label, value_text};
use crate::text::{char_len, push_escaped, push_truncated};
use crate::{BarChart, Series};

/// Bar colours; series `i` uses `PALETTE[i % PALETTE.len()]`.
pub(crate) const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// Width of every chart's SVG viewBox, in SVG user units (pixels at 100%).
pub(crate) const CHART_WIDTH: f64 = 960.0;
/// Height of the plot area.
pub(crate) const PLOT_HEIGHT: f64 = 280.0;
const MARGIN_RIGHT: f64 = 16.0;
/// Approximate advance of one character of 11px text.
const LABEL_CHAR_WIDTH: f64 = 6.2;
/// Approximate advance of one character of 12px text.
const LEGEND_CHAR_WIDTH: f64 = 6.6;
/// Longest category label shown in full when labels are rotated.
const MAX_ROTATED_LABEL: usize = 24;
const MAX_LEGEND_LABEL: usize = 40;

/// The drawn height of a value: negative, NaN and infinite values count as zero.
fn drawable(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

/// Series `s`'s value in category `c`; a missing value is zero.
fn value(s: &Series, c: usize) -> f64 {
    s.values.get(c).copied().unwrap_or(0.0)
}

/// How category labels stand: horizontal when they fit, else rotated (and thinned out
/// when even vertical labels would overlap).
#[derive(Clone, Copy, PartialEq, Debug)]
enum LabelMode {
    Horizontal,
    Diagonal,
    Vertical,
}

/// Where everything of one chart goes, decided before anything is written.
struct Layout {
    /// The y axis: its ticks from 0, their labels, and the top tick's value.
    ticks: Vec<f64>,
    tick_labels: Vec<String>,
    top: f64,
    /// The plot's left and right edges, and the width each category gets.
    left: f64,
    right: f64,
    slot: f64,
    /// The plot's top and its baseline (the x axis).
    plot_top: f64,
    base: f64,
    /// The SVG's height.
    height: f64,
    mode: LabelMode,
    /// Every how many categories a label is shown.
    label_every: usize,
    /// Each series' legend entry: its x offset from `left` and its row.
    legend: Vec<(f64, usize)>,
}

impl Layout {
    fn of(chart: &BarChart) -> Layout {
        let n = chart.categories.len();
        let (ticks, tick_labels, top) = y_axis(chart);

        // Horizontal layout.
        let longest_tick = tick_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(1);
        let y_title_space = if chart.y_label.is_empty() { 0.0 } else { 22.0 };
        let mut left = y_title_space + longest_tick as f64 * LABEL_CHAR_WIDTH + 14.0;
        let slot_guess = (CHART_WIDTH - left - MARGIN_RIGHT) / n as f64;

        let longest_label = chart
            .categories
            .iter()
            .map(|c| char_len(c, 1000))
            .max()
            .unwrap_or(0);
        let mode = if longest_label as f64 * LABEL_CHAR_WIDTH <= slot_guess - 6.0 {
            LabelMode::Horizontal
        } else if slot_guess >= 19.0 {
            LabelMode::Diagonal
        } else {
            LabelMode::Vertical
        };
        if mode == LabelMode::Diagonal {
            // The first label slants left, past the plot's left edge.
            let first = char_len(&chart.categories[0], MAX_ROTATED_LABEL) as f64;
            left = left.max(first * LABEL_CHAR_WIDTH * 0.71 - slot_guess / 2.0 + 4.0);
        }
        let right = CHART_WIDTH - MARGIN_RIGHT;
        let slot = (right - left) / n as f64;

        let (legend, legend_rows) = legend(chart, right - left);
        let legend_height = legend_rows as f64 * 20.0;
        let plot_top = legend_height + if legend_rows > 0 { 16.0 } else { 10.0 };

        let label_every = if mode == LabelMode::Vertical {
            (13.0 / slot).ceil().max(1.0) as usize
        } else {
            1
        };
        let shown_len = longest_label.min(MAX_ROTATED_LABEL) as f64;
        let label_space = match mode {
            LabelMode::Horizontal => 20.0,
            LabelMode::Diagonal => shown_len * LABEL_CHAR_WIDTH * 0.71 + 18.0,
            LabelMode::Vertical => shown_len * LABEL_CHAR_WIDTH + 14.0,
        };
        let base = plot_top + PLOT_HEIGHT;
        let x_title_space = if chart.x_label.is_empty() { 6.0 } else { 26.0 };
        Layout {
            ticks,
            tick_labels,
            top,
            left,
            right,
            slot,
            plot_top,
            base,
            height: (base + label_space + x_title_space).ceil(),
            mode,
            label_every,
            legend,
        }
    }

    /// The y coordinate of a value.
    fn y_of(&self, v: f64) -> f64 {
        self.base - v / self.top * PLOT_HEIGHT
    }
}

/// The y axis's ticks, their labels and the top tick's value: round numbers from 0 to
/// at least the tallest stack.
fn y_axis(chart: &BarChart) -> (Vec<f64>, Vec<String>, f64) {
    let max_total = (0..chart.categories.len())
        .map(|c| {
            let total: f64 = chart.series.iter().map(|s| drawable(value(s, c))).sum();
            total.min(f64::MAX)
        })
        .fold(0.0, f64::max);
    let ticks = nice_ticks(max_total);
    let top = *ticks.last().expect("ticks are never empty");
    let labels = ticks.iter().map(|&t| tick_label(t)).collect();
    (ticks, labels, top)
}

/// The legend (only with several series), laid out left to right in rows of `width`:
/// each series' x offset and row, and the number of rows.
fn legend(chart: &BarChart, width: f64) -> (Vec<(f64, usize)>, usize) {
    if chart.series.len() <= 1 {
        return (Vec::new(), 0);
    }
    let mut entries = Vec::with_capacity(chart.series.len());
    let (mut x, mut row) = (0.0, 0);
    for s in &chart.series {
        let item = 18.0 + char_len(&s.name, MAX_LEGEND_LABEL) as f64 * LEGEND_CHAR_WIDTH + 18.0;
        if x > 0.0 && x + item > width {
            x = 0.0;
            row += 1;
        }
        entries.push((x, row));
        x += item;
    }
    (entries, row + 1)
}

pub(crate) fn push_chart(out: &mut String, chart: &BarChart) {
    out.push_str("<figure class=\"chart\">\n");
    if !chart.title.is_empty() {
        out.push_str("<figcaption>");
        push_escaped(out, &chart.title);
        out.push_str("</figcaption>\n");
    }
    if chart.categories.is_empty() || chart.series.is_empty() {
        out.push_str("<p class=\"no-data\">No data.</p>\n</figure>\n");
        return;
    }
    let layout = Layout::of(chart);
    push_svg_start(out, chart, &layout);
    push_legend(out, chart, &layout);
    push_y_axis(out, &layout);
    push_bars(out, chart, &layout);
    push_axes(out, &layout);
    push_x_labels(out, chart, &layout);
    push_axis_titles(out, chart, &layout);
    out.push_str("</svg>\n</figure>\n");
}

fn push_svg_start(out: &mut String, chart: &BarChart, layout: &Layout) {
    let _ = write!(
        out,
        "<svg class=\"bar-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"img\"",
        w = CHART_WIDTH,
        h = layout.height
    );
    if !chart.title.is_empty() {
        out.push_str(" aria-label=\"");
        push_escaped(out, &chart.title);
        out.push('"');
    }
    out.push_str(">\n");
}

fn push_legend(out: &mut String, chart: &BarChart, layout: &Layout) {
    if layout.legend.is_empty() {
        return;
    }
    out.push_str("<g class=\"legend\">\n");
    for (i, (s, &(dx, row))) in chart.series.iter().zip(&layout.legend).enumerate() {
        let x = layout.left + dx;
        let y = 4.0 + row as f64 * 20.0;
        let _ = write!(
            out,
            "<g class=\"legend-item\"><rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" \
             fill=\"{}\"/><text x=\"{}\" y=\"{}\">",
            coord(x),
            coord(y + 1.0),
            PALETTE[i % PALETTE.len()],
            coord(x + 18.0),
            coord(y + 11.5)
        );
        if push_truncated(out, &s.name, MAX_LEGEND_LABEL) {
            out.push_str("<title>");
            push_escaped(out, &s.name);
            out.push_str("</title>");
        }
        out.push_str("</text></g>\n");
    }
    out.push_str("</g>\n");
}

/// Grid lines at every tick but 0, and the tick labels.
fn push_y_axis(out: &mut String, layout: &Layout) {
    out.push_str("<g class=\"grid\">\n");
    for &t in &layout.ticks[1..] {
        let y = coord(layout.y_of(t));
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
            coord(layout.left),
            coord(layout.right)
        );
    }
    out.push_str("</g>\n<g class=\"y-ticks\">\n");
    for (&t, label) in layout.ticks.iter().zip(&layout.tick_labels) {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>",
            coord(layout.left - 6.0),
            coord(layout.y_of(t) + 4.0)
        );
    }
    out.push_str("</g>\n");
}

/// Bars: category by category, series stacked from the first upwards, each with a
/// tooltip naming its category, series and value.
fn push_bars(out: &mut String, chart: &BarChart, layout: &Layout) {
    let Layout {
        left,
        slot,
        base,
        top,
        ..
    } = *layout;
    let bar_width = (slot * 0.72).min(80.0);
    out.push_str("<g class=\"bars\">\n");
    for (c, category) in chart.categories.iter().enumerate() {
        let x = left + c as f64 * slot + (slot - bar_width) / 2.0;
        let mut stacked = 0.0;
        for (i, s) in chart.series.iter().enumerate() {
            let v = value(s, c);
            let h = (drawable(v) / top * PLOT_HEIGHT)
                .min(PLOT_HEIGHT - stacked)
                .max(0.0);
            let y = base - stacked - h;
            stacked += h;
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>",
                coord(x),
                coord(y),
                coord(bar_width),
                coord(h),
                PALETTE[i % PALETTE.len()]
            );
            push_escaped(out, category);
            if !s.name.is_empty() {
                out.push_str(" \u{2014} ");
                push_escaped(out, &s.name);
            }
            out.push_str(": ");
            out.push_str(&value_text(v));
            out.push_str("</title></rect>\n");
        }
    }
    out.push_str("</g>\n");
}

fn push_axes(out: &mut String, layout: &Layout) {
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/>\n\
         <line class=\"axis\" x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>",
        l = coord(layout.left),
        r = coord(layout.right),
        t = coord(layout.plot_top),
        b = coord(layout.base)
    );
}

/// Category labels under the bars, cut (with a tooltip) when rotated and long.
fn push_x_labels(out: &mut String, chart: &BarChart, layout: &Layout) {
    let Layout {
        left,
        slot,
        base,
        mode,
        ..
    } = *layout;
    out.push_str("<g class=\"x-labels\">\n");
    for (c, category) in chart.categories.iter().enumerate() {
        if c % layout.label_every != 0 {
            continue;
        }
        let cx = left + (c as f64 + 0.5) * slot;
        match mode {
            LabelMode::Horizontal => {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">",
                    coord(cx),
                    coord(base + 15.0)
                );
            }
            LabelMode::Diagonal | LabelMode::Vertical => {
                let (angle, ax, ay) = if mode == LabelMode::Diagonal {
                    (-45, cx + 3.0, base + 10.0)
                } else {
                    (-90, cx + 4.0, base + 6.0)
                };
                let (ax, ay) = (coord(ax), coord(ay));
                let _ = write!(
                    out,
                    "<text x=\"{ax}\" y=\"{ay}\" text-anchor=\"end\" \
                     transform=\"rotate({angle} {ax} {ay})\">"
                );
            }
        }
        let max = if mode == LabelMode::Horizontal {
            usize::MAX
        } else {
            MAX_ROTATED_LABEL
        };
        if push_truncated(out, category, max) {
            out.push_str("<title>");
            push_escaped(out, category);
            out.push_str("</title>");
        }
        out.push_str("</text>\n");
    }
    out.push_str("</g>\n");
}

fn push_axis_titles(out: &mut String, chart: &BarChart, layout: &Layout) {
    if !chart.x_label.is_empty() {
        let _ = write!(
            out,
            "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">",
            coord(layout.left + (layout.right - layout.left) / 2.0),
            coord(layout.height - 8.0)
        );
        push_escaped(out, &chart.x_label);
        out.push_str("</text>\n");
    }
    if !chart.y_label.is_empty() {
        let _ = write!(
            out,
            "<text class=\"axis-title\" x=\"{}\" y=\"14\" text-anchor=\"middle\" \
             transform=\"rotate(-90)\">",
            coord(-(layout.plot_top + PLOT_HEIGHT / 2.0))
        );
        push_escaped(out, &chart.y_label);
        out.push_str("</text>\n");
    }
}
