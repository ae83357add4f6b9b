//! The simulation report as an Excel workbook: a sheet of parameters, the
//! overall comparison, the household out-of-pocket distribution, and one
//! row per township and per village. This module says what the report
//! holds; `jianfu-export` writes it (money in yuan with two decimals,
//! ratios as percentages).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use jianfu_domain::RegionCode;
use jianfu_export::{Column, ExportError, Kind, Sheet, Value, XlsxWriter};

use super::{BUCKET_LABELS, BurdenLines, Compared, Simulation, Totals};

/// What the report says about the run.
pub struct ReportContext<'a> {
    /// The region simulated and its name.
    pub region: (&'a str, &'a str),
    /// The year.
    pub year: i32,
    /// Names of the two policies.
    pub baseline: &'a str,
    /// Names of the two policies.
    pub alternative: &'a str,
    /// The monitoring lines used.
    pub lines: BurdenLines,
    /// Region names by code, for townships and villages.
    pub names: &'a HashMap<RegionCode, String>,
}

/// The actual reimbursement ratio as a fraction (0 without any cost).
fn ratio(t: &Totals) -> Value<'static> {
    Value::Percent(t.actual_ratio().unwrap_or(0.0) / 100.0)
}

/// (label, value) of the comparable measures of a region.
fn measures(t: &Totals) -> [(&'static str, Value<'static>); 13] {
    [
        ("结算笔数", t.claims.into()),
        ("有结算的户数", t.households.into()),
        ("医疗总费用（元）", t.total.into()),
        ("政策范围内费用（元）", t.policy_scope.into()),
        ("基本医保支付（元）", t.basic.into()),
        ("大病保险支付（元）", t.critical.into()),
        ("医疗救助支付（元）", t.assistance.into()),
        ("补充保障支付（元）", t.supplementary.into()),
        ("基金合计（元）", t.funds().into()),
        ("个人自付合计（元）", t.out_of_pocket.into()),
        ("实际报销比例（%）", ratio(t)),
        ("超过相对负担线的户数（R2）", t.over_relative.into()),
        ("超过绝对负担线的户数（R3）", t.over_absolute.into()),
    ]
}

/// Alternative minus baseline, of two values of the same type.
fn difference(base: &Value<'_>, alt: &Value<'_>) -> Value<'static> {
    match (base, alt) {
        (Value::Int(b), Value::Int(a)) => Value::Int(a - b),
        (Value::Money(b), Value::Money(a)) => Value::Money(*a - *b),
        (Value::Percent(b), Value::Percent(a)) => Value::Percent(a - b),
        _ => Value::Empty,
    }
}

/// Writes the report.
pub fn write_xlsx(
    sim: &Simulation,
    ctx: &ReportContext<'_>,
    path: &Path,
) -> Result<(), ExportError> {
    let mut book = XlsxWriter::new();
    about(&mut book, ctx)?;
    overall(&mut book, &sim.overall)?;
    distribution(&mut book, &sim.overall)?;
    by_region(&mut book, "按乡镇", &sim.townships, ctx)?;
    by_region(&mut book, "按村", &sim.villages, ctx)?;
    book.save(path)
}

fn about(book: &mut XlsxWriter, ctx: &ReportContext<'_>) -> Result<(), ExportError> {
    let columns = vec![
        Column::text("项目").width(28.0),
        Column::text("内容").width(48.0),
    ];
    book.sheet(&Sheet::new("说明", columns).without_autofilter())?;
    let rows: [(&str, String); 8] = [
        ("地区", format!("{} {}", ctx.region.1, ctx.region.0)),
        ("年度", ctx.year.to_string()),
        ("基准政策", ctx.baseline.to_string()),
        ("备选政策", ctx.alternative.to_string()),
        ("相对负担线 R2（元/户/年）", ctx.lines.relative.to_string()),
        (
            "绝对负担线 R3，脱贫户/监测户/低保家庭（元）",
            ctx.lines.vulnerable.to_string(),
        ),
        (
            "绝对负担线 R3，一般农户（元）",
            ctx.lines.ordinary.to_string(),
        ),
        (
            "口径",
            "实际报销比例 = 四重保障基金合计 ÷ 医疗总费用（合计之比）；差额 = 备选 − 基准"
                .to_string(),
        ),
    ];
    for (k, v) in rows {
        book.row(&[k.into(), v.into()])?;
    }
    Ok(())
}

fn overall(book: &mut XlsxWriter, c: &Compared) -> Result<(), ExportError> {
    // Each value carries its own type: counts, money and the ratio share
    // these columns.
    let value = |title| Column::new(title, Kind::Money).width(18.0);
    let columns = vec![
        Column::text("指标").width(30.0),
        value("基准政策"),
        value("备选政策"),
        value("差额"),
    ];
    book.sheet(&Sheet::new("汇总", columns))?;
    for ((label, b), (_, a)) in measures(&c.baseline)
        .into_iter()
        .zip(measures(&c.alternative))
    {
        let d = difference(&b, &a);
        book.row(&[label.into(), b, a, d])?;
    }
    Ok(())
}

fn distribution(book: &mut XlsxWriter, c: &Compared) -> Result<(), ExportError> {
    let count = |title| Column::new(title, Kind::Integer).width(16.0);
    let columns = vec![
        Column::text("家庭年度自付（元）").width(24.0),
        count("基准政策户数"),
        count("备选政策户数"),
        count("差额"),
    ];
    book.sheet(&Sheet::new("户年自付分布", columns))?;
    for (k, label) in BUCKET_LABELS.iter().enumerate() {
        let (b, a) = (c.baseline.buckets[k], c.alternative.buckets[k]);
        let d = difference(&b.into(), &a.into());
        book.row(&[(*label).into(), b.into(), a.into(), d])?;
    }
    Ok(())
}

/// The columns of the township and village sheets.
fn region_columns() -> Vec<Column> {
    let kinds = [
        ("地区代码", Kind::Code),
        ("名称", Kind::Text),
        ("结算笔数", Kind::Integer),
        ("基准：基金合计", Kind::Money),
        ("备选：基金合计", Kind::Money),
        ("差额：基金合计", Kind::Money),
        ("基准：个人自付", Kind::Money),
        ("备选：个人自付", Kind::Money),
        ("差额：个人自付", Kind::Money),
        ("基准：实际报销比例%", Kind::Percent),
        ("备选：实际报销比例%", Kind::Percent),
        ("基准：R2户数", Kind::Integer),
        ("备选：R2户数", Kind::Integer),
        ("基准：R3户数", Kind::Integer),
        ("备选：R3户数", Kind::Integer),
    ];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (title, kind))| Column::new(title, kind).width(if i < 2 { 16.0 } else { 14.0 }))
        .collect()
}

fn by_region(
    book: &mut XlsxWriter,
    title: &'static str,
    rows: &BTreeMap<RegionCode, Compared>,
    ctx: &ReportContext<'_>,
) -> Result<(), ExportError> {
    book.sheet(&Sheet::new(title, region_columns()))?;
    for (code, c) in rows {
        let (b, a) = (&c.baseline, &c.alternative);
        book.row(&[
            code.as_str().into(),
            ctx.names.get(code).map_or("", String::as_str).into(),
            b.claims.into(),
            b.funds().into(),
            a.funds().into(),
            (a.funds() - b.funds()).into(),
            b.out_of_pocket.into(),
            a.out_of_pocket.into(),
            (a.out_of_pocket - b.out_of_pocket).into(),
            ratio(b),
            ratio(a),
            b.over_relative.into(),
            a.over_relative.into(),
            b.over_absolute.into(),
            a.over_absolute.into(),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    use jianfu_domain::Money;

    use super::*;

    fn totals(claims: u64, total: i64, basic: i64) -> Totals {
        Totals {
            claims,
            households: 1,
            total: Money::from_fen(total),
            basic: Money::from_fen(basic),
            out_of_pocket: Money::from_fen(total - basic),
            ..Totals::default()
        }
    }

    #[test]
    fn report_reads_back_with_typed_values() {
        let c = Compared {
            baseline: totals(2, 1_000_000, 600_000),
            alternative: totals(2, 1_000_000, 750_000),
        };
        let village = RegionCode::parse("130624100200").unwrap();
        let sim = Simulation {
            overall: c,
            townships: BTreeMap::new(),
            villages: BTreeMap::from([(village, c)]),
        };
        let names = HashMap::from([(village, "某村".to_string())]);
        let ctx = ReportContext {
            region: ("130624", "阜平县"),
            year: 2023,
            baseline: "基准",
            alternative: "备选",
            lines: BurdenLines::default(),
            names: &names,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim.xlsx");
        write_xlsx(&sim, &ctx, &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(
            wb.sheet_names(),
            ["说明", "汇总", "户年自付分布", "按乡镇", "按村"]
        );
        let rows = |wb: &mut Xlsx<_>, name| -> Vec<Vec<Data>> {
            let range = wb.worksheet_range(name).unwrap();
            range.rows().map(<[Data]>::to_vec).collect()
        };
        let summary = rows(&mut wb, "汇总");
        assert_eq!(summary[1][0], Data::String("结算笔数".into()));
        assert_eq!(
            summary[1][1..],
            [Data::Float(2.0), Data::Float(2.0), Data::Float(0.0)]
        );
        assert_eq!(summary[5][0], Data::String("基本医保支付（元）".into()));
        assert_eq!(summary[5][3], Data::Float(1500.0), "difference in yuan");
        assert_eq!(summary[11][1], Data::Float(0.6), "60 % as a fraction");
        let village = rows(&mut wb, "按村");
        assert_eq!(
            village[1][..2],
            [
                Data::String("130624100200".into()),
                Data::String("某村".into())
            ]
        );
        assert_eq!(village[1][3], Data::Float(6000.0));
        assert_eq!(village[1][10], Data::Float(0.75));
    }
}
