//! Caller text into HTML: escaped, and shortened where a label must fit.

/// Appends `s` with `& < > " '` replaced by character references and control
/// characters (other than tab, LF, CR) replaced by U+FFFD.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
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
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Shortens `s` to at most `max` characters, ending it with an ellipsis if cut.
pub(crate) fn truncate(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s[i..].chars().nth(1).is_some() => (&s[..i], true),
        _ => (s, false),
    }
}

pub(crate) fn push_truncated(out: &mut String, s: &str, max: usize) -> bool {
    let (shown, cut) = truncate(s, max);
    push_escaped(out, shown);
    if cut {
        out.push('\u{2026}');
    }
    cut
}

pub(crate) fn char_len(s: &str, max: usize) -> usize {
    s.chars().take(max + 1).count().min(max)
}
