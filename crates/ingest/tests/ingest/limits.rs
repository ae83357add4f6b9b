//! The import limits: a file over one is refused while it is read, with
//! the limit's code and place, and a hopeless or noisy file gets a short
//! report (problems past the cap counted per code).

use std::io::Write;
use std::time::{Duration, Instant};

use jianfu_ingest::limits::Limits;
use jianfu_ingest::{FileError, MemorySink, ReportFile, ReportSink, check_persons_file};

use crate::common::{any_village, opts};

const HEADER: &str = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n";
const GOOD: &str = "H1,130624100200,脱贫户,10230.76,孙文华,130624196603233058,户主,,,正常\n";

fn check(
    path: &std::path::Path,
    limits: Limits,
    sink: &mut dyn ReportSink,
) -> Result<u64, FileError> {
    let mut o = opts();
    o.limits = limits;
    check_persons_file(path, &o, &any_village, sink, &mut |_| {}).map(|o| o.data_rows)
}

/// A workbook whose sheet is `rows` copies of one persons row: a few
/// kilobytes that inflate to megabytes.
fn repeated_sheet(path: &std::path::Path, rows: u32) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &str); 3] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.start_file("xl/workbook.xml", opts).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let cell = |c: &str, r: u32, v: &str| {
        format!(r#"<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#)
    };
    write!(zip, r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#).unwrap();
    let head: Vec<&str> = HEADER.trim_end().split(',').collect();
    let letters = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
    let header: String = letters
        .iter()
        .zip(&head)
        .map(|(c, v)| cell(c, 1, v))
        .collect();
    write!(zip, r#"<row r="1">{header}</row>"#).unwrap();
    let values: Vec<&str> = GOOD.trim_end().split(',').collect();
    for r in 2..=rows + 1 {
        let cells: String = letters
            .iter()
            .zip(&values)
            .map(|(c, v)| cell(c, r, v))
            .collect();
        write!(zip, r#"<row r="{r}">{cells}</row>"#).unwrap();
    }
    zip.write_all(b"</sheetData></worksheet>").unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_xlsx_inflating_past_the_limit_is_refused_quickly_with_a_small_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.xlsx");
    repeated_sheet(&path, 10_000);
    let packed = std::fs::metadata(&path).unwrap().len();
    assert!(packed < 1 << 19, "{packed} bytes packed");
    let limits = Limits {
        xlsx_inflated_bytes: 4 << 20,
        ..Limits::DEFAULT
    };
    let report = dir.path().join("bomb.错误报告.csv");
    let mut sink = ReportFile::create(&report).unwrap();
    let started = Instant::now();
    let e = check(&path, limits, &mut sink).unwrap_err();
    sink.finish().unwrap();
    assert_eq!(e.code(), "xlsx_too_large", "{e}");
    assert!(e.to_string().contains("4 MB"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let text = std::fs::read_to_string(&report).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("xlsx_too_large"));
    // Under the default limits the same workbook reads (10,000 equal
    // rows: duplicate IDs, but read to the end).
    let mut sink = MemorySink::new();
    let rows = check(&path, Limits::DEFAULT, &mut sink).unwrap();
    assert_eq!(rows, 10_000);
}

#[test]
fn rows_past_the_limit_stop_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.xlsx");
    repeated_sheet(&path, 50);
    let limits = Limits {
        rows: 20,
        ..Limits::DEFAULT
    };
    let e = check(&path, limits, &mut MemorySink::new()).unwrap_err();
    assert_eq!(e.code(), "too_many_rows");
    let csv = dir.path().join("many.csv");
    std::fs::write(&csv, format!("{HEADER}{}", GOOD.repeat(50))).unwrap();
    let e = check(&csv, limits, &mut MemorySink::new()).unwrap_err();
    assert_eq!(e.code(), "too_many_rows");
}

#[test]
fn too_many_columns_and_an_overlong_cell_are_refused_by_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.csv");
    let extra = ",".repeat(120);
    std::fs::write(
        &wide,
        format!("{HEADER}{GOOD}{}x\n", GOOD.trim_end().to_string() + &extra),
    )
    .unwrap();
    let mut sink = MemorySink::new();
    let e = check(&wide, Limits::DEFAULT, &mut sink).unwrap_err();
    assert_eq!(e.code(), "too_many_columns");
    assert!(e.to_string().contains("第3行第130列（DZ列）"), "{e}");
    let row = &sink.with_code("too_many_columns")[0];
    assert_eq!((row.row, &*row.column), (3, "DZ"));
    // Empty cells far to the right are not content.
    std::fs::write(&wide, format!("{HEADER}{}{extra}\n", GOOD.trim_end())).unwrap();
    assert_eq!(
        check(&wide, Limits::DEFAULT, &mut MemorySink::new()).unwrap(),
        1
    );

    let long = dir.path().join("long.csv");
    let name = "长".repeat(40_000);
    let row = GOOD.replace("孙文华", &name);
    std::fs::write(&long, format!("{HEADER}{GOOD}{row}")).unwrap();
    let e = check(&long, Limits::DEFAULT, &mut MemorySink::new()).unwrap_err();
    assert_eq!(e.code(), "cell_too_large");
    assert!(e.to_string().contains("第3行第5列（E列）"), "{e}");
    assert!(e.to_string().contains("32767"), "{e}");
}

/// Random printable bytes in the persons columns: every row wrong.
fn noise(rows: usize, seed: &mut u64) -> String {
    let mut out = String::new();
    for _ in 0..rows {
        let cells: Vec<String> = (0..10)
            .map(|_| {
                (0..8)
                    .map(|_| {
                        *seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        char::from(b'0' + ((*seed >> 33) % 43) as u8)
                    })
                    .collect()
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn random_rows_give_a_capped_report_with_counts_per_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.csv");
    let mut seed = 7;
    // One good row first, so the file is not hopeless and is read whole.
    std::fs::write(&path, format!("{HEADER}{GOOD}{}", noise(3_000, &mut seed))).unwrap();
    let report = dir.path().join("noise.错误报告.csv");
    let mut sink = ReportFile::with_cap(&report, 500).unwrap();
    assert_eq!(check(&path, Limits::DEFAULT, &mut sink).unwrap(), 3_001);
    sink.finish().unwrap();
    let text = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let closing: Vec<&&str> = lines.iter().filter(|l| l.contains("……另有")).collect();
    assert!(!closing.is_empty());
    assert_eq!(lines.len(), 1 + 500 + closing.len());
    assert!(
        closing.iter().any(|l| l.contains("`id_format` 错误未列出")),
        "{closing:?}"
    );
}

#[test]
fn a_file_whose_first_rows_are_all_wrong_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.csv");
    let mut seed = 11;
    std::fs::write(&path, format!("{HEADER}{}{GOOD}", noise(2_000, &mut seed))).unwrap();
    let mut sink = MemorySink::new();
    let e = check(&path, Limits::DEFAULT, &mut sink).unwrap_err();
    assert_eq!(e.code(), "hopeless_file");
    assert!(e.to_string().contains("开头的1000行"), "{e}");
    assert!(sink.errors.iter().all(|e| e.row <= 1_001));
}
