//! The threshold simulation's report, written by `jianfu-export`: a
//! summary (flagged households per year, region, township and village,
//! under the sets in force and the alternative, and the difference) and
//! the households that change. XLSX holds both as sheets; the CSV variant
//! writes the summary to the file asked for and the changes beside it
//! (`<name>-changes.csv`). Household numbers are masked
//! (`mask_middle`) and numbers in the explanations too, so the report
//! carries no personal identifier.

use std::path::{Path, PathBuf};

use jianfu_domain::{Money, mask::mask_numbers_in_text, mask_middle};
use jianfu_export::{Column, CsvWriter, ExportError, Kind, Sheet, Value, XlsxWriter};

use super::simulate::{AreaCounts, MEASURES, ThresholdSimulation, measure_label};

/// The summary's columns: where, then for each measure in force,
/// alternative, difference.
fn summary_sheet() -> Sheet {
    let mut columns = vec![
        Column::new("年度", Kind::Integer).width(8.0),
        Column::new("乡镇代码", Kind::Code).width(14.0),
        Column::new("村代码", Kind::Code).width(16.0),
    ];
    for m in MEASURES {
        let label = measure_label(m);
        for side in ["现行", "备选", "差额"] {
            columns.push(Column::new(format!("{label}·{side}"), Kind::Integer).width(12.0));
        }
    }
    Sheet::new("汇总", columns)
}

fn changes_sheet() -> Sheet {
    Sheet::new(
        "变化户",
        vec![
            Column::new("年度", Kind::Integer).width(8.0),
            Column::text("规则").width(16.0),
            Column::text("变化").width(8.0),
            Column::new("县代码", Kind::Code).width(10.0),
            Column::new("村代码", Kind::Code).width(16.0),
            Column::new("户编号（脱敏）", Kind::Code).width(22.0),
            Column::new("自付合计（元）", Kind::Money).width(14.0),
            Column::new("阈值（元）", Kind::Money).width(12.0),
            Column::new("人均收入（元）", Kind::Money).width(14.0),
            Column::text("说明").width(80.0).wrap(),
        ],
    )
}

/// The summary's rows: per year the region's total (township "全部"),
/// then each township's total (village "合计") followed by its villages.
fn summary_rows(sim: &ThresholdSimulation) -> Vec<Vec<Value<'static>>> {
    let townships = sim.townships();
    let mut out = Vec::new();
    for total in sim.totals() {
        out.push(counts_row(&total, "全部", ""));
        for t in townships.iter().filter(|t| t.year == total.year) {
            out.push(counts_row(t, &t.township, "合计"));
            for v in sim
                .villages
                .iter()
                .filter(|v| v.year == t.year && v.township == t.township)
            {
                out.push(counts_row(v, &v.township, &v.village));
            }
        }
    }
    out
}

fn counts_row(c: &AreaCounts, township: &str, village: &str) -> Vec<Value<'static>> {
    let mut row = vec![
        Value::Int(i64::from(c.year)),
        township.to_string().into(),
        village.to_string().into(),
    ];
    for i in 0..MEASURES.len() {
        let (cur, alt) = (c.current[i] as i64, c.alternative[i] as i64);
        row.extend([Value::Int(cur), Value::Int(alt), Value::Int(alt - cur)]);
    }
    row
}

fn change_rows(sim: &ThresholdSimulation) -> impl Iterator<Item = Vec<Value<'static>>> + '_ {
    sim.changes.iter().map(|c| {
        let money =
            |fen: Option<i64>| fen.map_or(Value::Empty, |f| Value::Money(Money::from_fen(f)));
        vec![
            Value::Int(i64::from(c.year)),
            measure_label(c.measure).into(),
            if c.added { "新增" } else { "移除" }.into(),
            c.county_code.clone().into(),
            c.village_code.clone().into(),
            mask_middle(&c.household_no).into(),
            money(Some(c.out_of_pocket)),
            money(c.threshold),
            money(c.income_per_capita),
            mask_numbers_in_text(&c.explanation).into(),
        ]
    })
}

/// Where the CSV variant writes the changes: `<stem>-changes.csv`.
pub fn changes_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!("{stem}-changes.csv"))
}

/// Writes the report to `path`: XLSX with two sheets when it ends in
/// `.xlsx`, else CSV (the summary there, the changes at [`changes_path`]).
pub fn write_report(sim: &ThresholdSimulation, path: &Path) -> Result<(), ExportError> {
    let xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if xlsx {
        let mut book = XlsxWriter::new();
        book.sheet(&summary_sheet())?;
        for row in summary_rows(sim) {
            book.row(&row)?;
        }
        book.sheet(&changes_sheet())?;
        for row in change_rows(sim) {
            book.row(&row)?;
        }
        return book.save(path);
    }
    write_csv(path, &summary_sheet(), summary_rows(sim).into_iter())?;
    write_csv(&changes_path(path), &changes_sheet(), change_rows(sim))
}

fn write_csv(
    path: &Path,
    sheet: &Sheet,
    rows: impl Iterator<Item = Vec<Value<'static>>>,
) -> Result<(), ExportError> {
    let file = std::fs::File::create(path)?;
    let mut csv = CsvWriter::new(std::io::BufWriter::new(file), sheet)?;
    for row in rows {
        csv.row(&row)?;
    }
    csv.finish()?;
    Ok(())
}
