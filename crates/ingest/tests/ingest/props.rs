//! Property tests: cell normalisation, dates, and "never panics" for the
//! whole persons path on arbitrary input.

use crate::common::*;
use chrono::{Datelike, NaiveDate};
use jianfu_ingest::normalize::{
    excel_serial_to_date, half_width, is_invisible, normalize_text, parse_date_text,
};
use jianfu_ingest::{MemorySink, PersonsReader, check_persons_file};
use proptest::prelude::*;

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | 'A'..='Z' | 'a'..='z' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            ' ' => '\u{3000}',
            c => c,
        })
        .collect()
}

/// Excel's serial of a date (1900 system, counting the phantom 1900-02-29).
fn serial_of(d: NaiveDate) -> f64 {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    let days = (d - base).num_days();
    let days = if d < NaiveDate::from_ymd_opt(1900, 3, 1).unwrap() {
        days - 1
    } else {
        days
    };
    days as f64
}

proptest! {
    #[test]
    fn normalisation_is_idempotent_and_clean(s in "\\PC{0,40}") {
        let n = normalize_text(&s);
        let again = normalize_text(&n).into_owned();
        prop_assert_eq!(again.as_str(), n.as_ref());
        prop_assert_eq!(n.trim(), n.as_ref());
        prop_assert!(!n.chars().any(|c| half_width(c).is_some() || is_invisible(c)));
        prop_assert!(!n.starts_with(char::is_whitespace) && !n.ends_with(char::is_whitespace));
    }

    #[test]
    fn full_width_equals_half_width(s in "[0-9A-Za-z][0-9A-Za-z .:/-]{0,20}[0-9A-Za-z]") {
        let wide = normalize_text(&full_width(&s)).into_owned();
        prop_assert_eq!(wide, s.clone());
        let padded = format!(" \u{3000}\u{200B}{s}\u{00A0}\t");
        let n = normalize_text(&padded).into_owned();
        prop_assert_eq!(n, s);
    }

    #[test]
    fn plain_text_is_only_trimmed(s in "[^\\s\u{200B}-\u{200D}\u{2060}\u{FEFF}\u{00A0}\u{00AD}\u{FF01}-\u{FF5E}\u{3000}]{1,20}") {
        let n = normalize_text(&format!("  {s}  ")).into_owned();
        prop_assert_eq!(n, s);
    }

    #[test]
    fn dates_read_back_in_every_form(days in 0u64..73_000) {
        let d = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days);
        let (y, m, dd) = (d.year(), d.month(), d.day());
        for text in [
            format!("{y:04}-{m:02}-{dd:02}"),
            format!("{y}/{m}/{dd}"),
            format!("{y:04}{m:02}{dd:02}"),
            format!("{y}.{m:02}.{dd:02}"),
            format!("{y}年{m}月{dd}日"),
            format!("{y:04}-{m:02}-{dd:02}T00:00:00"),
            full_width(&format!("{y:04}-{m:02}-{dd:02}")),
        ] {
            let normalised = normalize_text(&text);
            prop_assert_eq!(parse_date_text(&normalised), Some(d), "{}", text);
        }
        prop_assert_eq!(excel_serial_to_date(serial_of(d)), Some(d));
        prop_assert_eq!(excel_serial_to_date(serial_of(d) + 0.999), Some(d));
    }

    #[test]
    fn date_parsing_never_panics(s in "\\PC{0,30}", f in proptest::num::f64::ANY) {
        let _ = parse_date_text(&s);
        let _ = excel_serial_to_date(f);
    }
}

/// Runs both passes; checks the invariants that hold for any input.
fn run_whole_path(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "in.csv", bytes);
    let mut sink = MemorySink::new();
    match check_persons_file(&path, &opts(), &any_village, &mut sink, &mut |_| {}) {
        Err(e) => {
            prop_assert_eq!(sink.errors.last().map(|r| r.code), Some(e.code()));
        }
        Ok(outcome) => {
            prop_assert!(outcome.rejected.len() <= outcome.data_rows);
            let mut reader = PersonsReader::open_checked(&path, &opts(), &outcome).unwrap();
            let mut accepted = 0;
            while let Some((row, _)) = reader.next_accepted(&outcome).unwrap() {
                prop_assert!(!outcome.rejected.contains(row));
                accepted += 1;
            }
            prop_assert_eq!(accepted, outcome.accepted_rows());
        }
    }
    Ok(())
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("130624196603233058".to_string()),
        Just("130624196306305342".to_string()),
        Just("13062419750220624X".to_string()),
        Just("1.30624E+17".to_string()),
        Just("130624102201".to_string()),
        Just("H1".to_string()),
        Just("H2".to_string()),
        Just("户主".to_string()),
        Just("配偶".to_string()),
        Just("脱贫户".to_string()),
        Just("edge".to_string()),
        Just("10230.76".to_string()),
        Just("低保|特困".to_string()),
        Just("\"a,\n\"\"b\"".to_string()),
        Just("１３９４４６３３９０４".to_string()),
        "\\PC{0,12}",
        "[0-9]{1,20}",
    ]
}

fn csv_file() -> impl Strategy<Value = String> {
    let header = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态";
    (
        proptest::collection::vec(proptest::collection::vec(cell(), 0..12), 0..12),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    )
        .prop_map(move |(rows, eol)| {
            let mut s = String::from(header);
            s.push_str(eol);
            for r in rows {
                s.push_str(&r.join(","));
                s.push_str(eol);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        run_whole_path(&bytes)?;
    }

    #[test]
    fn arbitrary_persons_csv_never_panics(text in csv_file(), gbk in any::<bool>(), bom in any::<bool>()) {
        let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        if gbk {
            bytes.extend_from_slice(&encoding_rs::GB18030.encode(&text).0);
        } else {
            bytes.extend_from_slice(text.as_bytes());
        }
        run_whole_path(&bytes)?;
    }

    #[test]
    fn damaged_workbooks_never_panic(cut in 0usize..7337, flip in 0usize..7337, byte in any::<u8>()) {
        let mut bytes = std::fs::read(data("persons-good.xlsx")).unwrap();
        if flip < bytes.len() {
            bytes[flip] = byte;
        }
        bytes.truncate(cut.max(4));
        run_whole_path(&bytes)?;
    }
}
