//! Settlement explanations: the steps of a traced settlement as text, in
//! Chinese (the default for users) or English.

use std::fmt::Write;

use jianfu_domain::{ClaimKind, Money, Ratio};

use crate::engine::{Step, SupplementarySkip};

/// Language of an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parses `zh` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "中文" => Some(Lang::Zh),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

fn pct(r: Ratio) -> String {
    let t = r.ten_thousandths();
    let s = format!("{}.{:02}", t / 100, t % 100);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// Renders the steps of one settlement, one line per step.
pub fn explain(steps: &[Step], lang: Lang) -> String {
    let mut out = String::new();
    for step in steps {
        let line = match lang {
            Lang::Zh => zh(step),
            Lang::En => en(step),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

fn kind_zh(kind: ClaimKind) -> &'static str {
    kind.label()
}

fn zh(step: &Step) -> String {
    match step {
        Step::Deductible {
            level,
            admission,
            base,
            factor,
            deductible,
        } => match factor {
            Some(f) => format!(
                "起付线：{}医疗机构 {base}，本年第{admission}次住院 × {} = {deductible}",
                level.label(),
                pct(*f)
            ),
            None => format!(
                "起付线：{}医疗机构，本年第{admission}次住院 {deductible}",
                level.label()
            ),
        },
        Step::Basic {
            kind,
            policy_scope,
            deductible,
            ratio,
            raw,
            cap,
            used_before,
            paid,
        } => {
            let mut s = format!(
                "基本医保（{}）：({policy_scope} − {deductible}) × {} = {raw}",
                kind_zh(*kind),
                pct(*ratio)
            );
            if paid < raw {
                let _ = write!(
                    s,
                    "；达到年度封顶线 {cap}（本年已付 {used_before}），只付 {paid}"
                );
            }
            let _ = write!(s, "；基本医保支付 {paid}");
            s
        }
        Step::OutpatientStops => {
            "普通门诊只由基本医保报销，大病保险、医疗救助、补充保障均为 0.00".into()
        }
        Step::Critical {
            tilted,
            deductible,
            old_base,
            new_base,
            before,
            after,
            cap_reached,
            paid,
        } => {
            let who = if *tilted {
                "倾斜人群"
            } else {
                "普通人群"
            };
            let mut s = format!(
                "大病保险（{who}，起付线 {deductible}）：累计基数 {old_base} → {new_base}，F({new_base}) − F({old_base}) = {after} − {before} = {paid}"
            );
            if *cap_reached {
                s.push_str("（已达年度封顶线）");
            }
            s
        }
        Step::Assistance {
            rule,
            old_base,
            new_base,
            before,
            after,
            paid,
        } => match rule {
            None => {
                format!(
                    "医疗救助：结算时不属于救助对象，支付 0.00；本单不计入救助累计基数（仍为 {new_base}），取得救助身份后起付线和年度限额从头计算"
                )
            }
            Some((g, r)) => format!(
                "医疗救助（{}：起付线 {}，比例 {}，年度限额 {}）：累计基数 {old_base} → {new_base}，G({new_base}) − G({old_base}) = {after} − {before} = {paid}",
                g.label(),
                r.deductible,
                pct(r.ratio),
                r.annual_limit
            ),
        },
        Step::SupplementarySkipped(why) => format!(
            "补充保障：{}，支付 0.00",
            match why {
                SupplementarySkip::NoTier => "本地政策未设补充保障",
                SupplementarySkip::NotInpatient => "只适用于住院",
                SupplementarySkip::NotCountyInternal => "只适用于县域内住院",
                SupplementarySkip::NotEligible => "不属于补充保障人群",
            }
        ),
        Step::SupplementaryTarget {
            ratio,
            target,
            paid_so_far,
            residual,
            paid,
        } => format!(
            "补充保障（目标报销比例 {}）：目标 {target}，前三重已付 {paid_so_far}，差额 {}，不超过政策范围内剩余 {residual}，支付 {paid}",
            pct(*ratio),
            (*target - *paid_so_far).max(Money::ZERO)
        ),
        Step::SupplementaryBanded {
            old_base,
            new_base,
            before,
            after,
            residual,
            paid,
        } => format!(
            "补充保障（分段）：累计基数 {old_base} → {new_base}，H({new_base}) − H({old_base}) = {after} − {before}，不超过剩余 {residual}，支付 {paid}"
        ),
        Step::OutOfPocket {
            total,
            funds,
            out_of_pocket,
        } => format!("个人自付：{total} − {funds} = {out_of_pocket}"),
    }
}

fn en(step: &Step) -> String {
    match step {
        Step::Deductible {
            level,
            admission,
            base,
            factor,
            deductible,
        } => match factor {
            Some(f) => format!(
                "Deductible: {} level {base}, admission {admission} of the year × {} = {deductible}",
                level.code(),
                pct(*f)
            ),
            None => format!(
                "Deductible: {} level, admission {admission} of the year: {deductible}",
                level.code()
            ),
        },
        Step::Basic {
            kind,
            policy_scope,
            deductible,
            ratio,
            raw,
            cap,
            used_before,
            paid,
        } => {
            let mut s = format!(
                "Basic insurance ({}): ({policy_scope} − {deductible}) × {} = {raw}",
                kind.code(),
                pct(*ratio)
            );
            if paid < raw {
                let _ = write!(
                    s,
                    "; annual cap {cap} reached ({used_before} paid earlier), only {paid}"
                );
            }
            let _ = write!(s, "; basic pays {paid}");
            s
        }
        Step::OutpatientStops => {
            "Ordinary outpatient care is covered by basic insurance only: critical, assistance and supplementary are 0.00".into()
        }
        Step::Critical {
            tilted,
            deductible,
            old_base,
            new_base,
            before,
            after,
            cap_reached,
            paid,
        } => {
            let who = if *tilted { "tilted" } else { "ordinary" };
            let mut s = format!(
                "Critical-illness insurance ({who} schedule, deductible {deductible}): annual base {old_base} → {new_base}, F({new_base}) − F({old_base}) = {after} − {before} = {paid}"
            );
            if *cap_reached {
                s.push_str(" (annual cap reached)");
            }
            s
        }
        Step::Assistance {
            rule,
            old_base,
            new_base,
            before,
            after,
            paid,
        } => match rule {
            None => format!(
                "Medical assistance: the person held no assistance group when this claim was settled, so it pays 0.00 and does not count toward the assistance base (stays {new_base}); the deductible and annual limit start from the date the person becomes an assistance object"
            ),
            Some((g, r)) => format!(
                "Medical assistance ({}: deductible {}, ratio {}, annual limit {}): annual base {old_base} → {new_base}, G({new_base}) − G({old_base}) = {after} − {before} = {paid}",
                g.code(),
                r.deductible,
                pct(r.ratio),
                r.annual_limit
            ),
        },
        Step::SupplementarySkipped(why) => format!(
            "Supplementary cover: {}, pays 0.00",
            match why {
                SupplementarySkip::NoTier => "the policy has none",
                SupplementarySkip::NotInpatient => "inpatient claims only",
                SupplementarySkip::NotCountyInternal => "county-internal admissions only",
                SupplementarySkip::NotEligible => "not an eligible group",
            }
        ),
        Step::SupplementaryTarget {
            ratio,
            target,
            paid_so_far,
            residual,
            paid,
        } => format!(
            "Supplementary cover (target ratio {}): target {target}, tiers 1–3 paid {paid_so_far}, gap {}, at most the remaining policy-scope cost {residual}: pays {paid}",
            pct(*ratio),
            (*target - *paid_so_far).max(Money::ZERO)
        ),
        Step::SupplementaryBanded {
            old_base,
            new_base,
            before,
            after,
            residual,
            paid,
        } => format!(
            "Supplementary cover (banded): annual base {old_base} → {new_base}, H({new_base}) − H({old_base}) = {after} − {before}, at most the remainder {residual}: pays {paid}"
        ),
        Step::OutOfPocket {
            total,
            funds,
            out_of_pocket,
        } => format!("Out of pocket: {total} − {funds} = {out_of_pocket}"),
    }
}
