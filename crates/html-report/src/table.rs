//! A [`Table`] as an HTML table with a sticky header and numeric columns right-aligned.

use crate::Table;
use crate::numbers::value_text;
use crate::text::push_escaped;

/// Whether a cell reads as a number: optional sign, digits with optional `,`
/// grouping, fraction and exponent, optionally followed by `%`.
pub(crate) fn is_numeric_cell(cell: &str) -> bool {
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
pub(crate) fn is_blank_cell(cell: &str) -> bool {
    matches!(cell.trim(), "" | "-" | "\u{2013}" | "\u{2014}")
}

pub(crate) fn estimated_table_len(table: &Table) -> usize {
    let cells: usize = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.len() + 24).sum::<usize>() + 16)
        .sum();
    cells + 512
}

pub(crate) fn push_table(out: &mut String, table: &Table) {
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
