//! CSV: byte-order mark, CRLF, quoting, formula neutralisation, masking.

use std::borrow::Cow;

use chrono::NaiveDate;
use jianfu_domain::Money;
use jianfu_export::{Column, CsvWriter, ExportError, FileFormat, Kind, Sheet, Value, to_bytes};

use crate::common::people;

const ID: &str = "130624197001020011";

fn write(sheet: &Sheet, rows: &[Vec<Value<'_>>]) -> String {
    let bytes = to_bytes(FileFormat::Csv, sheet, rows).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    String::from_utf8(bytes[3..].to_vec()).unwrap()
}

#[test]
fn bom_header_crlf_and_quoting() {
    let sheet = Sheet::new("t", vec![Column::text("名称"), Column::text("说明")]);
    let text = write(
        &sheet,
        &[
            vec!["a,b".into(), "他说\"好\"".into()],
            vec!["两行\n文字".into(), Value::Empty],
        ],
    );
    assert_eq!(
        text,
        "名称,说明\r\n\"a,b\",\"他说\"\"好\"\"\"\r\n\"两行\n文字\",\r\n"
    );
}

#[test]
fn formula_starts_are_neutralised_numbers_are_not() {
    let sheet = people();
    let rows = [
        vec![
            "=HYPERLINK(\"http://x\",\"y\")".into(),
            Value::Empty,
            Value::Empty,
            Value::Int(-5),
            Value::Money(Money::from_fen(-1205)),
            Value::Percent(-0.125),
        ],
        vec!["+1".into()],
        vec!["-2".into()],
        vec!["@SUM(A1)".into()],
        vec!["\t=1".into()],
        vec!["\r=1".into()],
        vec!["a=1".into()],
    ];
    let text = write(&sheet, &rows);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[1],
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,,-5,-12.05,-12.50%"
    );
    assert_eq!(lines[2], "'+1,,,,,");
    assert_eq!(lines[3], "'-2,,,,,");
    assert_eq!(lines[4], "'@SUM(A1),,,,,");
    assert_eq!(lines[5], "'\t=1,,,,,");
    assert_eq!(lines[6], "\"'\r=1\",,,,,");
    assert_eq!(lines[7], "a=1,,,,,");
}

#[test]
fn personal_columns_are_masked_unless_unmasked() {
    let rows = [vec![
        "张三".into(),
        ID.into(),
        "13912345678".into(),
        Value::Int(3),
    ]];
    let text = write(&people(), &rows);
    assert!(
        text.contains("张三,130624********0011,139****5678,3,,"),
        "{text}"
    );
    assert!(!text.contains(ID) && !text.contains("13912345678"));
    // The mask is the domain's, and masking a masked number changes nothing.
    assert_eq!(jianfu_domain::mask_middle(ID), "130624********0011");
    let text = write(&people(), &[vec!["".into(), "130624********0011".into()]]);
    assert!(text.contains(",130624********0011,"), "{text}");

    let open = Sheet::new(
        "t",
        vec![
            Column::new("身份证号", Kind::IdNumber).unmasked(),
            Column::new("联系电话", Kind::Phone).unmasked(),
        ],
    );
    let text = write(&open, &[vec![ID.into(), "13912345678".into()]]);
    assert!(text.contains(&format!("{ID},13912345678")), "{text}");
}

#[test]
fn typed_values_as_text() {
    let sheet = Sheet::new(
        "t",
        vec![
            Column::new("日期", Kind::Date),
            Column::new("时间", Kind::DateTime),
            Column::new("金额", Kind::Money),
        ],
    );
    let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let rows = [vec![
        Value::Date(d),
        Value::DateTime(d.and_hms_opt(10, 0, 0).unwrap()),
        Value::Money(Money::from_fen(123_456_789)),
    ]];
    let text = write(&sheet, &rows);
    assert_eq!(
        text.split("\r\n").nth(1).unwrap(),
        "2024-03-01,2024-03-01 10:00:00,1234567.89"
    );
}

#[test]
fn streams_and_refuses_rows_too_long() {
    let sheet = Sheet::new("t", vec![Column::text("a")]);
    let mut w = CsvWriter::new(Vec::new(), &sheet).unwrap();
    w.row(&[Value::Text(Cow::Borrowed("x"))]).unwrap();
    let err = w.row(&["x".into(), "y".into()]).unwrap_err();
    assert!(matches!(err, ExportError::RowTooLong { values: 2, .. }));
    assert_eq!(w.rows(), 1);
    let out = w.finish().unwrap();
    assert_eq!(out, b"\xEF\xBB\xBFa\r\nx\r\n");
}
