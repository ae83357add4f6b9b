//! The counties' monthly feedback lists of A1–A3 findings with a
//! controllable clock, on both engines: a month's list is made only once
//! the month is over and only once; it holds the poor patients' inpatient
//! claims that break a rule and no other; its item at the county climbs
//! to the city when the county does not answer in time; answering every
//! finding closes the items with how late; a claim imported late goes on
//! the next month's list; another township sees none of it.

use chrono::{TimeZone, Utc};
use jianfu_domain::{IdCardNo, Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::monitoring::feedback::{self, Month};
use jianfu_service::monitoring::supervision;
use jianfu_service::{Actor, App, UseCaseError};
use jianfu_store::testing;

use crate::examples::{HEADER, two_villages};
use crate::{app, day, import};

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("{}-{region}", role.code()),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: None,
    }
}

fn id(seq: u16) -> String {
    IdCardNo::from_parts("130624", day(1980, 1, 1), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// A 脱贫户 in `v1` (person 1) and an ordinary household in `v2`
/// (person 2).
fn persons(v1: &str, v2: &str) -> String {
    format!(
        "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n\
         {v1}0001,{v1},脱贫户,9000.00,甲,{},户主,,,正常\n\
         {v2}0002,{v2},一般农户,20000.00,乙,{},户主,,,正常\n",
        id(1),
        id(2)
    )
}

/// Claims with nothing in the policy scope, so the funds pay nothing and
/// the out-of-pocket is the total.
fn claims(rows: &[(&str, u16, &str, &str, &str, &str)]) -> String {
    let mut out = format!("{},one_stop\n", HEADER.trim_end());
    for (claim, person, groups, kind, at, total) in rows {
        let one_stop = if *claim == "F1" { "否" } else { "是" };
        out.push_str(&format!(
            "{claim},{},{groups},{kind},county,true,{at},{total},0.00,,{one_stop}\n",
            id(*person)
        ));
    }
    out
}

async fn generate(app: &App, month: Option<Month>) -> Result<feedback::Generated, UseCaseError> {
    feedback::generate(app, &Actor::command_line(), month).await
}

#[tokio::test]
async fn a_month_list_is_answered_or_climbs() {
    for t in testing::all().await {
        let dir = tempfile::tempdir().unwrap();
        let (v1, v2) = two_villages(&t.db).await;
        std::fs::write(dir.path().join("persons.csv"), persons(&v1, &v2)).unwrap();
        import(&t.db, &dir.path().join("persons.csv"), FileKind::Persons).await;
        // F1 A1+A2 (not one-stop, nothing paid); F2 A2+A3; F3 outpatient
        // and F4 of an ordinary household are not looked at; F5 is
        // settled in December.
        let november = claims(&[
            (
                "F1",
                1,
                "formerly_poor",
                "inpatient",
                "2023-11-03T10:00:00",
                "1000.00",
            ),
            (
                "F2",
                1,
                "formerly_poor",
                "inpatient",
                "2023-11-20T10:00:00",
                "50000.00",
            ),
            (
                "F3",
                1,
                "formerly_poor",
                "outpatient",
                "2023-11-21T10:00:00",
                "5000.00",
            ),
            ("F4", 2, "", "inpatient", "2023-11-22T10:00:00", "50000.00"),
            (
                "F5",
                1,
                "formerly_poor",
                "inpatient",
                "2023-12-01T10:00:00",
                "4000.00",
            ),
        ]);
        std::fs::write(dir.path().join("claims.csv"), november).unwrap();
        import(&t.db, &dir.path().join("claims.csv"), FileKind::Claims).await;
        let (app, clock) = app(&t.db);

        // On 2023-11-30 November is not over.
        clock.set(Utc.with_ymd_and_hms(2023, 11, 30, 2, 0, 0).unwrap());
        let early = generate(&app, Some(Month::parse("2023-11").unwrap())).await;
        assert!(matches!(early, Err(UseCaseError::Invalid(_))), "{early:?}");

        // Monday 2023-12-04: the list is made, due five working days later.
        clock.set(Utc.with_ymd_and_hms(2023, 12, 4, 2, 0, 0).unwrap());
        let made = generate(&app, None).await.unwrap();
        assert_eq!(
            (made.month.as_str(), made.lists, made.findings),
            ("2023-11", 1, 2)
        );
        assert_eq!(generate(&app, None).await.unwrap().lists, 0, "made once");
        let county = actor(Role::CountyAdmin, "130624");
        let lists = feedback::lists(&app, &county, None, 10).await.unwrap();
        assert_eq!(lists.len(), 1);
        let list = &lists[0];
        assert_eq!(
            (list.due_on, list.findings, list.answered),
            (day(2023, 12, 11), 2, 0)
        );
        let (_, found) = feedback::list_detail(&app, &county, list.id).await.unwrap();
        let rules: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.claim_id.as_str(), f.rules.as_str()))
            .collect();
        assert_eq!(
            rules,
            [("F1", "A1,A2"), ("F2", "A2,A3")],
            "{:?}",
            t.engine()
        );
        assert!(
            found.iter().all(|f| !f.explanation.contains(&id(1))),
            "masked"
        );
        let items = supervision::list(&app, &county, false, 10).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            (items[0].region_code.as_str(), items[0].level),
            ("130624000000", 3)
        );

        // The county lets the deadline pass: the city is told.
        clock.set(Utc.with_ymd_and_hms(2023, 12, 11, 16, 0, 1).unwrap());
        let climbed = supervision::scan(&app, &Actor::command_line())
            .await
            .unwrap();
        assert_eq!((climbed.climbed, climbed.open), (1, 2), "{:?}", t.engine());
        let city = actor(Role::CountyAdmin, "1306");
        assert_eq!(
            supervision::list(&app, &city, false, 10)
                .await
                .unwrap()
                .len(),
            2
        );

        // Another township sees the list but none of v1's findings, and
        // cannot answer them.
        if v2[..9] != v1[..9] {
            let other = actor(Role::TownshipWorker, &v2[..9]);
            let (_, seen) = feedback::list_detail(&app, &other, list.id).await.unwrap();
            assert!(seen.is_empty());
            let refused = feedback::answer(&app, &other, found[0].id, "已核实").await;
            assert!(
                matches!(refused, Err(UseCaseError::NotFound)),
                "{refused:?}"
            );
        }

        // Answered on Wednesday 12-13: the items close two days (two
        // working days) late; a second answer is refused.
        clock.set(Utc.with_ymd_and_hms(2023, 12, 13, 2, 0, 0).unwrap());
        for f in &found {
            feedback::answer(&app, &county, f.id, "已核实，系异地转诊未备案")
                .await
                .unwrap();
        }
        let again = feedback::answer(&app, &county, found[0].id, "再次").await;
        assert!(matches!(again, Err(UseCaseError::Invalid(_))), "{again:?}");
        let (done, _) = feedback::list_detail(&app, &county, list.id).await.unwrap();
        assert_eq!((done.done_on, done.answered), (Some(day(2023, 12, 13)), 2));
        let closed = supervision::scan(&app, &Actor::command_line())
            .await
            .unwrap();
        assert_eq!((closed.closed, closed.open), (2, 0));
        let all = supervision::list(&app, &county, true, 10).await.unwrap();
        assert!(
            all.iter()
                .all(|i| (i.late_days, i.late_working_days) == (Some(2), Some(2))),
            "{all:?}"
        );

        // A November claim imported late goes on December's list with F5.
        let late = claims(&[(
            "F6",
            1,
            "formerly_poor",
            "inpatient",
            "2023-11-28T10:00:00",
            "3500.00",
        )]);
        std::fs::write(dir.path().join("late.csv"), late).unwrap();
        import(&t.db, &dir.path().join("late.csv"), FileKind::Claims).await;
        clock.set(Utc.with_ymd_and_hms(2024, 1, 2, 2, 0, 0).unwrap());
        let december = generate(&app, None).await.unwrap();
        assert_eq!((december.month.as_str(), december.findings), ("2023-12", 2));
        let lists = feedback::lists(&app, &county, Some(Month::parse("2023-12").unwrap()), 10)
            .await
            .unwrap();
        let (_, found) = feedback::list_detail(&app, &county, lists[0].id)
            .await
            .unwrap();
        let claims: Vec<&str> = found.iter().map(|f| f.claim_id.as_str()).collect();
        assert_eq!(claims, ["F5", "F6"]);
    }
}

#[test]
fn months_parse_strictly() {
    assert_eq!(Month::parse("2024-03").unwrap().to_string(), "2024-03");
    for bad in ["2024-3", "2024-13", "24-03", "2024/03", ""] {
        assert!(Month::parse(bad).is_err(), "{bad}");
    }
    let m = Month::parse("2024-03").unwrap();
    assert_eq!((m.first(), m.last()), (day(2024, 3, 1), day(2024, 3, 31)));
    assert_eq!(m.window_start(), day(2023, 4, 1));
    assert_eq!(Month::before(day(2024, 1, 1)).to_string(), "2023-12");
}
