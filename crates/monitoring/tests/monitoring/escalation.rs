//! Supervision: raising, climbing and closing with a controllable "now",
//! idempotence, and A1–A3 findings on the same ladder.

use chrono::{DateTime, TimeZone, Utc};
use jianfu_domain::{GroupSet, HouseholdType, RegionCode};
use jianfu_monitoring::anomaly::find_anomalies;
use jianfu_monitoring::calendar::WorkCalendar;
use jianfu_monitoring::deadline::china;
use jianfu_monitoring::escalation::{
    Closure, EscalationAction, Step, SupervisionItem, apply_actions, finding_drafts, scan,
};
use jianfu_monitoring::input::Households;
use proptest::prelude::*;

use crate::support::{claim, day, household, reference, village};

fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    china()
        .with_ymd_and_hms(y, m, d, h, mi, s)
        .unwrap()
        .with_timezone(&Utc)
}

fn calendar() -> WorkCalendar {
    WorkCalendar::built_in()
}

fn run(
    steps: &[Step<u32>],
    items: &mut Vec<SupervisionItem<u32>>,
    now: DateTime<Utc>,
) -> Vec<EscalationAction<u32>> {
    let cal = calendar();
    let actions = scan(steps, items, now, &cal, &reference()).unwrap();
    apply_actions(items, &actions);
    assert!(
        scan(steps, items, now, &cal, &reference())
            .unwrap()
            .is_empty(),
        "idempotent at {now}"
    );
    actions
}

fn regions(items: &[SupervisionItem<u32>]) -> Vec<(&str, chrono::NaiveDate)> {
    items
        .iter()
        .map(|i| (i.region.as_str(), i.due_on))
        .collect()
}

#[test]
fn climbs_level_by_level_and_closes_with_lateness() {
    let mut steps = vec![Step {
        key: 7u32,
        owner: village(),
        due_on: day(2024, 3, 6),
        done_on: None,
    }];
    let mut items = Vec::new();
    assert!(
        run(&steps, &mut items, at(2024, 3, 6, 23, 59, 59)).is_empty(),
        "due at the end of the day"
    );
    let a = run(&steps, &mut items, at(2024, 3, 7, 0, 0, 0));
    assert!(matches!(a.as_slice(), [EscalationAction::Raise { .. }]));
    assert_eq!(regions(&items), [("130624100000", day(2024, 3, 14))]);
    assert!(run(&steps, &mut items, at(2024, 3, 14, 23, 59, 59)).is_empty());
    let a = run(&steps, &mut items, at(2024, 3, 15, 0, 0, 0));
    assert!(matches!(
        a.as_slice(),
        [EscalationAction::Climb { from: 0, .. }]
    ));
    run(&steps, &mut items, at(2024, 3, 23, 8, 0, 0));
    run(&steps, &mut items, at(2024, 3, 30, 8, 0, 0));
    assert_eq!(
        regions(&items),
        [
            ("130624100000", day(2024, 3, 14)),
            ("130624000000", day(2024, 3, 22)),
            ("130600000000", day(2024, 3, 29)),
            // Raised on Saturday 03-30; 04-04..06 are off, Sunday 04-07 works.
            ("130000000000", day(2024, 4, 8)),
        ]
    );
    assert!(
        run(&steps, &mut items, at(2024, 5, 1, 8, 0, 0)).is_empty(),
        "nothing above the province"
    );
    steps[0].done_on = Some(day(2024, 4, 20));
    let a = run(&steps, &mut items, at(2024, 4, 21, 8, 0, 0));
    assert_eq!(a.len(), 4);
    let late = Closure {
        closed_on: day(2024, 4, 20),
        late_days: 45,
        late_working_days: 31,
    };
    assert!(items.iter().all(|i| i.closed == Some(late)));
}

#[test]
fn supervision_deadline_spans_a_holiday() {
    let steps = vec![Step {
        key: 1u32,
        owner: village(),
        due_on: day(2024, 9, 26),
        done_on: None,
    }];
    let mut items = Vec::new();
    run(&steps, &mut items, at(2024, 9, 27, 9, 0, 0));
    // Friday 09-27 + 5 working days: Sunday 09-29 works, 10-01..07 are off.
    assert_eq!(regions(&items), [("130624100000", day(2024, 10, 10))]);
}

#[test]
fn township_steps_start_at_the_county() {
    let township = RegionCode::parse("130624100000").unwrap();
    let steps = vec![Step {
        key: 2u32,
        owner: township,
        due_on: day(2024, 3, 6),
        done_on: None,
    }];
    let mut items = Vec::new();
    run(&steps, &mut items, at(2024, 3, 8, 9, 0, 0));
    assert_eq!(items[0].region.as_str(), "130624000000");
    // Done on time after all (the date was corrected): lateness is zero.
    let done = vec![Step {
        done_on: Some(day(2024, 3, 5)),
        ..steps[0].clone()
    }];
    run(&done, &mut items, at(2024, 3, 8, 10, 0, 0));
    assert_eq!(
        items[0].closed.map(|c| (c.late_days, c.late_working_days)),
        Some((0, 0))
    );
}

#[test]
fn findings_become_county_items_that_climb() {
    let p = reference();
    let poor = HouseholdType::FormerlyPoor.implied_groups();
    let mut h = household("F", HouseholdType::FormerlyPoor, Some("9000.00"), 1);
    h.members[0]
        .claims
        .push(claim("Z1", day(2024, 3, 3), "10000.00", "4000.00", poor));
    h.members[0].claims.push(claim(
        "ok",
        day(2024, 3, 4),
        "10000.00",
        "100.00",
        GroupSet::EMPTY,
    ));
    let input = Households::of(&h);
    let found = find_anomalies(&input, day(2024, 3, 1), day(2024, 3, 31), |_| &p);
    let cal = calendar();
    let drafts = finding_drafts(&input, &found, day(2024, 4, 1), &cal, |_| &p).unwrap();
    assert_eq!(drafts.len(), 1);
    let d = &drafts[0];
    assert_eq!(d.county.as_str(), "130624000000");
    assert_eq!(
        d.due_on,
        day(2024, 4, 9),
        "04-04..06 off, Sunday 04-07 works"
    );
    assert!(
        d.text.contains("Z1") && d.text.contains("A2") && d.text.contains("A3"),
        "{}",
        d.text
    );
    let (step, item) = d.into_item(9u32);
    let steps = vec![step];
    let mut items = vec![item];
    assert!(run(&steps, &mut items, at(2024, 4, 9, 23, 0, 0)).is_empty());
    run(&steps, &mut items, at(2024, 4, 10, 9, 0, 0));
    assert_eq!(items[1].region.as_str(), "130600000000");
}

fn arb_steps() -> impl Strategy<Value = Vec<Step<u32>>> {
    let owners = [
        "130624100200",
        "130624100000",
        "130624000000",
        "130600000000",
        "130000000000",
    ];
    prop::collection::vec((0usize..5, 0u32..60, prop::option::of(0u32..90)), 1..8).prop_map(
        move |v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (o, due, done))| Step {
                    key: i as u32,
                    owner: RegionCode::parse(owners[o]).unwrap(),
                    due_on: day(2024, 3, 1) + chrono::Days::new(u64::from(due)),
                    done_on: done.map(|d| day(2024, 3, 1) + chrono::Days::new(u64::from(d))),
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn scans_are_idempotent(steps in arb_steps(), hours in prop::collection::vec(1u32..400, 1..12)) {
        let mut items = Vec::new();
        let mut now = at(2024, 3, 1, 0, 0, 0);
        for h in hours {
            now += chrono::Duration::hours(i64::from(h));
            // Steps become done only once their day has come.
            let visible: Vec<Step<u32>> = steps
                .iter()
                .map(|s| Step {
                    done_on: s.done_on.filter(|d| now.with_timezone(&china()).date_naive() >= *d),
                    ..s.clone()
                })
                .collect();
            run(&visible, &mut items, now);
            for i in &items {
                prop_assert!(i.region.level() < RegionCode::parse("130624100200").unwrap().level());
            }
        }
    }
}
