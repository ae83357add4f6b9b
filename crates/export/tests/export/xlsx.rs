//! XLSX: read back through calamine and the workbook's XML.

use calamine::Data;
use chrono::NaiveDate;
use jianfu_domain::Money;
use jianfu_export::{
    CUT_MARKER, Column, Dropdown, ExportError, FileFormat, Kind, Limits, OnOther, Sheet, Value,
    XlsxWriter, to_bytes,
};

use crate::common::{entry, people, sheets};

fn s(text: &str) -> Data {
    Data::String(text.into())
}

#[test]
fn formulas_stay_strings_numbers_stay_numbers() {
    let rows = [
        vec![
            "=1+1".into(),
            Value::Empty,
            Value::Empty,
            Value::Int(-5),
            Value::Money(Money::from_fen(-123_456)),
            Value::Percent(0.8523),
        ],
        vec!["@SUM(A1)".into()],
        vec!["-2".into()],
    ];
    let bytes = to_bytes(FileFormat::Xlsx, &people(), rows).unwrap();
    let got = sheets(&bytes);
    let rows = &got[0].1;
    assert_eq!(rows[1][0], s("=1+1"), "the text, not its result");
    assert_eq!(rows[1][3], Data::Float(-5.0));
    assert_eq!(rows[1][4], Data::Float(-1234.56));
    assert_eq!(rows[1][5], Data::Float(0.8523));
    assert_eq!(rows[2][0], s("@SUM(A1)"));
    assert_eq!(rows[3][0], s("-2"));
    let xml = entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<f>"), "no formula anywhere: {xml}");
    // Excel's quote prefix keeps them text even when a user edits them.
    assert!(entry(&bytes, "xl/styles.xml").contains("quotePrefix=\"1\""));
}

#[test]
fn number_formats_per_kind() {
    let sheet = Sheet::new(
        "格式",
        vec![
            Column::new("金额", Kind::Money),
            Column::new("比例", Kind::Percent),
            Column::new("日期", Kind::Date),
            Column::new("时间", Kind::DateTime),
            Column::new("笔数", Kind::Integer),
        ],
    );
    let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let rows = [vec![
        Value::Money(Money::from_fen(123_456_789)),
        Value::Percent(0.125),
        Value::Date(d),
        Value::DateTime(d.and_hms_opt(10, 30, 0).unwrap()),
        Value::Int(1_234_567),
    ]];
    let bytes = to_bytes(FileFormat::Xlsx, &sheet, rows).unwrap();
    let got = sheets(&bytes);
    let row = &got[0].1[1];
    assert_eq!(row[0], Data::Float(1_234_567.89));
    assert_eq!(row[1], Data::Float(0.125));
    let Data::DateTime(date) = &row[2] else {
        panic!("a date: {:?}", row[2]);
    };
    // Excel's serial day numbers: 2024-03-01 is day 45352.
    assert!(date.is_datetime());
    assert_eq!(date.as_f64(), 45352.0);
    let Data::DateTime(time) = &row[3] else {
        panic!("a date-time: {:?}", row[3]);
    };
    assert_eq!(time.as_f64(), 45352.4375);
    assert_eq!(row[4], Data::Float(1_234_567.0));
    let styles = entry(&bytes, "xl/styles.xml");
    for code in ["#,##0.00", "0.00%", "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"] {
        assert!(
            styles.contains(&format!("formatCode=\"{code}\"")),
            "{code}: {styles}"
        );
    }
}

#[test]
fn personal_columns_are_masked() {
    let rows = [vec![
        "张三".into(),
        "130624197001020011".into(),
        "13912345678".into(),
    ]];
    let bytes = to_bytes(FileFormat::Xlsx, &people(), rows).unwrap();
    let row = &sheets(&bytes)[0].1[1];
    assert_eq!(row[1], s("130624********0011"));
    assert_eq!(row[2], s("139****5678"));
    let xml = entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("130624197001020011") && !xml.contains("13912345678"));
}

#[test]
fn header_is_styled_frozen_and_filtered() {
    let sheet = Sheet::new(
        "名单",
        vec![Column::text("姓名"), Column::text("说明").width(40.0)],
    );
    let rows = [vec!["张三".into(), "x".into()], vec!["李四".into()]];
    let bytes = to_bytes(FileFormat::Xlsx, &sheet, rows).unwrap();
    let got = sheets(&bytes);
    assert_eq!(got[0].0, "名单");
    assert_eq!(got[0].1[0], [s("姓名"), s("说明")]);
    let xml = entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<pane ySplit=\"1\""), "frozen header: {xml}");
    assert!(xml.contains("<autoFilter ref=\"A1:B3\"/>"), "{xml}");
    assert!(
        xml.contains("<col min=\"2\" max=\"2\" width=\"40.7"),
        "{xml}"
    );
    assert!(xml.contains("<col min=\"1\" max=\"1\""), "fitted: {xml}");
    let styles = entry(&bytes, "xl/styles.xml");
    assert!(
        styles.contains("<b/>") && styles.contains("FFDDEBF7"),
        "{styles}"
    );
}

#[test]
fn rows_past_the_limit_continue_on_numbered_sheets() {
    let limits = Limits {
        rows: 3,
        ..Limits::EXCEL
    };
    let mut w = XlsxWriter::with_limits(limits);
    w.sheet(&Sheet::new(
        "错误报告",
        vec![Column::new("行号", Kind::Integer)],
    ))
    .unwrap();
    for i in 1..=5 {
        w.row(&[Value::Int(i)]).unwrap();
    }
    w.sheet(&Sheet::new("其他", vec![Column::text("a")]))
        .unwrap();
    let got = sheets(&w.into_bytes().unwrap());
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["错误报告", "错误报告 (2)", "错误报告 (3)", "其他"]);
    let header = || vec![s("行号")];
    let n = |i: f64| vec![Data::Float(i)];
    assert_eq!(got[0].1, [header(), n(1.0), n(2.0)]);
    assert_eq!(got[1].1, [header(), n(3.0), n(4.0)]);
    assert_eq!(got[2].1, [header(), n(5.0)]);
}

#[test]
fn long_text_is_cut_with_a_marker() {
    let limits = Limits {
        cell_chars: 40,
        ..Limits::EXCEL
    };
    let mut w = XlsxWriter::with_limits(limits);
    w.sheet(&Sheet::new("t", vec![Column::text("a")])).unwrap();
    let long = "长".repeat(100);
    w.row(&[long.as_str().into()]).unwrap();
    let got = sheets(&w.into_bytes().unwrap());
    let Data::String(cell) = &got[0].1[1][0] else {
        panic!("{:?}", got[0].1[1][0]);
    };
    assert!(
        cell.ends_with(CUT_MARKER) && cell.starts_with("长长"),
        "{cell}"
    );
    assert_eq!(cell.chars().count(), 40);
}

#[test]
fn a_cell_of_excels_full_length_is_kept() {
    let full = "x".repeat(32_767);
    let mut w = XlsxWriter::new();
    w.sheet(&Sheet::new("t", vec![Column::text("a")])).unwrap();
    w.row(&[full.as_str().into()]).unwrap();
    w.row(&[format!("{full}y").into()]).unwrap();
    let got = sheets(&w.into_bytes().unwrap());
    assert_eq!(got[0].1[1][0], Data::String(full));
    let Data::String(cut) = &got[0].1[2][0] else {
        panic!();
    };
    assert_eq!(
        cut.len() - CUT_MARKER.len() + CUT_MARKER.encode_utf16().count(),
        32_767
    );
}

#[test]
fn too_many_columns_and_rows_before_a_sheet_are_errors() {
    let limits = Limits {
        columns: 2,
        ..Limits::EXCEL
    };
    let mut w = XlsxWriter::with_limits(limits);
    assert!(matches!(w.row(&[]), Err(ExportError::NoSheet)));
    let wide = Sheet::new("t", vec![Column::text("a"); 3]);
    let err = w.sheet(&wide).unwrap_err();
    assert!(matches!(
        err,
        ExportError::TooManyColumns {
            columns: 3,
            max: 2,
            ..
        }
    ));
}

#[test]
fn templates_get_text_columns_dropdowns_and_red_headers() {
    let sheet = Sheet::new(
        "人员",
        vec![
            Column::new("身份证号", Kind::Code).width(22.0).emphasised(),
            Column::text("户类别").dropdown(Dropdown {
                choices: vec!["脱贫户".into(), "一般农户".into()],
                title: "户类别".into(),
                message: "请从列表中选择户类别".into(),
                on_other: OnOther::Refuse {
                    title: "输入值无效".into(),
                    message: "请从下拉列表中选择户类别".into(),
                },
            }),
        ],
    )
    .without_autofilter();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("模板.xlsx");
    let mut w = XlsxWriter::new();
    w.sheet(&sheet).unwrap();
    w.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let xml = entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<autoFilter"), "{xml}");
    assert!(xml.contains("sqref=\"B2:B1048576\""), "{xml}");
    assert!(xml.contains("\"脱贫户,一般农户\""), "{xml}");
    let styles = entry(&bytes, "xl/styles.xml");
    assert!(styles.contains("numFmtId=\"49\"") && styles.contains("FFC00000"));
}
