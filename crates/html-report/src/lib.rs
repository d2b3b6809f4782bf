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

mod chart;
mod numbers;
mod table;
mod text;

use chart::push_chart;
use table::{estimated_table_len, push_table};
use text::push_escaped;

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
/// charts as inline SVG, then the tables. See the crate documentation.
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

/// The page's one stylesheet, for screen and print.
const STYLE: &str = include_str!("style.css");

#[cfg(test)]
mod tests;
