//! Renders report pages in headless Chromium and checks what the browser made of
//! them: the parsed DOM (`--dump-dom`) and a screenshot.
//!
//! Chromium is installed with `apt-get install -y chromium` when `/usr/bin/chromium`
//! is missing; the tests fail (they never skip) if that is impossible. The pages and
//! screenshots are kept in Cargo's target tmp dir for a person to look at.

use html_report::{BarChart, Series, Table, page};

use crate::support::{amiq, stderr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// Chromium

fn apt_get(args: &[&str]) -> Result<(), String> {
    let out = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "`apt-get {}` failed ({}):\n{}",
            args.join(" "),
            out.status,
            tail.join("\n")
        ))
    }
}

/// The Chromium binary, installed from Debian's packages if missing.
fn chromium() -> &'static Path {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let path = Path::new(CHROMIUM);
        if !path.exists() {
            eprintln!("{CHROMIUM} is missing: running `apt-get install -y chromium`");
            if let Err(first) = apt_get(&["install", "-y", "chromium"]) {
                eprintln!("{first}\nretrying after `apt-get update`");
                apt_get(&["update"]).and_then(|()| apt_get(&["install", "-y", "chromium"]))?;
            }
        }
        if path.exists() {
            Ok(path.to_path_buf())
        } else {
            Err(format!(
                "apt-get reported success but {CHROMIUM} does not exist"
            ))
        }
    });
    match result {
        Ok(path) => path,
        Err(e) => panic!(
            "the browser tests need Chromium at {CHROMIUM} and it could not be installed \
             with `apt-get install -y chromium` (run as root, with Debian's package mirror \
             reachable):\n{e}"
        ),
    }
}

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("amiq-browser-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs headless Chromium on `html` (written to a file) with `extra` arguments
/// before the URL; returns its standard output. A browser that hangs is killed after
/// [`CHROMIUM_TIMEOUT`] and started once more (a fresh machine's first screenshot
/// once hung for the whole timeout); a second hang fails the test.
fn run_chromium(html: &str, extra: &[String]) -> Vec<u8> {
    // One browser at a time: the machine has two cores and a loaded machine
    // makes screenshots race the rasteriser.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("chromium");
    let page_path = dir.0.join("page.html");
    std::fs::write(&page_path, html).expect("write page");
    let stdout_path = dir.0.join("stdout");
    let stderr_path = dir.0.join("stderr");
    let mut attempt = 0;
    let status = loop {
        attempt += 1;
        let profile = dir.0.join(format!("profile-{attempt}"));
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("file://{}", page_path.display()))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout_path).unwrap())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
        let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
        match wait_or_kill(&mut child, CHROMIUM_TIMEOUT) {
            Some(status) => break status,
            None if attempt < 2 => {
                eprintln!(
                    "chromium did not finish within {CHROMIUM_TIMEOUT:?}; starting it once more; stderr:\n{}",
                    stderr()
                );
            }
            None => panic!(
                "chromium did not finish within {CHROMIUM_TIMEOUT:?}, twice; stderr:\n{}",
                stderr()
            ),
        }
    };
    assert!(
        status.success(),
        "chromium failed ({status}); stderr:\n{}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    std::fs::read(&stdout_path).expect("read chromium output")
}

/// The child's exit status, or None when it ran past `timeout` and was killed.
fn wait_or_kill(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            return Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dump_dom(html: &str) -> String {
    String::from_utf8(run_chromium(html, &["--dump-dom".to_string()])).expect("DOM is UTF-8")
}

/// A PNG screenshot of the top `width` x `height` pixels of the page.
fn screenshot(html: &str, width: u32, height: u32) -> Vec<u8> {
    let dir = TempDir::new("shot");
    let png = dir.0.join("shot.png");
    run_chromium(
        html,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
            "--run-all-compositor-stages-before-draw".to_string(),
        ],
    );
    std::fs::read(&png).expect("chromium wrote the screenshot")
}

/// Keeps an artefact in Cargo's target tmp dir and returns its path.
fn keep(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).expect("write artefact");
    path
}

// ---------------------------------------------------------------------------
// A minimal PNG decoder: 8-bit RGB or RGBA, not interlaced (what Chromium writes).

struct Image {
    width: usize,
    height: usize,
    /// RGB triples, row by row.
    pixels: Vec<[u8; 3]>,
}

fn decode_png(bytes: &[u8]) -> Image {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let (mut pos, mut header, mut data) = (8, None, Vec::new());
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let body = &bytes[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => header = Some(body.to_vec()),
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        pos += 12 + len;
    }
    let header = header.expect("IHDR chunk");
    let width = u32::from_be_bytes(header[0..4].try_into().unwrap()) as usize;
    let height = u32::from_be_bytes(header[4..8].try_into().unwrap()) as usize;
    let (depth, colour, interlace) = (header[8], header[9], header[12]);
    assert_eq!(
        (depth, interlace),
        (8, 0),
        "8-bit, non-interlaced PNG expected"
    );
    let bpp = match colour {
        2 => 3,
        6 => 4,
        other => panic!("unsupported PNG colour type {other}"),
    };
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&data).expect("valid zlib data");
    let stride = width * bpp;
    assert_eq!(raw.len(), height * (stride + 1), "decompressed size");
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::with_capacity(width * height);
    for row in raw.chunks_exact(stride + 1) {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] as i16 } else { 0 };
            let b = prev[i] as i16;
            let c = if i >= bpp { prev[i - bpp] as i16 } else { 0 };
            let predictor = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("bad PNG filter {other}"),
            };
            cur[i] = line[i].wrapping_add(predictor as u8);
        }
        pixels.extend(cur.chunks_exact(bpp).map(|p| [p[0], p[1], p[2]]));
        prev = cur;
    }
    Image {
        width,
        height,
        pixels,
    }
}

fn hex_colour(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn count_near(image: &Image, colour: [u8; 3]) -> usize {
    image
        .pixels
        .iter()
        .filter(|p| (0..3).all(|i| p[i].abs_diff(colour[i]) <= 6))
        .count()
}

// ---------------------------------------------------------------------------
// A small reader for the serialized DOM.

#[derive(Debug)]
struct Element<'a> {
    attrs: Vec<(&'a str, String)>,
    /// Everything between the start tag and the matching end tag (not nested-aware
    /// for elements of the same name, which the page does not nest).
    inner: &'a str,
}

impl Element<'_> {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn num(&self, name: &str) -> f64 {
        let v = self
            .attr(name)
            .unwrap_or_else(|| panic!("attribute {name} in {self:?}"));
        v.parse()
            .unwrap_or_else(|_| panic!("numeric {name}: {v:?}"))
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// All elements named `tag` in `html`, in document order.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<Element<'a>> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        if !after.starts_with([' ', '>', '/']) {
            rest = after;
            continue;
        }
        let end = after.find('>').expect("start tag ends");
        let attrs = parse_attrs(after[..end].trim_end_matches('/'));
        let body = &after[end + 1..];
        let inner = match body.find(&close) {
            Some(stop) if !after[..end].ends_with('/') => &body[..stop],
            _ => "",
        };
        found.push(Element { attrs, inner });
        rest = body;
    }
    found
}

fn parse_attrs(s: &str) -> Vec<(&str, String)> {
    let mut attrs = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let name_end = rest.find(['=', ' ']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = &rest[name_end..];
        if let Some(value) = rest.strip_prefix("=\"") {
            let close = value.find('"').expect("closing quote");
            attrs.push((name, unescape(&value[..close])));
            rest = value[close + 1..].trim_start();
        } else {
            attrs.push((name, String::new()));
            rest = rest.trim_start();
        }
    }
    attrs
}

/// The text of an element's content with tags removed.
fn text(inner: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

// ---------------------------------------------------------------------------
// The report under test.

const MONTHS: [&str; 12] = [
    "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
    "2026-08", "2026-09", "2026-10", "2026-11",
];
const OWNERS: [&str; 3] = ["amazon", "canonical", "self & partners"];
const CREATED: [[f64; 12]; 3] = [
    [
        12.0, 15.0, 9.0, 20.0, 18.0, 0.0, 22.0, 25.0, 19.0, 30.0, 27.0, 14.0,
    ],
    [4.0, 6.0, 8.0, 5.0, 7.0, 0.0, 6.0, 9.0, 11.0, 4.0, 3.0, 8.0],
    [1.0, 0.0, 2.0, 3.0, 1.0, 0.0, 5.0, 2.0, 4.0, 6.0, 2.0, 1.0],
];
const AGE_BUCKETS: [&str; 6] = [
    "< 30 d",
    "30–90 d",
    "90–180 d",
    "180–365 d",
    "1–2 y",
    "> 2 y",
];
const AGES: [f64; 6] = [34.0, 51.0, 77.0, 120.0, 64.0, 1234.0];
const TITLE: &str = "AMI inventory — deprecation & last launch";
const SCRIPT_CELL: &str = "<script>alert(1)</script>";
const DEPRECATED_ROWS: usize = 8;
const LAUNCHED_ROWS: usize = 25;

fn report_charts() -> Vec<BarChart> {
    vec![
        BarChart {
            title: "Images created per month, by owner".into(),
            x_label: "Month".into(),
            y_label: "Images".into(),
            categories: MONTHS.iter().map(|m| m.to_string()).collect(),
            series: OWNERS
                .iter()
                .zip(CREATED)
                .map(|(name, values)| Series {
                    name: name.to_string(),
                    values: values.to_vec(),
                })
                .collect(),
        },
        BarChart {
            title: "Age of images in use".into(),
            x_label: "Age since creation".into(),
            y_label: "Instances".into(),
            categories: AGE_BUCKETS.iter().map(|b| b.to_string()).collect(),
            series: vec![Series {
                name: "instances".into(),
                values: AGES.to_vec(),
            }],
        },
    ]
}

fn report_tables() -> Vec<Table> {
    let deprecated = Table {
        title: "Deprecated images still launched".into(),
        columns: [
            "Image",
            "Name",
            "Owner",
            "Deprecated at",
            "Days since",
            "Instances",
        ]
        .map(String::from)
        .to_vec(),
        rows: (0..DEPRECATED_ROWS)
            .map(|i| {
                let name = match i {
                    2 => SCRIPT_CELL.to_string(),
                    5 => format!("very-long-image-name-{}", "segment-".repeat(30)),
                    _ => format!("ubuntu-jammy-22.04-amd64-server-2025{:02}01", i + 1),
                };
                vec![
                    format!("ami-0{i:016x}"),
                    name,
                    OWNERS[i % 3].to_string(),
                    format!("2026-0{}-15T00:00:00Z", i % 9 + 1),
                    format!("{}", 30 * i + 3),
                    format!("{}", 1000 * (i + 1) + 234),
                ]
            })
            .collect(),
    };
    let launched = Table {
        title: "Last launched".into(),
        columns: ["Image", "Last launched", "Launches (90 d)", "Share"]
            .map(String::from)
            .to_vec(),
        rows: (0..LAUNCHED_ROWS)
            .map(|i| {
                vec![
                    format!("ami-1{i:016x}"),
                    format!("2026-11-{:02}T12:00:00Z", i + 1),
                    format!("{}", i * i * 37),
                    format!("{:.1}%", i as f64 * 0.9),
                ]
            })
            .collect(),
    };
    vec![deprecated, launched]
}

fn report_page() -> String {
    page(
        TITLE,
        "as of 2026-11-27T00:00:00Z, store amiq.duckdb",
        &report_charts(),
        &report_tables(),
    )
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn browser_dom_has_charts_tables_and_escaped_text() {
    let html = report_page();
    keep("report.html", html.as_bytes());
    let dom = dump_dom(&html);
    keep("report.dom.html", dom.as_bytes());

    // The document parsed: the heading is in the body, with the & escaped once.
    let body = &elements(&dom, "body")[0];
    assert!(
        body.inner
            .contains("<h1>AMI inventory — deprecation &amp; last launch</h1>"),
        "{dom}"
    );
    assert!(
        body.inner
            .contains("as of 2026-11-27T00:00:00Z, store amiq.duckdb")
    );
    let title = &elements(&dom, "title")[0];
    assert_eq!(text(title.inner), TITLE);

    // One SVG per chart.
    let svgs = elements(&dom, "svg");
    assert_eq!(svgs.len(), 2, "one svg per chart");
    assert_eq!(
        elements(&dom, "figcaption")
            .iter()
            .map(|f| text(f.inner))
            .collect::<Vec<_>>(),
        ["Images created per month, by owner", "Age of images in use"]
    );

    let expected: [Vec<(String, f64)>; 2] = [
        MONTHS
            .iter()
            .enumerate()
            .flat_map(|(m, month)| {
                OWNERS
                    .iter()
                    .enumerate()
                    .map(move |(s, owner)| (format!("{month} — {owner}"), CREATED[s][m]))
            })
            .collect(),
        AGE_BUCKETS
            .iter()
            .zip(AGES)
            .map(|(bucket, v)| (format!("{bucket} — instances"), v))
            .collect(),
    ];
    for (svg, expected) in svgs.iter().zip(&expected) {
        let bars: Vec<Element> = elements(svg.inner, "rect")
            .into_iter()
            .filter(|r| r.has_class("bar"))
            .collect();
        assert_eq!(bars.len(), expected.len(), "bar count");

        // The tooltip of each bar names category, series and value, and the
        // heights are proportional to the values.
        let max = expected.iter().map(|e| e.1).fold(0.0, f64::max);
        let tallest = bars
            .iter()
            .zip(expected)
            .find(|(_, e)| e.1 == max)
            .map(|(b, _)| b.num("height"))
            .unwrap();
        let scale = tallest / max;
        for (bar, (label, value)) in bars.iter().zip(expected) {
            let tooltip = text(elements(bar.inner, "title")[0].inner);
            let shown = value.to_string();
            let shown_grouped = if *value >= 1000.0 {
                format!("{},{:03}", (*value as u64) / 1000, (*value as u64) % 1000)
            } else {
                shown
            };
            assert_eq!(tooltip, format!("{label}: {shown_grouped}"));
            let height = bar.num("height");
            assert!(
                (height - value * scale).abs() < 0.02,
                "{label}: height {height}, value {value}, scale {scale}"
            );
            assert!(bar.num("width") > 4.0);
            assert!(bar.attr("fill").is_some_and(|f| f.starts_with('#')));
        }
        // The axis leaves room above the tallest bar but uses most of the plot.
        let viewbox_height: f64 = svg
            .attr("viewBox")
            .unwrap()
            .split(' ')
            .nth(3)
            .unwrap()
            .parse()
            .unwrap();
        let tallest_stack = if expected.len() == 36 {
            (0..12)
                .map(|m| (0..3).map(|s| bars[m * 3 + s].num("height")).sum::<f64>())
                .fold(0.0, f64::max)
        } else {
            tallest
        };
        assert!(tallest_stack > 0.5 * 280.0 && tallest_stack <= 280.0 + 0.01);
        assert!(viewbox_height > tallest_stack);
    }

    // Stacking: within a month the bars share x and sit on one another.
    let bars: Vec<Element> = elements(svgs[0].inner, "rect")
        .into_iter()
        .filter(|r| r.has_class("bar"))
        .collect();
    for month in bars.chunks(3) {
        assert!(month.iter().all(|b| b.attr("x") == month[0].attr("x")));
        for pair in month.windows(2) {
            let below_top = pair[0].num("y");
            let above_bottom = pair[1].num("y") + pair[1].num("height");
            assert!((below_top - above_bottom).abs() < 0.02, "{month:?}");
        }
    }
    // Series colours are distinct and the same in legend and bars.
    let fills: Vec<&str> = bars[..3].iter().map(|b| b.attr("fill").unwrap()).collect();
    assert!(fills[0] != fills[1] && fills[1] != fills[2] && fills[0] != fills[2]);

    // Legend: one entry per series in the stacked chart, none in the histogram.
    let items: Vec<Element> = elements(svgs[0].inner, "g")
        .into_iter()
        .filter(|g| g.has_class("legend-item"))
        .collect();
    assert_eq!(
        items.iter().map(|g| text(g.inner)).collect::<Vec<_>>(),
        OWNERS
    );
    for (item, fill) in items.iter().zip(&fills) {
        assert_eq!(elements(item.inner, "rect")[0].attr("fill"), Some(*fill));
    }
    assert!(!svgs[1].inner.contains("class=\"legend\""));

    // Y ticks are round numbers starting at 0.
    let ticks: Vec<String> = elements(svgs[0].inner, "g")
        .into_iter()
        .find(|g| g.has_class("y-ticks"))
        .map(|g| {
            elements(g.inner, "text")
                .iter()
                .map(|t| text(t.inner))
                .collect()
        })
        .unwrap();
    assert_eq!(ticks, ["0", "10", "20", "30", "40"]);

    // Tables: row counts, in the DOM and in the note under each.
    let tables = elements(&dom, "table");
    assert_eq!(tables.len(), 2);
    for (table, rows) in tables.iter().zip([DEPRECATED_ROWS, LAUNCHED_ROWS]) {
        let tbody = &elements(table.inner, "tbody")[0];
        assert_eq!(elements(tbody.inner, "tr").len(), rows);
        assert_eq!(elements(table.inner, "th").len(), tbody_width(tbody));
    }
    let counts: Vec<String> = elements(&dom, "p")
        .into_iter()
        .filter(|p| p.has_class("row-count"))
        .map(|p| text(p.inner))
        .collect();
    assert_eq!(counts, ["8 rows", "25 rows"]);

    // Numeric columns are right-aligned; text columns are not.
    let headers: Vec<(String, bool)> = elements(tables[0].inner, "th")
        .iter()
        .map(|th| (text(th.inner), th.has_class("num")))
        .collect();
    assert_eq!(
        headers,
        [
            ("Image".into(), false),
            ("Name".into(), false),
            ("Owner".into(), false),
            ("Deprecated at".into(), false),
            ("Days since".into(), true),
            ("Instances".into(), true),
        ]
    );
    assert!(
        elements(tables[1].inner, "th")[3].has_class("num"),
        "percentages"
    );

    // The script cell is text, and the document has no script element.
    let cells: Vec<String> = elements(tables[0].inner, "td")
        .iter()
        .map(|td| text(td.inner))
        .collect();
    assert!(cells.iter().any(|c| c == SCRIPT_CELL));
    assert!(dom.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assert!(
        !dom.to_ascii_lowercase().contains("<script"),
        "no script element"
    );
}

fn tbody_width(tbody: &Element) -> usize {
    let rows = elements(tbody.inner, "tr");
    elements(rows[0].inner, "td").len()
}

#[test]
fn browser_screenshot_shows_the_chart() {
    let html = report_page();
    let with_charts = screenshot(&html, 1280, 900);
    let path = keep("report.png", &with_charts);
    keep("report-full.png", &screenshot(&html, 1280, 2600));

    let image = decode_png(&with_charts);
    assert_eq!(
        (image.width, image.height),
        (1280, 900),
        "{}",
        path.display()
    );
    let non_white = image
        .pixels
        .iter()
        .filter(|p| p.iter().any(|&c| c < 240))
        .count();
    let share = non_white as f64 / image.pixels.len() as f64;
    assert!(
        share > 0.03,
        "screenshot is nearly blank: {share:.4} non-white"
    );

    // The bars and legend swatches are painted whole, in the colour of each
    // series: the pixels of each colour cover the area the SVG gives its
    // rectangles (both charts fit in the 900-pixel viewport at scale 1), less
    // anti-aliased edges.
    let colours = ["#4e79a7", "#f28e2b", "#e15759"];
    for colour in colours {
        let area: f64 = elements(&html, "rect")
            .iter()
            .filter(|r| r.attr("fill") == Some(colour))
            .map(|r| r.num("width") * r.num("height"))
            .sum();
        let painted = count_near(&image, hex_colour(colour)) as f64;
        assert!(
            area > 5_000.0 && painted > 0.93 * area && painted < 1.01 * area,
            "{colour}: {painted} pixels painted for {area} px² of bars ({})",
            path.display()
        );
    }

    // The same page without charts has none of those pixels.
    let tables_only = page(TITLE, "as of 2026-11-27T00:00:00Z", &[], &report_tables());
    let plain = decode_png(&screenshot(&tables_only, 1280, 900));
    assert_eq!(count_near(&plain, hex_colour(colours[0])), 0);
}

#[test]
fn browser_loads_a_fifty_thousand_row_table() {
    let rows: Vec<Vec<String>> = (0..50_000)
        .map(|i| {
            vec![
                format!("ami-{i:017x}"),
                format!("image-{i} <&>"),
                format!("{}", i * 13),
            ]
        })
        .collect();
    let table = Table {
        title: "All images".into(),
        columns: vec!["Image".into(), "Name".into(), "Launches".into()],
        rows,
    };
    let start = Instant::now();
    let html = page("Big", "50,000 rows", &[], &[table]);
    let built = start.elapsed();
    assert!(built < Duration::from_secs(5), "page built in {built:?}");

    let dom = dump_dom(&html);
    let tbody = &elements(&dom, "tbody")[0];
    assert_eq!(tbody.inner.matches("<tr>").count(), 50_000);
    assert!(dom.contains("<p class=\"row-count\">50,000 rows</p>"));
    assert!(dom.contains("<td>image-49999 &lt;&amp;&gt;</td>"));
    assert!(dom.trim_end().ends_with("</html>"));
}

/// A store with a few synced runs: the demo's, into a temporary directory.
fn demo_store(dir: &Path) -> PathBuf {
    let db = dir.join("demo.duckdb");
    let out = amiq(
        &["demo", "--log-format", "text", "--db", db.to_str().unwrap()],
        dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    db
}

#[test]
fn browser_renders_the_reports_of_a_real_store() {
    let dir = TempDir::new("reports");
    let db = demo_store(&dir.0);
    for (report, extra) in [
        ("deprecation", &["--within", "3650d"][..]),
        ("last-launched", &["--older-than", "30d"][..]),
    ] {
        let page_path = dir.0.join(format!("{report}.html"));
        let (db, page) = (db.to_str().unwrap(), page_path.to_str().unwrap());
        let args = [
            &[
                "report", report, "--format", "html", "--db", db, "--out", page,
            ],
            extra,
        ];
        let out = amiq(&args.concat(), &dir.0);
        assert!(out.status.success(), "{report}: {}", stderr(&out));
        let html = std::fs::read_to_string(&page_path).unwrap();
        keep(&format!("report-{report}.html"), html.as_bytes());
        let dom = dump_dom(&html);
        assert!(dom.contains("amiq report"), "{report}: no heading");
        let svgs = elements(&dom, "svg");
        assert_eq!(svgs.len(), 1, "{report}: one chart");
        let bars = elements(&dom, "rect")
            .into_iter()
            .filter(|r| {
                r.attrs
                    .iter()
                    .any(|(k, _)| *k == "data-value" || *k == "height")
            })
            .count();
        assert!(bars >= 2, "{report}: the chart has bars ({bars})");
        let rows = elements(&dom, "tr").len();
        assert!(rows >= 2, "{report}: the table has rows ({rows})");
        assert!(elements(&dom, "script").is_empty(), "{report}: no script");
    }
}
