//! Bar charts drawn on the server as inline SVG: no script, no chart
//! library, and readable without the picture — the SVG is an image with a
//! title and a description, each bar carries its value as a tooltip
//! (`<title>`), and the same numbers follow in a table.
//!
//! The SVG scales to its box (`viewBox`, width 100 % in CSS), so a chart
//! fits a phone as well as a desktop; its labels are kept short (the
//! card's compact form) and the table holds the whole values.

use maud::{Markup, PreEscaped, html};

use crate::i18n::{Lang, t};

/// One series of bars: a name for the legend and table, a CSS class for
/// its colour (`s0`, `s1` …), a value per label.
pub struct Series<'a> {
    /// Shown in the legend and as a table column.
    pub name: &'a str,
    /// Its values, one per label.
    pub values: Vec<i64>,
}

/// A grouped bar chart.
pub struct BarChart<'a> {
    /// The page's language (the table's head, the description).
    pub lang: Lang,
    /// Unique on the page: the ids of its title and description.
    pub id: &'a str,
    /// The chart's title (its caption and accessible name).
    pub title: &'a str,
    /// One group of bars per label (years).
    pub labels: Vec<String>,
    /// The series, in legend order.
    pub series: Vec<Series<'a>>,
    /// Short form for the axis and tooltips.
    pub short: fn(i64) -> String,
    /// Whole form for the table.
    pub full: fn(i64) -> String,
    /// The unit after a value (`元`, `条`), in tooltips and the table head.
    pub unit: &'a str,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const TICKS: i64 = 4;

/// The smallest "round" top of the axis at or above `max` (1, 2, 2.5 or 5
/// times a power of ten), so the tick labels are round numbers.
fn axis_top(max: i64) -> i64 {
    if max <= 0 {
        return TICKS;
    }
    let mut power = 1i64;
    while power.saturating_mul(10) <= max / TICKS {
        power = power.saturating_mul(10);
    }
    for step in [1, 2, 5, 10] {
        let top = power.saturating_mul(step).saturating_mul(TICKS);
        if top >= max {
            return top;
        }
    }
    power.saturating_mul(10).saturating_mul(TICKS)
}

/// The chart, its legend and its data table.
pub fn bar_chart(c: &BarChart<'_>) -> Markup {
    let max = c.series.iter().flat_map(|s| s.values.iter().copied()).max();
    let top = axis_top(max.unwrap_or(0));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y = |v: i64| TOP + plot_h - plot_h * (v.max(0) as f64) / (top as f64);
    let group_w = plot_w / c.labels.len().max(1) as f64;
    let bar_w = group_w * 0.8 / c.series.len().max(1) as f64;
    let title_id = format!("{}-title", c.id);
    let desc_id = format!("{}-desc", c.id);
    html! {
        figure.chart {
            figcaption #(title_id) { (c.title) }
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-labelledby=(format!("{title_id} {desc_id}")) {
                desc #(desc_id) { (description(c)) }
                @for i in 0..=TICKS {
                    @let v = top / TICKS * i;
                    line.grid x1=(LEFT) x2=(W - RIGHT) y1=(fmt(y(v))) y2=(fmt(y(v))) {}
                    text.tick x=(LEFT - 6.0) y=(fmt(y(v) + 4.0)) text-anchor="end" { ((c.short)(v)) }
                }
                @for (g, label) in c.labels.iter().enumerate() {
                    @let x0 = LEFT + group_w * g as f64 + group_w * 0.1;
                    @for (k, s) in c.series.iter().enumerate() {
                        @let v = s.values.get(g).copied().unwrap_or(0);
                        rect class=(format!("s{k}")) x=(fmt(x0 + bar_w * k as f64)) y=(fmt(y(v)))
                            width=(fmt(bar_w)) height=(fmt(TOP + plot_h - y(v))) {
                            title { (label) " " (s.name) "：" ((c.short)(v)) (c.unit) }
                        }
                    }
                    text.tick x=(fmt(LEFT + group_w * (g as f64 + 0.5))) y=(fmt(H - 8.0)) text-anchor="middle" { (label) }
                }
            }
            ul.legend {
                @for (k, s) in c.series.iter().enumerate() {
                    li { span class=(format!("key s{k}")) aria-hidden="true" {} (s.name) }
                }
            }
            details {
                summary { (t(c.lang, "数据表")) }
                (table(c))
            }
        }
    }
}

/// One sentence a screen reader says for the picture.
fn description(c: &BarChart<'_>) -> String {
    let names: Vec<&str> = c.series.iter().map(|s| s.name).collect();
    let span = match (c.labels.first(), c.labels.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}—{b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    };
    format!(
        "{span}: {}. {}",
        names.join(", "),
        t(c.lang, "数值见图下数据表。")
    )
}

fn table(c: &BarChart<'_>) -> Markup {
    html! {
        table.chart-data {
            caption { (c.title) }
            thead { tr {
                th scope="col" { (t(c.lang, "年度")) }
                @for s in &c.series { th.num scope="col" { (s.name) "（" (c.unit) "）" } }
            } }
            tbody {
                @for (g, label) in c.labels.iter().enumerate() {
                    tr {
                        th scope="row" { (label) }
                        @for s in &c.series {
                            td.num { ((c.full)(s.values.get(g).copied().unwrap_or(0))) }
                        }
                    }
                }
            }
        }
    }
}

/// A coordinate with one decimal: enough for a 640-wide box.
fn fmt(v: f64) -> PreEscaped<String> {
    PreEscaped(format!("{v:.1}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_top(0), 4);
        assert_eq!(axis_top(3), 4);
        assert_eq!(axis_top(7), 8);
        assert_eq!(axis_top(95), 200);
        assert_eq!(axis_top(4_933_835_077), 8_000_000_000);
        assert_eq!(axis_top(4_000), 4_000);
    }

    #[test]
    fn bars_tooltips_and_table() {
        let c = BarChart {
            lang: Lang::Zh,
            id: "t",
            title: "历年医疗费用",
            labels: vec!["2023".into(), "2024".into()],
            series: vec![
                Series {
                    name: "医疗总费用",
                    values: vec![1_000_000, 4_933_835_077],
                },
                Series {
                    name: "个人自付",
                    values: vec![200_000, 0],
                },
            ],
            short: crate::money::compact,
            full: crate::money::grouped,
            unit: "元",
        };
        let html = bar_chart(&c).into_string();
        assert_eq!(html.matches("<rect").count(), 4);
        assert!(html.contains("2024 医疗总费用：4,933.84万元"), "{html}");
        assert!(html.contains("<td class=\"num\">49,338,350.77</td>"));
        assert!(html.contains("aria-labelledby=\"t-title t-desc\""));
        // The tallest bar reaches the axis top's share of the plot.
        assert!(html.contains("height=\"0.0\""), "a zero bar has no height");
    }
}
