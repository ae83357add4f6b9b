//! Monitoring parameter sets (监测参数): the TOML file a region writes, read
//! into a checked [`MonitoringParams`], and the choice of the set in force
//! for a region on a date.
//!
//! Reading is as strict as the settlement parameters, because a wrong
//! number here silently raises or hides alerts for a whole county: unknown
//! keys, negative money, ratios above 1, unknown household types or groups,
//! a code listed twice and timers that are not positive integers are all
//! refused with the dotted key that is wrong. `reference-2023` ships in the
//! binary.

use chrono::NaiveDate;
use jianfu_domain::{Group, GroupSet, HouseholdType, Money, MoneyError, Ratio};
use serde::Deserialize;
use thiserror::Error;

/// The built-in parameter sets: (name, TOML text).
pub const BUILT_IN: &[(&str, &str)] = &[(
    "reference-2023",
    include_str!("../../../data/monitoring/reference-2023.toml"),
)];

/// What is wrong with one value; the message is a sentence fragment shown
/// after the key and the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueProblem {
    /// Not a plain decimal, or too many decimals.
    #[error("{0}")]
    Parse(MoneyError),
    /// A negative number.
    #[error("不能为负数")]
    Negative,
    /// A ratio above 1.
    #[error("比例不能大于1（请写成小数，如 0.50）")]
    AboveOne,
    /// Not a date in `YYYY-MM-DD` form.
    #[error("日期应写作 YYYY-MM-DD")]
    NotADate,
    /// `valid_to` before `valid_from`.
    #[error("结束日期早于开始日期 {valid_from}")]
    EndsBeforeStart {
        /// The start date.
        valid_from: NaiveDate,
    },
    /// A timer that is not a positive whole number.
    #[error("应为正整数")]
    NotPositive,
}

/// Why a monitoring parameter file was refused. `key` is the dotted TOML
/// path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamsError {
    /// Not TOML, a wrong type, an unknown or a missing key.
    #[error("监测参数文件格式错误：{message}")]
    Syntax {
        /// The TOML reader's message (it names the key and line).
        message: String,
    },
    /// A value that does not fit its key.
    #[error("{key} = “{value}”：{problem}")]
    Value {
        /// Where.
        key: String,
        /// The text given.
        value: String,
        /// What is wrong with it.
        problem: ValueProblem,
    },
    /// The region prefix is neither empty nor 2, 4, 6, 9 or 12 digits.
    #[error("region = “{value}”：地区代码前缀应为空（全国）或2、4、6、9、12位数字")]
    Region {
        /// The text given.
        value: String,
    },
    /// A household type code that is not in the code list.
    #[error(
        "{key}：未知的户类别“{value}”（可用：formerly_poor、unstable、edge、sudden、ordinary）"
    )]
    UnknownHouseholdType {
        /// Where.
        key: String,
        /// The text given.
        value: String,
    },
    /// A group code that is not in the code list.
    #[error("{key}：未知的人员类别“{value}”")]
    UnknownGroup {
        /// Where.
        key: String,
        /// The text given.
        value: String,
    },
    /// A code listed twice in one list.
    #[error("{key}：“{value}”重复")]
    Duplicate {
        /// Where.
        key: String,
        /// The repeated code.
        value: String,
    },
    /// A text value that must not be empty.
    #[error("{key}：不能为空")]
    Empty {
        /// Where.
        key: String,
    },
    /// No built-in set has this name.
    #[error("没有名为“{name}”的内置监测参数（可用：reference-2023），或请给出 .toml 文件路径")]
    UnknownBuiltIn {
        /// The name asked for.
        name: String,
    },
}

/// A set of household types, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HouseholdTypeSet(u8);

impl HouseholdTypeSet {
    /// No type.
    pub const EMPTY: HouseholdTypeSet = HouseholdTypeSet(0);

    /// The set of the given types.
    pub fn of(types: &[HouseholdType]) -> Self {
        let mut set = Self::EMPTY;
        for t in types {
            set.insert(*t);
        }
        set
    }

    /// Adds a type.
    pub fn insert(&mut self, t: HouseholdType) {
        self.0 |= 1 << (t as u8);
    }

    /// True when `t` is in the set.
    #[inline]
    pub fn contains(self, t: HouseholdType) -> bool {
        self.0 & (1 << (t as u8)) != 0
    }

    /// The types in code-list order.
    pub fn iter(self) -> impl Iterator<Item = HouseholdType> {
        HouseholdType::ALL
            .iter()
            .copied()
            .filter(move |t| self.contains(*t))
    }
}

/// A checked monitoring parameter set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringParams {
    /// Name shown in explanations, e.g. `reference-2023`.
    pub name: String,
    /// Region code prefix the set applies to; empty for everywhere.
    pub region: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity (inclusive); `None` until replaced.
    pub valid_to: Option<NaiveDate>,
    /// The income line and the county figure R2 is a share of.
    pub income: Income,
    /// R2 and R3.
    pub burden: Burden,
    /// R5.
    pub diagnosis: DiagnosisRule,
    /// A1–A3.
    pub anomaly: Anomaly,
    /// Deadlines of the procedure and of supervision.
    pub timers: Timers,
}

/// `[income]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Income {
    /// 监测范围: per-capita net income line, a year.
    pub line: Money,
    /// Prior-year rural per-capita disposable income of the county.
    pub county_disposable_income: Money,
}

/// `[burden]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burden {
    /// R2: the share of `county_disposable_income`.
    pub relative_share: Ratio,
    /// R3 line of vulnerable households.
    pub absolute_vulnerable: Money,
    /// R3 line of every other household.
    pub absolute_other: Money,
    /// Household types that make a household vulnerable.
    pub vulnerable_household_types: HouseholdTypeSet,
    /// Member groups that make a household vulnerable.
    pub vulnerable_groups: GroupSet,
}

/// `[diagnosis]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisRule {
    /// Id of the disease list whose entries fire R5.
    pub list: String,
    /// Household types R5 applies to.
    pub household_types: HouseholdTypeSet,
}

/// `[anomaly]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anomaly {
    /// A claim is checked when its person held one of these on `settled_at`.
    pub poor_groups: GroupSet,
    /// A2: the funds' share of the total must reach this.
    pub min_actual_ratio: Ratio,
    /// A3: out-of-pocket above this is a finding.
    pub max_out_of_pocket: Money,
}

/// `[timers]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Working days to verify or close a pre-warning.
    pub pre_warning_working_days: u32,
    /// Working days from candidate to the county's decision.
    pub procedure_working_days: u32,
    /// Shortest publicity, in working days.
    pub publicity_working_days: u32,
    /// Calendar days from county approval to the home visit.
    pub verify_days: u32,
    /// Calendar days from county approval to the first health measure.
    pub measures_days: u32,
    /// Working days each supervision item is given.
    pub supervision_working_days: u32,
    /// Amber when at most this share of a deadline's span is left.
    pub amber_share: Ratio,
    /// Months of income at or above the line before risk elimination.
    pub stable_months: u32,
    /// Months of tracking after risk elimination.
    pub follow_on_months: u32,
}

impl MonitoringParams {
    /// Reads and checks a parameter file.
    pub fn from_toml(text: &str) -> Result<Self, ParamsError> {
        let raw: RawParams = toml::from_str(text).map_err(|e| ParamsError::Syntax {
            message: e.to_string().trim().to_string(),
        })?;
        raw.check()
    }

    /// A built-in parameter set by name.
    pub fn built_in(name: &str) -> Result<Self, ParamsError> {
        let text = Self::built_in_text(name).ok_or_else(|| ParamsError::UnknownBuiltIn {
            name: name.to_string(),
        })?;
        Self::from_toml(text)
    }

    /// The TOML text of a built-in set.
    pub fn built_in_text(name: &str) -> Option<&'static str> {
        BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// True when the set is in force for `region_code` on `on`.
    pub fn applies_to(&self, region_code: &str, on: NaiveDate) -> bool {
        region_code.starts_with(&self.region)
            && self.valid_from <= on
            && self.valid_to.is_none_or(|to| on <= to)
    }

    /// The R2 threshold: the share of the county figure, rounded half-up
    /// to the fen (the only rounding in the rules).
    pub fn relative_threshold(&self) -> Money {
        self.income
            .county_disposable_income
            .mul_ratio(self.burden.relative_share)
    }
}

/// The set in force for `region_code` on `on` among `sets`, which are in
/// the order they were added: the longest matching prefix wins, and among
/// equally long ones the one added last.
pub fn select<'a>(
    sets: &'a [MonitoringParams],
    region_code: &str,
    on: NaiveDate,
) -> Option<&'a MonitoringParams> {
    sets.iter()
        .enumerate()
        .filter(|(_, p)| p.applies_to(region_code, on))
        .max_by_key(|(i, p)| (p.region.len(), *i))
        .map(|(_, p)| p)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    name: String,
    region: String,
    valid_from: RawDate,
    valid_to: Option<RawDate>,
    income: RawIncome,
    burden: RawBurden,
    diagnosis: RawDiagnosis,
    anomaly: RawAnomaly,
    timers: RawTimers,
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
struct RawIncome {
    line: String,
    county_disposable_income: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBurden {
    relative_share: String,
    absolute_vulnerable: String,
    absolute_other: String,
    vulnerable_household_types: Vec<String>,
    vulnerable_groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiagnosis {
    list: String,
    household_types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnomaly {
    poor_groups: Vec<String>,
    min_actual_ratio: String,
    max_out_of_pocket: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimers {
    pre_warning_working_days: i64,
    procedure_working_days: i64,
    publicity_working_days: i64,
    verify_days: i64,
    measures_days: i64,
    supervision_working_days: i64,
    amber_share: String,
    stable_months: i64,
    follow_on_months: i64,
}

fn value_error(key: &str, value: &str, problem: ValueProblem) -> ParamsError {
    ParamsError::Value {
        key: key.to_string(),
        value: value.to_string(),
        problem,
    }
}

fn money(key: &str, value: &str) -> Result<Money, ParamsError> {
    let m =
        Money::from_yuan_str(value).map_err(|e| value_error(key, value, ValueProblem::Parse(e)))?;
    if m < Money::ZERO {
        return Err(value_error(key, value, ValueProblem::Negative));
    }
    Ok(m)
}

fn ratio(key: &str, value: &str) -> Result<Ratio, ParamsError> {
    // Ratio::parse refuses negatives too, but with a parse message; say it
    // plainly instead.
    if value.trim().starts_with('-') {
        return Err(value_error(key, value, ValueProblem::Negative));
    }
    let r = Ratio::parse(value).map_err(|e| value_error(key, value, ValueProblem::Parse(e)))?;
    if !r.is_at_most_one() {
        return Err(value_error(key, value, ValueProblem::AboveOne));
    }
    Ok(r)
}

fn date(key: &str, raw: &RawDate) -> Result<NaiveDate, ParamsError> {
    let text = match raw {
        RawDate::Text(s) => s.trim().to_string(),
        RawDate::Toml(d) => d.to_string(),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| value_error(key, &text, ValueProblem::NotADate))
}

fn timer(key: &str, value: i64) -> Result<u32, ParamsError> {
    u32::try_from(value)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| value_error(key, &value.to_string(), ValueProblem::NotPositive))
}

fn household_types(key: &str, values: &[String]) -> Result<HouseholdTypeSet, ParamsError> {
    let mut set = HouseholdTypeSet::EMPTY;
    for (i, v) in values.iter().enumerate() {
        let key = format!("{key}[{i}]");
        let t = HouseholdType::from_code(v.trim()).ok_or_else(|| {
            ParamsError::UnknownHouseholdType {
                key: key.clone(),
                value: v.clone(),
            }
        })?;
        if set.contains(t) {
            return Err(ParamsError::Duplicate {
                key,
                value: v.clone(),
            });
        }
        set.insert(t);
    }
    Ok(set)
}

fn groups(key: &str, values: &[String]) -> Result<GroupSet, ParamsError> {
    let mut set = GroupSet::EMPTY;
    for (i, v) in values.iter().enumerate() {
        let key = format!("{key}[{i}]");
        let g = Group::from_code(v.trim()).ok_or_else(|| ParamsError::UnknownGroup {
            key: key.clone(),
            value: v.clone(),
        })?;
        if set.contains(g) {
            return Err(ParamsError::Duplicate {
                key,
                value: v.clone(),
            });
        }
        set.insert(g);
    }
    Ok(set)
}

/// True for "" or 2, 4, 6, 9 or 12 digits: the prefixes a region code has.
fn valid_prefix(region: &str) -> bool {
    matches!(region.len(), 0 | 2 | 4 | 6 | 9 | 12) && region.bytes().all(|b| b.is_ascii_digit())
}

impl RawParams {
    fn check(self) -> Result<MonitoringParams, ParamsError> {
        let name = self.name.trim().to_string();
        if name.is_empty() {
            return Err(ParamsError::Empty { key: "name".into() });
        }
        let region = self.region.trim().to_string();
        if !valid_prefix(&region) {
            return Err(ParamsError::Region { value: region });
        }
        let valid_from = date("valid_from", &self.valid_from)?;
        let valid_to = self
            .valid_to
            .as_ref()
            .map(|d| date("valid_to", d))
            .transpose()?;
        if let Some(to) = valid_to
            && to < valid_from
        {
            return Err(value_error(
                "valid_to",
                &to.to_string(),
                ValueProblem::EndsBeforeStart { valid_from },
            ));
        }
        Ok(MonitoringParams {
            name,
            region,
            valid_from,
            valid_to,
            income: self.income.check()?,
            burden: self.burden.check()?,
            diagnosis: self.diagnosis.check()?,
            anomaly: self.anomaly.check()?,
            timers: self.timers.check()?,
        })
    }
}

impl RawIncome {
    fn check(&self) -> Result<Income, ParamsError> {
        Ok(Income {
            line: money("income.line", &self.line)?,
            county_disposable_income: money(
                "income.county_disposable_income",
                &self.county_disposable_income,
            )?,
        })
    }
}

impl RawBurden {
    fn check(&self) -> Result<Burden, ParamsError> {
        Ok(Burden {
            relative_share: ratio("burden.relative_share", &self.relative_share)?,
            absolute_vulnerable: money("burden.absolute_vulnerable", &self.absolute_vulnerable)?,
            absolute_other: money("burden.absolute_other", &self.absolute_other)?,
            vulnerable_household_types: household_types(
                "burden.vulnerable_household_types",
                &self.vulnerable_household_types,
            )?,
            vulnerable_groups: groups("burden.vulnerable_groups", &self.vulnerable_groups)?,
        })
    }
}

impl RawDiagnosis {
    fn check(&self) -> Result<DiagnosisRule, ParamsError> {
        let list = self.list.trim().to_string();
        if list.is_empty() {
            return Err(ParamsError::Empty {
                key: "diagnosis.list".into(),
            });
        }
        Ok(DiagnosisRule {
            list,
            household_types: household_types("diagnosis.household_types", &self.household_types)?,
        })
    }
}

impl RawAnomaly {
    fn check(&self) -> Result<Anomaly, ParamsError> {
        Ok(Anomaly {
            poor_groups: groups("anomaly.poor_groups", &self.poor_groups)?,
            min_actual_ratio: ratio("anomaly.min_actual_ratio", &self.min_actual_ratio)?,
            max_out_of_pocket: money("anomaly.max_out_of_pocket", &self.max_out_of_pocket)?,
        })
    }
}

impl RawTimers {
    fn check(&self) -> Result<Timers, ParamsError> {
        let t = |key: &str, v: i64| timer(&format!("timers.{key}"), v);
        Ok(Timers {
            pre_warning_working_days: t("pre_warning_working_days", self.pre_warning_working_days)?,
            procedure_working_days: t("procedure_working_days", self.procedure_working_days)?,
            publicity_working_days: t("publicity_working_days", self.publicity_working_days)?,
            verify_days: t("verify_days", self.verify_days)?,
            measures_days: t("measures_days", self.measures_days)?,
            supervision_working_days: t("supervision_working_days", self.supervision_working_days)?,
            amber_share: ratio("timers.amber_share", &self.amber_share)?,
            stable_months: t("stable_months", self.stable_months)?,
            follow_on_months: t("follow_on_months", self.follow_on_months)?,
        })
    }
}
