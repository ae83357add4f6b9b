//! The identification procedure: every step allowed and refused by role,
//! the requirements of each step and the deadlines it opens and closes.

use chrono::NaiveDate;
use jianfu_domain::{Money, RegionCode, Role, Scope};
use jianfu_monitoring::calendar::{CalendarError, WorkCalendar};
use jianfu_monitoring::case::{
    Action, ActionKind, Actor, Case, CaseState, Channel, Command, Transition, TransitionError,
};
use jianfu_monitoring::deadline::DeadlineKind;
use jianfu_monitoring::measure::{Department, Measure, MeasureType};
use jianfu_monitoring::procedure::{apply, open_case};
use jianfu_monitoring::rules::Rule;

use crate::support::{day, reference, village};

pub(crate) fn calendar() -> &'static WorkCalendar {
    static CAL: std::sync::OnceLock<WorkCalendar> = std::sync::OnceLock::new();
    CAL.get_or_init(WorkCalendar::built_in)
}

/// An actor of each role, bound to the reference village's region at its
/// own level.
pub(crate) fn actor(role: Role) -> Actor {
    let scope = match role {
        Role::NationalAdmin => Scope::NATIONAL,
        Role::ProvinceAdmin => Scope::parse("13").unwrap(),
        Role::CityAdmin => Scope::parse("1306").unwrap(),
        Role::TownshipWorker => Scope::parse("130624100").unwrap(),
        Role::VillageDoctor => Scope::parse("130624100200").unwrap(),
        _ => Scope::parse("130624").unwrap(),
    };
    Actor { role, scope }
}

pub(crate) fn cmd(action: Action) -> Command {
    Command {
        action,
        note: "已办理".into(),
    }
}

pub(crate) fn reason(s: &str) -> String {
    s.to_string()
}

pub(crate) fn measure(dep: Department, on: NaiveDate) -> Measure {
    let t = match dep {
        Department::MedicalInsurance => MeasureType::TripleSettlement,
        Department::Health => MeasureType::FamilyDoctorContract,
        _ => MeasureType::TreatFirstPayLater,
    };
    Measure::new(t, dep, on, Some(Money::from_yuan(500)), "王医生", "", on).unwrap()
}

pub(crate) fn step(
    case: &Case,
    action: Action,
    role: Role,
    on: NaiveDate,
) -> Result<Transition, TransitionError> {
    apply(
        case,
        &cmd(action),
        &actor(role),
        on,
        calendar(),
        &reference(),
    )
}

pub(crate) fn ok(case: &Case, action: Action, role: Role, on: NaiveDate) -> Transition {
    step(case, action, role, on).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn opened(on: NaiveDate) -> Case {
    open_case(
        village(),
        Channel::Alert(Rule::R2),
        &actor(Role::VillageDoctor),
        "R2 预警",
        on,
        calendar(),
        &reference(),
    )
    .unwrap()
    .case
}

pub(crate) const ADMINS: [Role; 4] = [
    Role::NationalAdmin,
    Role::ProvinceAdmin,
    Role::CityAdmin,
    Role::CountyAdmin,
];

#[test]
fn identification_with_m6_dates() {
    use Role::*;
    let t = open_case(
        village(),
        Channel::SelfDeclaration,
        &actor(VillageDoctor),
        "户主申报",
        day(2024, 2, 1),
        calendar(),
        &reference(),
    )
    .unwrap();
    // 5 working days after Thursday 02-01: Sunday 02-04 is a make-up day.
    assert_eq!(t.opened[0].kind, DeadlineKind::PreWarning);
    assert_eq!(t.opened[0].due_on, day(2024, 2, 7));
    assert_eq!(t.entry.from, None);
    let c = ok(
        &t.case,
        Action::StartVerification,
        VillageDoctor,
        day(2024, 2, 2),
    )
    .case;
    let t = ok(&c, Action::ConfirmRisk, VillageDoctor, day(2024, 2, 2));
    assert_eq!(t.case.state, CaseState::Candidate);
    assert_eq!(
        (t.closed[0].deadline.kind, t.closed[0].late),
        (DeadlineKind::PreWarning, false)
    );
    // M6: candidate recorded on Friday 2024-02-02, county decision due 03-06.
    assert_eq!(
        (t.opened[0].kind, t.opened[0].due_on),
        (DeadlineKind::Procedure, day(2024, 3, 6))
    );
    assert!(
        t.entry.text.contains("入户核查 → 拟纳入"),
        "{}",
        t.entry.text
    );
}

#[test]
fn publicity_minimum_and_county_approval() {
    use Role::*;
    let c = opened(day(2024, 9, 20));
    let c = ok(
        &c,
        Action::StartVerification,
        TownshipWorker,
        day(2024, 9, 23),
    )
    .case;
    let t = ok(&c, Action::ConfirmRisk, TownshipWorker, day(2024, 9, 24));
    // 20 working days across the National Day break and two make-up days.
    assert_eq!(t.opened[0].due_on, day(2024, 10, 25));
    let c = ok(
        &t.case,
        Action::StartPublicity,
        TownshipWorker,
        day(2024, 9, 27),
    )
    .case;
    assert_eq!(c.publicity_earliest_end, Some(day(2024, 10, 10)));
    assert_eq!(
        step(&c, Action::EndPublicity, TownshipWorker, day(2024, 10, 9)).unwrap_err(),
        TransitionError::PublicityTooShort {
            earliest: day(2024, 10, 10)
        }
    );
    let c = ok(&c, Action::EndPublicity, TownshipWorker, day(2024, 10, 10)).case;
    let c = ok(
        &c,
        Action::TownshipApprove,
        TownshipWorker,
        day(2024, 10, 11),
    )
    .case;
    assert_eq!(c.state, CaseState::CountyDecision);
    let t = ok(&c, Action::CountyApprove, CountyAdmin, day(2024, 12, 28));
    assert_eq!(t.case.state, CaseState::Monitored);
    assert!(t.closed[0].late, "due 10-25, decided 12-28");
    let due: Vec<_> = t.opened.iter().map(|d| (d.kind, d.due_on)).collect();
    assert_eq!(
        due,
        [
            (DeadlineKind::HomeVisit, day(2025, 1, 4)),
            (DeadlineKind::HealthMeasure, day(2025, 1, 27))
        ]
    );
    let c = ok(
        &t.case,
        Action::RecordHomeVisit,
        VillageDoctor,
        day(2025, 1, 3),
    )
    .case;
    let t = ok(
        &c,
        Action::RecordMeasure(measure(Department::Health, day(2025, 1, 20))),
        VillageDoctor,
        day(2025, 1, 20),
    );
    assert_eq!(t.closed.len(), 1);
    assert!(t.case.deadlines.is_empty());
    assert!(t.entry.text.contains("家庭医生签约服务"));
}

/// A case in `state` with everything the state's steps need.
pub(crate) fn in_state(state: CaseState) -> Case {
    let mut c = opened(day(2024, 3, 1));
    c.state = state;
    c.deadlines.clear();
    c.open_objections = u32::from(matches!(state, CaseState::Publicity));
    c.publicity_earliest_end = Some(day(2024, 3, 1));
    c.follow_on_until = Some(day(2024, 3, 1));
    c
}

#[test]
fn jurisdiction_state_note_reason_and_dates() {
    use Role::*;
    let c = opened(day(2024, 3, 1));
    let other = Actor {
        role: TownshipWorker,
        scope: Scope::parse("130624101").unwrap(),
    };
    let e = apply(
        &c,
        &cmd(Action::StartVerification),
        &other,
        day(2024, 3, 4),
        calendar(),
        &reference(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        TransitionError::OutsideJurisdiction { region: village() }
    );
    assert!(e.to_string().contains("管辖范围"));
    let e = step(&c, Action::CountyApprove, CountyAdmin, day(2024, 3, 4)).unwrap_err();
    assert_eq!(
        e,
        TransitionError::WrongState {
            state: CaseState::PreWarning,
            action: ActionKind::CountyApprove
        }
    );
    assert_eq!(e.to_string(), "案件当前为“预警”，不能县级审定通过");
    let blank = Command {
        action: Action::StartVerification,
        note: "  ".into(),
    };
    let e = apply(
        &c,
        &blank,
        &actor(TownshipWorker),
        day(2024, 3, 4),
        calendar(),
        &reference(),
    )
    .unwrap_err();
    assert_eq!(e, TransitionError::MissingNote);
    let e = step(
        &c,
        Action::CloseNoRisk { reason: " ".into() },
        TownshipWorker,
        day(2024, 3, 4),
    )
    .unwrap_err();
    assert_eq!(
        e,
        TransitionError::MissingReason {
            action: ActionKind::CloseNoRisk
        }
    );
    let e = step(
        &c,
        Action::StartVerification,
        TownshipWorker,
        day(2024, 2, 29),
    )
    .unwrap_err();
    assert!(matches!(e, TransitionError::Backdated { .. }));
    let t = ok(
        &c,
        Action::CloseNoRisk {
            reason: reason("务工收入稳定"),
        },
        TownshipWorker,
        day(2024, 3, 4),
    );
    assert_eq!(t.case.state, CaseState::Closed);
    assert_eq!(t.closed[0].deadline.kind, DeadlineKind::PreWarning);
    assert_eq!(t.entry.reason.as_deref(), Some("务工收入稳定"));
    assert!(
        step(
            &t.case,
            Action::StartVerification,
            CountyAdmin,
            day(2024, 3, 5)
        )
        .is_err()
    );
    // A village doctor records health measures, an insurance officer only
    // the insurance bureau's.
    let m = in_state(CaseState::Monitored);
    let mi = Action::RecordMeasure(measure(Department::MedicalInsurance, day(2024, 3, 2)));
    assert!(matches!(
        step(&m, mi, VillageDoctor, day(2024, 3, 4)),
        Err(TransitionError::MeasureDepartment { .. })
    ));
    let h = Action::RecordMeasure(measure(Department::Health, day(2024, 3, 2)));
    assert!(matches!(
        step(&m, h, InsuranceOfficer, day(2024, 3, 4)),
        Err(TransitionError::MeasureDepartment { .. })
    ));
    let ca = Action::RecordMeasure(measure(Department::CivilAffairs, day(2024, 3, 2)));
    assert!(step(&m, ca, TownshipWorker, day(2024, 3, 4)).is_ok());
    // Deadlines into a year with no calendar are an error, not a guess.
    let e = open_case(
        village(),
        Channel::SocialSupervision,
        &actor(CountyAdmin),
        "举报",
        day(2026, 12, 28),
        calendar(),
        &reference(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        TransitionError::Calendar(CalendarError::YearNotLoaded { year: 2027 })
    );
}

#[test]
fn objections() {
    use Role::*;
    let mut c = in_state(CaseState::Publicity);
    c.open_objections = 0;
    c.deadlines = opened(day(2024, 3, 1)).deadlines;
    assert_eq!(
        step(
            &c,
            Action::ResolveObjection {
                upheld: false,
                reason: reason("x")
            },
            TownshipWorker,
            day(2024, 3, 4)
        )
        .unwrap_err(),
        TransitionError::NoOpenObjection
    );
    let c = ok(&c, Action::RecordObjection, TownshipWorker, day(2024, 3, 4)).case;
    let c = ok(&c, Action::RecordObjection, TownshipWorker, day(2024, 3, 4)).case;
    assert_eq!(
        step(&c, Action::EndPublicity, TownshipWorker, day(2024, 3, 5)).unwrap_err(),
        TransitionError::ObjectionsOpen { count: 2 }
    );
    let t = ok(
        &c,
        Action::ResolveObjection {
            upheld: false,
            reason: reason("经核实不实"),
        },
        TownshipWorker,
        day(2024, 3, 5),
    );
    assert_eq!(
        (t.case.state, t.case.open_objections),
        (CaseState::Publicity, 1)
    );
    let t = ok(
        &t.case,
        Action::ResolveObjection {
            upheld: true,
            reason: reason("隐瞒经营收入"),
        },
        TownshipWorker,
        day(2024, 3, 6),
    );
    assert_eq!(t.case.state, CaseState::Rejected);
    assert!(t.case.deadlines.is_empty() && !t.closed.is_empty());
}

#[test]
fn green_channel() {
    use Role::*;
    let c = opened(day(2024, 3, 1));
    assert!(!c.is_monitored());
    let t = ok(
        &c,
        Action::GreenChannel {
            reason: reason("房屋失火"),
        },
        CountyAdmin,
        day(2024, 3, 4),
    );
    assert_eq!(t.case.state, CaseState::Candidate);
    assert!(t.case.green_channel && t.case.is_monitored());
    let kinds: Vec<_> = t.opened.iter().map(|d| (d.kind, d.due_on)).collect();
    assert_eq!(
        kinds,
        [
            (DeadlineKind::Procedure, day(2024, 4, 1)),
            (DeadlineKind::HealthMeasure, day(2024, 4, 3))
        ]
    );
    assert_eq!(
        step(
            &t.case,
            Action::GreenChannel {
                reason: reason("again")
            },
            CountyAdmin,
            day(2024, 3, 4)
        )
        .unwrap_err(),
        TransitionError::AlreadyGreen
    );
    let mi = Action::RecordMeasure(measure(Department::MedicalInsurance, day(2024, 3, 5)));
    let t = ok(&t.case, mi, InsuranceOfficer, day(2024, 3, 5));
    assert_eq!(t.closed[0].deadline.kind, DeadlineKind::HealthMeasure);
    let mut c = t.case;
    c.state = CaseState::CountyDecision;
    let t = ok(&c, Action::CountyApprove, CountyAdmin, day(2024, 3, 20));
    let kinds: Vec<_> = t.opened.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [DeadlineKind::HomeVisit],
        "a measure is already in place"
    );
    // Refused at the county: the provisional monitoring ends.
    let t = ok(
        &c,
        Action::Reject {
            reason: reason("不符合条件"),
        },
        CountyAdmin,
        day(2024, 3, 20),
    );
    assert!(!t.case.is_monitored() && t.case.deadlines.is_empty());
}

#[test]
fn risk_elimination_and_follow_on() {
    use Role::*;
    let m = in_state(CaseState::Monitored);
    assert_eq!(
        step(
            &m,
            Action::ProposeElimination { stable_months: 5 },
            TownshipWorker,
            day(2025, 3, 3)
        )
        .unwrap_err(),
        TransitionError::IncomeNotStable {
            months: 5,
            required: 6
        }
    );
    let t = ok(
        &m,
        Action::ProposeElimination { stable_months: 7 },
        TownshipWorker,
        day(2025, 3, 3),
    );
    assert_eq!(t.case.state, CaseState::EliminationVerifying);
    assert_eq!(
        (t.opened[0].kind, t.opened[0].due_on),
        (DeadlineKind::Elimination, day(2025, 3, 31))
    );
    let r = ok(
        &t.case,
        Action::Reject {
            reason: reason("收入不稳定"),
        },
        TownshipWorker,
        day(2025, 3, 4),
    );
    assert_eq!(r.case.state, CaseState::Monitored);
    assert!(r.case.deadlines.is_empty());
    let c = ok(
        &t.case,
        Action::StartPublicity,
        TownshipWorker,
        day(2025, 3, 5),
    )
    .case;
    assert_eq!(c.state, CaseState::EliminationPublicity);
    assert!(matches!(
        step(
            &c,
            Action::Reject {
                reason: reason("x")
            },
            CountyAdmin,
            day(2025, 3, 6)
        ),
        Err(TransitionError::WrongState { .. })
    ));
    let o = ok(&c, Action::RecordObjection, TownshipWorker, day(2025, 3, 6)).case;
    let o = ok(
        &o,
        Action::ResolveObjection {
            upheld: true,
            reason: reason("仍有大额医疗支出"),
        },
        TownshipWorker,
        day(2025, 3, 7),
    );
    assert_eq!(
        o.case.state,
        CaseState::Monitored,
        "an upheld objection keeps the household monitored"
    );
    let c = ok(&c, Action::EndPublicity, TownshipWorker, day(2025, 3, 12)).case;
    let c = ok(
        &c,
        Action::TownshipApprove,
        TownshipWorker,
        day(2025, 3, 13),
    )
    .case;
    assert_eq!(
        step(
            &c,
            Action::Reject {
                reason: reason("x")
            },
            TownshipWorker,
            day(2025, 3, 31)
        )
        .unwrap_err(),
        TransitionError::NotAllowed {
            role: TownshipWorker,
            action: ActionKind::Reject
        }
    );
    let t = ok(&c, Action::CountyApprove, CountyAdmin, day(2025, 3, 31));
    assert_eq!(t.case.state, CaseState::Eliminated);
    assert_eq!(t.case.follow_on_until, Some(day(2026, 3, 31)));
    assert!(t.case.is_monitored(), "still tracked");
    assert_eq!(
        step(&t.case, Action::EndFollowOn, CountyAdmin, day(2026, 3, 30)).unwrap_err(),
        TransitionError::FollowOnNotOver {
            until: day(2026, 3, 31)
        }
    );
    let back = ok(
        &t.case,
        Action::ResumeMonitoring {
            reason: reason("再次确诊"),
        },
        TownshipWorker,
        day(2025, 9, 1),
    );
    assert_eq!(
        (back.case.state, back.case.follow_on_until),
        (CaseState::Monitored, None)
    );
    let done = ok(&t.case, Action::EndFollowOn, CountyAdmin, day(2026, 3, 31));
    assert_eq!(done.case.state, CaseState::Closed);
}

#[test]
fn state_labels() {
    let c = in_state(CaseState::EliminationCountyDecision);
    assert_eq!(c.state.label(), "风险消除县级审定");
    assert_eq!(CaseState::Monitored.code(), "monitored");
    assert!(CaseState::Rejected.is_final() && !CaseState::Eliminated.is_final());
    assert_eq!(RegionCode::parse("130624100200").unwrap(), c.region);
}
