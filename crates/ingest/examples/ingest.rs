//! Small driver for trying the readers by hand and measuring throughput.
//!
//! ```text
//! cargo run --release -p jianfu-ingest --example ingest -- check persons FILE [REPORT]
//! cargo run --release -p jianfu-ingest --example ingest -- check-only persons FILE [REPORT]
//! cargo run --release -p jianfu-ingest --example ingest -- check diagnoses FILE [REPORT]
//! cargo run --release -p jianfu-ingest --example ingest -- template persons|diagnoses OUT.xlsx
//! cargo run --release -p jianfu-ingest --example ingest -- generate ROWS OUT.csv
//! cargo run --release -p jianfu-ingest --example ingest -- columns persons|diagnoses
//! cargo run --release -p jianfu-ingest --example ingest -- to-xlsx IN.csv OUT.xlsx
//! ```
//!
//! `check` runs both passes, `check-only` the first. It accepts every village code and every person (no registry here)
//! and prints the outcome, the time taken and rows per second.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use chrono::{Days, NaiveDate};
use jianfu_domain::IdCardNo;
use jianfu_ingest::columns::FileKind;
use jianfu_ingest::report::NullSink;
use jianfu_ingest::{
    ImportOptions, PersonCheck, PersonsReader, ReportFile, ReportSink, VillageCheck,
    check_diagnoses_file, check_persons_file, write_template,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    match arg(0) {
        "check" => check(arg(1), Path::new(arg(2)), args.get(3).map(Path::new), true),
        "check-only" => check(arg(1), Path::new(arg(2)), args.get(3).map(Path::new), false),
        "template" => {
            let kind = if arg(1) == "diagnoses" {
                FileKind::Diagnoses
            } else {
                FileKind::Persons
            };
            write_template(kind, Path::new(arg(2))).expect("template written");
        }
        "to-xlsx" => to_xlsx(Path::new(arg(1)), Path::new(arg(2))),
        "columns" => {
            let kind = if arg(1) == "diagnoses" {
                FileKind::Diagnoses
            } else {
                FileKind::Persons
            };
            print!("{}", jianfu_ingest::columns::markdown_table(kind));
        }
        "generate" => generate(arg(1).parse().expect("row count"), Path::new(arg(2))),
        _ => eprintln!("usage: ingest check|check-only|template|generate|columns …"),
    }
}

fn check(kind: &str, path: &Path, report: Option<&Path>, second_pass: bool) {
    let opts = ImportOptions::new(chrono::Local::now().date_naive());
    let mut report_file = report.map(|r| ReportFile::create(r).expect("report created"));
    let mut null = NullSink;
    let sink: &mut dyn ReportSink = match &mut report_file {
        Some(f) => f,
        None => &mut null,
    };
    let start = Instant::now();
    let outcome = match kind {
        "diagnoses" => {
            check_diagnoses_file(path, &opts, &|_| PersonCheck::Listed, sink, &mut |_| {})
        }
        _ => check_persons_file(path, &opts, &|_| VillageCheck::Ok, sink, &mut |_| {}),
    };
    let pass1 = start.elapsed();
    if let Some(f) = report_file {
        f.finish().expect("report written");
    }
    match outcome {
        Err(e) => println!("file error: {e} ({})", e.code()),
        Ok(o) => {
            let rate = o.data_rows as f64 / pass1.as_secs_f64();
            println!(
                "rows {} households {} rejected rows {} errors {} warnings {}\npass 1: {:.2?} ({rate:.0} rows/s)",
                o.data_rows,
                o.households,
                o.rejected.len(),
                o.errors,
                o.warnings,
                pass1
            );
            if second_pass && kind != "diagnoses" {
                let start = Instant::now();
                let mut reader = PersonsReader::open_checked(path, &opts, &o).expect("reopen");
                let mut n = 0u64;
                while let Some((_, record)) = reader.next_accepted(&o).expect("pass 2") {
                    std::hint::black_box(record);
                    n += 1;
                }
                let pass2 = start.elapsed();
                println!(
                    "pass 2: {n} records in {pass2:.2?} ({:.0} rows/s)",
                    n as f64 / pass2.as_secs_f64()
                );
            }
        }
    }
}

/// Writes a persons CSV of `rows` rows: households of 1–5 members built
/// from the rows of persons-good.csv, each person with a fresh valid ID.
fn generate(rows: u64, out: &Path) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
    w.write_all("\u{FEFF}户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n".as_bytes())
        .unwrap();
    let villages = [
        "130624102201",
        "130624103204",
        "130624100201",
        "130624104200",
        "130624101200",
    ];
    let types = [
        "脱贫户",
        "脱贫不稳定户",
        "边缘易致贫户",
        "突发严重困难户",
        "一般农户",
    ];
    let names = [
        "孙文华",
        "林浩然",
        "郭文华",
        "胡志强",
        "王雨桐",
        "罗春花",
        "黄海燕",
        "李建国",
    ];
    let relations = ["配偶", "子女", "子女", "父母"];
    let groups = ["", "特困", "低保|因病致贫重病患者", "返贫致贫", ""];
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let mut written = 0u64;
    let mut household = 0u64;
    while written < rows {
        household += 1;
        let size = 1 + household % 5;
        let village = villages[(household % 5) as usize];
        let htype = types[(household / 5 % 5) as usize];
        let income = format!("{}.{:02}", 3000 + household % 12000, household % 100);
        for m in 0..size {
            if written >= rows {
                break;
            }
            let k = written;
            let birth = base + Days::new(k / 1000 % 25_000);
            let id = IdCardNo::from_parts("130624", birth, (k % 1000) as u16).unwrap();
            let relation = if m == 0 {
                "户主"
            } else {
                relations[(m as usize - 1) % 4]
            };
            let phone = if m == 0 {
                format!("139{:08}", k % 100_000_000)
            } else {
                String::new()
            };
            writeln!(
                w,
                "13062410{household:07},{village},{htype},{income},{},{},{relation},{},{phone},正常",
                names[(k % 8) as usize],
                id.as_str(),
                groups[(k % 5) as usize]
            )
            .unwrap();
            written += 1;
        }
    }
    w.flush().unwrap();
    println!(
        "{written} rows in {household} households written to {}",
        out.display()
    );
}

/// Copies a UTF-8 CSV into a workbook (all cells as text), streaming.
fn to_xlsx(input: &Path, out: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut ws = wb.new_worksheet_with_constant_memory().expect("worksheet");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(input)
        .expect("input");
    let mut rec = csv::StringRecord::new();
    let mut r = 0u32;
    while rdr.read_record(&mut rec).expect("csv") {
        for (c, v) in rec.iter().enumerate() {
            ws.write_string(r, c as u16, v.trim_start_matches('\u{FEFF}'))
                .expect("cell");
        }
        r += 1;
    }
    wb.push_worksheet(ws);
    wb.save(out).expect("saved");
    println!("{r} rows written to {}", out.display());
}
