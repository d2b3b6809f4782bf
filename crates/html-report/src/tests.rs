//! The renderer's rules, and its escaping invariant.

use super::*;
use crate::chart::{CHART_WIDTH, PALETTE, PLOT_HEIGHT};
use crate::numbers::*;
use crate::table::*;
use crate::text::*;

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
    assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; \u{2014} &lt;script&gt;"));
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
