//! Self-contained HTML report pages.
//!
//! [`page`] renders one complete HTML5 document containing, in order:
//!
//! - a `<h1>` heading and a line of context (for example the as-of instant and
//!   the store path);
//! - each [`BarChart`] as a `<figure>` with an inline SVG: a y axis with ticks at
//!   round numbers and grid lines, category labels along the x axis (rotated, and
//!   thinned out when there are too many to fit), axis titles, a legend when there
//!   are several series, and a `<title>` tooltip on every bar naming its category,
//!   series and value. Several series are stacked, the first at the bottom; series
//!   `i` is always drawn in the `i`-th colour of a fixed palette. A chart without
//!   categories or without series shows a "No data." note instead;
//! - each [`Table`] inside a scrolling box with a sticky header row, numeric
//!   columns right-aligned, and a row count under it.
//!
//! Styling is one inline `<style>` element with rules for screen and print. The
//! page refers to no external resource and contains no script; its
//! Content-Security-Policy forbids scripts and every fetch, so nothing in it can
//! reach the network. The charts need no script to be seen.
//!
//! Escaping invariant: every string that comes from the caller (page title and
//! context, chart, axis, category and series names, table titles, column names
//! and cells) reaches the output only through one escaping function, which
//! replaces `&`, `<`, `>`, `"` and `'` with character references and control
//! characters other than tab, line feed and carriage return with U+FFFD. This
//! holds in element content and attribute values alike, including SVG `<text>`
//! and `<title>` tooltips, so markup in the data always renders as literal text.
//!
//! Values that are negative, NaN or infinite are drawn as bars of zero height (the
//! tooltip still shows the value). A series with fewer values than there are
//! categories is padded with zeros; extra values are ignored. Table rows shorter
//! than the header are padded with empty cells; longer rows add columns with an
//! empty header. A column is numeric (right-aligned) when it has at least one
//! non-blank cell and every non-blank cell reads as a number (sign, digits with
//! optional `,` grouping, fraction, exponent, optional `%`); empty cells and lone
//! dashes (`-`, `–`, `—`) count as blank.

use std::fmt::Write as _;

/// A bar chart: one bar per category; with several series, bars are stacked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// One named series of a [`BarChart`]: `values[i]` belongs to `categories[i]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// A table: header and rows of already-formatted cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A complete, self-contained HTML document: a heading, a line of context, the
/// charts as inline SVG, then the tables. See the module documentation.
pub fn page(title: &str, context: &str, charts: &[BarChart], tables: &[Table]) -> String {
    let table_bytes: usize = tables.iter().map(estimated_table_len).sum();
    let mut out = String::with_capacity(8 * 1024 + charts.len() * 24 * 1024 + table_bytes);

    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>",
    );
    push_escaped(&mut out, title);
    out.push_str("</title>\n<style>\n");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<header>\n<h1>");
    push_escaped(&mut out, title);
    out.push_str("</h1>\n");
    if !context.is_empty() {
        out.push_str("<p class=\"context\">");
        push_escaped(&mut out, context);
        out.push_str("</p>\n");
    }
    out.push_str("</header>\n<main>\n");
    for chart in charts {
        push_chart(&mut out, chart);
    }
    for table in tables {
        push_table(&mut out, table);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

const STYLE: &str = "\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px 32px 48px;
  font: 14px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif;
  color: #1f2328; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2, figcaption { font-size: 1.15rem; font-weight: 600; margin: 0 0 8px; }
.context { color: #57606a; margin: 0 0 28px; }
figure.chart { margin: 0 0 36px; }
svg.bar-chart { display: block; max-width: 100%; height: auto; }
svg.bar-chart text { font-family: inherit; font-size: 11px; fill: #3d444d; }
svg.bar-chart .axis-title { font-size: 12px; font-weight: 600; fill: #1f2328; }
svg.bar-chart .legend text { font-size: 12px; fill: #1f2328; }
svg.bar-chart .grid line { stroke: #e6e8eb; stroke-width: 1; }
svg.bar-chart .axis { stroke: #6e7781; stroke-width: 1; }
svg.bar-chart rect.bar:hover { opacity: 0.8; }
.no-data { color: #6e7781; font-style: italic; margin: 0; padding: 24px;
  border: 1px dashed #d0d7de; border-radius: 4px; }
section.table { margin: 0 0 36px; }
.table-scroll { overflow: auto; max-height: 75vh; border: 1px solid #d0d7de; border-radius: 4px; }
table { border-collapse: separate; border-spacing: 0; min-width: 100%; }
th, td { padding: 4px 10px; text-align: left; vertical-align: top; white-space: nowrap;
  border-bottom: 1px solid #eaeef2; }
th { position: sticky; top: 0; z-index: 1; background: #f6f8fa; font-weight: 600;
  border-bottom: 1px solid #d0d7de; }
tbody tr:nth-child(even) td { background: #fafbfc; }
tbody tr:last-child td { border-bottom: none; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.row-count { color: #57606a; font-size: 0.9em; margin: 4px 0 0; }
@media print {
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  figure.chart { break-inside: avoid; }
  h1, h2, figcaption { break-after: avoid; }
  .table-scroll { overflow: visible; max-height: none; border: none; }
  table { min-width: 0; width: 100%; }
  th { position: static; }
  th, td { white-space: normal; overflow-wrap: break-word; padding: 2px 6px; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
}
";

/// Bar colours; series `i` uses `PALETTE[i % PALETTE.len()]`.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// Width of every chart's SVG viewBox, in SVG user units (pixels at 100%).
const CHART_WIDTH: f64 = 960.0;
/// Height of the plot area.
const PLOT_HEIGHT: f64 = 280.0;
const MARGIN_RIGHT: f64 = 16.0;
/// Approximate advance of one character of 11px text.
const LABEL_CHAR_WIDTH: f64 = 6.2;
/// Approximate advance of one character of 12px text.
const LEGEND_CHAR_WIDTH: f64 = 6.6;
/// Longest category label shown in full when labels are rotated.
const MAX_ROTATED_LABEL: usize = 24;
const MAX_LEGEND_LABEL: usize = 40;

/// Appends `s` with `& < > " '` replaced by character references and control
/// characters (other than tab, LF, CR) replaced by U+FFFD.
fn push_escaped(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, ch) in s.char_indices() {
        let replacement = match ch {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            '\t' | '\n' | '\r' => continue,
            c if c.is_control() => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(replacement);
        last = i + ch.len_utf8();
    }
    out.push_str(&s[last..]);
}

#[cfg(test)]
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Shortens `s` to at most `max` characters, ending it with an ellipsis if cut.
fn truncate(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s[i..].chars().nth(1).is_some() => (&s[..i], true),
        _ => (s, false),
    }
}

fn push_truncated(out: &mut String, s: &str, max: usize) -> bool {
    let (shown, cut) = truncate(s, max);
    push_escaped(out, shown);
    if cut {
        out.push('\u{2026}');
    }
    cut
}

fn char_len(s: &str, max: usize) -> usize {
    s.chars().take(max + 1).count().min(max)
}

/// A coordinate with at most two decimals.
fn coord(v: f64) -> String {
    trim_decimals(format!("{v:.2}"))
}

fn trim_decimals(mut s: String) -> String {
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".to_string() } else { s }
}

/// Y-axis ticks for values from 0 to `max`: evenly spaced, starting at 0, the step
/// being 1, 2, 2.5 or 5 times a power of ten, the last tick at or above `max`.
fn nice_ticks(max: f64) -> Vec<f64> {
    const TARGET_INTERVALS: f64 = 5.0;
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0, 1.0];
    }
    let raw = max / TARGET_INTERVALS;
    let magnitude = 10f64.powi(raw.log10().floor() as i32);
    let normalized = raw / magnitude;
    let mantissa = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&m| m >= normalized * (1.0 - 1e-9))
        .unwrap_or(10.0);
    let step = mantissa * magnitude;
    let intervals = (max / step * (1.0 - 1e-9)).ceil().max(1.0);
    if !(step.is_finite() && step > 0.0 && (intervals * step).is_finite()) {
        // Only at the very ends of the f64 range: fall back to halves of max.
        let mut ticks = vec![0.0, max / 2.0, max];
        ticks.dedup();
        return ticks;
    }
    (0..=intervals as usize).map(|i| i as f64 * step).collect()
}

/// A tick label: short, with k/M/G/T suffixes or scientific notation for big
/// numbers.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".to_string();
    }
    if !(1e-4..1e15).contains(&a) {
        return scientific(v);
    }
    for (scale, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")] {
        if a >= scale {
            let scale = if suffix == "k" { 1e3 } else { scale };
            return trim_decimals(format!("{:.3}", v / scale)) + suffix;
        }
    }
    trim_decimals(format!("{v:.6}"))
}

fn scientific(v: f64) -> String {
    let s = format!("{v:.3e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) => {
            format!("{}e{exponent}", trim_decimals(mantissa.to_string()))
        }
        None => s,
    }
}

/// A value as shown in a tooltip: exact, with thousands separators.
fn value_text(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    if !(1e-4..1e15).contains(&v.abs()) {
        return format!("{v:e}");
    }
    let s = format!("{v}");
    let (sign, unsigned) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// The drawn height of a value: negative, NaN and infinite values count as zero.
fn drawable(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum LabelMode {
    Horizontal,
    Diagonal,
    Vertical,
}

fn push_chart(out: &mut String, chart: &BarChart) {
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
    let n = chart.categories.len();
    let value = |s: &Series, c: usize| s.values.get(c).copied().unwrap_or(0.0);

    // Scale.
    let max_total = (0..n)
        .map(|c| {
            let total: f64 = chart.series.iter().map(|s| drawable(value(s, c))).sum();
            total.min(f64::MAX)
        })
        .fold(0.0, f64::max);
    let ticks = nice_ticks(max_total);
    let top = *ticks.last().expect("ticks are never empty");
    let tick_labels: Vec<String> = ticks.iter().map(|&t| tick_label(t)).collect();

    // Horizontal layout.
    let longest_tick = tick_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);
    let y_title_space = if chart.y_label.is_empty() { 0.0 } else { 22.0 };
    let mut left = y_title_space + longest_tick as f64 * LABEL_CHAR_WIDTH + 14.0;
    let plot_width_guess = CHART_WIDTH - left - MARGIN_RIGHT;
    let slot_guess = plot_width_guess / n as f64;

    // Category labels: horizontal when they fit, else rotated (and thinned out
    // when even vertical labels would overlap).
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
    let shown_len = longest_label.min(MAX_ROTATED_LABEL) as f64;
    if mode == LabelMode::Diagonal {
        // The first label slants left, past the plot's left edge.
        let first = char_len(&chart.categories[0], MAX_ROTATED_LABEL) as f64;
        left = left.max(first * LABEL_CHAR_WIDTH * 0.71 - slot_guess / 2.0 + 4.0);
    }
    let right = CHART_WIDTH - MARGIN_RIGHT;
    let plot_width = right - left;
    let slot = plot_width / n as f64;

    // Legend rows (only with several series), laid out left to right.
    let mut legend: Vec<(f64, usize)> = Vec::new(); // (x offset, row) per series
    let mut legend_rows = 0;
    if chart.series.len() > 1 {
        let (mut x, mut row) = (0.0, 0);
        let width = right - left;
        for s in &chart.series {
            let item = 18.0 + char_len(&s.name, MAX_LEGEND_LABEL) as f64 * LEGEND_CHAR_WIDTH + 18.0;
            if x > 0.0 && x + item > width {
                x = 0.0;
                row += 1;
            }
            legend.push((x, row));
            x += item;
        }
        legend_rows = row + 1;
    }
    let legend_height = legend_rows as f64 * 20.0;
    let plot_top = legend_height + if legend_rows > 0 { 16.0 } else { 10.0 };

    let label_every = if mode == LabelMode::Vertical {
        (13.0 / slot).ceil().max(1.0) as usize
    } else {
        1
    };
    let label_space = match mode {
        LabelMode::Horizontal => 20.0,
        LabelMode::Diagonal => shown_len * LABEL_CHAR_WIDTH * 0.71 + 18.0,
        LabelMode::Vertical => shown_len * LABEL_CHAR_WIDTH + 14.0,
    };
    let base = plot_top + PLOT_HEIGHT;
    let x_title_space = if chart.x_label.is_empty() { 6.0 } else { 26.0 };
    let height = (base + label_space + x_title_space).ceil();

    let _ = write!(
        out,
        "<svg class=\"bar-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"img\"",
        w = CHART_WIDTH,
        h = height
    );
    if !chart.title.is_empty() {
        out.push_str(" aria-label=\"");
        push_escaped(out, &chart.title);
        out.push('"');
    }
    out.push_str(">\n");

    // Legend.
    if !legend.is_empty() {
        out.push_str("<g class=\"legend\">\n");
        for (i, (s, &(dx, row))) in chart.series.iter().zip(&legend).enumerate() {
            let x = left + dx;
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
            let cut = push_truncated(out, &s.name, MAX_LEGEND_LABEL);
            if cut {
                out.push_str("<title>");
                push_escaped(out, &s.name);
                out.push_str("</title>");
            }
            out.push_str("</text></g>\n");
        }
        out.push_str("</g>\n");
    }

    // Grid and y tick labels.
    let y_of = |v: f64| base - v / top * PLOT_HEIGHT;
    out.push_str("<g class=\"grid\">\n");
    for &t in &ticks[1..] {
        let y = coord(y_of(t));
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
            coord(left),
            coord(right)
        );
    }
    out.push_str("</g>\n<g class=\"y-ticks\">\n");
    for (&t, label) in ticks.iter().zip(&tick_labels) {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>",
            coord(left - 6.0),
            coord(y_of(t) + 4.0)
        );
    }
    out.push_str("</g>\n");

    // Bars: category by category, series stacked from the first upwards.
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

    // Axes.
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/>\n\
         <line class=\"axis\" x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>",
        l = coord(left),
        r = coord(right),
        t = coord(plot_top),
        b = coord(base)
    );

    // Category labels.
    out.push_str("<g class=\"x-labels\">\n");
    for (c, category) in chart.categories.iter().enumerate() {
        if c % label_every != 0 {
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

    // Axis titles.
    if !chart.x_label.is_empty() {
        let _ = write!(
            out,
            "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">",
            coord(left + plot_width / 2.0),
            coord(height - 8.0)
        );
        push_escaped(out, &chart.x_label);
        out.push_str("</text>\n");
    }
    if !chart.y_label.is_empty() {
        let _ = write!(
            out,
            "<text class=\"axis-title\" x=\"{}\" y=\"14\" text-anchor=\"middle\" \
             transform=\"rotate(-90)\">",
            coord(-(plot_top + PLOT_HEIGHT / 2.0))
        );
        push_escaped(out, &chart.y_label);
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n</figure>\n");
}

/// Whether a cell reads as a number: optional sign, digits with optional `,`
/// grouping, fraction and exponent, optionally followed by `%`.
fn is_numeric_cell(cell: &str) -> bool {
    let s = cell.trim();
    let s = s.strip_suffix('%').unwrap_or(s).trim_end();
    if !s.bytes().any(|b| b.is_ascii_digit())
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b',' | b'e' | b'E'))
    {
        return false;
    }
    let plain: String = s.chars().filter(|&c| c != ',').collect();
    plain.parse::<f64>().is_ok()
}

/// Cells that stand for "no value" and so do not decide a column's alignment.
fn is_blank_cell(cell: &str) -> bool {
    matches!(cell.trim(), "" | "-" | "\u{2013}" | "\u{2014}")
}

fn estimated_table_len(table: &Table) -> usize {
    let cells: usize = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.len() + 24).sum::<usize>() + 16)
        .sum();
    cells + 512
}

fn push_table(out: &mut String, table: &Table) {
    let width = table
        .rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(table.columns.len());
    let numeric: Vec<bool> = (0..width)
        .map(|c| {
            let mut any = false;
            for row in &table.rows {
                match row.get(c) {
                    Some(cell) if !is_blank_cell(cell) => {
                        if !is_numeric_cell(cell) {
                            return false;
                        }
                        any = true;
                    }
                    _ => {}
                }
            }
            any
        })
        .collect();

    out.push_str("<section class=\"table\">\n");
    if !table.title.is_empty() {
        out.push_str("<h2>");
        push_escaped(out, &table.title);
        out.push_str("</h2>\n");
    }
    out.push_str("<div class=\"table-scroll\">\n<table>\n<thead>\n<tr>");
    for (c, &num) in numeric.iter().enumerate() {
        out.push_str(if num { "<th class=\"num\">" } else { "<th>" });
        push_escaped(out, table.columns.get(c).map_or("", String::as_str));
        out.push_str("</th>");
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (c, &num) in numeric.iter().enumerate() {
            out.push_str(if num { "<td class=\"num\">" } else { "<td>" });
            push_escaped(out, row.get(c).map_or("", String::as_str));
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n<p class=\"row-count\">");
    let count = table.rows.len();
    out.push_str(&value_text(count as f64));
    out.push_str(if count == 1 { " row" } else { " rows" });
    out.push_str("</p>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.to_string(),
            values: values.to_vec(),
        }
    }

    fn chart(categories: &[&str], series: Vec<Series>) -> BarChart {
        BarChart {
            title: "Chart".to_string(),
            x_label: "x".to_string(),
            y_label: "y".to_string(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            series,
        }
    }

    fn svg_of(c: &BarChart) -> String {
        let mut out = String::new();
        push_chart(&mut out, c);
        out
    }

    /// Values of attribute `name` on every `<rect class="bar"` in `svg`.
    fn bar_attr(svg: &str, name: &str) -> Vec<f64> {
        svg.split("<rect class=\"bar\"")
            .skip(1)
            .map(|rest| {
                let key = format!(" {name}=\"");
                let start = rest.find(&key).expect("attribute present") + key.len();
                let end = start + rest[start..].find('"').unwrap();
                rest[start..end].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("plain ünïcødé ✓"), "plain ünïcødé ✓");
        assert_eq!(escape(""), "");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn replaces_control_characters() {
        assert_eq!(
            escape("a\u{0}b\u{7f}c\u{85}d"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d"
        );
        assert_eq!(escape("tab\tlf\ncr\r"), "tab\tlf\ncr\r");
    }

    #[test]
    fn data_never_becomes_markup() {
        let evil = "<script>alert(1)</script>";
        let attr = "\"><img src=x onerror=alert(2)>";
        let c = BarChart {
            title: evil.into(),
            x_label: attr.into(),
            y_label: "'y'".into(),
            categories: vec![evil.into(), attr.into(), "x".repeat(60) + "<b>"],
            series: vec![
                series(evil, &[1.0, 2.0, 3.0]),
                series(attr, &[3.0, 2.0, 1.0]),
            ],
        };
        let t = Table {
            title: evil.into(),
            columns: vec![evil.into(), attr.into()],
            rows: vec![vec![evil.into(), attr.into()]],
        };
        let html = page(evil, attr, &[c], &[t]);
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // In <title>, in SVG <text>, in tooltips, in cells.
        assert!(html.contains("<title>&lt;script&gt;"));
        assert!(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
        assert!(html.contains("<figcaption>&lt;script&gt;"));
        assert!(html.contains("aria-label=\"&lt;script&gt;"));
        assert!(
            html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; \u{2014} &lt;script&gt;")
        );
    }

    #[test]
    fn page_is_self_contained() {
        let c = chart(&["a", "b"], vec![series("s", &[1.0, 2.0])]);
        let t = Table {
            title: "t".into(),
            columns: vec!["c".into()],
            rows: vec![vec!["v".into()]],
        };
        let html = page(
            "Report",
            "as of 2026-11-27T00:00:00Z, store amiq.duckdb",
            &[c],
            &[t],
        );
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.trim_end().ends_with("</html>"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<style>"));
        assert!(html.contains("<h1>Report</h1>"));
        assert!(html.contains("as of 2026-11-27T00:00:00Z, store amiq.duckdb"));
        for forbidden in [
            "<script", "src=", "href=", "url(", "@import", "<link", "<img",
        ] {
            assert!(!html.contains(forbidden), "{forbidden}");
        }
        // The only URL is the SVG namespace.
        assert!(!html.contains("https:"));
        assert_eq!(
            html.matches("http:").count(),
            html.matches("http://www.w3.org/2000/svg").count()
        );
        assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
        // Charts before tables.
        assert!(html.find("<svg").unwrap() < html.find("<table").unwrap());
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(7.0), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(10.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(3.0), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            nice_ticks(1.0),
            [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(nice_ticks(95.0), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(
            nice_ticks(1234.0),
            [0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]
        );
        assert_eq!(nice_ticks(0.0), [0.0, 1.0]);
        assert_eq!(nice_ticks(f64::NAN), [0.0, 1.0]);
        assert_eq!(nice_ticks(-5.0), [0.0, 1.0]);
    }

    #[test]
    fn ticks_hold_their_invariants_across_magnitudes() {
        let mut max = 1e-12;
        while max < 1e300 {
            for factor in [1.0, 1.13, 1.5, 2.01, 2.5, 3.3, 4.99, 5.0, 7.7, 9.99] {
                let m = max * factor;
                let ticks = nice_ticks(m);
                assert_eq!(ticks[0], 0.0);
                let top = *ticks.last().unwrap();
                assert!(top >= m * (1.0 - 1e-9), "{m}: {ticks:?}");
                assert!((3..=7).contains(&ticks.len()), "{m}: {ticks:?}");
                let step = ticks[1];
                let mantissa = step / 10f64.powi(step.log10().floor() as i32);
                assert!(
                    [1.0, 2.0, 2.5, 5.0]
                        .iter()
                        .any(|x| (x - mantissa).abs() < 1e-6),
                    "{m}: step {step}"
                );
                for w in ticks.windows(2) {
                    assert!(
                        ((w[1] - w[0]) - step).abs() <= step * 1e-9,
                        "{m}: {ticks:?}"
                    );
                }
                // The top tick is not needlessly high.
                assert!(top - step < m, "{m}: {ticks:?}");
            }
            max *= 10.0;
        }
    }

    #[test]
    fn ticks_at_the_ends_of_the_range_stay_finite() {
        for m in [f64::MAX, 1.7e308, 1e308, f64::MIN_POSITIVE, 5e-324] {
            let ticks = nice_ticks(m);
            assert!(ticks.iter().all(|t| t.is_finite()), "{m}: {ticks:?}");
            assert!(*ticks.last().unwrap() >= m, "{m}: {ticks:?}");
            assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{m}: {ticks:?}");
        }
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(0.6000000000000001), "0.6");
        assert_eq!(tick_label(2500.0), "2500");
        assert_eq!(tick_label(12_500.0), "12.5k");
        assert_eq!(tick_label(2_000_000.0), "2M");
        assert_eq!(tick_label(7.5e9), "7.5G");
        assert_eq!(tick_label(4e12), "4T");
        assert_eq!(tick_label(2.5e300), "2.5e300");
        assert_eq!(tick_label(5e-7), "5e-7");
    }

    #[test]
    fn values_are_shown_exactly() {
        assert_eq!(value_text(0.0), "0");
        assert_eq!(value_text(-0.0), "0");
        assert_eq!(value_text(7.0), "7");
        assert_eq!(value_text(1234.0), "1,234");
        assert_eq!(value_text(-1234567.5), "-1,234,567.5");
        assert_eq!(value_text(0.125), "0.125");
        assert_eq!(value_text(1e300), "1e300");
        assert_eq!(value_text(f64::NAN), "NaN");
        assert_eq!(value_text(f64::INFINITY), "∞");
    }

    #[test]
    fn empty_charts_show_a_note() {
        for c in [
            chart(&[], vec![series("s", &[])]),
            chart(&["a", "b"], vec![]),
            chart(&[], vec![]),
        ] {
            let svg = svg_of(&c);
            assert!(svg.contains("<p class=\"no-data\">No data.</p>"), "{svg}");
            assert!(!svg.contains("<svg"));
            assert!(svg.contains("<figcaption>Chart</figcaption>"));
        }
    }

    #[test]
    fn zero_values_draw_an_axis_and_flat_bars() {
        let svg = svg_of(&chart(
            &["a", "b", "c"],
            vec![series("s", &[0.0, 0.0, 0.0])],
        ));
        assert_eq!(bar_attr(&svg, "height"), [0.0, 0.0, 0.0]);
        assert!(svg.contains(">0</text>") && svg.contains(">1</text>"));
        assert!(svg.contains("<title>a \u{2014} s: 0</title>"));
    }

    #[test]
    fn one_category() {
        let svg = svg_of(&chart(&["only"], vec![series("", &[42.0])]));
        assert_eq!(bar_attr(&svg, "width"), [80.0]);
        let h = bar_attr(&svg, "height")[0];
        assert!((h - PLOT_HEIGHT * 42.0 / 50.0).abs() < 0.01, "{h}");
        assert!(svg.contains("<title>only: 42</title>"));
        assert!(!svg.contains("class=\"legend\""));
        assert!(!svg.contains("rotate(-45 ") && !svg.contains("rotate(-90 "));
    }

    #[test]
    fn sixty_categories_rotate_their_labels() {
        let categories: Vec<String> = (0..60)
            .map(|i| format!("2026-{:02}-{:02}", i / 28 + 1, i % 28 + 1))
            .collect();
        let refs: Vec<&str> = categories.iter().map(String::as_str).collect();
        let values: Vec<f64> = (0..60).map(|i| i as f64).collect();
        let svg = svg_of(&chart(
            &refs,
            vec![series("a", &values), series("b", &values)],
        ));
        assert_eq!(bar_attr(&svg, "height").len(), 120);
        assert_eq!(svg.matches("rotate(-90 ").count(), 60);
        for c in &categories {
            assert!(svg.contains(&format!(">{c}</text>")), "{c}");
        }
        let widths = bar_attr(&svg, "width");
        assert!(widths.iter().all(|&w| w > 5.0), "{widths:?}");
        // Bars stay inside the chart.
        let xs = bar_attr(&svg, "x");
        assert!(
            xs.iter()
                .zip(&widths)
                .all(|(x, w)| *x > 0.0 && x + w <= CHART_WIDTH)
        );
    }

    #[test]
    fn many_categories_thin_out_their_labels() {
        let categories: Vec<String> = (0..365).map(|i| format!("day {i}")).collect();
        let refs: Vec<&str> = categories.iter().map(String::as_str).collect();
        let svg = svg_of(&chart(&refs, vec![series("s", &vec![1.0; 365])]));
        assert_eq!(bar_attr(&svg, "height").len(), 365);
        let labels = svg.matches("rotate(-90 ").count();
        assert!((40..=100).contains(&labels), "{labels}");
        // Every bar still names its category.
        assert!(svg.contains("<title>day 364 \u{2014} s: 1</title>"));
    }

    #[test]
    fn long_labels_are_rotated_and_shortened() {
        let long = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20260101";
        let svg = svg_of(&chart(
            &[long, "b", "c"],
            vec![series("s", &[1.0, 2.0, 3.0])],
        ));
        assert!(svg.contains("rotate(-45 "), "{svg}");
        assert!(svg.contains(&format!("\u{2026}<title>{long}</title></text>")));
    }

    #[test]
    fn stacked_heights_are_proportional() {
        let svg = svg_of(&chart(
            &["a", "b"],
            vec![
                series("x", &[10.0, 5.0]),
                series("y", &[20.0, 0.0]),
                series("z", &[5.0, 1.0]),
            ],
        ));
        let h = bar_attr(&svg, "height");
        let y = bar_attr(&svg, "y");
        let scale = PLOT_HEIGHT / 40.0; // ticks 0..40 step 10
        for (got, v) in h.iter().zip([10.0, 20.0, 5.0, 5.0, 0.0, 1.0]) {
            assert!((got - v * scale).abs() < 0.01, "{h:?}");
        }
        // Each series sits on top of the previous one.
        assert!((y[0] - (y[1] + h[1])).abs() < 0.02);
        assert!((y[1] - (y[2] + h[2])).abs() < 0.02);
        // Legend with one entry per series, colours by index.
        assert!(svg.contains("class=\"legend\""));
        assert_eq!(svg.matches("class=\"legend-item\"").count(), 3);
        assert_eq!(svg.matches(&format!("fill=\"{}\"", PALETTE[1])).count(), 3);
    }

    #[test]
    fn colours_are_stable_per_series_index() {
        let names: Vec<Series> = (0..12).map(|i| series(&format!("s{i}"), &[1.0])).collect();
        let a = svg_of(&chart(&["c"], names.clone()));
        let b = svg_of(&chart(&["other", "cats"], names));
        for svg in [&a, &b] {
            for (i, colour) in PALETTE.iter().enumerate() {
                let fill = format!("fill=\"{colour}\"><title>");
                let first = svg.find(&fill).unwrap();
                assert!(svg[first..].contains(&format!("s{i}: 1")), "series {i}");
            }
        }
        // Bars and legend swatches of s0 and s10.
        assert_eq!(a.matches(&format!("fill=\"{}\"", PALETTE[0])).count(), 4);
    }

    #[test]
    fn extreme_values_stay_finite() {
        for big in [1e15, 1e300, f64::MAX] {
            let svg = svg_of(&chart(
                &["a", "b"],
                vec![series("x", &[big, 1.0]), series("y", &[big, big])],
            ));
            assert!(!svg.contains("inf") && !svg.contains("NaN"), "{svg}");
            let heights = bar_attr(&svg, "height");
            assert!(
                heights.iter().all(|h| (0.0..=PLOT_HEIGHT).contains(h)),
                "{heights:?}"
            );
            let ys = bar_attr(&svg, "y");
            assert!(ys.iter().all(|y| y.is_finite() && *y >= 0.0));
        }
    }

    #[test]
    fn unusable_values_draw_nothing() {
        let svg = svg_of(&chart(
            &["neg", "nan", "inf", "missing"],
            vec![series("s", &[-5.0, f64::NAN, f64::INFINITY])],
        ));
        assert_eq!(bar_attr(&svg, "height"), [0.0, 0.0, 0.0, 0.0]);
        assert!(svg.contains("<title>neg \u{2014} s: -5</title>"));
        assert!(svg.contains("<title>inf \u{2014} s: ∞</title>"));
        assert!(svg.contains("<title>missing \u{2014} s: 0</title>"));
    }

    #[test]
    fn numeric_columns_are_right_aligned() {
        let t = Table {
            title: "T".into(),
            columns: vec![
                "name".into(),
                "count".into(),
                "date".into(),
                "share".into(),
                "mixed".into(),
                "blank".into(),
            ],
            rows: vec![
                vec![
                    "a".into(),
                    "1,234".into(),
                    "2026-01-01".into(),
                    "12.5%".into(),
                    "1".into(),
                    "".into(),
                ],
                vec![
                    "b".into(),
                    "".into(),
                    "2026-01-02".into(),
                    "-3e2".into(),
                    "x".into(),
                    "".into(),
                ],
                vec![
                    "c".into(),
                    "\u{2014}".into(),
                    "2026-01-03".into(),
                    "+0.5".into(),
                    "2".into(),
                ],
            ],
        };
        let mut html = String::new();
        push_table(&mut html, &t);
        assert!(html.contains(
            "<tr><th>name</th><th class=\"num\">count</th><th>date</th><th class=\"num\">share</th><th>mixed</th><th>blank</th></tr>"
        ), "{html}");
        assert!(html.contains("<tr><td>c</td><td class=\"num\">\u{2014}</td>"));
        // The short last row is padded.
        assert!(html.contains("<td>2</td><td></td></tr>"));
        assert!(html.contains("<p class=\"row-count\">3 rows</p>"));
    }

    #[test]
    fn numbers_are_recognised() {
        for yes in ["0", "-1", "+2.5", "1,234,567", "1e9", "12%", " 42 ", ".5"] {
            assert!(is_numeric_cell(yes), "{yes}");
        }
        for no in [
            "",
            "-",
            "inf",
            "NaN",
            "2026-01-01",
            "1.2.3",
            "ami-0abc",
            "12 GB",
            "0x1f",
            "e",
        ] {
            assert!(!is_numeric_cell(no), "{no}");
        }
    }

    #[test]
    fn row_counts() {
        for (n, text) in [
            (0, "0 rows"),
            (1, "1 row"),
            (2, "2 rows"),
            (12_345, "12,345 rows"),
        ] {
            let t = Table {
                title: String::new(),
                columns: vec!["c".into()],
                rows: vec![vec!["v".into()]; n],
            };
            let mut html = String::new();
            push_table(&mut html, &t);
            assert!(
                html.contains(&format!("<p class=\"row-count\">{text}</p>")),
                "{n}"
            );
            assert_eq!(html.matches("<tr>").count(), n + 1);
            assert!(!html.contains("<h2>"));
        }
    }

    #[test]
    fn fifty_thousand_rows_build_quickly() {
        let rows: Vec<Vec<String>> = (0..50_000)
            .map(|i| {
                vec![
                    format!("ami-{i:017x}"),
                    format!("image <{i}> & co"),
                    format!("{}", i * 7),
                    "2026-11-27T00:00:00Z".to_string(),
                ]
            })
            .collect();
        let t = Table {
            title: "Big".into(),
            columns: vec!["id".into(), "name".into(), "n".into(), "at".into()],
            rows,
        };
        let start = std::time::Instant::now();
        let html = page("Big", "", &[], &[t]);
        let elapsed = start.elapsed();
        assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
        assert_eq!(html.matches("<tr>").count(), 50_001);
        assert!(html.contains("<p class=\"row-count\">50,000 rows</p>"));
        assert!(html.contains("<td>image &lt;49999&gt; &amp; co</td>"));
        assert!(html.trim_end().ends_with("</html>"));
    }
}
