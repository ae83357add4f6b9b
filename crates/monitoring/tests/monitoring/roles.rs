//! Every step of the procedure allowed and refused by role.

use jianfu_domain::Role;
use jianfu_monitoring::case::{Action, ActionKind, CaseState, Channel, TransitionError};
use jianfu_monitoring::measure::Department;
use jianfu_monitoring::procedure::{may, open_case};

use crate::case::{ADMINS, actor, calendar, in_state, measure, reason, step};
use crate::support::{day, reference, village};

/// The role table of docs/MONITORING.md, written out by hand so that a
/// change to `may` must change this too.
fn expected_roles(kind: ActionKind, state: CaseState) -> Vec<Role> {
    use Role::*;
    let mut r = ADMINS.to_vec();
    match kind {
        ActionKind::StartVerification | ActionKind::ConfirmRisk | ActionKind::RecordHomeVisit => {
            r.extend([TownshipWorker, VillageDoctor])
        }
        ActionKind::RecordMeasure => r.extend([TownshipWorker, VillageDoctor, InsuranceOfficer]),
        ActionKind::Reject if state == CaseState::CountyDecision => {}
        ActionKind::GreenChannel | ActionKind::CountyApprove | ActionKind::EndFollowOn => {}
        _ => r.push(TownshipWorker),
    }
    r
}

#[test]
fn every_step_allowed_and_refused_by_role() {
    use CaseState as S;
    let steps: Vec<(S, Action)> = vec![
        (S::PreWarning, Action::StartVerification),
        (S::Verifying, Action::ConfirmRisk),
        (
            S::PreWarning,
            Action::CloseNoRisk {
                reason: reason("收入稳定"),
            },
        ),
        (
            S::PreWarning,
            Action::GreenChannel {
                reason: reason("火灾"),
            },
        ),
        (S::Candidate, Action::StartPublicity),
        (S::Publicity, Action::RecordObjection),
        (
            S::Publicity,
            Action::ResolveObjection {
                upheld: false,
                reason: reason("不实"),
            },
        ),
        (S::TownshipReview, Action::TownshipApprove),
        (
            S::TownshipReview,
            Action::Reject {
                reason: reason("不符合"),
            },
        ),
        (S::CountyDecision, Action::CountyApprove),
        (
            S::CountyDecision,
            Action::Reject {
                reason: reason("不符合"),
            },
        ),
        (S::Monitored, Action::RecordHomeVisit),
        (
            S::Monitored,
            Action::RecordMeasure(measure(Department::Health, day(2024, 3, 2))),
        ),
        (
            S::Monitored,
            Action::ProposeElimination { stable_months: 6 },
        ),
        (
            S::Eliminated,
            Action::ResumeMonitoring {
                reason: reason("再次住院"),
            },
        ),
        (S::Eliminated, Action::EndFollowOn),
    ];
    for (state, action) in steps {
        let case = in_state(state);
        let kind = action.kind();
        let allowed = expected_roles(kind, state);
        for role in Role::ALL {
            let mut action = action.clone();
            if let (Action::RecordMeasure(_), Role::InsuranceOfficer) = (&action, role) {
                action =
                    Action::RecordMeasure(measure(Department::MedicalInsurance, day(2024, 3, 2)));
            }
            let got = step(&case, action, role, day(2024, 3, 4));
            assert_eq!(
                may(role, kind, state),
                allowed.contains(&role),
                "{kind:?} {role:?}"
            );
            if allowed.contains(&role) {
                assert!(got.is_ok(), "{kind:?} by {role:?}: {got:?}");
            } else {
                assert_eq!(
                    got.unwrap_err(),
                    TransitionError::NotAllowed { role, action: kind },
                    "{kind:?}"
                );
            }
        }
    }
    // Ending publicity needs no open objection, so it is checked apart.
    let mut c = in_state(S::Publicity);
    c.open_objections = 0;
    for role in Role::ALL {
        let allowed = expected_roles(ActionKind::EndPublicity, S::Publicity).contains(&role);
        assert_eq!(
            step(&c, Action::EndPublicity, role, day(2024, 3, 4)).is_ok(),
            allowed,
            "{role:?}"
        );
    }
    for role in Role::ALL {
        let r = open_case(
            village(),
            Channel::CadreScreening,
            &actor(role),
            "排查",
            day(2024, 3, 4),
            calendar(),
            &reference(),
        );
        assert_eq!(r.is_ok(), role != Role::Auditor, "{role:?}");
    }
}
