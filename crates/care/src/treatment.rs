//! The major-illness treatment ledger (大病救治台账): the status of a
//! batch-A patient's treatment as a small state machine.
//!
//! ```text
//! 待救治 pending ──start──▶ 正在救治 in_treatment ──complete(ref)──▶ 已救治 treated
//!    │  └──────────complete(ref)─────────────────────────────────────▲     │
//!    └──exclude(reason)──▶ 不宜救治 unsuitable ◀──exclude(reason)──┘     │
//! unsuitable (refused / medically unsuitable) ──reopen──▶ pending        │
//! treated ──reopen──▶ in_treatment (the record it rested on was reversed) ┘
//! unsuitable (died) is final.
//! ```
//!
//! 已救治 needs the reference of a settled claim or a treatment record, so
//! the treatment-rate KPI never counts a patient nobody can show was treated.

use std::fmt;

use thiserror::Error;

use crate::codes::care_code_enum;
use crate::explain::Explain;

/// Longest reference kept, in characters.
pub const REFERENCE_MAX_CHARS: usize = 64;

care_code_enum! {
    /// Why a patient is not to be treated (a documented exclusion).
    UnsuitableReason, "不宜救治原因" {
        /// 死亡.
        Died => "died", "死亡";
        /// 拒绝救治.
        Refused => "refused", "拒绝救治";
        /// 医学上不宜救治.
        MedicallyUnsuitable => "medically_unsuitable", "医学上不宜救治";
    }
}

/// The record that shows a patient was treated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TreatmentRef {
    /// 结算单号 of a settled claim.
    Claim(String),
    /// Number of a treatment record (救治记录).
    Record(String),
}

impl TreatmentRef {
    /// The reference text.
    pub fn id(&self) -> &str {
        match self {
            TreatmentRef::Claim(s) | TreatmentRef::Record(s) => s,
        }
    }
}

impl fmt::Display for TreatmentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreatmentRef::Claim(s) => write!(f, "结算单 {s}"),
            TreatmentRef::Record(s) => write!(f, "救治记录 {s}"),
        }
    }
}

/// The status of a patient's treatment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TreatmentStatus {
    /// 待救治.
    Pending,
    /// 正在救治.
    InTreatment,
    /// 已救治, with the record that shows it.
    Treated(TreatmentRef),
    /// 不宜救治, with the reason.
    Unsuitable(UnsuitableReason),
}

/// A change asked of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreatmentChange {
    /// Treatment began.
    Start,
    /// Treatment finished; the reference is required.
    Complete(TreatmentRef),
    /// Not to be treated, for a documented reason.
    Exclude(UnsuitableReason),
    /// Back to work: from refused or medically unsuitable to pending, or
    /// from treated to in treatment when the record it rested on was
    /// reversed or a new course began.
    Reopen,
}

/// A change the ledger refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreatmentError {
    /// The change is not allowed from the current status.
    #[error("救治状态“{from}”不能{change}")]
    NotAllowed {
        /// The current status's label.
        from: &'static str,
        /// What was asked, in Chinese.
        change: &'static str,
    },
    /// 已救治 without a usable reference.
    #[error(
        "标记已救治须关联结算单号或救治记录号（1–{REFERENCE_MAX_CHARS} 个字符），实际为“{value}”"
    )]
    Reference {
        /// The reference given.
        value: String,
    },
}

impl TreatmentStatus {
    /// Stable English code.
    pub fn code(&self) -> &'static str {
        match self {
            TreatmentStatus::Pending => "pending",
            TreatmentStatus::InTreatment => "in_treatment",
            TreatmentStatus::Treated(_) => "treated",
            TreatmentStatus::Unsuitable(_) => "unsuitable",
        }
    }

    /// Chinese label.
    pub fn label(&self) -> &'static str {
        match self {
            TreatmentStatus::Pending => "待救治",
            TreatmentStatus::InTreatment => "正在救治",
            TreatmentStatus::Treated(_) => "已救治",
            TreatmentStatus::Unsuitable(_) => "不宜救治",
        }
    }

    /// Counts in the numerator of the treatment rate (已救治 + 正在救治).
    pub fn counts_as_treated(&self) -> bool {
        matches!(
            self,
            TreatmentStatus::Treated(_) | TreatmentStatus::InTreatment
        )
    }

    /// A documented exclusion from the rate's denominator.
    pub fn is_excluded(&self) -> bool {
        matches!(self, TreatmentStatus::Unsuitable(_))
    }

    /// The status after `change`, or why it is refused.
    pub fn apply(&self, change: TreatmentChange) -> Result<TreatmentStatus, TreatmentError> {
        use TreatmentChange as C;
        use TreatmentStatus as S;
        let refuse = |change| TreatmentError::NotAllowed {
            from: self.label(),
            change,
        };
        match (self, change) {
            (S::Pending, C::Start) => Ok(S::InTreatment),
            (S::Pending | S::InTreatment, C::Complete(r)) => check_reference(r).map(S::Treated),
            (S::Pending | S::InTreatment, C::Exclude(why)) => Ok(S::Unsuitable(why)),
            (S::Treated(_), C::Reopen) => Ok(S::InTreatment),
            (S::Unsuitable(UnsuitableReason::Died), _) => Err(refuse("再变更（已死亡）")),
            (S::Unsuitable(_), C::Reopen) => Ok(S::Pending),
            (_, C::Start) => Err(refuse("开始救治")),
            (_, C::Complete(_)) => Err(refuse("标记已救治")),
            (_, C::Exclude(_)) => Err(refuse("标记不宜救治")),
            (_, C::Reopen) => Err(refuse("重新打开")),
        }
    }
}

fn check_reference(r: TreatmentRef) -> Result<TreatmentRef, TreatmentError> {
    let n = r.id().trim().chars().count();
    if n == 0 || n > REFERENCE_MAX_CHARS {
        return Err(TreatmentError::Reference {
            value: r.id().to_string(),
        });
    }
    Ok(match r {
        TreatmentRef::Claim(s) => TreatmentRef::Claim(s.trim().to_string()),
        TreatmentRef::Record(s) => TreatmentRef::Record(s.trim().to_string()),
    })
}

impl Explain for TreatmentStatus {
    fn zh(&self) -> String {
        match self {
            TreatmentStatus::Treated(r) => format!("已救治（{r}）"),
            TreatmentStatus::Unsuitable(why) => {
                format!("不宜救治（{}），不计入救治率分母", why.label())
            }
            other => other.label().to_string(),
        }
    }

    fn en(&self) -> String {
        match self {
            TreatmentStatus::Treated(TreatmentRef::Claim(s)) => format!("treated (claim {s})"),
            TreatmentStatus::Treated(TreatmentRef::Record(s)) => {
                format!("treated (treatment record {s})")
            }
            TreatmentStatus::Unsuitable(why) => {
                format!(
                    "unsuitable ({}): excluded from the treatment rate",
                    why.code()
                )
            }
            other => other.code().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use TreatmentChange as C;
    use TreatmentStatus as S;

    fn claim(s: &str) -> TreatmentRef {
        TreatmentRef::Claim(s.into())
    }

    #[test]
    fn the_allowed_transitions() {
        let s = S::Pending.apply(C::Start).unwrap();
        assert_eq!(s, S::InTreatment);
        let s = s.apply(C::Complete(claim(" 2024-0001 "))).unwrap();
        assert_eq!(s, S::Treated(claim("2024-0001")));
        assert_eq!(s.zh(), "已救治（结算单 2024-0001）");
        assert_eq!(s.apply(C::Reopen).unwrap(), S::InTreatment);
        assert!(
            S::Pending
                .apply(C::Complete(TreatmentRef::Record("R-7".into())))
                .is_ok()
        );
        let refused = S::Pending
            .apply(C::Exclude(UnsuitableReason::Refused))
            .unwrap();
        assert_eq!(refused.apply(C::Reopen).unwrap(), S::Pending);
        let unsuitable = S::InTreatment
            .apply(C::Exclude(UnsuitableReason::MedicallyUnsuitable))
            .unwrap();
        assert!(unsuitable.is_excluded() && !unsuitable.counts_as_treated());
    }

    #[test]
    fn refused_transitions_say_why() {
        let e = S::Pending.apply(C::Complete(claim("  "))).unwrap_err();
        assert!(matches!(e, TreatmentError::Reference { .. }));
        let long = "9".repeat(65);
        assert!(S::InTreatment.apply(C::Complete(claim(&long))).is_err());
        let died = S::Pending
            .apply(C::Exclude(UnsuitableReason::Died))
            .unwrap();
        for change in [C::Reopen, C::Start, C::Complete(claim("1"))] {
            assert_eq!(
                died.apply(change).unwrap_err().to_string(),
                "救治状态“不宜救治”不能再变更（已死亡）"
            );
        }
        assert!(S::InTreatment.apply(C::Start).is_err());
        assert!(
            S::Treated(claim("1"))
                .apply(C::Exclude(UnsuitableReason::Refused))
                .is_err()
        );
        assert!(
            S::Treated(claim("1"))
                .apply(C::Complete(claim("2")))
                .is_err()
        );
        assert!(S::Pending.apply(C::Reopen).is_err());
    }
}
