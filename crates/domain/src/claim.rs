//! A medical claim (医保结算记录) as it arrives from an import row, parsed
//! into domain types. Settlement (the split into tiers) and storage keys
//! are added later; this is only what the insurance platform sent.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::{ClaimKind, FacilityLevel, GroupSet, Icd10, IdCardNo, Money};

/// One settlement record of the claims file.
///
/// A reversal (冲销) is a record whose `reverses` names the claim it
/// cancels; it carries the columns of an ordinary claim but is never
/// settled itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// 结算单号.
    pub claim_id: String,
    /// 身份证号 of the insured person. Personal data.
    pub person: IdCardNo,
    /// 人员类别 as the file gives it; `None` when the cell was empty and
    /// the registry's groups on `settled_at` apply.
    pub groups: Option<GroupSet>,
    /// 就诊类型.
    pub kind: ClaimKind,
    /// 医疗机构级别.
    pub level: FacilityLevel,
    /// 是否县域内: the facility lies in the insured person's county.
    pub county_internal: bool,
    /// 结算时间, Beijing local time as the platform writes it.
    pub settled_at: NaiveDateTime,
    /// 医疗总费用.
    pub total: Money,
    /// 政策范围内费用 (0 ≤ policy_scope ≤ total).
    pub policy_scope: Money,
    /// 冲销单号: the claim this record reverses.
    pub reverses: Option<String>,
    /// 主诊断编码. Health data: never logged.
    pub icd10: Option<Icd10>,
    /// 医疗机构编码.
    pub facility_code: Option<String>,
    /// 入院日期.
    pub admitted_on: Option<NaiveDate>,
    /// 是否先诊疗后付费, when the file says.
    pub pay_later: Option<bool>,
    /// 是否一站式结算, when the file says.
    pub one_stop: Option<bool>,
}

impl ClaimRecord {
    /// The calendar year of settlement: the person-year the claim counts in.
    pub fn year(&self) -> i32 {
        self.settled_at.year()
    }

    /// True for a reversal (冲销) record.
    pub fn is_reversal(&self) -> bool {
        self.reverses.is_some()
    }

    /// Seconds of `settled_at` on a local-time scale: sortable, and the
    /// year never falls as it rises.
    pub fn settled_seconds(&self) -> i64 {
        self.settled_at.and_utc().timestamp()
    }
}
