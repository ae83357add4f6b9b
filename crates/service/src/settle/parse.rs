//! Reading the rows of a claims CSV for batch settlement, fast.
//!
//! A block of whole records is split into fields without allocating
//! (quoted fields are supported; only a quoted field with an escaped quote
//! is copied), and each field is parsed straight into the engine's input.
//! A row that does not parse becomes a [`RowProblem`]; it never stops the
//! others.

use std::borrow::Cow;

use chrono::NaiveDate;
use jianfu_domain::{ClaimKind, FacilityLevel, Group, GroupSet, IdCardNo, Money, mask_middle};
use jianfu_policy::{BatchClaim, ClaimInput};

/// The columns batch settlement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    ClaimId,
    PersonId,
    Groups,
    Kind,
    Level,
    CountyInternal,
    SettledAt,
    Total,
    PolicyScope,
    Reverses,
}

impl Col {
    pub(crate) const ALL: [Col; 10] = [
        Col::ClaimId,
        Col::PersonId,
        Col::Groups,
        Col::Kind,
        Col::Level,
        Col::CountyInternal,
        Col::SettledAt,
        Col::Total,
        Col::PolicyScope,
        Col::Reverses,
    ];

    /// English header (the settlement contract's name).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Col::ClaimId => "claim_id",
            Col::PersonId => "person_id",
            Col::Groups => "groups",
            Col::Kind => "kind",
            Col::Level => "level",
            Col::CountyInternal => "county_internal",
            Col::SettledAt => "settled_at",
            Col::Total => "total",
            Col::PolicyScope => "policy_scope",
            Col::Reverses => "reverses",
        }
    }

    /// Chinese header of the claims import template.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Col::ClaimId => "结算单号",
            Col::PersonId => "身份证号",
            Col::Groups => "人员类别",
            Col::Kind => "就诊类型",
            Col::Level => "医疗机构级别",
            Col::CountyInternal => "是否县域内",
            Col::SettledAt => "结算时间",
            Col::Total => "医疗总费用",
            Col::PolicyScope => "政策范围内费用",
            Col::Reverses => "冲销单号",
        }
    }

    /// Columns that may be left out of the file (then empty on every row).
    fn optional(self) -> bool {
        matches!(self, Col::Groups | Col::Reverses)
    }

    fn matches(self, header: &str) -> bool {
        let h = header.trim().trim_start_matches('\u{feff}').trim();
        h.eq_ignore_ascii_case(self.name()) || h == self.label()
    }
}

/// Where each read column sits in a row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    index: [Option<usize>; 10],
}

impl Layout {
    /// Maps a header row; `Err` lists the missing required columns.
    pub(crate) fn from_header(names: &[Cow<'_, str>]) -> Result<Layout, Vec<Col>> {
        let mut index = [None; 10];
        let mut missing = Vec::new();
        for (k, col) in Col::ALL.into_iter().enumerate() {
            index[k] = names.iter().position(|n| col.matches(n));
            if index[k].is_none() && !col.optional() {
                missing.push(col);
            }
        }
        if missing.is_empty() {
            Ok(Layout { index })
        } else {
            Err(missing)
        }
    }

    /// The claim id of a row, trimmed.
    pub(crate) fn claim_id<'f>(&self, fields: &'f [Cow<'_, str>]) -> &'f str {
        self.get(fields, Col::ClaimId)
    }

    fn get<'f>(&self, fields: &'f [Cow<'_, str>], col: Col) -> &'f str {
        self.index[col as usize]
            .and_then(|i| fields.get(i))
            .map_or("", |f| f.trim_ascii())
    }
}

/// Splits the record starting at `pos` into `fields`; returns the position
/// after its line end. Quotes follow RFC 4180. Separators are ASCII, so
/// every cut falls on a character boundary.
pub(crate) fn split_record<'a>(buf: &'a str, pos: usize, fields: &mut Vec<Cow<'a, str>>) -> usize {
    fields.clear();
    let bytes = buf.as_bytes();
    let line_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |n| pos + n);
    let line = &bytes[pos..line_end];
    if memchr::memchr(b'"', line).is_none() {
        // The common case: no quotes, so the line is the record.
        let text = &buf[pos..line_end];
        let text = text.strip_suffix('\r').unwrap_or(text);
        let mut start = 0;
        for comma in memchr::memchr_iter(b',', text.as_bytes()) {
            fields.push(Cow::Borrowed(&text[start..comma]));
            start = comma + 1;
        }
        fields.push(Cow::Borrowed(&text[start..]));
        return (line_end + 1).min(bytes.len());
    }
    split_quoted(buf, pos, fields)
}

fn split_quoted<'a>(buf: &'a str, mut pos: usize, fields: &mut Vec<Cow<'a, str>>) -> usize {
    let bytes = buf.as_bytes();
    loop {
        if bytes.get(pos) == Some(&b'"') {
            let (field, next) = quoted(buf, pos + 1);
            fields.push(field);
            pos = next;
            // Anything between the closing quote and the separator is dropped.
            while pos < bytes.len() && !matches!(bytes[pos], b',' | b'\n') {
                pos += 1;
            }
        } else {
            let start = pos;
            while pos < bytes.len() && !matches!(bytes[pos], b',' | b'\n') {
                pos += 1;
            }
            let mut end = pos;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
            fields.push(Cow::Borrowed(&buf[start..end]));
        }
        match bytes.get(pos) {
            Some(b',') => pos += 1,
            Some(_) => return pos + 1,
            None => return pos,
        }
    }
}

/// The end of the record starting at `pos` (after its line break), found
/// on raw bytes, for blocks that are not valid UTF-8.
pub(crate) fn record_end(bytes: &[u8], mut pos: usize) -> usize {
    let mut in_quotes = false;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return pos + 1,
            _ => {}
        }
        pos += 1;
    }
    pos
}

fn quoted(buf: &str, start: usize) -> (Cow<'_, str>, usize) {
    let bytes = buf.as_bytes();
    let mut pos = start;
    let mut owned: Option<String> = None;
    let mut run = start;
    while pos < bytes.len() {
        if bytes[pos] == b'"' {
            if bytes.get(pos + 1) == Some(&b'"') {
                let o = owned.get_or_insert_with(String::new);
                o.push_str(&buf[run..=pos]);
                pos += 2;
                run = pos;
                continue;
            }
            let field = match owned {
                Some(mut o) => {
                    o.push_str(&buf[run..pos]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&buf[start..pos]),
            };
            return (field, pos + 1);
        }
        pos += 1;
    }
    let field = match owned {
        Some(mut o) => {
            o.push_str(&buf[run..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(&buf[start..]),
    };
    (field, pos)
}

/// A row that cannot be settled: column, shown value, reason, code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowProblem {
    pub column: &'static str,
    pub value: String,
    pub problem: String,
    pub code: &'static str,
}

fn problem(col: Col, text: &str, problem: impl Into<String>, code: &'static str) -> RowProblem {
    let value = if col == Col::PersonId {
        mask_middle(text)
    } else {
        text.chars().take(60).collect()
    };
    RowProblem {
        column: col.label(),
        value,
        problem: problem.into(),
        code,
    }
}

/// The parsed row: the engine input, and the claim it reverses if any.
pub(crate) struct ParsedRow<'a> {
    pub claim: BatchClaim,
    pub reverses: &'a str,
}

/// Parses one record's fields. The claim id is read by the caller.
pub(crate) fn parse_row<'a>(
    layout: &Layout,
    fields: &'a [Cow<'a, str>],
    today: NaiveDate,
) -> Result<ParsedRow<'a>, RowProblem> {
    let field = |c: Col| layout.get(fields, c);
    let required = |c: Col| -> Result<&str, RowProblem> {
        let t = field(c);
        if t.is_empty() {
            return Err(problem(
                c,
                "",
                format!("缺少{}", c.label()),
                "missing_value",
            ));
        }
        Ok(t)
    };
    let id_text = required(Col::PersonId)?;
    let person = IdCardNo::parse_as_of(id_text, today)
        .map_err(|e| problem(Col::PersonId, id_text, e.to_string(), e.code()))?;
    let groups = groups(field(Col::Groups))?;
    let kind = code_of(required(Col::Kind)?, Col::Kind, kind_fast, ClaimKind::parse)?;
    let level = code_of(
        required(Col::Level)?,
        Col::Level,
        level_fast,
        FacilityLevel::parse,
    )?;
    let internal = boolean(required(Col::CountyInternal)?)?;
    let (settled_at, year) = datetime(required(Col::SettledAt)?.as_bytes()).ok_or_else(|| {
        problem(
            Col::SettledAt,
            field(Col::SettledAt),
            "结算时间应为 ISO 8601 格式，如 2023-03-01T10:00:00",
            "bad_datetime",
        )
    })?;
    let total = money(Col::Total, required(Col::Total)?)?;
    let policy_scope = money(Col::PolicyScope, required(Col::PolicyScope)?)?;
    if policy_scope > total {
        return Err(problem(
            Col::PolicyScope,
            field(Col::PolicyScope),
            format!("政策范围内费用大于医疗总费用 {total}"),
            "policy_scope_above_total",
        ));
    }
    Ok(ParsedRow {
        claim: BatchClaim {
            person: person.packed(),
            settled_at,
            year,
            input: ClaimInput {
                kind,
                level,
                county_internal: internal,
                groups,
                total,
                policy_scope,
            },
        },
        reverses: field(Col::Reverses),
    })
}

fn code_of<T, E: std::fmt::Display>(
    s: &str,
    col: Col,
    fast: fn(&str) -> Option<T>,
    slow: fn(&str) -> Result<T, E>,
) -> Result<T, RowProblem> {
    match fast(s) {
        Some(v) => Ok(v),
        None => slow(s).map_err(|e| problem(col, s, e.to_string(), "unknown_code")),
    }
}

fn kind_fast(s: &str) -> Option<ClaimKind> {
    ClaimKind::from_code(s)
}

fn level_fast(s: &str) -> Option<FacilityLevel> {
    FacilityLevel::from_code(s)
}

fn groups(s: &str) -> Result<GroupSet, RowProblem> {
    let mut set = GroupSet::EMPTY;
    for part in s.split('|') {
        match Group::from_code(part) {
            Some(g) => set.insert(g),
            None if part.is_empty() => {}
            None => {
                return GroupSet::parse_list(s)
                    .map_err(|e| problem(Col::Groups, s, e.to_string(), "unknown_group"));
            }
        }
    }
    Ok(set)
}

fn boolean(s: &str) -> Result<bool, RowProblem> {
    match s {
        "true" | "TRUE" | "True" | "1" | "是" | "Y" | "y" | "yes" | "YES" => Ok(true),
        "false" | "FALSE" | "False" | "0" | "否" | "N" | "n" | "no" | "NO" => Ok(false),
        _ => Err(problem(
            Col::CountyInternal,
            s,
            "应为 true 或 false（是/否）",
            "bad_bool",
        )),
    }
}

fn money(col: Col, s: &str) -> Result<Money, RowProblem> {
    let m = Money::from_yuan_str(s).map_err(|e| problem(col, s, e.to_string(), "bad_money"))?;
    if m < Money::ZERO {
        return Err(problem(col, s, "金额不能为负数", "negative_amount"));
    }
    Ok(m)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        b.iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')),
    )
}

/// Parses an ISO 8601 local date-time (`2023-03-01T10:00:00`; a space for
/// `T`, no seconds, fractions, `Z` or an offset are accepted; the wall
/// time as written counts) into (seconds since 1970-01-01 00:00, year).
/// A date alone means its midnight.
pub(crate) fn datetime(s: &[u8]) -> Option<(i64, i32)> {
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let y = digits(&s[0..4])? as i32;
    let m = digits(&s[5..7])?;
    let d = digits(&s[8..10])?;
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let mut secs = 0i64;
    let rest = &s[10..];
    if !rest.is_empty() {
        if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 6 || rest[3] != b':' {
            return None;
        }
        let h = digits(&rest[1..3])?;
        let min = digits(&rest[4..6])?;
        let mut tail = &rest[6..];
        let mut sec = 0;
        if let [b':', a, b, more @ ..] = tail {
            sec = digits(&[*a, *b])?;
            tail = more;
        }
        if let [b'.', more @ ..] = tail {
            let n = more.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            tail = &more[n..];
        }
        let zone_ok = match tail {
            [] | [b'Z' | b'z'] => true,
            [b'+' | b'-', zone @ ..] => {
                matches!(zone.len(), 2 | 4 | 5)
                    && zone
                        .iter()
                        .enumerate()
                        .all(|(i, c)| c.is_ascii_digit() || (i == 2 && *c == b':'))
            }
            _ => false,
        };
        if h > 23 || min > 59 || sec > 59 || !zone_ok {
            return None;
        }
        secs = i64::from(h * 3600 + min * 60 + sec);
    }
    let days = date
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    Some((days * 86_400 + secs, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        let mut f = Vec::new();
        split_record(s, 0, &mut f);
        f.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn records_split_with_quotes() {
        assert_eq!(split("a,b,,c\r\nnext"), ["a", "b", "", "c"]);
        assert_eq!(
            split("\"x,y\",\"say \"\"hi\"\"\",z\n"),
            ["x,y", "say \"hi\"", "z"]
        );
        assert_eq!(split("\"line\nbreak\",2"), ["line\nbreak", "2"]);
        assert_eq!(split(""), [""]);
        assert_eq!(split("\"a\"\"\"\"b\"\"\",c"), ["a\"\"b\"", "c"]);
        assert_eq!(record_end(b"a,\"x\ny\"\nb", 0), 8);
    }

    #[test]
    fn datetimes() {
        let base = datetime(b"2023-03-01T10:00:00").unwrap();
        assert_eq!(base.1, 2023);
        assert_eq!(datetime(b"2023-03-01 10:00").unwrap(), base);
        assert_eq!(datetime(b"2023-03-01T10:00:00.250+08:00").unwrap(), base);
        assert_eq!(datetime(b"2023-03-01T10:00:00Z").unwrap(), base);
        assert_eq!(datetime(b"2023-03-01").unwrap().0, base.0 - 36_000);
        for bad in [
            "2023-02-29T10:00:00",
            "2023-03-01T24:00:00",
            "2023/03/01",
            "2023-03-01T10",
            "2023-03-01X10:00",
            "2023-03-01T10:00:00+8",
        ] {
            assert_eq!(datetime(bad.as_bytes()), None, "{bad}");
        }
        assert!(datetime(b"1970-01-01T00:00:00").unwrap().0 == 0);
        assert!(datetime(b"1969-12-31T23:59:59").unwrap().0 == -1);
    }
}
