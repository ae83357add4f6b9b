//! Stable codes of the procedure's values and their reading back, for
//! callers that store cases or take actions by name (the store, the web
//! forms, the command line). Every code round-trips: `from_code(x.code())`.

use crate::case::{ActionKind, CaseState, Channel};
use crate::deadline::DeadlineKind;
use crate::measure::Department;
use crate::rules::Rule;

impl CaseState {
    /// Every state, in the procedure's order.
    pub const ALL: [CaseState; 14] = [
        CaseState::PreWarning,
        CaseState::Verifying,
        CaseState::Candidate,
        CaseState::Publicity,
        CaseState::TownshipReview,
        CaseState::CountyDecision,
        CaseState::Monitored,
        CaseState::Rejected,
        CaseState::Closed,
        CaseState::EliminationVerifying,
        CaseState::EliminationPublicity,
        CaseState::EliminationTownshipReview,
        CaseState::EliminationCountyDecision,
        CaseState::Eliminated,
    ];

    /// From the stored code.
    pub fn from_code(code: &str) -> Option<CaseState> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl ActionKind {
    /// Every action a step can take (not [`ActionKind::Open`]), in the
    /// procedure's order.
    pub const STEPS: [ActionKind; 16] = [
        ActionKind::StartVerification,
        ActionKind::ConfirmRisk,
        ActionKind::CloseNoRisk,
        ActionKind::GreenChannel,
        ActionKind::StartPublicity,
        ActionKind::RecordObjection,
        ActionKind::ResolveObjection,
        ActionKind::EndPublicity,
        ActionKind::TownshipApprove,
        ActionKind::CountyApprove,
        ActionKind::Reject,
        ActionKind::RecordHomeVisit,
        ActionKind::RecordMeasure,
        ActionKind::ProposeElimination,
        ActionKind::ResumeMonitoring,
        ActionKind::EndFollowOn,
    ];

    /// Stable English code.
    pub const fn code(self) -> &'static str {
        match self {
            ActionKind::Open => "open",
            ActionKind::StartVerification => "start_verification",
            ActionKind::ConfirmRisk => "confirm_risk",
            ActionKind::CloseNoRisk => "close_no_risk",
            ActionKind::GreenChannel => "green_channel",
            ActionKind::StartPublicity => "start_publicity",
            ActionKind::RecordObjection => "record_objection",
            ActionKind::ResolveObjection => "resolve_objection",
            ActionKind::EndPublicity => "end_publicity",
            ActionKind::TownshipApprove => "township_approve",
            ActionKind::CountyApprove => "county_approve",
            ActionKind::Reject => "reject",
            ActionKind::RecordHomeVisit => "record_home_visit",
            ActionKind::RecordMeasure => "record_measure",
            ActionKind::ProposeElimination => "propose_elimination",
            ActionKind::ResumeMonitoring => "resume_monitoring",
            ActionKind::EndFollowOn => "end_follow_on",
        }
    }

    /// From the code (the opening included).
    pub fn from_code(code: &str) -> Option<ActionKind> {
        if code == "open" {
            return Some(ActionKind::Open);
        }
        Self::STEPS.into_iter().find(|a| a.code() == code)
    }

    /// True when the action needs a reason.
    pub const fn needs_reason(self) -> bool {
        matches!(
            self,
            ActionKind::CloseNoRisk
                | ActionKind::GreenChannel
                | ActionKind::ResolveObjection
                | ActionKind::Reject
                | ActionKind::ResumeMonitoring
        )
    }
}

impl Rule {
    /// From `R2`, `R3` or `R5`.
    pub fn from_code(code: &str) -> Option<Rule> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl Channel {
    /// The channels a user names when opening a case by hand.
    pub const MANUAL: [Channel; 4] = [
        Channel::SelfDeclaration,
        Channel::CadreScreening,
        Channel::DepartmentData,
        Channel::SocialSupervision,
    ];

    /// Stable code: `alert:R2`, `self_declaration`, …
    pub fn code(self) -> String {
        match self {
            Channel::Alert(r) => format!("alert:{}", r.code()),
            Channel::SelfDeclaration => "self_declaration".into(),
            Channel::CadreScreening => "cadre_screening".into(),
            Channel::DepartmentData => "department_data".into(),
            Channel::SocialSupervision => "social_supervision".into(),
        }
    }

    /// From the code.
    pub fn from_code(code: &str) -> Option<Channel> {
        if let Some(rule) = code.strip_prefix("alert:") {
            return Rule::from_code(rule).map(Channel::Alert);
        }
        Self::MANUAL.into_iter().find(|c| c.code() == code)
    }
}

impl Department {
    /// Every department.
    pub const ALL: [Department; 4] = [
        Department::Health,
        Department::MedicalInsurance,
        Department::CivilAffairs,
        Department::Other,
    ];

    /// From the code.
    pub fn from_code(code: &str) -> Option<Department> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
}

impl DeadlineKind {
    /// From the code.
    pub fn from_code(code: &str) -> Option<DeadlineKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::from_code(s.code()), Some(s));
        }
        for a in ActionKind::STEPS.into_iter().chain([ActionKind::Open]) {
            assert_eq!(ActionKind::from_code(a.code()), Some(a));
        }
        for c in Channel::MANUAL
            .into_iter()
            .chain(Rule::ALL.map(Channel::Alert))
        {
            assert_eq!(Channel::from_code(&c.code()), Some(c));
        }
        for d in Department::ALL {
            assert_eq!(Department::from_code(d.code()), Some(d));
        }
        for k in DeadlineKind::ALL {
            assert_eq!(DeadlineKind::from_code(k.code()), Some(k));
        }
        assert_eq!(Channel::from_code("alert:R9"), None);
        assert_eq!(ActionKind::from_code("approve"), None);
    }
}
