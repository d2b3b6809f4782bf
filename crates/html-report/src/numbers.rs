//! Numbers as the charts and tables show them: coordinates, axis ticks and exact values.

/// A coordinate with at most two decimals.
pub(crate) fn coord(v: f64) -> String {
    trim_decimals(format!("{v:.2}"))
}

pub(crate) fn trim_decimals(mut s: String) -> String {
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
pub(crate) fn nice_ticks(max: f64) -> Vec<f64> {
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
pub(crate) fn tick_label(v: f64) -> String {
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

pub(crate) fn scientific(v: f64) -> String {
    let s = format!("{v:.3e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) => {
            format!("{}e{exponent}", trim_decimals(mantissa.to_string()))
        }
        None => s,
    }
}

/// A value as shown in a tooltip: exact, with thousands separators.
pub(crate) fn value_text(v: f64) -> String {
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
