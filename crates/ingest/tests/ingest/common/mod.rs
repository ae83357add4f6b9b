//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use jianfu_domain::{PersonRecord, RegionCode, RegionLevel};
use jianfu_ingest::{
    CheckOutcome, FileError, ImportOptions, MemorySink, PersonCheck, PersonsReader, VillageCheck,
    check_persons_file,
};

/// The date the tests judge against.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

pub fn opts() -> ImportOptions {
    ImportOptions::new(today())
}

/// A fixture under tests/data.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Village codes the example files use that the shipped 2023 division
/// codes do not have (the examples' README calls them real; the 2023 tree
/// of 阜平县 has no 130624101200, 130624102201 or 130624104200).
pub const EXAMPLE_VILLAGES_MISSING_FROM_2023: [&str; 3] =
    ["130624101200", "130624102201", "130624104200"];

/// The region tree of 阜平县 (130624), from the shipped 2023 codes, plus
/// [`EXAMPLE_VILLAGES_MISSING_FROM_2023`].
pub struct Fuping {
    levels: HashMap<RegionCode, RegionLevel>,
}

impl Fuping {
    pub fn load() -> Self {
        let mut levels: HashMap<RegionCode, RegionLevel> = jianfu_regions::regions("130624")
            .map(|r| (r.code, r.level))
            .collect();
        assert!(levels.len() > 200, "the 2023 tree of 阜平县 is shipped");
        for code in EXAMPLE_VILLAGES_MISSING_FROM_2023 {
            let code = RegionCode::parse(code).unwrap();
            assert!(!levels.contains_key(&code));
            levels.insert(code, RegionLevel::Village);
        }
        Fuping { levels }
    }

    pub fn check(&self, code: &RegionCode) -> VillageCheck {
        match self.levels.get(code) {
            None => VillageCheck::NotFound,
            Some(RegionLevel::Village) => VillageCheck::Ok,
            Some(_) => VillageCheck::NotAVillage,
        }
    }
}

/// `Listed` or `NotListed`.
pub fn listed(yes: bool) -> PersonCheck {
    if yes {
        PersonCheck::Listed
    } else {
        PersonCheck::NotListed
    }
}

/// Accepts every person.
pub fn anyone(_: &jianfu_domain::IdCardNo) -> PersonCheck {
    PersonCheck::Listed
}

/// Accepts every village code.
pub fn any_village(_: &RegionCode) -> VillageCheck {
    VillageCheck::Ok
}

/// Pass 1 with an in-memory report.
pub fn check_persons(
    path: &Path,
    opts: &ImportOptions,
    villages: &dyn Fn(&RegionCode) -> VillageCheck,
) -> (Result<CheckOutcome, FileError>, MemorySink) {
    let mut sink = MemorySink::new();
    let outcome = check_persons_file(path, opts, villages, &mut sink, &mut |_| {});
    (outcome, sink)
}

/// Pass 2: the accepted records.
pub fn accepted_persons(
    path: &Path,
    opts: &ImportOptions,
    outcome: &CheckOutcome,
) -> Vec<(u32, PersonRecord)> {
    let mut reader = PersonsReader::open_checked(path, opts, outcome).unwrap();
    let mut out = Vec::new();
    while let Some(r) = reader.next_accepted(outcome).unwrap() {
        out.push(r);
    }
    out
}

/// Every record of a file that must be clean.
pub fn clean_persons(path: &Path) -> Vec<PersonRecord> {
    let fuping = Fuping::load();
    let (outcome, sink) = check_persons(path, &opts(), &|c| fuping.check(c));
    let outcome = outcome.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        sink.errors.is_empty(),
        "{}: {:#?}",
        path.display(),
        sink.errors
    );
    assert!(outcome.is_clean());
    accepted_persons(path, &opts(), &outcome)
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// Writes `bytes` to a new file in `dir`.
pub fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The text of persons-good.csv without its BOM.
pub fn good_csv_text() -> String {
    let t = std::fs::read_to_string(data("persons-good.csv")).unwrap();
    t.trim_start_matches('\u{FEFF}').to_string()
}

/// (row, column, code) triples of a report.
pub fn triples(sink: &MemorySink) -> Vec<(u32, String, &'static str)> {
    sink.errors
        .iter()
        .map(|e| (e.row, e.column.to_string(), e.code))
        .collect()
}

/// A cell for [`xlsx`].
#[derive(Debug, Clone)]
pub enum X {
    S(&'static str),
    Str(String),
    N(f64),
    /// A number formatted as a date (an Excel date cell).
    D(f64),
    /// A formula with its cached text result.
    F(&'static str, &'static str),
    E,
}

/// Writes a one-sheet workbook; `merges` are (first_row, first_col,
/// last_row, last_col) areas (0-based) filled with the top-left value.
pub fn xlsx(
    dir: &tempfile::TempDir,
    name: &str,
    sheets: &[(&str, Vec<Vec<X>>)],
    merges: &[(u32, u16, u32, u16)],
) -> PathBuf {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (i, (sheet_name, rows)) in sheets.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(*sheet_name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                let in_merge = i == 0
                    && merges
                        .iter()
                        .any(|&(r0, c0, r1, c1)| (r0..=r1).contains(&r) && (c0..=c1).contains(&c));
                if in_merge {
                    continue;
                }
                match cell {
                    X::S(s) => drop(ws.write_string(r, c, *s).unwrap()),
                    X::Str(s) => drop(ws.write_string(r, c, s).unwrap()),
                    X::N(f) => drop(ws.write_number(r, c, *f).unwrap()),
                    X::D(f) => drop(ws.write_number_with_format(r, c, *f, &date).unwrap()),
                    X::F(f, v) => drop(
                        ws.write_formula(r, c, Formula::new(*f).set_result(*v))
                            .unwrap(),
                    ),
                    X::E => {}
                }
            }
        }
        if i == 0 {
            for &(r0, c0, r1, c1) in merges {
                let text = match &rows[r0 as usize][c0 as usize] {
                    X::S(s) => s.to_string(),
                    X::Str(s) => s.clone(),
                    other => panic!("merge over {other:?}"),
                };
                ws.merge_range(r0, c0, r1, c1, &text, &Format::new())
                    .unwrap();
            }
        }
    }
    let p = dir.path().join(name);
    wb.save(&p).unwrap();
    p
}

/// The persons header as cells.
pub fn person_header() -> Vec<X> {
    [
        "户编号",
        "行政区划代码",
        "户类别",
        "家庭年人均纯收入",
        "姓名",
        "身份证号",
        "与户主关系",
        "人员类别",
        "联系电话",
        "人员状态",
    ]
    .into_iter()
    .map(X::S)
    .collect()
}

/// A CSV line of the persons file per row, header first.
pub fn persons_csv(rows: &[&str]) -> String {
    let mut s = String::from(
        "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n",
    );
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}
