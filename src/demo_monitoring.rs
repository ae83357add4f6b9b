//! The demo's monitoring (`jianfu demo`): alerts of every rule, and cases
//! at every stage of the procedure opened over the last weeks, some late
//! and escalated (督办), the rest on time, and the county's monthly list
//! of A1–A3 findings partly answered — so every monitoring page has
//! something true to show. The cases are made by the use cases
//! themselves on a clock set back in time, as users would have made them
//! day by day; nothing is written around them.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use chrono::{NaiveDate, TimeDelta, Utc};
use jianfu_service::clock::{Clock, SettableClock};
use jianfu_service::monitoring::cases::{self, AlertQuery, StepRequest};
use jianfu_service::monitoring::{feedback, supervision};
use jianfu_service::{Actor, App, monitoring};
use jianfu_store::Db;
use jianfu_store::monitoring::AlertKey;

/// The generated claims end in 2024: alerts are of that year and the one
/// before.
const AS_OF: (i32, u32, u32) = (2024, 12, 31);

/// Steps taken for each case, in order, the first `n` households each.
const PLANS: [&[&str]; 7] = [
    &[],
    &["start_verification"],
    &["start_verification", "confirm_risk"],
    &["start_verification", "confirm_risk", "start_publicity"],
    &[
        "start_verification",
        "confirm_risk",
        "start_publicity",
        "end_publicity",
        "township_approve",
        "county_approve",
    ],
    &["green_channel"],
    &["start_verification", "close_no_risk"],
];

/// Seeds monitoring once (a database with cases is left as it is).
/// `village` (the demo doctor's) keeps its alerts open, to be opened by
/// hand.
pub async fn seed(db: &Db, county: &str, village: Option<&str>) -> Result<()> {
    let cli = Actor::command_line();
    let now = Utc::now();
    let clock = SettableClock::at(now - TimeDelta::days(45));
    let app = App::with_clock(db.clone(), Arc::clone(&clock) as _);
    let listed = cases::list_cases(&app, &cli, &Default::default()).await;
    if !listed.map_err(|e| anyhow!("{e}"))?.is_empty() {
        return Ok(());
    }
    let as_of = NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2);
    monitoring::run(&app, &cli, Some(county), as_of, None)
        .await
        .map_err(|e| anyhow!("演示监测评估失败：{e}"))?;
    let keys = alerts(&app, &cli, village).await?;
    let mut opened = 0;
    for (key, plan) in keys.iter().zip(PLANS.iter().chain(PLANS.iter())) {
        // A demo made late in a year may reach a deadline in a year whose
        // calendar is not loaded: that case stops where it is.
        match open_and_step(&app, &cli, &clock, key, plan).await {
            Ok(true) => opened += 1,
            Ok(false) => {}
            Err(e) => {
                opened += 1;
                eprintln!("提示：{e}");
            }
        }
    }
    if let Some(key) = keys.get(PLANS.len() * 2) {
        let reason = "已由民政临时救助覆盖，经核实无需立案";
        let _ = cases::dismiss_alert(&app, &cli, key, reason).await;
    }
    clock.set(now - TimeDelta::days(30));
    if let Err(e) = feedback_list(&app, &cli).await {
        eprintln!("提示：演示月度反馈清单未生成：{e}");
    }
    // Scans as the hourly job would have run them, up to now.
    for days in [20, 10, 0] {
        clock.set(now - TimeDelta::days(days));
        if let Err(e) = supervision::scan(&app, &cli).await {
            eprintln!("提示：演示督办扫描未完成：{e}");
        }
    }
    println!("演示监测：{opened} 个案件（各环节），部分已逾期并督办。");
    Ok(())
}

/// The county's feedback list of A1–A3 findings for the last generated
/// month, made a month ago with its first two findings answered, so the
/// rest climbs the ladder in the scans that follow.
async fn feedback_list(app: &App, cli: &Actor) -> Result<(), jianfu_service::UseCaseError> {
    let month = feedback::Month {
        year: AS_OF.0,
        month: AS_OF.1,
    };
    feedback::generate(app, cli, Some(month)).await?;
    for list in feedback::lists(app, cli, Some(month), 10).await? {
        let (_, findings) = feedback::list_detail(app, cli, list.id).await?;
        for f in findings.iter().take(2) {
            let text = "已核实：患者异地住院未备案，已补办转诊手续并按规定补报";
            feedback::answer(app, cli, f.id, text).await?;
        }
    }
    Ok(())
}

/// Open alerts of the generated year, last first, one per household.
async fn alerts(app: &App, cli: &Actor, village: Option<&str>) -> Result<Vec<AlertKey>> {
    let query = AlertQuery {
        status: Some("open".into()),
        year: Some(AS_OF.0),
        ..AlertQuery::default()
    };
    let mut lines = cases::list_alerts(app, cli, &query)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    // From the end of the list: the first alerts (in key order, the
    // doctor's village among them) stay open for whoever tries the demo.
    lines.reverse();
    lines.retain(|l| Some(l.alert.village_code.as_str()) != village);
    let mut seen = std::collections::HashSet::new();
    Ok(lines
        .into_iter()
        .filter(|l| seen.insert(l.alert.household_no.clone()))
        .map(|l| AlertKey {
            county_code: l.alert.county_code,
            household_no: l.alert.household_no,
            year: l.alert.year,
            rule: l.alert.rule,
        })
        .collect())
}

fn reason(action: &str) -> &'static str {
    match action {
        "green_channel" => "突发重大疾病住院，自付费用高，先行落实帮扶措施",
        _ => "入户核查：家庭收入稳定，医疗费用已报销，无返贫风险",
    }
}

/// Opens a case from `key` and takes `plan`'s steps two days apart
/// (publicity lasts its minimum); true when the case was opened.
async fn open_and_step(
    app: &App,
    cli: &Actor,
    clock: &SettableClock,
    key: &AlertKey,
    plan: &[&str],
) -> Result<bool> {
    let Ok(opened) = cases::open_from_alert(app, cli, key, "平台预警，安排入户核查").await
    else {
        return Ok(false);
    };
    let started = clock.now();
    for action in plan {
        let days = if *action == "end_publicity" { 9 } else { 2 };
        clock.advance(TimeDelta::days(days));
        let req = StepRequest {
            action: (*action).into(),
            note: "按程序办理".into(),
            reason: Some(reason(action).into()),
            ..StepRequest::default()
        };
        let done = cases::take_step(app, cli, opened.case_id, &req).await;
        if let Err(e) = done {
            clock.set(started + TimeDelta::days(1));
            return Err(anyhow!(
                "演示案件 {} 停在“{action}”之前：{e}",
                opened.case_id
            ));
        }
    }
    // The next case starts a day later than this one did.
    clock.set(started + TimeDelta::days(1));
    Ok(true)
}
