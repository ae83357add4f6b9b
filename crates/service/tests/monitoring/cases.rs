//! Cases of the procedure through the use cases, on both engines: an
//! alert opens a case (and becomes `linked`), a second alert of the same
//! household joins it, dismissals need a reason and a township worker;
//! every path of the procedure (publicity with objections, approval,
//! measures and home visits, elimination and follow-on, the green
//! channel, rejection, an upheld objection); role refusals; jurisdiction;
//! attachments checked by type and size with nothing stored on refusal.

use chrono::TimeDelta;
use jianfu_domain::{Money, Role, Scope};
use jianfu_monitoring::case::Channel;
use jianfu_service::monitoring::cases::{
    self, AlertQuery, CaseQuery, MeasureInput, StepRequest, Upload,
};
use jianfu_service::{Actor, App, UseCaseError, monitoring};
use jianfu_store::Db;
use jianfu_store::monitoring::AlertKey;
use jianfu_store::testing;

use crate::examples::load_examples;
use crate::{app, day};

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("{}-{region}", role.code()),
        role,
        scope: Scope::parse(region).unwrap(),
        client_ip: None,
    }
}

/// A JPEG's first bytes and some more.
pub fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    v.extend(std::iter::repeat_n(7u8, 200));
    v
}

fn step(action: &str, note: &str) -> StepRequest {
    StepRequest {
        action: action.into(),
        note: note.into(),
        ..StepRequest::default()
    }
}

fn with_reason(action: &str, reason: &str) -> StepRequest {
    StepRequest {
        reason: Some(reason.into()),
        ..step(action, "已核实")
    }
}

fn invalid(r: Result<impl std::fmt::Debug, UseCaseError>, needle: &str) {
    match r {
        Err(UseCaseError::Invalid(m)) => assert!(m.contains(needle), "{m} ∌ {needle}"),
        other => panic!("expected a refusal naming “{needle}”, got {other:?}"),
    }
}

struct World {
    app: App,
    clock: std::sync::Arc<jianfu_service::clock::SettableClock>,
    v1: String,
    v2: String,
    _dir: tempfile::TempDir,
}

/// The worked examples imported and evaluated: alerts for households
/// 0001 (R2, R3) in v1 and 0003 (R5), 0004 (R3), 0005 (R2) in v2.
async fn world(db: &Db) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = load_examples(db, dir.path()).await;
    let (app, clock) = app(db);
    monitoring::run(
        &app,
        &Actor::command_line(),
        None,
        Some(day(2023, 12, 31)),
        None,
    )
    .await
    .unwrap();
    World {
        app,
        clock,
        v1,
        v2,
        _dir: dir,
    }
}

fn key(village: &str, no: &str, rule: &str) -> AlertKey {
    AlertKey {
        county_code: "130624".into(),
        household_no: format!("{village}{no}"),
        year: 2023,
        rule: rule.into(),
    }
}

async fn state(w: &World, id: i64) -> String {
    let d = cases::case_detail(&w.app, &Actor::command_line(), id)
        .await
        .unwrap();
    d.case.state
}

#[tokio::test]
async fn an_alert_opens_a_case_and_a_second_joins_it() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let town = actor(Role::TownshipWorker, &w.v1[..9]);
        let r2 = key(&w.v1, "0001", "R2");
        let opened = cases::open_from_alert(&w.app, &town, &r2, "数据比对发现")
            .await
            .unwrap();
        assert!(!opened.joined);
        let joined = cases::open_from_alert(&w.app, &town, &key(&w.v1, "0001", "R3"), "同户")
            .await
            .unwrap();
        assert_eq!((joined.case_id, joined.joined), (opened.case_id, true));
        invalid(
            cases::open_from_alert(&w.app, &town, &r2, "again").await,
            "已关联案件",
        );
        let d = cases::case_detail(&w.app, &town, opened.case_id)
            .await
            .unwrap();
        assert_eq!(d.case.state, "pre_warning");
        assert_eq!(d.case.channel, "alert:R2");
        assert_eq!(d.alerts.len(), 2);
        assert!(
            d.alerts.iter().all(|a| a.status == "linked"),
            "{:?}",
            t.engine()
        );
        assert_eq!(d.timeline.len(), 1);
        assert_eq!(d.deadlines.len(), 1);
        assert_eq!(d.deadlines[0].row.kind, "pre_warning");
        assert_eq!(
            d.deadlines[0].row.owner_code, w.v1,
            "the village owns the check"
        );
        // 2024-01-05 (Fri) + 5 working days = 2024-01-12.
        assert_eq!(d.deadlines[0].row.due_on, day(2024, 1, 12));
        assert_eq!(
            d.allowed.iter().map(|a| a.code()).collect::<Vec<_>>(),
            ["start_verification", "close_no_risk"]
        );
        // The alert list shows the link; the household page too.
        let alerts = cases::list_alerts(&w.app, &town, &AlertQuery::default())
            .await
            .unwrap();
        assert_eq!(alerts.len(), 2, "only the township's alerts");
        assert!(alerts.iter().all(|a| a.case_id == Some(opened.case_id)));
        let hh = cases::household_monitoring(&w.app, &town, "130624", &r2.household_no)
            .await
            .unwrap();
        assert_eq!((hh.alerts.len(), hh.cases.len()), (2, 1));
        // Audited: one opening, one link.
        let mut c = t.db.read().await.unwrap();
        for action in ["monitoring.case.open", "monitoring.alert.link"] {
            let filter = jianfu_store::AuditFilter {
                action: Some(action.into()),
                ..Default::default()
            };
            let (_, n) = jianfu_store::audit::search(&mut c, &Scope::NATIONAL, &filter, 0, 10)
                .await
                .unwrap();
            assert_eq!(n, 1, "{action}");
        }
    }
}

#[tokio::test]
async fn dismissing_needs_a_reason_and_a_township_worker() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let k = key(&w.v2, "0004", "R3");
        let doctor = actor(Role::VillageDoctor, &w.v2);
        invalid(
            cases::dismiss_alert(&w.app, &doctor, &k, "不需要").await,
            "无权忽略",
        );
        let town = actor(Role::TownshipWorker, &w.v2[..9]);
        invalid(cases::dismiss_alert(&w.app, &town, &k, "  ").await, "理由");
        let auditor = actor(Role::Auditor, "130624");
        assert!(matches!(
            cases::dismiss_alert(&w.app, &auditor, &k, "x").await,
            Err(UseCaseError::Denied(_))
        ));
        let other = actor(Role::TownshipWorker, &w.v1[..9]);
        assert!(matches!(
            cases::dismiss_alert(&w.app, &other, &k, "x").await,
            Err(UseCaseError::NotFound)
        ));
        cases::dismiss_alert(&w.app, &town, &k, "已由民政临时救助覆盖")
            .await
            .unwrap();
        invalid(
            cases::open_from_alert(&w.app, &town, &k, "立案").await,
            "已被忽略",
        );
        let q = AlertQuery {
            status: Some("dismissed".into()),
            ..AlertQuery::default()
        };
        let list = cases::list_alerts(&w.app, &town, &q).await.unwrap();
        assert_eq!(list.len(), 1);
        let d = list[0].dismissal.as_ref().unwrap();
        assert_eq!(d.reason, "已由民政临时救助覆盖");
        // A later run keeps the decision.
        monitoring::run(
            &w.app,
            &Actor::command_line(),
            None,
            Some(day(2023, 12, 31)),
            None,
        )
        .await
        .unwrap();
        let list = cases::list_alerts(&w.app, &town, &q).await.unwrap();
        assert_eq!(list.len(), 1, "{:?}", t.engine());
    }
}

/// Moves the clock by `days` calendar days.
fn wait(w: &World, days: i64) {
    w.clock.advance(TimeDelta::days(days));
}

#[tokio::test]
async fn the_whole_procedure_to_elimination_and_back() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let (doctor, town) = (
            actor(Role::VillageDoctor, &w.v1),
            actor(Role::TownshipWorker, &w.v1[..9]),
        );
        let county = actor(Role::CountyAdmin, "130624");
        let no = format!("{}0002", w.v1);
        let id = cases::open_manual(
            &w.app,
            &doctor,
            None,
            &no,
            Channel::CadreScreening,
            "村医排查",
        )
        .await
        .unwrap()
        .case_id;
        invalid(
            cases::open_manual(&w.app, &town, None, &no, Channel::SelfDeclaration, "再报").await,
            "已有在办案件",
        );
        let take = |who: &Actor, req: StepRequest| {
            let (app, who) = (w.app.clone(), who.clone());
            async move { cases::take_step(&app, &who, id, &req).await }
        };
        take(&doctor, step("start_verification", "入户"))
            .await
            .unwrap();
        invalid(
            take(&doctor, with_reason("close_no_risk", "无风险")).await,
            "无权",
        );
        take(&doctor, step("confirm_risk", "存在风险"))
            .await
            .unwrap();
        invalid(take(&doctor, step("start_publicity", "公示")).await, "无权");
        take(&town, step("start_publicity", "村民主评议通过"))
            .await
            .unwrap();
        invalid(
            take(&town, step("end_publicity", "结束")).await,
            "公示期未满",
        );
        take(&town, step("record_objection", "村民反映"))
            .await
            .unwrap();
        wait(&w, 8);
        invalid(
            take(&town, step("end_publicity", "结束")).await,
            "异议未处理",
        );
        let dismissed = StepRequest {
            upheld: Some(false),
            ..with_reason("resolve_objection", "经核实异议不成立")
        };
        take(&town, dismissed).await.unwrap();
        take(&town, step("end_publicity", "公示无异议"))
            .await
            .unwrap();
        take(&town, step("township_approve", "同意")).await.unwrap();
        invalid(take(&town, step("county_approve", "同意")).await, "无权");
        take(&county, step("county_approve", "审定纳入"))
            .await
            .unwrap();
        assert_eq!(state(&w, id).await, "monitored");
        let d = cases::case_detail(&w.app, &doctor, id).await.unwrap();
        let open: Vec<&str> = d
            .deadlines
            .iter()
            .filter(|d| d.row.done_on.is_none())
            .map(|d| d.row.kind.as_str())
            .collect();
        assert_eq!(open, ["health_measure", "home_visit"], "{:?}", t.engine());
        let procedure = d
            .deadlines
            .iter()
            .find(|d| d.row.kind == "procedure")
            .unwrap();
        assert_eq!(procedure.row.owner_code, format!("{}000", &w.v1[..9]));

        // The home visit with a photo; a measure of the doctor's department.
        let visit = StepRequest {
            files: vec![Upload {
                file_name: "入户.jpg".into(),
                content: jpeg(),
            }],
            ..step("record_home_visit", "已入户核实")
        };
        let done = take(&doctor, visit).await.unwrap();
        assert_eq!(done.attachments.len(), 1);
        let mut measure = MeasureInput {
            measure_type: "triple_settlement".into(),
            department: "medical_insurance".into(),
            start_on: Some(w.app.today()),
            amount: Some(Money::from_yuan(500)),
            responsible: "张医保".into(),
            description: String::new(),
        };
        let req = |m: &MeasureInput| StepRequest {
            measure: Some(m.clone()),
            ..step("record_measure", "落实措施")
        };
        invalid(take(&doctor, req(&measure)).await, "只能登记本部门");
        measure.measure_type = "family_doctor_contract".into();
        measure.department = "health".into();
        take(&doctor, req(&measure)).await.unwrap();
        let d = cases::case_detail(&w.app, &doctor, id).await.unwrap();
        assert!(d.deadlines.iter().all(|d| d.row.done_on.is_some()));
        assert_eq!(d.measures.len(), 1);
        assert_eq!(d.measures[0].amount, Some(50_000));
        assert_eq!(d.attachments[0].media_type, "image/jpeg");
        assert_eq!(d.attachments[0].timeline_id, Some(done.timeline_id));

        // Risk elimination, its publicity, the county, follow-on.
        let propose = |m| StepRequest {
            stable_months: Some(m),
            ..step("propose_elimination", "收入稳定")
        };
        invalid(take(&town, propose(5)).await, "须满 6 个月");
        take(&town, propose(6)).await.unwrap();
        take(&town, step("start_publicity", "评议")).await.unwrap();
        wait(&w, 8);
        take(&town, step("end_publicity", "无异议")).await.unwrap();
        take(&town, step("township_approve", "同意")).await.unwrap();
        take(&county, step("county_approve", "同意消除"))
            .await
            .unwrap();
        assert_eq!(state(&w, id).await, "eliminated");
        invalid(
            take(&county, step("end_follow_on", "期满")).await,
            "期满前不能结案",
        );
        take(&town, with_reason("resume_monitoring", "再次患病"))
            .await
            .unwrap();
        assert_eq!(state(&w, id).await, "monitored");
        let d = cases::case_detail(&w.app, &county, id).await.unwrap();
        assert_eq!(d.timeline.len(), 17, "{:?}", t.engine());
        assert_eq!(d.timeline[0].action, "open");
        assert_eq!(
            d.timeline.last().unwrap().reason.as_deref(),
            Some("再次患病")
        );
    }
}

#[tokio::test]
async fn green_channel_rejection_and_an_upheld_objection() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let county = actor(Role::CountyAdmin, "130624");
        let town = actor(Role::TownshipWorker, &w.v2[..9]);
        let a = cases::open_from_alert(&w.app, &town, &key(&w.v2, "0003", "R5"), "新发重病")
            .await
            .unwrap()
            .case_id;
        invalid(
            cases::take_step(&w.app, &town, a, &with_reason("green_channel", "突发")).await,
            "无权",
        );
        cases::take_step(
            &w.app,
            &county,
            a,
            &with_reason("green_channel", "突发重病"),
        )
        .await
        .unwrap();
        let d = cases::case_detail(&w.app, &county, a).await.unwrap();
        assert_eq!(
            (d.case.state.as_str(), d.case.green_channel),
            ("candidate", true)
        );
        assert!(!d.allowed.iter().any(|k| k.code() == "green_channel"));
        assert!(
            d.allowed.iter().any(|k| k.code() == "record_measure"),
            "measures first"
        );
        // Rejected at the township: every open deadline is closed.
        cases::take_step(&w.app, &town, a, &with_reason("reject", "收入超过监测范围"))
            .await
            .unwrap();
        let d = cases::case_detail(&w.app, &county, a).await.unwrap();
        assert_eq!(d.case.state, "rejected");
        assert!(
            d.deadlines.iter().all(|d| d.row.done_on.is_some()),
            "{:?}",
            t.engine()
        );
        assert!(d.allowed.is_empty());

        // An objection upheld during publicity refuses inclusion.
        let b = cases::open_from_alert(&w.app, &town, &key(&w.v2, "0005", "R2"), "预警")
            .await
            .unwrap()
            .case_id;
        for s in [
            "start_verification",
            "confirm_risk",
            "start_publicity",
            "record_objection",
        ] {
            cases::take_step(&w.app, &town, b, &step(s, "办理"))
                .await
                .unwrap();
        }
        let upheld = StepRequest {
            upheld: Some(true),
            ..with_reason("resolve_objection", "隐瞒收入属实")
        };
        cases::take_step(&w.app, &town, b, &upheld).await.unwrap();
        assert_eq!(state(&w, b).await, "rejected");
        // The household may be opened again once its case is over.
        cases::open_manual(
            &w.app,
            &town,
            None,
            &format!("{}0005", w.v2),
            Channel::SelfDeclaration,
            "申报",
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn another_township_neither_sees_nor_acts() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let mine = actor(Role::TownshipWorker, &w.v2[..9]);
        let id = cases::open_from_alert(&w.app, &mine, &key(&w.v2, "0004", "R3"), "预警")
            .await
            .unwrap()
            .case_id;
        let other = actor(Role::TownshipWorker, &w.v1[..9]);
        assert!(matches!(
            cases::case_detail(&w.app, &other, id).await,
            Err(UseCaseError::NotFound)
        ));
        assert!(matches!(
            cases::take_step(&w.app, &other, id, &step("start_verification", "x")).await,
            Err(UseCaseError::NotFound)
        ));
        let files = [Upload {
            file_name: "a.jpg".into(),
            content: jpeg(),
        }];
        assert!(matches!(
            cases::add_attachments(&w.app, &other, id, &files).await,
            Err(UseCaseError::NotFound)
        ));
        assert!(
            cases::list_cases(&w.app, &other, &CaseQuery::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            cases::open_from_alert(&w.app, &other, &key(&w.v2, "0003", "R5"), "x").await,
            Err(UseCaseError::NotFound)
        ));
        assert!(matches!(
            cases::open_manual(
                &w.app,
                &other,
                None,
                &format!("{}0003", w.v2),
                Channel::SocialSupervision,
                "x"
            )
            .await,
            Err(UseCaseError::NotFound)
        ));
        let auditor = actor(Role::Auditor, "130624");
        assert!(matches!(
            cases::take_step(&w.app, &auditor, id, &step("start_verification", "x")).await,
            Err(UseCaseError::Denied(_))
        ));
        let seen = cases::case_detail(&w.app, &auditor, id).await.unwrap();
        assert!(seen.allowed.is_empty(), "auditors read only");
        assert_eq!(
            cases::list_cases(&w.app, &mine, &CaseQuery::default())
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn attachments_are_checked_and_a_refusal_stores_nothing() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let town = actor(Role::TownshipWorker, &w.v2[..9]);
        let id = cases::open_from_alert(&w.app, &town, &key(&w.v2, "0004", "R3"), "预警")
            .await
            .unwrap()
            .case_id;
        let gif = Upload {
            file_name: "x.jpg".into(),
            content: b"GIF89a....".to_vec(),
        };
        let mut big = jpeg();
        big.resize(cases::MAX_ATTACHMENT + 1, 0);
        let big = Upload {
            file_name: "big.jpg".into(),
            content: big,
        };
        let ok = Upload {
            file_name: "scan.pdf".into(),
            content: b"%PDF-1.4\n%...".to_vec(),
        };
        for (bad, needle) in [(&gif, "不是 JPEG、PNG 图片或 PDF"), (&big, "10 MB")] {
            let req = StepRequest {
                files: vec![ok.clone(), bad.clone()],
                ..step("start_verification", "入户")
            };
            invalid(cases::take_step(&w.app, &town, id, &req).await, needle);
        }
        let d = cases::case_detail(&w.app, &town, id).await.unwrap();
        assert_eq!(
            (d.case.state.as_str(), d.attachments.len()),
            ("pre_warning", 0)
        );
        // Exactly at the limit is taken; a PNG after the step too.
        let mut edge = jpeg();
        edge.resize(cases::MAX_ATTACHMENT, 0);
        let png = Upload {
            file_name: "../照片.png".into(),
            content: b"\x89PNG\r\n\x1a\n0000".to_vec(),
        };
        let files = [
            Upload {
                file_name: "edge.jpg".into(),
                content: edge.clone(),
            },
            png,
        ];
        let ids = cases::add_attachments(&w.app, &town, id, &files)
            .await
            .unwrap();
        let (row, content) = cases::attachment(&w.app, &town, ids[0]).await.unwrap();
        assert_eq!(
            (row.size as usize, content.len()),
            (edge.len(), edge.len()),
            "{:?}",
            t.engine()
        );
        assert_eq!(content, edge);
        let (png_row, _) = cases::attachment(&w.app, &town, ids[1]).await.unwrap();
        assert_eq!(
            (png_row.file_name.as_str(), png_row.media_type.as_str()),
            ("照片.png", "image/png")
        );
        let other = actor(Role::TownshipWorker, &w.v1[..9]);
        assert!(matches!(
            cases::attachment(&w.app, &other, ids[0]).await,
            Err(UseCaseError::NotFound)
        ));
    }
}

#[tokio::test]
async fn overdue_cases_are_listed_red() {
    for t in testing::all().await {
        let w = world(&t.db).await;
        let town = actor(Role::TownshipWorker, &w.v2[..9]);
        cases::open_from_alert(&w.app, &town, &key(&w.v2, "0004", "R3"), "预警")
            .await
            .unwrap();
        let overdue = CaseQuery {
            overdue: true,
            ..CaseQuery::default()
        };
        assert!(
            cases::list_cases(&w.app, &town, &overdue)
                .await
                .unwrap()
                .is_empty()
        );
        let all = cases::list_cases(&w.app, &town, &CaseQuery::default())
            .await
            .unwrap();
        assert_eq!(
            all[0].next.as_ref().unwrap().colour,
            Some(jianfu_monitoring::Colour::Green)
        );
        // Due 2024-01-12: on the 12th it is amber, on the 13th red.
        w.clock.set(
            chrono::DateTime::parse_from_rfc3339("2024-01-12T10:00:00+08:00")
                .unwrap()
                .into(),
        );
        let all = cases::list_cases(&w.app, &town, &CaseQuery::default())
            .await
            .unwrap();
        assert_eq!(
            all[0].next.as_ref().unwrap().colour,
            Some(jianfu_monitoring::Colour::Amber)
        );
        w.clock.set(
            chrono::DateTime::parse_from_rfc3339("2024-01-13T00:00:00+08:00")
                .unwrap()
                .into(),
        );
        let late = cases::list_cases(&w.app, &town, &overdue).await.unwrap();
        assert_eq!(late.len(), 1, "{:?}", t.engine());
        assert_eq!(
            late[0].next.as_ref().unwrap().colour,
            Some(jianfu_monitoring::Colour::Red)
        );
        let q = CaseQuery {
            state: Some("monitored".into()),
            ..CaseQuery::default()
        };
        assert!(
            cases::list_cases(&w.app, &town, &q)
                .await
                .unwrap()
                .is_empty()
        );
        let bad = CaseQuery {
            state: Some("approved".into()),
            ..CaseQuery::default()
        };
        invalid(
            cases::list_cases(&w.app, &town, &bad).await,
            "未知的案件状态",
        );
    }
}
