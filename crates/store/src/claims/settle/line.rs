//! A stored claim as settlement reads and writes it: the whole `claims`
//! row ([`ClaimLine`]), its person-year, and why its amounts may change.

use chrono::{NaiveDate, NaiveDateTime};
use jianfu_domain::{ClaimKind, FacilityLevel, GroupSet, IdCardNo, Money};
use jianfu_policy::{ClaimInput, Tiers};

use crate::sql::Value;
use crate::{Result, StoreError};

/// A person-year: county code (as a number), packed ID number, year.
pub(crate) type PyKey = (u32, u64, i16);

/// Why a stored claim's amounts changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A claim settled earlier than claims already stored arrived.
    LateClaim,
    /// A claim of the person-year was reversed.
    Reversal,
    /// A new policy version governs the claim.
    PolicyChange,
    /// A settlement rule of the engine changed (a one-off upgrade).
    RuleChange,
}

impl Reason {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Reason::LateClaim => "late_claim",
            Reason::Reversal => "reversal",
            Reason::PolicyChange => "policy_change",
            Reason::RuleChange => "rule_change",
        }
    }
}

/// Columns of `claims`, in [`ClaimLine`] order.
pub(crate) const CLAIM_COLUMNS: &[&str] = &[
    "county_code",
    "claim_id",
    "person_id",
    "year",
    "groups",
    "groups_from_registry",
    "kind",
    "level",
    "county_internal",
    "settled_at",
    "input_seq",
    "total",
    "policy_scope",
    "reverses",
    "reversed_by",
    "icd10",
    "facility_code",
    "admitted_on",
    "pay_later",
    "one_stop",
    "policy_id",
    "basic",
    "critical",
    "assistance",
    "supplementary",
    "out_of_pocket",
    "created_batch",
    "settled_batch",
];

/// A whole row of `claims`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ClaimLine {
    pub county_code: String,
    pub claim_id: String,
    pub person_id: String,
    pub year: i16,
    pub groups: String,
    pub groups_from_registry: bool,
    pub kind: String,
    pub level: String,
    pub county_internal: bool,
    pub settled_at: NaiveDateTime,
    pub input_seq: i64,
    pub total: i64,
    pub policy_scope: i64,
    pub reverses: Option<String>,
    pub reversed_by: Option<String>,
    pub icd10: Option<String>,
    pub facility_code: Option<String>,
    pub admitted_on: Option<NaiveDate>,
    pub pay_later: Option<bool>,
    pub one_stop: Option<bool>,
    pub policy_id: Option<i64>,
    pub basic: Option<i64>,
    pub critical: Option<i64>,
    pub assistance: Option<i64>,
    pub supplementary: Option<i64>,
    pub out_of_pocket: Option<i64>,
    pub created_batch: i64,
    pub settled_batch: i64,
}

impl ClaimLine {
    /// Takes part in settlement: neither a reversal nor reversed.
    pub fn is_standing(&self) -> bool {
        self.reverses.is_none() && self.reversed_by.is_none()
    }

    /// Settlement order within the person-year.
    pub fn order(&self) -> (NaiveDateTime, i64) {
        (self.settled_at, self.input_seq)
    }

    pub fn py_key(&self) -> Result<PyKey> {
        let county = self
            .county_code
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("县级代码“{}”", self.county_code)))?;
        let person = IdCardNo::parse(&self.person_id)
            .map_err(|_| StoreError::Corrupt(format!("结算单 {} 的身份证号", self.claim_id)))?;
        Ok((county, person.packed(), self.year))
    }

    pub fn input(&self) -> Result<ClaimInput> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("结算单 {} 的{what}", self.claim_id));
        Ok(ClaimInput {
            kind: ClaimKind::from_code(&self.kind).ok_or_else(|| corrupt("就诊类型"))?,
            level: FacilityLevel::from_code(&self.level).ok_or_else(|| corrupt("机构级别"))?,
            county_internal: self.county_internal,
            groups: GroupSet::parse_list(&self.groups).map_err(|_| corrupt("人员类别"))?,
            total: Money::from_fen(self.total),
            policy_scope: Money::from_fen(self.policy_scope),
        })
    }

    pub fn tiers(&self) -> Option<Tiers> {
        Some(Tiers {
            basic: Money::from_fen(self.basic?),
            critical: Money::from_fen(self.critical?),
            assistance: Money::from_fen(self.assistance?),
            supplementary: Money::from_fen(self.supplementary?),
            out_of_pocket: Money::from_fen(self.out_of_pocket?),
        })
    }

    /// Records a settlement (`Some`) or its absence (`None`).
    pub fn set_settlement(&mut self, settled: Option<(i64, Tiers)>, batch: i64) {
        let (policy, t) = match settled {
            Some((p, t)) => (Some(p), Some(t)),
            None => (None, None),
        };
        self.policy_id = policy;
        self.basic = t.map(|t| t.basic.fen());
        self.critical = t.map(|t| t.critical.fen());
        self.assistance = t.map(|t| t.assistance.fen());
        self.supplementary = t.map(|t| t.supplementary.fen());
        self.out_of_pocket = t.map(|t| t.out_of_pocket.fen());
        self.settled_batch = batch;
    }

    pub fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(&self.county_code),
            Value::Text(&self.claim_id),
            Value::Text(&self.person_id),
            Value::Int(i64::from(self.year)),
            Value::Text(&self.groups),
            Value::Bool(self.groups_from_registry),
            Value::Text(&self.kind),
            Value::Text(&self.level),
            Value::Bool(self.county_internal),
            Value::LocalTime(self.settled_at),
            Value::Int(self.input_seq),
            Value::Int(self.total),
            Value::Int(self.policy_scope),
            self.reverses.as_deref().into(),
            self.reversed_by.as_deref().into(),
            self.icd10.as_deref().into(),
            self.facility_code.as_deref().into(),
            self.admitted_on.into(),
            self.pay_later.into(),
            self.one_stop.into(),
            self.policy_id.into(),
            self.basic.into(),
            self.critical.into(),
            self.assistance.into(),
            self.supplementary.into(),
            self.out_of_pocket.into(),
            Value::Int(self.created_batch),
            Value::Int(self.settled_batch),
        ]
    }
}
