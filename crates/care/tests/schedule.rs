//! The follow-up schedule of care.md §2: visit classes, every row of the
//! next-due table, TB and mental intervals, overdue rules and the window.

use chrono::NaiveDate;
use jianfu_care::*;
use jianfu_domain::{Icd10, IdCardNo};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Born 1959-06-05: 64 on 2024-06-04, 65 on 2024-06-05.
const BIRTH: NaiveDate = NaiveDate::from_ymd_opt(1959, 6, 5).unwrap();

fn ht(on: NaiveDate, sbp: u32, dbp: u32) -> VisitDraft {
    VisitDraft {
        systolic: Some(sbp),
        diastolic: Some(dbp),
        ..VisitDraft::new(CareDisease::Hypertension, on, Way::FaceToFace, "李医生")
    }
}

fn dm(on: NaiveDate, tenths: u32) -> VisitDraft {
    VisitDraft {
        glucose_tenths: Some(tenths),
        ..VisitDraft::new(CareDisease::Diabetes, on, Way::FaceToFace, "李医生")
    }
}

fn v(d: VisitDraft) -> Visit {
    d.validate().unwrap()
}

fn span(disease: CareDisease, since: NaiveDate) -> ManagementSpan {
    let code = match disease {
        CareDisease::Hypertension => "I10",
        CareDisease::Diabetes => "E11.9",
        CareDisease::Tb => "A15.0",
        CareDisease::Mental => "F20.0",
    };
    let cat = CareCatalogue::built_in();
    let dx = Diagnosis::confirmed(Icd10::parse(code).unwrap(), since);
    managed_spans(&cat, BIRTH, &[dx], &PersonEnds::default()).remove(0)
}

fn class(d: VisitDraft) -> VisitClass {
    classify(&v(d), BIRTH).class
}

#[test]
fn hypertension_classes_and_the_age_threshold() {
    let young = day(2024, 6, 4);
    let old = day(2024, 6, 5);
    assert_eq!(class(ht(young, 180, 100)), VisitClass::Danger);
    assert_eq!(class(ht(young, 170, 110)), VisitClass::Danger);
    assert_eq!(class(ht(young, 179, 109)), VisitClass::Uncontrolled);
    assert_eq!(
        class(VisitDraft {
            danger_signs: true,
            ..ht(young, 120, 80)
        }),
        VisitClass::Danger
    );
    // 64: 140/90 is the limit; 65 on the visit date: 150/90.
    assert_eq!(class(ht(young, 145, 85)), VisitClass::Uncontrolled);
    assert_eq!(class(ht(old, 145, 85)), VisitClass::Controlled);
    assert_eq!(class(ht(old, 149, 89)), VisitClass::Controlled);
    assert_eq!(class(ht(old, 150, 80)), VisitClass::Uncontrolled);
    assert_eq!(class(ht(old, 130, 90)), VisitClass::Uncontrolled);
    assert_eq!(class(ht(young, 139, 89)), VisitClass::Controlled);
    assert_eq!(
        class(VisitDraft {
            adverse_effect: true,
            ..ht(young, 120, 80)
        }),
        VisitClass::Uncontrolled
    );
    let c = classify(&v(ht(old, 150, 80)), BIRTH);
    assert_eq!(c.zh(), "血压 150/80，65岁，未低于 150/90：控制不满意");
    assert_eq!(c.en(), "BP 150/80 at age 65 not below 150/90: uncontrolled");
}

#[test]
fn diabetes_classes() {
    let d = day(2024, 3, 1);
    assert_eq!(class(dm(d, 167)), VisitClass::Danger);
    assert_eq!(class(dm(d, 39)), VisitClass::Danger);
    assert_eq!(class(dm(d, 40)), VisitClass::Controlled);
    assert_eq!(class(dm(d, 166)), VisitClass::Uncontrolled);
    assert_eq!(class(dm(d, 70)), VisitClass::Uncontrolled);
    assert_eq!(class(dm(d, 69)), VisitClass::Controlled);
    let with_bp = |s, p| VisitDraft {
        systolic: Some(s),
        diastolic: Some(p),
        ..dm(d, 60)
    };
    assert_eq!(class(with_bp(182, 96)), VisitClass::Danger);
    assert_eq!(
        class(with_bp(150, 95)),
        VisitClass::Controlled,
        "BP only counts at danger level"
    );
    assert_eq!(
        class(VisitDraft {
            adverse_effect: true,
            ..dm(d, 60)
        }),
        VisitClass::Uncontrolled
    );
    assert_eq!(
        class(VisitDraft {
            danger_signs: true,
            ..dm(d, 60)
        }),
        VisitClass::Danger
    );
}

#[test]
fn visits_are_checked_field_by_field() {
    let d = day(2024, 3, 1);
    let err = |draft: VisitDraft| draft.validate().unwrap_err();
    assert_eq!(err(ht(d, 400, 90)).field(), VisitField::Systolic);
    assert_eq!(err(ht(d, 140, 250)).field(), VisitField::Diastolic);
    assert_eq!(err(ht(d, 80, 120)).field(), VisitField::Systolic);
    assert_eq!(
        err(VisitDraft {
            diastolic: None,
            ..ht(d, 140, 90)
        })
        .field(),
        VisitField::Diastolic
    );
    assert_eq!(
        err(VisitDraft {
            glucose_tenths: None,
            ..dm(d, 60)
        })
        .field(),
        VisitField::Glucose
    );
    assert_eq!(err(dm(d, 600)).field(), VisitField::Glucose);
    let no_bp = VisitDraft::new(CareDisease::Hypertension, d, Way::Phone, "李医生");
    assert_eq!(err(no_bp).code(), "visit_missing_value");
    assert_eq!(
        err(VisitDraft {
            doctor: " ".into(),
            ..ht(d, 120, 80)
        })
        .field(),
        VisitField::Doctor
    );
    let long = "很".repeat(501);
    assert_eq!(
        err(VisitDraft {
            note: long,
            ..ht(d, 120, 80)
        })
        .field(),
        VisitField::Note
    );
    let grade = Some(MentalGrade {
        stability: Stability::Stable,
        risk: 0,
    });
    let e = err(VisitDraft {
        mental: grade,
        ..ht(d, 120, 80)
    });
    assert_eq!(
        (e.field(), e.code()),
        (VisitField::Stability, "visit_wrong_disease")
    );
    let mental = VisitDraft::new(CareDisease::Mental, d, Way::FaceToFace, "王医生");
    assert_eq!(err(mental.clone()).field(), VisitField::Stability);
    let bad_risk = Some(MentalGrade {
        stability: Stability::Stable,
        risk: 6,
    });
    assert_eq!(
        err(VisitDraft {
            mental: bad_risk,
            ..mental
        })
        .field(),
        VisitField::RiskGrade
    );
    assert!(err(ht(d, 400, 90)).to_string().contains("收缩压 400 mmHg"));
    assert_eq!(Way::parse("门诊").unwrap(), Way::FaceToFace);
    assert_eq!(Adherence::parse("间断").unwrap(), Adherence::Intermittent);
    assert!(Way::parse("微信").is_err());
}

fn next(visit: VisitDraft, previous: Option<VisitDraft>) -> Task {
    let p = previous.map(v);
    next_after_visit(&v(visit), p.as_ref(), BIRTH, day(2020, 1, 1))
}

#[test]
fn every_row_of_the_next_due_table() {
    let d = day(2024, 3, 10);
    let due14 = day(2024, 3, 24);
    // danger → urgent referral.
    let t = next(ht(d, 185, 100), None);
    assert_eq!((t.kind, t.due), (TaskKind::UrgentReferral, due14));
    // uncontrolled after an uncontrolled visit within 120 days.
    let t = next(ht(d, 150, 95), Some(ht(day(2024, 2, 25), 145, 92)));
    assert_eq!((t.kind, t.due), (TaskKind::ReferralFollowup, due14));
    // … or after a danger visit.
    let t = next(ht(d, 150, 95), Some(ht(day(2024, 2, 25), 190, 100)));
    assert_eq!(t.kind, TaskKind::ReferralFollowup);
    // uncontrolled with a new or worse complication.
    let t = next(
        VisitDraft {
            complication: true,
            ..ht(d, 150, 95)
        },
        None,
    );
    assert_eq!((t.kind, t.due), (TaskKind::ReferralFollowup, due14));
    // first uncontrolled → recheck.
    let t = next(ht(d, 150, 95), None);
    assert_eq!((t.kind, t.due), (TaskKind::Recheck, due14));
    let t = next(ht(d, 150, 95), Some(ht(day(2024, 2, 25), 130, 80)));
    assert_eq!(
        t.kind,
        TaskKind::Recheck,
        "the previous visit was controlled"
    );
    // controlled → routine in 3 calendar months.
    let t = next(ht(d, 130, 80), Some(ht(day(2024, 2, 25), 150, 95)));
    assert_eq!((t.kind, t.due), (TaskKind::Routine, day(2024, 6, 10)));
    // Choice: a complication refers even when the values are controlled.
    let t = next(
        VisitDraft {
            complication: true,
            ..ht(d, 130, 80)
        },
        None,
    );
    assert_eq!(t.kind, TaskKind::ReferralFollowup);
    // Diabetes follows the same table.
    let t = next(dm(d, 80), Some(dm(day(2024, 1, 5), 75)));
    assert_eq!(t.kind, TaskKind::ReferralFollowup);
    assert_eq!(next(dm(d, 80), None).kind, TaskKind::Recheck);
    assert!(
        t.zh().contains("上次随访（2024-01-05）控制不满意"),
        "{}",
        t.zh()
    );
    assert!(
        t.en()
            .starts_with("diabetes: referral_followup due 2024-03-24"),
        "{}",
        t.en()
    );
}

#[test]
fn the_look_back_is_120_days_inclusive() {
    let d = day(2024, 6, 30);
    let at_120 = day(2024, 3, 2);
    assert_eq!((d - at_120).num_days(), 120);
    assert_eq!(
        next(ht(d, 150, 95), Some(ht(at_120, 150, 95))).kind,
        TaskKind::ReferralFollowup
    );
    let at_121 = day(2024, 3, 1);
    assert_eq!(
        next(ht(d, 150, 95), Some(ht(at_121, 150, 95))).kind,
        TaskKind::Recheck
    );
}

#[test]
fn routine_visits_clamp_to_the_month_end() {
    let routine = |d| next(ht(d, 120, 80), None).due;
    assert_eq!(routine(day(2023, 11, 30)), day(2024, 2, 29));
    assert_eq!(routine(day(2024, 11, 30)), day(2025, 2, 28));
    assert_eq!(routine(day(2024, 1, 31)), day(2024, 4, 30));
    assert_eq!(routine(day(2023, 1, 31)), day(2023, 4, 30));
    assert_eq!(routine(day(2023, 12, 31)), day(2024, 3, 31));
    assert_eq!(routine(day(2024, 8, 31)), day(2024, 11, 30));
}

#[test]
fn first_tasks_before_any_visit() {
    let s = span(CareDisease::Hypertension, day(2024, 1, 10));
    let t = schedule_task(&s, &[], BIRTH, day(2024, 1, 10)).unwrap();
    assert_eq!((t.kind, t.due), (TaskKind::Routine, day(2024, 2, 9)));
    assert!(t.zh().contains("尚无随访，30天内首次随访"));
    let tb = span(CareDisease::Tb, day(2024, 1, 10));
    assert_eq!(first_task(&tb).due, day(2024, 1, 13));
    let mental = span(CareDisease::Mental, day(2024, 1, 10));
    assert_eq!(first_task(&mental).due, day(2024, 2, 9));
    assert!(
        schedule_task(&s, &[], BIRTH, day(2024, 1, 9)).is_none(),
        "not managed yet"
    );
}

fn tb_visit(on: NaiveDate) -> VisitDraft {
    VisitDraft::new(CareDisease::Tb, on, Way::FaceToFace, "赵医生")
}

#[test]
fn tb_intervals_by_phase() {
    // Notified 2024-01-31: the intensive phase runs to 03-30, 03-31 is continuation.
    let since = day(2024, 1, 31);
    assert_eq!(
        tb_phase(since, day(2024, 3, 30)),
        TbPhase::Intensive {
            ends: day(2024, 3, 31)
        }
    );
    assert_eq!(tb_phase(since, day(2024, 3, 31)), TbPhase::Continuation);
    let after = |draft: VisitDraft| next_after_visit(&v(draft), None, BIRTH, since);
    let t = after(tb_visit(day(2024, 2, 2)));
    assert_eq!((t.kind, t.due), (TaskKind::Routine, day(2024, 2, 12)));
    assert_eq!(after(tb_visit(day(2024, 3, 30))).due, day(2024, 4, 9));
    let t = after(tb_visit(day(2024, 3, 31)));
    assert_eq!((t.kind, t.due), (TaskKind::Routine, day(2024, 4, 30)));
    assert_eq!(after(tb_visit(day(2024, 5, 31))).due, day(2024, 6, 30));
    let t = after(VisitDraft {
        danger_signs: true,
        ..tb_visit(day(2024, 5, 1))
    });
    assert_eq!(
        (t.kind, t.due),
        (TaskKind::UrgentReferral, day(2024, 5, 15))
    );
    let t = after(VisitDraft {
        adverse_effect: true,
        ..tb_visit(day(2024, 5, 1))
    });
    assert_eq!(t.kind, TaskKind::ReferralFollowup);
    // The schedule follows the span: visits before management are ignored.
    let s = span(CareDisease::Tb, since);
    let visits = [v(tb_visit(day(2024, 1, 20))), v(tb_visit(day(2024, 2, 2)))];
    let t = schedule_task(&s, &visits, BIRTH, day(2024, 2, 5)).unwrap();
    assert_eq!(t.due, day(2024, 2, 12));
    assert!(
        t.zh().contains("强化期（至2024-03-31），每10天随访"),
        "{}",
        t.zh()
    );
}

fn mental(on: NaiveDate, stability: Stability, risk: u8) -> VisitDraft {
    VisitDraft {
        mental: Some(MentalGrade { stability, risk }),
        ..VisitDraft::new(CareDisease::Mental, on, Way::FaceToFace, "王医生")
    }
}

#[test]
fn mental_intervals_by_grade() {
    let d = day(2024, 11, 30);
    let after = |draft| next_after_visit(&v(draft), None, BIRTH, day(2020, 1, 1));
    let t = after(mental(d, Stability::Stable, 0));
    assert_eq!((t.kind, t.due), (TaskKind::Routine, day(2025, 2, 28)));
    let t = after(mental(d, Stability::BasicallyStable, 1));
    assert_eq!((t.kind, t.due), (TaskKind::Recheck, day(2024, 12, 14)));
    let t = after(mental(d, Stability::Unstable, 3));
    assert_eq!(
        (t.kind, t.due),
        (TaskKind::UrgentReferral, day(2024, 12, 14))
    );
    // The risk grade overrides a milder stability.
    assert_eq!(
        after(mental(d, Stability::Stable, 3)).kind,
        TaskKind::UrgentReferral
    );
    assert_eq!(
        after(mental(d, Stability::Stable, 2)).kind,
        TaskKind::Recheck
    );
    let signs = VisitDraft {
        danger_signs: true,
        ..mental(d, Stability::Stable, 0)
    };
    assert_eq!(after(signs).kind, TaskKind::UrgentReferral);
    // No escalation: two basically stable visits in a row stay rechecks.
    let prev = v(mental(day(2024, 11, 16), Stability::BasicallyStable, 1));
    let t = next_after_visit(
        &v(mental(d, Stability::BasicallyStable, 1)),
        Some(&prev),
        BIRTH,
        prev.date(),
    );
    assert_eq!(t.kind, TaskKind::Recheck);
}

#[test]
fn a_visit_closes_open_tasks_and_opens_the_next() {
    let s = span(CareDisease::Hypertension, day(2024, 1, 10));
    let visits = [
        v(ht(day(2024, 4, 1), 130, 80)),
        v(ht(day(2024, 2, 1), 150, 95)),
        v(ht(day(2024, 2, 14), 152, 96)),
        VisitDraft {
            way: Way::Phone,
            ..ht(day(2024, 7, 1), 150, 95)
        }
        .validate()
        .unwrap(),
    ];
    let at = |d| schedule_task(&s, &visits, BIRTH, d).unwrap();
    assert_eq!(
        (at(day(2024, 2, 1)).kind, at(day(2024, 2, 1)).due),
        (TaskKind::Recheck, day(2024, 2, 15))
    );
    assert_eq!(at(day(2024, 2, 20)).kind, TaskKind::ReferralFollowup);
    assert_eq!(
        (at(day(2024, 5, 1)).kind, at(day(2024, 5, 1)).due),
        (TaskKind::Routine, day(2024, 7, 1))
    );
    // The phone visit counts for the schedule.
    assert_eq!(
        (at(day(2024, 7, 2)).kind, at(day(2024, 7, 2)).due),
        (TaskKind::Recheck, day(2024, 7, 15))
    );
    assert!(at(day(2024, 7, 16)).overdue_on(day(2024, 7, 16)));
    assert!(!at(day(2024, 7, 15)).overdue_on(day(2024, 7, 15)));
    // Only one schedule task per disease is ever open.
    assert_eq!(
        open_tasks_on(&[s], &visits, &[], BIRTH, day(2024, 3, 1)).len(),
        1
    );
}

fn alert_task(rule: AlertRule, on: NaiveDate) -> Task {
    Task {
        disease: rule.kind().disease(),
        kind: rule.task_kind(),
        opened_on: on,
        due: rule.due(on),
        reason: TaskReason::Alert { rule, day: on },
    }
}

#[test]
fn alert_tasks_close_with_a_visit_of_their_disease() {
    let s = span(CareDisease::Hypertension, day(2024, 1, 10));
    let visits = [
        v(ht(day(2024, 6, 10), 130, 80)),
        v(dm(day(2024, 6, 20), 60)),
    ];
    let alerts = [
        alert_task(AlertRule::Bp3d, day(2024, 6, 4)),
        alert_task(AlertRule::BpCrit, day(2024, 6, 5)),
    ];
    let open = open_tasks_on(
        std::slice::from_ref(&s),
        &visits,
        &alerts,
        BIRTH,
        day(2024, 6, 6),
    );
    assert_eq!(open.len(), 3, "schedule task + both alert tasks");
    let open = open_tasks_on(
        std::slice::from_ref(&s),
        &visits,
        &alerts,
        BIRTH,
        day(2024, 6, 10),
    );
    assert_eq!(open.len(), 1, "the visit closed both");
    // A diabetes visit does not close a glucose alert of another disease…
    let glu = [alert_task(AlertRule::GluCrit, day(2024, 6, 21))];
    let open = open_tasks_on(&[s], &visits, &glu, BIRTH, day(2024, 6, 22));
    assert_eq!(
        open.iter()
            .filter(|t| t.disease == CareDisease::Diabetes)
            .count(),
        1
    );
}

#[test]
fn the_95_day_face_to_face_rule() {
    let s = span(CareDisease::Hypertension, day(2023, 6, 1));
    let visits = [
        v(ht(day(2024, 1, 1), 130, 80)),
        VisitDraft {
            way: Way::Phone,
            ..ht(day(2024, 3, 1), 130, 80)
        }
        .validate()
        .unwrap(),
    ];
    // 2024-01-01 + 95 days = 2024-04-05 (leap year).
    let gap = |d| face_to_face_gap(&s, &visits, d).unwrap();
    assert_eq!(gap(day(2024, 4, 5)).deadline, day(2024, 4, 5));
    assert!(
        !gap(day(2024, 4, 5)).overdue,
        "95 days gone only at the end of 04-05"
    );
    assert!(
        gap(day(2024, 4, 6)).overdue,
        "the phone visit does not count"
    );
    assert!(
        gap(day(2024, 4, 6))
            .zh()
            .contains("末次面对面随访 2024-01-01")
    );
    // No face-to-face visit yet: counted from the start of management.
    let fresh = span(CareDisease::Diabetes, day(2024, 1, 1));
    let g = face_to_face_gap(&fresh, &[], day(2024, 4, 6)).unwrap();
    assert_eq!((g.last_face_to_face, g.overdue), (None, true));
    let tb = span(CareDisease::Tb, day(2024, 1, 1));
    assert!(
        face_to_face_gap(&tb, &[], day(2024, 6, 1)).is_none(),
        "HT and DM only"
    );
}

#[test]
fn the_window_edges() {
    let today = day(2024, 6, 30);
    let w = Window::around(today);
    assert_eq!((w.from, w.to), (day(2024, 5, 1), day(2024, 12, 27)));
    assert_eq!(w.place(day(2024, 5, 1)), Placement::InWindow);
    assert_eq!(w.place(day(2024, 4, 30)), Placement::BeforeWindow);
    assert_eq!(w.place(day(2024, 12, 27)), Placement::InWindow);
    assert_eq!(w.place(day(2024, 12, 28)), Placement::AfterWindow);
    // No visit, managed since 04-01: first task due 05-01, the first day kept.
    let s = span(CareDisease::Hypertension, day(2024, 4, 1));
    let placed = tasks_in_window(&[s], &[], &[], BIRTH, today);
    assert!(placed[0].stored());
    let s = span(CareDisease::Hypertension, day(2024, 3, 31));
    let placed = tasks_in_window(&[s], &[], &[], BIRTH, today);
    assert_eq!(
        (placed[0].task.due, placed[0].placement),
        (day(2024, 4, 30), Placement::BeforeWindow)
    );
    assert!(
        placed[0]
            .zh()
            .ends_with("到期日早于 2024-05-01，不保存，需要时推导"),
        "{}",
        placed[0].zh()
    );
}

#[test]
fn task_rows_for_the_file() {
    let id = IdCardNo::from_parts("110105", BIRTH, 21).unwrap();
    let spans = [
        span(CareDisease::Hypertension, day(2024, 1, 10)),
        span(CareDisease::Diabetes, day(2024, 2, 1)),
    ];
    let visits = [v(ht(day(2024, 3, 1), 150, 95))];
    let rows = task_rows(id, &spans, &visits, &[], day(2024, 3, 20));
    assert_eq!(
        TaskRow::HEADER.join(","),
        "id_number,disease,task,due,overdue"
    );
    let cells: Vec<String> = rows.iter().map(|r| r.cells()[1..].join(",")).collect();
    assert_eq!(
        cells,
        [
            "diabetes,routine,2024-03-02,true",
            "hypertension,recheck,2024-03-15,true"
        ]
    );
    assert_eq!(rows[0].cells()[0], id.as_str());
    let rows = task_rows(id, &spans, &visits, &[], day(2024, 3, 2));
    assert!(!rows[0].overdue);
}
