//! Cell normalisation: trimming, full-width to half-width, invisible
//! characters, numbers Excel stored as floats, and dates.
//!
//! Every function here is pure and never panics.

use std::borrow::Cow;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};

/// Longest cell accepted, in characters. Longer cells are reported as
/// `cell_too_long`.
pub const MAX_CELL_CHARS: usize = 1000;

/// Characters removed wherever they appear: zero-width spaces and joiners,
/// the word joiner, byte-order marks, soft hyphens and no-break spaces.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00A0}' | '\u{00AD}'
    )
}

/// The half-width form of a full-width digit, letter, space or the
/// punctuation that appears in numbers and dates (`．` `－` `／` `＋` `：`).
pub fn half_width(c: char) -> Option<char> {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '．' | '－' | '／' | '＋' | '：' => {
            char::from_u32(c as u32 - 0xFEE0)
        }
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || is_invisible(c)
}

/// True when `s` may contain a character [`normalize_text`] changes inside
/// the text: every such character (full-width forms, U+3000, zero-width
/// characters, U+FEFF, NBSP, soft hyphen) starts with one of these bytes
/// in UTF-8, which Chinese characters (lead bytes E4–E9) never do.
fn may_need_mapping(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, 0xC2 | 0xE2 | 0xE3 | 0xEF))
}

/// Trims whitespace (including the ideographic space U+3000), removes
/// invisible characters and maps full-width digits, letters and spaces to
/// half-width. Borrows when nothing changes besides trimming.
pub fn normalize_text(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let plain = |c: u8| c > b' ' && c < 0x7F;
    // Fast path: printable ASCII at both ends needs no trimming.
    let t = match (b.first(), b.last()) {
        (None, _) | (_, None) => return Cow::Borrowed(s),
        (Some(&f), Some(&l)) if plain(f) && plain(l) => s,
        _ => {
            let edge = |c: Option<char>| c.is_some_and(is_trimmed);
            if edge(s.chars().next()) || edge(s.chars().next_back()) {
                s.trim_matches(is_trimmed)
            } else {
                s
            }
        }
    };
    if t.is_ascii() || !may_need_mapping(t) {
        return Cow::Borrowed(t);
    }
    if !t
        .chars()
        .any(|c| is_invisible(c) || half_width(c).is_some())
    {
        return Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if is_invisible(c) {
            continue;
        }
        out.push(half_width(c).unwrap_or(c));
    }
    let trimmed = out.trim_matches(is_trimmed);
    if trimmed.len() == out.len() {
        Cow::Owned(out)
    } else {
        Cow::Owned(trimmed.to_string())
    }
}

/// Removes all whitespace inside an identifier (ID number, phone, code):
/// `1306 2419…` is the same number.
pub fn compact(s: Cow<'_, str>) -> Cow<'_, str> {
    let has_space = if s.is_ascii() {
        s.bytes().any(|b| b.is_ascii_whitespace())
    } else {
        s.chars().any(char::is_whitespace)
    };
    if has_space {
        Cow::Owned(s.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        s
    }
}

/// True when `s` is at most [`MAX_CELL_CHARS`] characters long.
pub fn within_length(s: &str) -> bool {
    s.len() <= MAX_CELL_CHARS || s.chars().count() <= MAX_CELL_CHARS
}

/// The first `max` characters of `s`, with `…` when cut.
pub fn truncate_chars(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
    }
}

/// True for text like `1.30624E+17` or `1.306241966032331e17`: a number in
/// scientific notation, as Excel shows a long number.
pub fn looks_scientific(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(e) = b.iter().position(|&c| c == b'e' || c == b'E') else {
        return false;
    };
    let (mant, exp) = (&b[..e], &b[e + 1..]);
    let mant = mant
        .strip_prefix(b"+")
        .or_else(|| mant.strip_prefix(b"-"))
        .unwrap_or(mant);
    let exp = exp
        .strip_prefix(b"+")
        .or_else(|| exp.strip_prefix(b"-"))
        .unwrap_or(exp);
    let mut parts = mant.splitn(2, |&c| c == b'.');
    let int = parts.next().unwrap_or_default();
    let frac = parts.next().unwrap_or_default();
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.iter().all(u8::is_ascii_digit)
        && !exp.is_empty()
        && exp.iter().all(u8::is_ascii_digit)
}

/// Largest magnitude whose integer digits Excel keeps exactly (it stores 15
/// significant digits).
const EXACT_INTEGER_LIMIT: f64 = 1e15;

/// The digits of an integer-valued float of at most 15 digits, which Excel
/// stores exactly (a phone number, a village code). `None` for fractions,
/// longer numbers (whose trailing digits Excel has already lost) and
/// non-finite values.
pub fn float_to_integer_text(f: f64) -> Option<String> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < EXACT_INTEGER_LIMIT {
        Some(format!("{}", f as i64))
    } else {
        None
    }
}

/// The shortest decimal text that reads back as `f` (`10230.76`, not
/// `10230.760000000000218`), without exponent.
pub fn float_to_decimal_text(f: f64) -> Option<String> {
    if f.is_finite() {
        Some(format!("{f}"))
    } else {
        None
    }
}

/// Last day Excel can show: 9999-12-31 is serial 2958465.
const MAX_EXCEL_SERIAL: f64 = 2_958_466.0;

/// The date of an Excel serial number in the 1900 date system (the time of
/// day is dropped). Excel counts the nonexistent 1900-02-29 as serial 60;
/// that serial is refused, and serials before it are shifted by one day.
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..MAX_EXCEL_SERIAL).contains(&serial) {
        return None;
    }
    let days = serial.floor() as u64;
    if days == 60 {
        return None;
    }
    let base = if days < 60 {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    base.checked_add_days(Days::new(days))
}

/// Days between the 1904 and the 1900 date systems.
pub const EXCEL_1904_OFFSET: f64 = 1462.0;

/// Parses a date written as text: `YYYY-MM-DD`, `YYYY/M/D`, `YYYY.MM.DD`,
/// `YYYYMMDD` or `YYYY年M月D日` (an ISO time part after `T` or a space is
/// ignored). The text should be normalised first.
pub fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let date_part = match s.find(['T', ' ']) {
        Some(i) => {
            let rest = s[i + 1..].trim();
            // Only a time of day may follow.
            if !rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
            {
                return None;
            }
            &s[..i]
        }
        None => s,
    };
    let b = date_part.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        let y = num(&date_part[..4])?;
        let m = num(&date_part[4..6])?;
        let d = num(&date_part[6..])?;
        return ymd(y, m, d);
    }
    if let Some(rest) = date_part.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        return ymd_text(y, m, d);
    }
    let sep = b
        .iter()
        .copied()
        .find(|c| matches!(c, b'-' | b'/' | b'.'))?;
    let mut parts = date_part.split(sep as char);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    ymd_text(y, m, d)
}

/// Parses a date and time written as text: any date form of
/// [`parse_date_text`], then optionally `T` or spaces and `H:MM`,
/// `H:MM:SS` or `H:MM:SS.fff` (fractions are dropped). A date alone is
/// midnight. The text should be normalised first.
pub fn parse_datetime_text(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let date = parse_date_text(s)?;
    let time = match s.find(['T', ' ']) {
        None => NaiveTime::MIN,
        Some(i) => parse_time_text(s[i + 1..].trim())?,
    };
    Some(date.and_time(time))
}

fn parse_time_text(s: &str) -> Option<NaiveTime> {
    let s = s.split_once('.').map_or(s, |(whole, frac)| {
        if frac.bytes().all(|b| b.is_ascii_digit()) {
            whole
        } else {
            ""
        }
    });
    let mut parts = s.split(':');
    let h = num(parts.next()?)?;
    let m = num(parts.next()?)?;
    let sec = match parts.next() {
        Some(p) => num(p)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(h, m, sec)
}

/// The date and time of an Excel serial number (1900 date system), to the
/// nearest second.
pub fn excel_serial_to_datetime(serial: f64) -> Option<NaiveDateTime> {
    let date = excel_serial_to_date(serial)?;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as u32;
    let (date, secs) = if secs >= 86_400 {
        (date.succ_opt()?, secs - 86_400)
    } else {
        (date, secs)
    };
    Some(date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)?))
}

/// Parses a yes/no cell: 是/否, true/false, 1/0, Y/N, yes/no (any case).
pub fn parse_flag(s: &str) -> Option<bool> {
    let s = s.trim();
    const YES: [&str; 5] = ["是", "true", "1", "y", "yes"];
    const NO: [&str; 5] = ["否", "false", "0", "n", "no"];
    if YES.iter().any(|y| s.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if NO.iter().any(|n| s.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn ymd_text(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    ymd(num(y)?, num(m)?, num(d)?)
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    (date.year() >= 1000).then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn text_is_trimmed_and_half_width() {
        assert_eq!(normalize_text("  abc \t"), "abc");
        assert_eq!(normalize_text("\u{3000}孙文华\u{3000}"), "孙文华");
        assert_eq!(
            normalize_text("１３０６２４１９６６０３２３３０５Ｘ"),
            "13062419660323305X"
        );
        assert_eq!(normalize_text("ｅｄｇｅ"), "edge");
        assert_eq!(normalize_text("\u{200B}户主\u{FEFF}"), "户主");
        assert_eq!(normalize_text("\u{00A0}正常\u{00A0}"), "正常");
        assert_eq!(normalize_text("张\u{200B}三"), "张三");
        assert_eq!(normalize_text("２０２３－０１－０２"), "2023-01-02");
        assert!(matches!(normalize_text(" plain "), Cow::Borrowed("plain")));
        assert!(matches!(normalize_text("中文"), Cow::Borrowed("中文")));
    }

    #[test]
    fn date_times_flags() {
        let at = |s: &str| parse_datetime_text(s).map(|t| t.to_string());
        assert_eq!(
            at("2023-03-01T10:00:00").as_deref(),
            Some("2023-03-01 10:00:00")
        );
        assert_eq!(at("2023/3/1 9:05").as_deref(), Some("2023-03-01 09:05:00"));
        assert_eq!(
            at("2023-03-01 10:00:59.123").as_deref(),
            Some("2023-03-01 10:00:59")
        );
        assert_eq!(at("20230301").as_deref(), Some("2023-03-01 00:00:00"));
        for bad in [
            "2023-03-01 25:00",
            "2023-02-30 10:00",
            "2023-03-01 10",
            "10:00",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
        // 2023-03-01 12:00 is serial 44986.5.
        assert_eq!(
            excel_serial_to_datetime(44986.5)
                .map(|t| t.to_string())
                .as_deref(),
            Some("2023-03-01 12:00:00")
        );
        for (s, v) in [
            ("是", true),
            ("否", false),
            ("TRUE", true),
            ("0", false),
            ("y", true),
        ] {
            assert_eq!(parse_flag(s), Some(v), "{s}");
        }
        assert_eq!(parse_flag("对"), None);
    }

    #[test]
    fn compacting_removes_inner_spaces() {
        assert_eq!(compact(Cow::Borrowed("1306 2419 6603")), "130624196603");
        assert_eq!(
            compact(normalize_text("139\u{3000}4463 3904")),
            "13944633904"
        );
    }

    #[test]
    fn scientific_notation_is_recognised() {
        for s in [
            "1.30624E+17",
            "1.306241966032331e+17",
            "1E17",
            "1.3e-5",
            "-2e3",
        ] {
            assert!(looks_scientific(s), "{s}");
        }
        for s in [
            "130624196603233058",
            "E11.9",
            "1.5",
            "e5",
            "1e",
            "1.e5x",
            "I10.x00",
        ] {
            assert!(!looks_scientific(s), "{s}");
        }
    }

    #[test]
    fn floats() {
        assert_eq!(
            float_to_integer_text(13944633904.0).as_deref(),
            Some("13944633904")
        );
        assert_eq!(
            float_to_integer_text(130624102201.0).as_deref(),
            Some("130624102201")
        );
        assert_eq!(float_to_integer_text(1.306241966032331e17), None);
        assert_eq!(float_to_integer_text(1.5), None);
        assert_eq!(float_to_integer_text(f64::NAN), None);
        assert_eq!(float_to_decimal_text(10230.76).as_deref(), Some("10230.76"));
        assert_eq!(
            float_to_decimal_text(0.1 + 0.2).as_deref(),
            Some("0.30000000000000004")
        );
        assert_eq!(
            float_to_decimal_text(1e21).as_deref(),
            Some("1000000000000000000000")
        );
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_date(1.0), Some(day(1900, 1, 1)));
        assert_eq!(excel_serial_to_date(59.0), Some(day(1900, 2, 28)));
        assert_eq!(
            excel_serial_to_date(60.0),
            None,
            "1900-02-29 does not exist"
        );
        assert_eq!(excel_serial_to_date(61.0), Some(day(1900, 3, 1)));
        assert_eq!(excel_serial_to_date(45000.0), Some(day(2023, 3, 15)));
        assert_eq!(excel_serial_to_date(45000.75), Some(day(2023, 3, 15)));
        assert_eq!(excel_serial_to_date(2958465.0), Some(day(9999, 12, 31)));
        assert_eq!(excel_serial_to_date(0.0), None);
        assert_eq!(excel_serial_to_date(-3.0), None);
        assert_eq!(excel_serial_to_date(f64::INFINITY), None);
        assert_eq!(excel_serial_to_date(3e6), None);
        // 1904 system: serial 0 is 1904-01-01.
        assert_eq!(
            excel_serial_to_date(0.0 + EXCEL_1904_OFFSET),
            Some(day(1904, 1, 1))
        );
    }

    #[test]
    fn text_dates() {
        let d = Some(day(2022, 7, 31));
        for s in [
            "2022-07-31",
            "2022/7/31",
            "2022.07.31",
            "20220731",
            "2022年7月31日",
            "2022-7-31",
            "2022-07-31T00:00:00",
            "2022-07-31 00:00:00",
        ] {
            assert_eq!(parse_date_text(s), d, "{s}");
        }
        for s in [
            "2022-02-30",
            "31/07/2022",
            "2022-07",
            "2022-07-31-1",
            "220731",
            "2022/07-31",
            "",
            "abc",
            "2022年7月",
            "2022-07-31 abc",
            "0999-01-01",
        ] {
            assert_eq!(parse_date_text(s), None, "{s}");
        }
    }
}
