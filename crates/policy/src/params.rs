//! Settlement parameter sets (政策参数): the TOML file a county writes, read
//! into a checked [`Policy`].
//!
//! Reading is strict because a wrong parameter silently moves money: unknown
//! keys, ratios above 1, negative money, bands out of order, unknown groups
//! and missing facility levels are refused with the key that is wrong. The
//! reference set `reference-2023` ships in the binary.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use jianfu_domain::{ClaimKind, FacilityLevel, Group, GroupSet, Money, Ratio};
use serde::Deserialize;
use thiserror::Error;

/// The built-in parameter sets: (name, TOML text).
pub const BUILT_IN: &[(&str, &str)] = &[(
    "reference-2023",
    include_str!("../../../data/policies/reference-2023.toml"),
)];

/// Why a parameter file was refused. `key` is the dotted TOML path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// Not TOML, a wrong type, an unknown or a missing key.
    #[error("政策参数文件格式错误：{0}")]
    Syntax(String),
    /// A money value that does not parse or is negative.
    #[error("{key} = “{value}”：{reason}")]
    Money {
        /// Where.
        key: String,
        /// The text given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A ratio that does not parse or lies outside 0–1.
    #[error("{key} = “{value}”：{reason}")]
    Ratio {
        /// Where.
        key: String,
        /// The text given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A date that does not parse, or validity dates in the wrong order.
    #[error("{key} = “{value}”：{reason}")]
    Date {
        /// Where.
        key: String,
        /// The text given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// The region prefix is not 2, 4, 6, 9 or 12 digits.
    #[error("region = “{0}”：地区代码前缀应为2、4、6、9或12位数字")]
    Region(String),
    /// A group code that is not in the code list.
    #[error("{key}：未知的人员类别“{value}”")]
    UnknownGroup {
        /// Where.
        key: String,
        /// The text given.
        value: String,
    },
    /// A group listed twice.
    #[error("{key}：人员类别“{group}”重复")]
    DuplicateGroup {
        /// Where.
        key: String,
        /// The group code.
        group: String,
    },
    /// A facility level without parameters, or an unknown one.
    #[error("basic.levels：{reason}")]
    Level {
        /// What is wrong.
        reason: String,
    },
    /// Bands whose bounds do not rise, or an open band before the last.
    #[error("{key}：{reason}")]
    Bands {
        /// Where.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule that must be present is missing or does not fit the others.
    #[error("{key}：{reason}")]
    Rule {
        /// Where.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// `--policy NAME` names no built-in set.
    #[error("没有名为“{0}”的内置政策参数（可用：reference-2023），或请给出 .toml 文件路径")]
    UnknownBuiltIn(String),
}

/// A checked settlement parameter set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Display name, e.g. `示例县 2023`.
    pub name: String,
    /// Region code prefix the set applies to (2, 4, 6, 9 or 12 digits).
    pub region: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity (inclusive).
    pub valid_to: NaiveDate,
    /// Tier 1: 基本医保.
    pub basic: Basic,
    /// Tier 2: 大病保险.
    pub critical: Critical,
    /// Tier 3: 医疗救助.
    pub assistance: Assistance,
    /// Tier 4: 补充保障; `None` when the region has none.
    pub supplementary: Option<Supplementary>,
}

/// Tier-1 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basic {
    /// Cap on inpatient Tier-1 payments per person-year (封顶线).
    pub annual_cap: Money,
    /// Deductible factor from the second admission of the year on.
    pub repeat_deductible_factor: Ratio,
    /// Inpatient deductible and ratio per [`FacilityLevel`] (by index).
    pub levels: [LevelRule; 4],
    /// 门诊慢特病.
    pub outpatient_chronic: KindRule,
    /// 普通门诊.
    pub outpatient: KindRule,
}

/// Inpatient rule of one facility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelRule {
    /// 起付线 per admission.
    pub deductible: Money,
    /// Share of (policy-scope − deductible) paid.
    pub ratio: Ratio,
}

/// Outpatient rule: no deductible, own ratio and annual cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRule {
    /// Share of the policy-scope cost paid.
    pub ratio: Ratio,
    /// Cap per person-year for this kind.
    pub annual_cap: Money,
}

/// Tier-2 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Critical {
    /// Holders of any of these groups get the tilted schedule.
    pub tilted_groups: GroupSet,
    /// Schedule of everybody else.
    pub ordinary: Bands,
    /// Schedule of the tilted groups.
    pub tilted: Bands,
}

/// A banded schedule on a cumulative annual base: nothing up to the
/// deductible, then each band's ratio on the part of the base inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bands {
    /// Where the first band starts.
    pub deductible: Money,
    /// Cap on the schedule's total; `None` = no cap.
    pub cap: Option<Money>,
    /// The bands in order; only the last is open-ended.
    pub bands: Vec<Band>,
    segments: Vec<Segment>,
}

/// One band of a [`Bands`] schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Upper end of the band; `None` for the open last band.
    pub upto: Option<Money>,
    /// Share of the base inside the band that is paid.
    pub ratio: Ratio,
}

/// A band compiled for evaluation: bounds in fen and the exact amount
/// (1/10000 fen) owed below its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    lo: i64,
    hi: i64,
    ratio: i128,
    below: i128,
}

impl Bands {
    /// The schedule's amount for a cumulative base: exact band sums,
    /// rounded half-up once, then capped.
    #[inline]
    pub fn amount(&self, base: Money) -> Money {
        let b = base.fen();
        let mut exact = 0i128;
        for s in &self.segments {
            if b <= s.lo {
                break;
            }
            exact = s.below + i128::from(b.min(s.hi) - s.lo) * s.ratio;
            if b <= s.hi {
                break;
            }
        }
        let amount = Money::from_exact(exact);
        match self.cap {
            Some(cap) => amount.min(cap),
            None => amount,
        }
    }

    /// True when `base` is at or beyond the point where the cap binds.
    pub fn cap_reached(&self, base: Money) -> bool {
        self.cap.is_some_and(|cap| self.amount(base) >= cap)
    }
}

/// Tier-3 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistance {
    /// Groups in order of precedence: the first one a person holds applies.
    pub order: Vec<Group>,
    rules: [Option<AssistanceRule>; 7],
}

/// Tier-3 rule of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssistanceRule {
    /// Annual deductible on the assistance base.
    pub deductible: Money,
    /// Share of the base above the deductible.
    pub ratio: Ratio,
    /// Annual limit of assistance.
    pub annual_limit: Money,
}

impl AssistanceRule {
    /// `G(base)`: assistance owed on a cumulative annual base.
    #[inline]
    pub fn amount(&self, base: Money) -> Money {
        (base - self.deductible)
            .max(Money::ZERO)
            .mul_ratio(self.ratio)
            .min(self.annual_limit)
    }
}

impl Assistance {
    /// The group whose rule applies to a holder of `groups`, with the rule.
    #[inline]
    pub fn rule_for(&self, groups: GroupSet) -> Option<(Group, &AssistanceRule)> {
        if groups.is_empty() {
            return None;
        }
        self.order.iter().find_map(|&g| {
            if groups.contains(g) {
                self.rules[g as usize].as_ref().map(|r| (g, r))
            } else {
                None
            }
        })
    }

    /// The rule of one group, if it has one.
    pub fn rule(&self, group: Group) -> Option<&AssistanceRule> {
        self.rules[group as usize].as_ref()
    }
}

/// Tier-4 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplementary {
    /// Holders of any of these groups are eligible.
    pub groups: GroupSet,
    /// How the amount is computed.
    pub design: SupplementaryDesign,
}

/// The two Tier-4 designs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupplementaryDesign {
    /// Top up until the claim's fund share reaches this share of its total.
    TargetRatio(Ratio),
    /// Bands on the cumulative Tier-4 base (the burden left after Tier 3).
    Banded(Bands),
}

impl Policy {
    /// Reads and checks a parameter file.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string().trim().into()))?;
        raw.check()
    }

    /// A built-in parameter set by name.
    pub fn built_in(name: &str) -> Result<Policy, PolicyError> {
        let (_, text) = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| PolicyError::UnknownBuiltIn(name.to_string()))?;
        Policy::from_toml(text)
    }

    /// The TOML text of a built-in set.
    pub fn built_in_text(name: &str) -> Option<&'static str> {
        BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// Tier-1 inpatient rule of a level.
    #[inline]
    pub fn level(&self, level: FacilityLevel) -> &LevelRule {
        &self.basic.levels[level.index()]
    }

    /// Tier-1 outpatient rule of a kind; `None` for inpatient.
    #[inline]
    pub fn kind_rule(&self, kind: ClaimKind) -> Option<&KindRule> {
        match kind {
            ClaimKind::Inpatient => None,
            ClaimKind::OutpatientChronic => Some(&self.basic.outpatient_chronic),
            ClaimKind::Outpatient => Some(&self.basic.outpatient),
        }
    }

    /// True when the set is in force for a region code on a day.
    pub fn applies_to(&self, region_code: &str, on: NaiveDate) -> bool {
        region_code.starts_with(&self.region) && self.valid_from <= on && on <= self.valid_to
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    region: String,
    valid_from: RawDate,
    valid_to: RawDate,
    basic: RawBasic,
    critical: RawCritical,
    assistance: RawAssistance,
    supplementary: Option<RawSupplementary>,
}

/// Dates may be written quoted (`"2023-01-01"`) or as TOML dates.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasic {
    annual_cap: String,
    repeat_deductible_factor: String,
    levels: BTreeMap<String, RawLevel>,
    outpatient_chronic: RawKind,
    outpatient: RawKind,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    deductible: String,
    ratio: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    ratio: String,
    annual_cap: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCritical {
    #[serde(default)]
    tilted_groups: Vec<String>,
    ordinary: RawBands,
    tilted: Option<RawBands>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBands {
    deductible: String,
    cap: Option<String>,
    bands: Vec<RawBand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    upto: Option<String>,
    ratio: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssistance {
    order: Vec<String>,
    #[serde(default)]
    groups: BTreeMap<String, RawAssistanceRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssistanceRule {
    deductible: String,
    ratio: String,
    annual_limit: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupplementary {
    design: String,
    groups: Vec<String>,
    target_ratio: Option<String>,
    deductible: Option<String>,
    cap: Option<String>,
    bands: Option<Vec<RawBand>>,
}

fn money(key: &str, value: &str) -> Result<Money, PolicyError> {
    let err = |reason: String| PolicyError::Money {
        key: key.to_string(),
        value: value.to_string(),
        reason,
    };
    let m = Money::from_yuan_str(value).map_err(|e| err(e.to_string()))?;
    if m < Money::ZERO {
        return Err(err("金额不能为负数".into()));
    }
    Ok(m)
}

fn ratio(key: &str, value: &str) -> Result<Ratio, PolicyError> {
    let err = |reason: String| PolicyError::Ratio {
        key: key.to_string(),
        value: value.to_string(),
        reason,
    };
    if value.trim().starts_with('-') {
        return Err(err("比例不能为负数".into()));
    }
    let r = Ratio::parse(value).map_err(|e| err(e.to_string()))?;
    if !r.is_at_most_one() {
        return Err(err("比例不能大于1（请写成小数，如 0.65）".into()));
    }
    Ok(r)
}

fn date(key: &str, raw: &RawDate) -> Result<NaiveDate, PolicyError> {
    let text = match raw {
        RawDate::Text(s) => s.trim().to_string(),
        RawDate::Toml(d) => d.to_string(),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| PolicyError::Date {
        key: key.to_string(),
        value: text.clone(),
        reason: "日期应写作 YYYY-MM-DD".into(),
    })
}

fn group(key: &str, value: &str) -> Result<Group, PolicyError> {
    Group::from_code(value.trim()).ok_or_else(|| PolicyError::UnknownGroup {
        key: key.to_string(),
        value: value.to_string(),
    })
}

fn group_set(key: &str, values: &[String]) -> Result<GroupSet, PolicyError> {
    let mut set = GroupSet::EMPTY;
    for (i, v) in values.iter().enumerate() {
        let g = group(&format!("{key}[{i}]"), v)?;
        if set.contains(g) {
            return Err(PolicyError::DuplicateGroup {
                key: key.to_string(),
                group: g.code().to_string(),
            });
        }
        set.insert(g);
    }
    Ok(set)
}

impl RawPolicy {
    fn check(self) -> Result<Policy, PolicyError> {
        let region = self.region.trim().to_string();
        if !matches!(region.len(), 2 | 4 | 6 | 9 | 12)
            || !region.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(PolicyError::Region(region));
        }
        let valid_from = date("valid_from", &self.valid_from)?;
        let valid_to = date("valid_to", &self.valid_to)?;
        if valid_to < valid_from {
            return Err(PolicyError::Date {
                key: "valid_to".into(),
                value: valid_to.to_string(),
                reason: format!("结束日期早于开始日期 {valid_from}"),
            });
        }
        if self.name.trim().is_empty() {
            return Err(PolicyError::Rule {
                key: "name".into(),
                reason: "名称不能为空".into(),
            });
        }
        Ok(Policy {
            name: self.name.trim().to_string(),
            region,
            valid_from,
            valid_to,
            basic: self.basic.check()?,
            critical: self.critical.check()?,
            assistance: self.assistance.check()?,
            supplementary: self
                .supplementary
                .map(RawSupplementary::check)
                .transpose()?,
        })
    }
}

impl RawBasic {
    fn check(self) -> Result<Basic, PolicyError> {
        for name in self.levels.keys() {
            if FacilityLevel::from_code(name).is_none() {
                return Err(PolicyError::Level {
                    reason: format!(
                        "未知的医疗机构级别“{name}”（应为 township、county、city、province）"
                    ),
                });
            }
        }
        let mut levels = [LevelRule {
            deductible: Money::ZERO,
            ratio: Ratio::ZERO,
        }; 4];
        for level in FacilityLevel::ALL {
            let raw = self
                .levels
                .get(level.code())
                .ok_or_else(|| PolicyError::Level {
                    reason: format!("缺少 [basic.levels.{}]（{}）", level.code(), level.label()),
                })?;
            let key = format!("basic.levels.{}", level.code());
            levels[level.index()] = LevelRule {
                deductible: money(&format!("{key}.deductible"), &raw.deductible)?,
                ratio: ratio(&format!("{key}.ratio"), &raw.ratio)?,
            };
        }
        Ok(Basic {
            annual_cap: money("basic.annual_cap", &self.annual_cap)?,
            repeat_deductible_factor: ratio(
                "basic.repeat_deductible_factor",
                &self.repeat_deductible_factor,
            )?,
            levels,
            outpatient_chronic: self.outpatient_chronic.check("basic.outpatient_chronic")?,
            outpatient: self.outpatient.check("basic.outpatient")?,
        })
    }
}

impl RawKind {
    fn check(&self, key: &str) -> Result<KindRule, PolicyError> {
        Ok(KindRule {
            ratio: ratio(&format!("{key}.ratio"), &self.ratio)?,
            annual_cap: money(&format!("{key}.annual_cap"), &self.annual_cap)?,
        })
    }
}

impl RawCritical {
    fn check(self) -> Result<Critical, PolicyError> {
        let tilted_groups = group_set("critical.tilted_groups", &self.tilted_groups)?;
        let ordinary = self.ordinary.check("critical.ordinary")?;
        let tilted = match self.tilted {
            Some(t) => t.check("critical.tilted")?,
            None if tilted_groups.is_empty() => ordinary.clone(),
            None => {
                return Err(PolicyError::Rule {
                    key: "critical.tilted".into(),
                    reason: "列出了 tilted_groups，但缺少倾斜人群的起付线和分段比例".into(),
                });
            }
        };
        Ok(Critical {
            tilted_groups,
            ordinary,
            tilted,
        })
    }
}

impl RawBands {
    fn check(&self, key: &str) -> Result<Bands, PolicyError> {
        let deductible = money(&format!("{key}.deductible"), &self.deductible)?;
        let cap = self
            .cap
            .as_deref()
            .map(|c| money(&format!("{key}.cap"), c))
            .transpose()?;
        compile_bands(key, deductible, cap, &self.bands)
    }
}

fn compile_bands(
    key: &str,
    deductible: Money,
    cap: Option<Money>,
    raw: &[RawBand],
) -> Result<Bands, PolicyError> {
    if raw.is_empty() {
        return Err(PolicyError::Bands {
            key: format!("{key}.bands"),
            reason: "至少需要一个分段".into(),
        });
    }
    let mut bands = Vec::with_capacity(raw.len());
    let mut segments = Vec::with_capacity(raw.len());
    let mut lo = deductible;
    let mut below = 0i128;
    for (i, b) in raw.iter().enumerate() {
        let band_key = format!("{key}.bands[{i}]");
        let ratio = ratio(&format!("{band_key}.ratio"), &b.ratio)?;
        let last = i + 1 == raw.len();
        let upto = match (&b.upto, last) {
            (Some(u), _) => Some(money(&format!("{band_key}.upto"), u)?),
            (None, true) => None,
            (None, false) => {
                return Err(PolicyError::Bands {
                    key: band_key,
                    reason: "只有最后一段可以不写 upto".into(),
                });
            }
        };
        if let Some(u) = upto
            && u <= lo
        {
            return Err(PolicyError::Bands {
                key: format!("{band_key}.upto"),
                reason: format!("分段上限 {u} 应大于本段起点 {lo}（起付线或上一段上限）"),
            });
        }
        let hi = upto.map_or(i64::MAX, Money::fen);
        segments.push(Segment {
            lo: lo.fen(),
            hi,
            ratio: i128::from(ratio.ten_thousandths()),
            below,
        });
        if let Some(u) = upto {
            below += (u - lo).mul_ratio_exact(ratio);
            lo = u;
        }
        bands.push(Band { upto, ratio });
    }
    Ok(Bands {
        deductible,
        cap,
        bands,
        segments,
    })
}

impl RawAssistance {
    fn check(self) -> Result<Assistance, PolicyError> {
        let set = group_set("assistance.order", &self.order)?;
        let order: Vec<Group> = self
            .order
            .iter()
            .map(|g| Group::from_code(g.trim()).expect("checked by group_set"))
            .collect();
        let mut rules: [Option<AssistanceRule>; 7] = [None; 7];
        for (name, raw) in &self.groups {
            let key = format!("assistance.groups.{name}");
            let g = group(&key, name)?;
            if !set.contains(g) {
                return Err(PolicyError::Rule {
                    key,
                    reason: "该人员类别不在 assistance.order 中，规则永远不会生效".into(),
                });
            }
            rules[g as usize] = Some(AssistanceRule {
                deductible: money(&format!("{key}.deductible"), &raw.deductible)?,
                ratio: ratio(&format!("{key}.ratio"), &raw.ratio)?,
                annual_limit: money(&format!("{key}.annual_limit"), &raw.annual_limit)?,
            });
        }
        if let Some(g) = order.iter().find(|g| rules[**g as usize].is_none()) {
            return Err(PolicyError::Rule {
                key: format!("assistance.groups.{}", g.code()),
                reason: format!("assistance.order 列出了“{}”，但缺少它的救助参数", g.label()),
            });
        }
        Ok(Assistance { order, rules })
    }
}

impl RawSupplementary {
    fn check(self) -> Result<Supplementary, PolicyError> {
        let groups = group_set("supplementary.groups", &self.groups)?;
        let missing = |what: &str| PolicyError::Rule {
            key: format!("supplementary.{what}"),
            reason: format!("design = \"{}\" 需要 {what}", self.design),
        };
        let unused = |what: &str| PolicyError::Rule {
            key: format!("supplementary.{what}"),
            reason: format!("design = \"{}\" 不使用 {what}", self.design),
        };
        let design = match self.design.trim() {
            "target_ratio" => {
                if self.bands.is_some() {
                    return Err(unused("bands"));
                }
                if self.deductible.is_some() {
                    return Err(unused("deductible"));
                }
                let t = self
                    .target_ratio
                    .as_deref()
                    .ok_or_else(|| missing("target_ratio"))?;
                SupplementaryDesign::TargetRatio(ratio("supplementary.target_ratio", t)?)
            }
            "banded" => {
                if self.target_ratio.is_some() {
                    return Err(unused("target_ratio"));
                }
                let ded = self
                    .deductible
                    .as_deref()
                    .ok_or_else(|| missing("deductible"))?;
                let bands = self.bands.as_deref().ok_or_else(|| missing("bands"))?;
                let deductible = money("supplementary.deductible", ded)?;
                let cap = self
                    .cap
                    .as_deref()
                    .map(|c| money("supplementary.cap", c))
                    .transpose()?;
                SupplementaryDesign::Banded(compile_bands("supplementary", deductible, cap, bands)?)
            }
            other => {
                return Err(PolicyError::Rule {
                    key: "supplementary.design".into(),
                    reason: format!("未知的设计“{other}”（应为 target_ratio 或 banded）"),
                });
            }
        };
        Ok(Supplementary { groups, design })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> String {
        Policy::built_in_text("reference-2023").unwrap().to_string()
    }

    fn refused(text: &str) -> PolicyError {
        Policy::from_toml(text).expect_err("should be refused")
    }

    #[test]
    fn reference_set_reads() {
        let p = Policy::built_in("reference-2023").unwrap();
        assert_eq!(p.region, "130624");
        assert_eq!(
            p.level(FacilityLevel::City).deductible,
            Money::from_yuan(1000)
        );
        assert_eq!(p.critical.ordinary.cap, Some(Money::from_yuan(400_000)));
        assert_eq!(p.critical.tilted.cap, None);
        assert_eq!(
            p.assistance
                .rule_for(GroupSet::of(&[Group::Monitored, Group::Subsistence]))
                .map(|r| r.0),
            Some(Group::Subsistence)
        );
        assert_eq!(
            p.assistance.rule_for(GroupSet::of(&[Group::FormerlyPoor])),
            None
        );
        assert!(matches!(
            p.supplementary.unwrap().design,
            SupplementaryDesign::TargetRatio(r) if r == Ratio::from_ten_thousandths(9000)
        ));
    }

    #[test]
    fn band_amounts_match_the_worked_example() {
        let p = Policy::built_in("reference-2023").unwrap();
        let f = &p.critical.tilted;
        assert_eq!(f.amount(Money::from_yuan(7_500)), Money::ZERO);
        assert_eq!(f.amount(Money::from_yuan(18_850)), Money::from_fen(737_750));
        assert_eq!(f.amount(Money::from_yuan(71_300)), Money::from_yuan(43_600));
        assert_eq!(
            f.amount(Money::from_yuan(108_000)),
            Money::from_yuan(71_925)
        );
        let o = &p.critical.ordinary;
        assert_eq!(
            o.amount(Money::from_yuan(10_000_000)),
            Money::from_yuan(400_000)
        );
        assert!(o.cap_reached(Money::from_yuan(10_000_000)));
    }

    #[test]
    fn errors_name_the_key() {
        let t = reference().replace(
            "ratio = \"0.65\"\nannual_cap = \"20000.00\"",
            "ratio = \"1.65\"\nannual_cap = \"20000.00\"",
        );
        assert!(
            refused(&t)
                .to_string()
                .contains("basic.outpatient_chronic.ratio")
        );

        let t = reference().replace("annual_cap = \"150000.00\"", "annual_cap = \"-1.00\"");
        assert!(matches!(refused(&t), PolicyError::Money { key, .. } if key == "basic.annual_cap"));

        let t = reference().replace(
            "[basic.levels.province]\ndeductible = \"1500.00\"\nratio = \"0.60\"\n",
            "",
        );
        assert!(refused(&t).to_string().contains("basic.levels.province"));

        let t = reference().replace(
            "{ upto = \"100000.00\", ratio = \"0.70\" }",
            "{ upto = \"40000.00\", ratio = \"0.70\" }",
        );
        assert!(
            refused(&t)
                .to_string()
                .contains("critical.ordinary.bands[1].upto")
        );

        let t = reference().replace(
            "tilted_groups = [\"extreme_poor\"",
            "tilted_groups = [\"very_poor\"",
        );
        assert!(
            matches!(refused(&t), PolicyError::UnknownGroup { value, .. } if value == "very_poor")
        );

        let t = reference().replace(
            "\"subsistence_edge\", \"illness_poor\"]",
            "\"subsistence_edge\"]",
        );
        assert!(
            refused(&t)
                .to_string()
                .contains("assistance.groups.illness_poor")
        );

        let t = reference().replace("valid_to = \"2023-12-31\"", "valid_to = \"2022-12-31\"");
        assert!(matches!(refused(&t), PolicyError::Date { .. }));

        let t = reference().replace(
            "annual_cap = \"150000.00\"",
            "annual_cap = \"150000.00\"\nanual_cap = \"1\"",
        );
        assert!(matches!(refused(&t), PolicyError::Syntax(m) if m.contains("anual_cap")));

        let t = reference().replace("ratio = \"0.90\"\n", "ratio = \"0.90\"\nextra = 1\n");
        assert!(matches!(refused(&t), PolicyError::Syntax(_)));

        assert!(matches!(refused("not toml ["), PolicyError::Syntax(_)));
        assert!(matches!(
            Policy::built_in("nope"),
            Err(PolicyError::UnknownBuiltIn(_))
        ));
    }

    #[test]
    fn banded_supplementary_reads() {
        let t = reference().replacen(
            "design = \"target_ratio\"",
            "design = \"banded\"\ndeductible = \"5000.00\"\nbands = [ { upto = \"10000.00\", ratio = \"0.40\" }, { upto = \"30000.00\", ratio = \"0.50\" }, { ratio = \"0.60\" } ]",
            1,
        );
        let e = refused(&t);
        assert!(
            matches!(&e, PolicyError::Rule { key, .. } if key == "supplementary.target_ratio"),
            "{e}"
        );
        let t = t.replace("target_ratio = \"0.90\"", "");
        let p = Policy::from_toml(&t).unwrap();
        let SupplementaryDesign::Banded(h) = p.supplementary.unwrap().design else {
            panic!("banded expected")
        };
        assert_eq!(
            h.amount(Money::from_yuan(12_000)),
            Money::from_yuan(2_000 + 1_000)
        );
    }

    #[test]
    fn dates_may_be_toml_dates() {
        let t = reference().replace("valid_from = \"2023-01-01\"", "valid_from = 2023-01-01");
        let p = Policy::from_toml(&t).unwrap();
        assert_eq!(p.valid_from, NaiveDate::from_ymd_opt(2023, 1, 1).unwrap());
        assert!(p.applies_to("130624100200", NaiveDate::from_ymd_opt(2023, 6, 1).unwrap()));
        assert!(!p.applies_to("130625100200", NaiveDate::from_ymd_opt(2023, 6, 1).unwrap()));
        assert!(!p.applies_to("130624100200", NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()));
    }
}
