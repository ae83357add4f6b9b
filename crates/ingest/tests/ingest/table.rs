//! File-level reading: formats, encodings, headers, workbooks.

use crate::common::*;
use jianfu_domain::{HouseholdType, Money};
use jianfu_ingest::columns::FileKind;
use jianfu_ingest::{
    FileError, Format, ImportOptions, MemorySink, PersonsReader, Progress, ProgressUnit,
    TableReader, check_diagnoses_file, check_persons_file,
};

fn file_error(path: &std::path::Path, opts: &ImportOptions) -> (FileError, MemorySink) {
    let (outcome, sink) = check_persons(path, opts, &any_village);
    match outcome {
        Err(e) => (e, sink),
        Ok(o) => panic!("expected a file error, got {o:?}"),
    }
}

#[test]
fn missing_file() {
    let (e, sink) = file_error(std::path::Path::new("/nonexistent/人员.csv"), &opts());
    assert_eq!(e.code(), "file_not_found");
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(sink.errors[0].row, 0);
    assert_eq!(&*sink.errors[0].file, "人员.csv");
}

#[test]
fn empty_and_blank_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty.csv", &b""[..]),
        ("blank.csv", b"\n\r\n   \n,,,\n"),
        ("bom-only.csv", b"\xEF\xBB\xBF"),
    ] {
        let (e, sink) = file_error(&write(&dir, name, bytes), &opts());
        assert!(matches!(e, FileError::Empty), "{name}: {e:?}");
        assert_eq!(sink.errors[0].code, "file_empty");
        assert_eq!(sink.errors[0].row, 0);
    }
}

/// Deterministic pseudo-random bytes.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        })
        .collect()
}

#[test]
fn random_bytes_are_not_a_table() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..20 {
        let path = write(&dir, "noise.csv", &noise(3000, seed));
        let (e, sink) = file_error(&path, &opts());
        assert!(
            matches!(e, FileError::Corrupt { .. } | FileError::Encoding),
            "seed {seed}: {e:?}"
        );
        assert_eq!(sink.errors.len(), 1);
    }
    // Noise behind a zip signature is a damaged workbook.
    let mut zipish = b"PK\x03\x04".to_vec();
    zipish.extend(noise(3000, 7));
    let (e, _) = file_error(&write(&dir, "noise.xlsx", &zipish), &opts());
    assert_eq!(e.code(), "file_corrupt");
    // And behind an OLE signature a damaged .xls.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(noise(3000, 8));
    let (e, _) = file_error(&write(&dir, "noise.xls", &ole), &opts());
    assert_eq!(e.code(), "file_corrupt");
}

#[test]
fn truncated_xlsx_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(data("persons-good.xlsx")).unwrap();
    for cut in [100, bytes.len() / 2, bytes.len() - 30] {
        let path = write(&dir, "cut.xlsx", &bytes[..cut]);
        let (e, sink) = file_error(&path, &opts());
        assert_eq!(e.code(), "file_corrupt", "cut at {cut}: {e:?}");
        assert!(
            sink.errors[0]
                .problem
                .contains("不是有效的 CSV 或 Excel 文件")
        );
    }
}

#[test]
fn zip_without_workbook_is_corrupt() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-workbook.xlsx");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    z.start_file("hello.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"hello").unwrap();
    z.finish().unwrap();
    let (e, _) = file_error(&path, &opts());
    assert_eq!(e.code(), "file_corrupt");
}

#[test]
fn unknown_encoding_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // 0xFF is neither UTF-8 nor a GB18030 byte.
    let mut bytes = persons_csv(&[]).into_bytes();
    bytes.extend(b"130624100200001,130624102201,\xFF\xFF,1,a,b,c,,,\n");
    let (e, sink) = file_error(&write(&dir, "bad-enc.csv", &bytes), &opts());
    assert!(matches!(e, FileError::Encoding));
    assert_eq!(sink.errors[0].code, "file_encoding");
    assert!(sink.errors[0].problem.starts_with("文件编码无法识别"));
}

#[test]
fn header_only_file_has_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "header.csv", persons_csv(&[]).as_bytes());
    let (outcome, sink) = check_persons(&path, &opts(), &any_village);
    let outcome = outcome.unwrap();
    assert!(sink.errors.is_empty());
    assert_eq!(outcome.data_rows, 0);
    assert!(outcome.is_clean());
    let xl = xlsx(
        &dir,
        "header.xlsx",
        &[("Sheet1", vec![person_header()])],
        &[],
    );
    let (outcome, sink) = check_persons(&xl, &opts(), &any_village);
    assert_eq!(outcome.unwrap().data_rows, 0);
    assert!(sink.errors.is_empty());
}

#[test]
fn missing_columns_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "m.csv",
        "户编号,行政区划代码,户类别,与户主关系,备注\n1,2,3,4,5\n".as_bytes(),
    );
    let (e, sink) = file_error(&path, &opts());
    match &e {
        FileError::MissingColumns {
            missing,
            header_row,
        } => {
            assert_eq!(*header_row, 1);
            assert_eq!(missing, &["姓名（name）", "身份证号（id_number）"]);
        }
        other => panic!("{other:?}"),
    }
    // The unknown column's warning and the file error are both reported.
    let codes: Vec<&str> = sink.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["missing_column"]);
    let r = &sink.errors[0];
    assert_eq!((r.row, &*r.column), (1, "表头"));
    assert!(
        r.problem
            .contains("缺少必填列：姓名（name）、身份证号（id_number）"),
        "{}",
        r.problem
    );

    // A file whose first line is data, not a header.
    let path = write(
        &dir,
        "noheader.csv",
        good_csv_text()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    let (e, _) = file_error(&path, &opts());
    assert_eq!(e.code(), "missing_column");
}

#[test]
fn duplicate_column_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = good_csv_text().replacen("人员状态", "身份证号", 1);
    let (e, sink) = file_error(&write(&dir, "d.csv", text.as_bytes()), &opts());
    assert!(
        matches!(
            e,
            FileError::DuplicateColumn {
                first: 6,
                second: 10,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(sink.errors[0].code, "duplicate_column");
}

#[test]
fn unknown_columns_are_warnings_and_order_is_free() {
    let dir = tempfile::tempdir().unwrap();
    // Reverse the column order, rename two headers to their English alias
    // and add a column of notes.
    let text: String = good_csv_text()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = l.split(',').rev().collect();
            cells.push(if i == 0 { " 备注 " } else { "随便写" });
            let mut line = cells.join(",");
            if i == 0 {
                line = line
                    .replace("姓名", "NAME")
                    .replace("户编号", "household_id");
            }
            line + "\n"
        })
        .collect();
    let path = write(&dir, "reordered.csv", text.as_bytes());
    let (outcome, sink) = check_persons(&path, &opts(), &any_village);
    let outcome = outcome.unwrap();
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(sink.errors[0].code, "unknown_column");
    assert_eq!(sink.errors[0].column, "备注");
    assert_eq!((outcome.errors, outcome.warnings), (0, 1));
    let records: Vec<_> = accepted_persons(&path, &opts(), &outcome)
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(records, clean_persons(&data("persons-good.csv")));
}

#[test]
fn encodings_bom_spaces_and_full_width_give_the_same_records() {
    let baseline = clean_persons(&data("persons-good.csv"));
    let dir = tempfile::tempdir().unwrap();
    let text = good_csv_text();
    let to_full_width = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' | 'X' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                _ => c,
            })
            .collect()
    };
    let spaced: String = text
        .lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .map(|(i, c)| match i % 3 {
                    0 => format!("  {c} "),
                    1 => format!("\u{3000}{c}\u{00A0}"),
                    _ => format!("\u{200B}{c}\t"),
                })
                .collect::<Vec<_>>()
                .join(",")
                + "\r\n"
        })
        .collect();
    let utf16 = |big: bool| -> Vec<u8> {
        let tabbed = text.replace(',', "\t");
        let mut out = if big {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in tabbed.encode_utf16() {
            out.extend(if big {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    };
    let gb18030 = encoding_rs::GB18030.encode(&text).0.into_owned();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no-bom.csv", text.clone().into_bytes()),
        ("crlf.csv", text.replace('\n', "\r\n").into_bytes()),
        ("spaces.csv", spaced.into_bytes()),
        ("full-width.csv", to_full_width(&text).into_bytes()),
        ("utf16le.txt", utf16(false)),
        ("utf16be.txt", utf16(true)),
        ("gb18030.csv", gb18030),
        ("semicolon.csv", text.replace(',', ";").into_bytes()),
    ];
    for (name, bytes) in cases {
        let path = write(&dir, name, &bytes);
        assert_eq!(clean_persons(&path), baseline, "{name}");
    }
}

#[test]
fn gbk_and_utf8_are_detected_on_the_whole_file() {
    // A GBK file whose first 100 KB are ASCII still decodes as GBK.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "household_id,village_code,household_type,income_per_capita,name,id_number,relation,groups,phone,status\n",
    );
    let padding_rows = 1500;
    for i in 0..padding_rows {
        text.push_str(&format!(
            "H{i:05},130624102201,edge,1.00,Zhang San,{},head,,,active\n",
            jianfu_domain::IdCardNo::from_parts(
                "130624",
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(i),
                11
            )
            .unwrap()
            .as_str()
        ));
    }
    assert!(text.len() > 100_000);
    text.push_str(
        "H99999,130624102201,边缘易致贫户,1.00,孙文华,130624196603233058,户主,特困,,正常\n",
    );
    let path = write(&dir, "late-gbk.csv", &encoding_rs::GBK.encode(&text).0);
    let records = clean_persons(&path);
    assert_eq!(records.len(), padding_rows as usize + 1);
    let last = records.last().unwrap();
    assert_eq!(last.name, "孙文华");
    assert_eq!(last.household.household_type, HouseholdType::Edge);
}

#[test]
fn quoted_line_breaks_keep_excel_row_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let text = persons_csv(&[
        "H1,130624102201,脱贫户,1,\"孙\n文华\",130624196603233058,户主,,,",
        "",
        "H1,130624102201,脱贫户,1,孙德明,130624196306305342,配偶,,,迁居",
    ]);
    let path = write(&dir, "multiline.csv", text.as_bytes());
    let (_, sink) = check_persons(&path, &opts(), &any_village);
    // Header row 1, the two-line record row 2, a blank row 3, then row 4.
    let t = triples(&sink);
    assert_eq!(t, [(4, "人员状态".to_string(), "unknown_status")]);
}

#[test]
fn progress_reaches_the_end() {
    let mut seen: Vec<Progress> = Vec::new();
    let path = data("persons-good.csv");
    let len = std::fs::metadata(&path).unwrap().len();
    check_persons_file(
        &path,
        &opts(),
        &any_village,
        &mut MemorySink::new(),
        &mut |p| seen.push(p),
    )
    .unwrap();
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.total, last.unit),
        (len, len, ProgressUnit::Bytes)
    );
    assert_eq!(last.fraction(), 1.0);

    let mut seen: Vec<Progress> = Vec::new();
    check_persons_file(
        &data("persons-good.xlsx"),
        &opts(),
        &any_village,
        &mut MemorySink::new(),
        &mut |p| seen.push(p),
    )
    .unwrap();
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.total, last.unit),
        (36, 36, ProgressUnit::Rows)
    );
}

#[test]
fn table_reader_reports_format_and_header() {
    let r = TableReader::open(&data("persons-good.xlsx"), None, &|h| {
        FileKind::Persons.knows_header(h)
    })
    .unwrap();
    assert_eq!(r.format(), Format::Xlsx);
    assert_eq!(r.header_row(), 1);
    assert_eq!(r.headers()[5], "身份证号");
    let r = TableReader::open(&data("persons-good-gbk.csv"), None, &|_| true).unwrap();
    assert_eq!(r.format(), Format::Csv);
    assert_eq!(r.headers()[0], "household_id");
}

// ------------------------------------------------------------ workbooks ---

fn person(cells: [&'static str; 10]) -> Vec<X> {
    cells
        .into_iter()
        .map(|s| if s.is_empty() { X::E } else { X::S(s) })
        .collect()
}

#[test]
fn merged_household_cells_are_filled() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        person_header(),
        person([
            "130624100200001",
            "130624102201",
            "脱贫不稳定户",
            "10230.76",
            "孙文华",
            "130624196603233058",
            "户主",
            "特困",
            "13944633904",
            "正常",
        ]),
        person([
            "",
            "",
            "",
            "",
            "孙德明",
            "130624196306305342",
            "配偶",
            "",
            "",
            "正常",
        ]),
        person([
            "130624100200002",
            "130624103204",
            "边缘易致贫户",
            "10200.36",
            "林浩然",
            "130624197001087553",
            "户主",
            "低保",
            "13953042530",
            "",
        ]),
        person([
            "",
            "",
            "",
            "",
            "林海燕",
            "130624199709022711",
            "子女",
            "",
            "",
            "",
        ]),
        person([
            "",
            "",
            "",
            "",
            "林春花",
            "13062419971018286X",
            "子女",
            "低保",
            "",
            "",
        ]),
    ];
    // Columns A–D merged per household, as county sheets often do.
    let mut merges = Vec::new();
    for c in 0..4 {
        merges.push((1, c, 2, c));
        merges.push((3, c, 5, c));
    }
    let path = xlsx(&dir, "merged.xlsx", &[("人员", rows)], &merges);
    let records = clean_persons(&path);
    assert_eq!(records.len(), 5);
    assert!(
        records[..2]
            .iter()
            .all(|r| r.household.household_no == "130624100200001")
    );
    assert!(
        records[2..]
            .iter()
            .all(|r| r.household.household_no == "130624100200002"
                && r.household.village.as_str() == "130624103204"
                && r.household.household_type == HouseholdType::Edge
                && r.household.income_per_capita == Some(Money::from_fen(1_020_036)))
    );
}

#[test]
fn merged_area_over_absent_rows_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    // A whole household block merged across rows that hold nothing else
    // in those columns, and a merged status cell across two columns (the
    // second one lies outside the table and is ignored).
    let rows = vec![
        person_header(),
        person([
            "H1",
            "130624102201",
            "一般农户",
            "",
            "甲",
            "130624196603233058",
            "户主",
            "",
            "",
            "正常",
        ]),
        person([
            "",
            "",
            "",
            "",
            "乙",
            "130624196306305342",
            "配偶",
            "",
            "",
            "",
        ]),
        person([
            "",
            "",
            "",
            "",
            "丙",
            "130624197001087553",
            "子女",
            "",
            "",
            "",
        ]),
    ];
    let merges = [(1, 0, 3, 0), (1, 1, 3, 1), (1, 2, 3, 2), (1, 9, 3, 10)];
    let path = xlsx(&dir, "merged2.xlsx", &[("Sheet1", rows)], &merges);
    let records = clean_persons(&path);
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r.household.household_no == "H1" && r.household.income_per_capita.is_none())
    );
}

#[test]
fn formula_cells_use_their_cached_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut row = person([
        "H1",
        "130624102201",
        "脱贫户",
        "",
        "",
        "130624196603233058",
        "户主",
        "",
        "",
        "",
    ]);
    row[3] = X::F("=10000+230.76", "10230.76");
    row[4] = X::F("=\"孙\"&\"文华\"", "孙文华");
    let path = xlsx(
        &dir,
        "formula.xlsx",
        &[("Sheet1", vec![person_header(), row])],
        &[],
    );
    let records = clean_persons(&path);
    assert_eq!(records[0].name, "孙文华");
    assert_eq!(
        records[0].household.income_per_capita,
        Some(Money::from_fen(1_023_076))
    );
}

#[test]
fn numbers_in_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    let mut ok = person([
        "",
        "",
        "脱贫户",
        "",
        "孙文华",
        "130624196603233058",
        "户主",
        "",
        "",
        "",
    ]);
    ok[0] = X::N(130624100200001.0);
    ok[1] = X::N(130624102201.0);
    ok[3] = X::N(10230.76);
    ok[8] = X::N(13944633904.0);
    let mut bad = person([
        "H2",
        "130624102201",
        "脱贫户",
        "",
        "林浩然",
        "",
        "户主",
        "",
        "",
        "",
    ]);
    bad[3] = X::N(10230.765);
    bad[5] = X::N(130624197001087553.0);
    bad[8] = X::N(1394463390.5);
    let mut err = person([
        "H3",
        "130624102201",
        "脱贫户",
        "",
        "郭文华",
        "130624195002275055",
        "户主",
        "",
        "",
        "",
    ]);
    err[3] = X::F("=1/0", "#DIV/0!");
    let path = xlsx(
        &dir,
        "numbers.xlsx",
        &[("Sheet1", vec![person_header(), ok, bad, err])],
        &[],
    );
    let (outcome, sink) = check_persons(&path, &opts(), &any_village);
    let outcome = outcome.unwrap();
    let t = triples(&sink);
    assert!(
        t.contains(&(3, "家庭年人均纯收入".into(), "bad_money")),
        "{t:?}"
    );
    assert!(t.contains(&(3, "身份证号".into(), "id_as_number")), "{t:?}");
    assert!(
        t.contains(&(3, "联系电话".into(), "precision_lost")),
        "{t:?}"
    );
    assert_eq!(outcome.rejected.iter().collect::<Vec<_>>(), [3, 4]);
    let records = accepted_persons(&path, &opts(), &outcome);
    let r = &records[0].1;
    assert_eq!(r.household.household_no, "130624100200001");
    assert_eq!(r.household.village.as_str(), "130624102201");
    assert_eq!(
        r.household.income_per_capita,
        Some(Money::from_fen(1_023_076))
    );
    assert_eq!(r.phone.as_deref(), Some("13944633904"));
    // The error cell: calamine gives the cached error value.
    assert!(
        t.iter()
            .any(|(row, _, code)| *row == 4 && (*code == "cell_error" || *code == "bad_money")),
        "{t:?}"
    );
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut title = vec![X::S("阜平县2023年监测对象名单")];
    title.resize(10, X::E);
    let rows = vec![
        title,
        vec![X::E; 10],
        person_header(),
        person([
            "H1",
            "130624102201",
            "脱贫户",
            "",
            "孙文华",
            "130624196603233058",
            "户主",
            "",
            "",
            "在外",
        ]),
    ];
    let path = xlsx(&dir, "title.xlsx", &[("Sheet1", rows)], &[(0, 0, 0, 9)]);
    let (outcome, sink) = check_persons(&path, &opts(), &any_village);
    assert_eq!(outcome.unwrap().header_row, 3);
    assert_eq!(
        triples(&sink),
        [(4, "人员状态".to_string(), "unknown_status")]
    );
}

#[test]
fn sheets_are_chosen_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        person_header(),
        person([
            "H1",
            "130624102201",
            "脱贫户",
            "",
            "孙文华",
            "130624196603233058",
            "户主",
            "",
            "",
            "",
        ]),
    ];
    let path = xlsx(
        &dir,
        "sheets.xlsx",
        &[
            ("说明", vec![vec![X::S("本表用于报送人员信息")]]),
            ("人员", rows),
        ],
        &[],
    );
    // The first sheet has no table.
    let (e, _) = file_error(&path, &opts());
    assert_eq!(e.code(), "missing_column");
    let (outcome, sink) = check_persons(&path, &opts().with_sheet("人员"), &any_village);
    assert_eq!(outcome.unwrap().data_rows, 1);
    assert!(sink.errors.is_empty());
    let (e, sink) = file_error(&path, &opts().with_sheet("Sheet9"));
    match e {
        FileError::SheetNotFound { name, available } => {
            assert_eq!(name, "Sheet9");
            assert_eq!(available, ["说明", "人员"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sink.errors[0].code, "sheet_not_found");
}

#[test]
fn excel_dates_in_diagnoses() {
    let dir = tempfile::tempdir().unwrap();
    let header = ["身份证号", "疾病编码", "疾病名称", "确诊日期", "确诊机构"]
        .map(X::S)
        .to_vec();
    let row = |date: X| {
        vec![
            X::S("130624196603233058"),
            X::S("I10.x00"),
            X::E,
            date,
            X::S("阜平县医院"),
        ]
    };
    let rows = vec![
        header,
        row(X::D(45046.0)), // 2023-04-30, a date cell
        row(X::N(45046.5)), // a plain serial number (with time)
        row(X::S("2023年4月30日")),
        row(X::D(60.0)),    // 1900-02-29 does not exist
        row(X::D(46000.0)), // 2025-12-09: after "today"
        row(X::S("2023-02-30")),
        row(X::S("")),
    ];
    let path = xlsx(&dir, "dates.xlsx", &[("Sheet1", rows)], &[]);
    let mut sink = MemorySink::new();
    let outcome = check_diagnoses_file(&path, &opts(), &anyone, &mut sink, &mut |_| {}).unwrap();
    let t = triples(&sink);
    assert_eq!(
        t,
        [
            (3, "疾病编码".to_string(), "duplicate_diagnosis"),
            (4, "疾病编码".to_string(), "duplicate_diagnosis"),
            (5, "确诊日期".to_string(), "bad_date"),
            (6, "确诊日期".to_string(), "date_in_future"),
            (7, "确诊日期".to_string(), "bad_date"),
            (8, "确诊日期".to_string(), "required"),
        ]
    );
    assert!(sink.errors[0].problem.contains("第2行"));
    assert_eq!(
        outcome.rejected.iter().collect::<Vec<_>>(),
        [3, 4, 5, 6, 7, 8]
    );
    let mut reader = jianfu_ingest::DiagnosesReader::open(&path, &opts()).unwrap();
    let (_, first) = reader.next_record().unwrap().unwrap();
    assert_eq!(
        first.unwrap().diagnosed_on,
        chrono::NaiveDate::from_ymd_opt(2023, 4, 30).unwrap()
    );
}

#[test]
fn reader_iterates_records_and_errors() {
    let reader = PersonsReader::open(&data("persons-bad.csv"), &opts()).unwrap();
    let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 35);
    let bad: Vec<u32> = rows
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(n, _)| *n)
        .collect();
    // Row-level problems only: the cross-row ones need the check.
    assert_eq!(bad, [5, 7, 12, 14]);
}

#[test]
fn csv_rows_are_numbered_as_a_spreadsheet_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let numbers = |text: &str| -> Vec<(u32, String)> {
        let path = write(&dir, "rows.csv", text.as_bytes());
        let mut r = TableReader::open(&path, None, &|_| true).unwrap();
        let mut out = vec![(r.header_row(), r.headers()[0].clone())];
        while let Some(row) = r.next_row().unwrap() {
            let first = match row.cell(0) {
                jianfu_ingest::CellRef::Text(s) => s.to_string(),
                other => panic!("{other:?}"),
            };
            out.push((row.number(), first));
        }
        out
    };
    let expect = |v: &[(u32, &str)]| -> Vec<(u32, String)> {
        v.iter().map(|(n, s)| (*n, s.to_string())).collect()
    };
    assert_eq!(
        numbers("h,x\na,1\nb,2\n"),
        expect(&[(1, "h"), (2, "a"), (3, "b")])
    );
    assert_eq!(
        numbers("h,x\r\na,1\r\n\r\nb,2"),
        expect(&[(1, "h"), (2, "a"), (4, "b")])
    );
    assert_eq!(
        numbers("h,x\ra,1\r\rb,2\r"),
        expect(&[(1, "h"), (2, "a"), (4, "b")])
    );
    assert_eq!(numbers("\n\nh,x\na,1\n"), expect(&[(3, "h"), (4, "a")]));
    assert_eq!(
        numbers("h,x\n\"a\r\nb\nc\",1\n\n,,\nd,2\n\"e\n\",3"),
        expect(&[(1, "h"), (2, "a\r\nb\nc"), (5, "d"), (6, "e\n")])
    );
}

#[test]
fn an_unclosed_quote_does_not_swallow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = persons_csv(&["H1,130624102201,脱贫户,,\"孙文华,130624196603233058,户主,,,"]);
    for i in 0..40_000 {
        text.push_str(&format!(
            "H{i},130624102201,脱贫户,,某,130624196603233058,子女,,,\n"
        ));
    }
    assert!(text.len() > 2 << 20);
    let (e, sink) = file_error(&write(&dir, "quote.csv", text.as_bytes()), &opts());
    assert_eq!(e.code(), "file_corrupt");
    assert!(
        sink.errors[0].problem.contains("从第2行起"),
        "{}",
        sink.errors[0].problem
    );
    assert!(sink.errors[0].problem.contains("引号"));
}
