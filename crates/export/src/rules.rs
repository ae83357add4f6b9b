//! The rules every written cell passes, in one place: masking of personal
//! columns, neutralising text a spreadsheet would take for a formula,
//! cutting text longer than a cell holds, and valid sheet names.

use std::borrow::Cow;

use jianfu_domain::{mask_middle, mask_phone};

use crate::sheet::{Column, Kind};
use crate::value::Value;

/// Ends a text cut to fit Excel's cell limit, so the reader sees that
/// something is missing.
pub const CUT_MARKER: &str = "…（内容过长，已截断）";

/// True when a spreadsheet would read `text` as the start of a formula
/// (`=`, `+`, `-`, `@`) or strip a leading tab or carriage return before
/// doing so (OWASP, "CSV Injection").
pub fn needs_guard(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// The text as a CSV cell: prefixed with `'` when it [`needs_guard`], so
/// Excel shows it as text.
pub fn csv_guard(text: &str) -> Cow<'_, str> {
    if needs_guard(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a CSV cell written by [`csv_guard`] stood for (for turning a
/// stored CSV report into XLSX, which guards text its own way). A text
/// that itself began with `'` and then a guarded character reads back
/// without its apostrophe; no report value does.
pub fn strip_csv_guard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// The value after the column's masking, as everywhere else in jianfu:
/// ID numbers keep their first 6 and last 4 characters, phone numbers
/// their first 3 and last 4 digits.
pub(crate) fn masked<'v>(column: &Column, value: &'v Value<'_>) -> Value<'v> {
    if column.masks() && *value != Value::Empty {
        let text = value.to_text();
        let shown = match column.kind() {
            Kind::Phone => mask_phone(&text),
            _ => mask_middle(&text),
        };
        return Value::Text(Cow::Owned(shown));
    }
    value.reborrow()
}

/// `text` cut to at most `max` UTF-16 code units (Excel's unit), ending
/// with [`CUT_MARKER`] when cut.
pub(crate) fn cut(text: &str, max: usize) -> Cow<'_, str> {
    // A UTF-8 string never has more UTF-16 units than bytes.
    if text.len() <= max || text.encode_utf16().count() <= max {
        return Cow::Borrowed(text);
    }
    let room = max.saturating_sub(CUT_MARKER.encode_utf16().count());
    let mut used = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            used += c.len_utf16();
            used > room
        })
        .map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}{CUT_MARKER}", &text[..end]))
}

/// Excel's sheet name for part `part` (1-based) of a sheet titled
/// `title`: characters Excel refuses become `_`, the name is cut to 31
/// characters, and parts after the first end in ` (2)`, ` (3)`…
pub(crate) fn sheet_name(title: &str, part: u32) -> String {
    let suffix = if part > 1 {
        format!(" ({part})")
    } else {
        String::new()
    };
    let room = 31 - suffix.len();
    let mut name = String::new();
    let mut used = 0;
    for c in title.trim_matches('\'').chars() {
        used += c.len_utf16();
        if used > room {
            break;
        }
        let bad = matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\');
        name.push(if bad { '_' } else { c });
    }
    // Cutting may have left an apostrophe at the end, which Excel refuses.
    name.truncate(name.trim_end_matches('\'').len());
    if name.trim().is_empty() {
        name = "Sheet1".into();
    }
    name + &suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_formula_starts_only() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(needs_guard(s), "{s:?}");
            assert_eq!(csv_guard(s), format!("'{s}"));
            assert_eq!(strip_csv_guard(&csv_guard(s)), s);
        }
        for s in ["", "a=1", "1-2", "'quoted", "130624********0011", "＝1"] {
            assert!(!needs_guard(s), "{s:?}");
            assert_eq!(csv_guard(s), s);
            assert_eq!(strip_csv_guard(s), s);
        }
    }

    #[test]
    fn cuts_by_utf16_units_with_marker() {
        assert_eq!(cut("短文本", 40), "短文本");
        let long = "字".repeat(50);
        let c = cut(&long, 30);
        assert!(c.ends_with(CUT_MARKER));
        assert_eq!(c.encode_utf16().count(), 30);
        // A character outside the BMP takes two units and is never split.
        let emoji = "😀".repeat(20);
        let c = cut(&emoji, 30);
        assert!(c.encode_utf16().count() <= 30);
        assert!(c.starts_with("😀"));
    }

    #[test]
    fn sheet_names_are_valid_and_numbered() {
        assert_eq!(sheet_name("错误报告", 1), "错误报告");
        assert_eq!(sheet_name("错误报告", 2), "错误报告 (2)");
        assert_eq!(sheet_name("a/b:c", 1), "a_b_c");
        assert_eq!(sheet_name("''", 1), "Sheet1");
        let long = "长".repeat(40);
        assert_eq!(sheet_name(&long, 1).chars().count(), 31);
        let n = sheet_name(&long, 12);
        assert!(
            n.ends_with(" (12)") && n.encode_utf16().count() == 31,
            "{n}"
        );
    }
}
