//! The error report files and the templates.

use std::io::Read;

use crate::common::*;
use calamine::{Data, Reader, Xlsx, open_workbook};
use jianfu_ingest::columns::{DIAGNOSIS_COLUMNS, FileKind, PERSON_COLUMNS, ValueKind};
use jianfu_ingest::{ReportFile, check_persons_file, write_template};

fn report_for_bad_file(report: &std::path::Path) {
    let fuping = Fuping::load();
    let mut sink = ReportFile::create(report).unwrap();
    check_persons_file(
        &data("persons-bad.csv"),
        &opts(),
        &|c| fuping.check(c),
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    sink.finish().unwrap();
}

#[test]
fn csv_report_opens_in_excel() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("错误报告.csv");
    report_for_bad_file(&path);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["文件", "行号", "列", "值", "问题", "code", "级别"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    let dup = rows.iter().find(|r| &r[5] == "duplicate_id").unwrap();
    assert_eq!(&dup[0], "persons-bad.csv");
    assert_eq!(&dup[1], "18");
    assert_eq!(&dup[2], "身份证号");
    assert_eq!(&dup[3], "130624********6589");
    assert_eq!(&dup[6], "错误");
    // No full ID number anywhere in the report.
    let ids: Vec<String> = std::fs::read_to_string(data("persons-bad.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap().to_string())
        .collect();
    for id in ids {
        assert!(!text.contains(&id), "full ID in report");
    }
    // Nor a phone number or a name.
    assert!(!text.contains("13944633904"));
    assert!(!text.contains("孙文华"));
}

#[test]
fn xlsx_report_has_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.XLSX");
    report_for_bad_file(&path);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), ["错误报告"]);
    let range = wb.worksheet_range("错误报告").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0][5], Data::String("code".into()));
    let checksum = rows
        .iter()
        .find(|r| r[5] == Data::String("id_checksum".into()))
        .unwrap();
    assert_eq!(checksum[1], Data::Float(5.0));
    assert_eq!(checksum[3], Data::String("130624********6022".into()));
    assert_eq!(checksum[6], Data::String("错误".into()));
    // The header is frozen and bold.
    let sheet = zip_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<pane ySplit=\"1\""), "frozen header");
    assert!(zip_entry(&path, "xl/styles.xml").contains("<b/>"));
}

fn zip_entry(path: &std::path::Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn file_errors_become_report_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.csv");
    let mut sink = ReportFile::create(&path).unwrap();
    let e = check_persons_file(
        &write(&dir, "empty.csv", b""),
        &opts(),
        &any_village,
        &mut sink,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.code(), "file_empty");
    sink.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("empty.csv,0,,,文件是空的"), "{last}");
    assert!(last.ends_with(",file_empty,错误"), "{last}");
}

#[test]
fn persons_template() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("人员模板.xlsx");
    write_template(FileKind::Persons, &path).unwrap();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), ["人员", "填写说明"]);
    let sheet = wb.worksheet_range("人员").unwrap();
    let headers: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let expected: Vec<&str> = PERSON_COLUMNS.iter().map(|c| c.header).collect();
    assert_eq!(headers, expected);
    // The template's own headers are recognised by the reader.
    assert!(headers.iter().all(|h| FileKind::Persons.knows_header(h)));

    let help = wb.worksheet_range("填写说明").unwrap();
    let rows: Vec<Vec<String>> = help
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0][..6],
        ["列名", "英文别名", "是否必填", "说明", "可填写的值", "示例"]
    );
    for (i, col) in PERSON_COLUMNS.iter().enumerate() {
        let r = &rows[i + 1];
        assert_eq!(r[0], col.header);
        assert_eq!(r[1], col.alias);
        assert_eq!(r[2], if col.required { "必填" } else { "选填" });
        assert_eq!(r[4], col.allowed_values());
        assert_eq!(r[5], col.example);
    }
    let type_row = &rows[1 + jianfu_ingest::columns::person::HOUSEHOLD_TYPE];
    assert!(
        type_row[4].contains("脱贫户 formerly_poor"),
        "{}",
        type_row[4]
    );

    // Identifier columns are text, code columns have dropdowns, the
    // header is frozen.
    let xml = zip_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<pane ySplit=\"1\""));
    assert_eq!(
        xml.matches("<dataValidation ").count(),
        4,
        "type, relation, groups, status"
    );
    assert!(xml.contains("\"脱贫户,脱贫不稳定户,边缘易致贫户,突发严重困难户,一般农户\""));
    assert!(xml.contains("\"户主,配偶,子女,父母,孙子女,兄弟姐妹,其他\""));
    let styles = zip_entry(&path, "xl/styles.xml");
    assert!(styles.contains("numFmtId=\"49\""), "text format @ is used");
    let text_style = text_style_index(&styles);
    for (i, col) in PERSON_COLUMNS.iter().enumerate() {
        let c = i + 1;
        let tag = format!("<col min=\"{c}\" max=\"{c}\"");
        let def = xml
            .split(&tag)
            .nth(1)
            .unwrap_or_else(|| panic!("no <col> for {c}"));
        let def = &def[..def.find("/>").unwrap()];
        let is_text = def.contains(&format!("style=\"{text_style}\""));
        assert_eq!(
            is_text,
            col.kind.is_identifier() || col.kind == ValueKind::Date,
            "{}: {def}",
            col.header
        );
    }
}

/// The index of the cell format with number format 49 (text).
fn text_style_index(styles: &str) -> usize {
    let xfs = styles.split("<cellXfs").nth(1).unwrap();
    let xfs = &xfs[..xfs.find("</cellXfs>").unwrap()];
    xfs.split("<xf ")
        .skip(1)
        .position(|xf| xf.contains("numFmtId=\"49\""))
        .unwrap()
}

#[test]
fn diagnoses_template() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xlsx");
    write_template(FileKind::Diagnoses, &path).unwrap();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), ["诊断", "填写说明"]);
    let sheet = wb.worksheet_range("诊断").unwrap();
    let headers: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        headers,
        DIAGNOSIS_COLUMNS
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
    );
    let xml = zip_entry(&path, "xl/worksheets/sheet1.xml");
    assert_eq!(xml.matches("<dataValidation ").count(), 0);
    assert!(DIAGNOSIS_COLUMNS.iter().any(|c| c.kind == ValueKind::Date));
}
