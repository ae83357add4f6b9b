//! The simulation report as an Excel workbook: a sheet of parameters, the
//! overall comparison, the household out-of-pocket distribution, and one
//! row per township and per village. Money in yuan with two decimals.

use std::collections::HashMap;
use std::path::Path;

use jianfu_domain::{Money, RegionCode};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

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

fn yuan(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}

/// (label, value) of the comparable measures of a region.
fn measures(t: &Totals) -> Vec<(&'static str, f64)> {
    vec![
        ("结算笔数", t.claims as f64),
        ("有结算的户数", t.households as f64),
        ("医疗总费用（元）", yuan(t.total)),
        ("政策范围内费用（元）", yuan(t.policy_scope)),
        ("基本医保支付（元）", yuan(t.basic)),
        ("大病保险支付（元）", yuan(t.critical)),
        ("医疗救助支付（元）", yuan(t.assistance)),
        ("补充保障支付（元）", yuan(t.supplementary)),
        ("基金合计（元）", yuan(t.funds())),
        ("个人自付合计（元）", yuan(t.out_of_pocket)),
        ("实际报销比例（%）", t.actual_ratio().unwrap_or(0.0)),
        ("超过相对负担线的户数（R2）", t.over_relative as f64),
        ("超过绝对负担线的户数（R3）", t.over_absolute as f64),
    ]
}

/// Writes the report.
pub fn write_xlsx(sim: &Simulation, ctx: &ReportContext<'_>, path: &Path) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    about(book.add_worksheet(), ctx, &bold)?;
    overall(book.add_worksheet(), &sim.overall, &bold, &money)?;
    distribution(book.add_worksheet(), &sim.overall, &bold)?;
    by_region(
        book.add_worksheet().set_name("按乡镇")?,
        &sim.townships,
        ctx,
        &bold,
        &money,
    )?;
    by_region(
        book.add_worksheet().set_name("按村")?,
        &sim.villages,
        ctx,
        &bold,
        &money,
    )?;
    book.save(path)
}

fn about(sheet: &mut Worksheet, ctx: &ReportContext<'_>, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("说明")?;
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 48)?;
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
    for (r, (k, v)) in rows.iter().enumerate() {
        sheet.write_string_with_format(r as u32, 0, *k, bold)?;
        sheet.write_string(r as u32, 1, v)?;
    }
    Ok(())
}

fn overall(
    sheet: &mut Worksheet,
    c: &Compared,
    bold: &Format,
    money: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("汇总")?;
    sheet.set_column_width(0, 30)?;
    for (col, title) in ["指标", "基准政策", "备选政策", "差额"].iter().enumerate() {
        sheet.set_column_width(col as u16 + 1, 18)?;
        sheet.write_string_with_format(0, col as u16, *title, bold)?;
    }
    let (b, a) = (measures(&c.baseline), measures(&c.alternative));
    for (r, ((label, bv), (_, av))) in b.iter().zip(&a).enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *label)?;
        sheet.write_number_with_format(r, 1, *bv, money)?;
        sheet.write_number_with_format(r, 2, *av, money)?;
        sheet.write_number_with_format(r, 3, av - bv, money)?;
    }
    Ok(())
}

fn distribution(sheet: &mut Worksheet, c: &Compared, bold: &Format) -> Result<(), XlsxError> {
    sheet.set_name("户年自付分布")?;
    sheet.set_column_width(0, 24)?;
    for (col, title) in ["家庭年度自付（元）", "基准政策户数", "备选政策户数", "差额"]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16 + 1, 16)?;
        sheet.write_string_with_format(0, col as u16, *title, bold)?;
    }
    for (k, label) in BUCKET_LABELS.iter().enumerate() {
        let r = k as u32 + 1;
        let (b, a) = (
            c.baseline.buckets[k] as f64,
            c.alternative.buckets[k] as f64,
        );
        sheet.write_string(r, 0, *label)?;
        sheet.write_number(r, 1, b)?;
        sheet.write_number(r, 2, a)?;
        sheet.write_number(r, 3, a - b)?;
    }
    Ok(())
}

fn by_region(
    sheet: &mut Worksheet,
    rows: &std::collections::BTreeMap<RegionCode, Compared>,
    ctx: &ReportContext<'_>,
    bold: &Format,
    money: &Format,
) -> Result<(), XlsxError> {
    let headers = [
        "地区代码",
        "名称",
        "结算笔数",
        "基准：基金合计",
        "备选：基金合计",
        "差额：基金合计",
        "基准：个人自付",
        "备选：个人自付",
        "差额：个人自付",
        "基准：实际报销比例%",
        "备选：实际报销比例%",
        "基准：R2户数",
        "备选：R2户数",
        "基准：R3户数",
        "备选：R3户数",
    ];
    for (col, title) in headers.iter().enumerate() {
        sheet.set_column_width(col as u16, if col < 2 { 16 } else { 14 })?;
        sheet.write_string_with_format(0, col as u16, *title, bold)?;
    }
    for (r, (code, c)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        let (b, a) = (&c.baseline, &c.alternative);
        sheet.write_string(r, 0, code.as_str())?;
        sheet.write_string(r, 1, ctx.names.get(code).map_or("", String::as_str))?;
        sheet.write_number(r, 2, b.claims as f64)?;
        let values = [
            yuan(b.funds()),
            yuan(a.funds()),
            yuan(a.funds() - b.funds()),
            yuan(b.out_of_pocket),
            yuan(a.out_of_pocket),
            yuan(a.out_of_pocket - b.out_of_pocket),
            b.actual_ratio().unwrap_or(0.0),
            a.actual_ratio().unwrap_or(0.0),
        ];
        for (k, v) in values.iter().enumerate() {
            sheet.write_number_with_format(r, 3 + k as u16, *v, money)?;
        }
        for (k, v) in [
            b.over_relative,
            a.over_relative,
            b.over_absolute,
            a.over_absolute,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_number(r, 11 + k as u16, *v as f64)?;
        }
    }
    Ok(())
}
