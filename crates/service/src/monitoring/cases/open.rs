//! Opening cases: from an alert (the alert becomes `linked`; when the
//! household already has a case that is not over, the alert joins it),
//! by hand through another channel (the household picked by 户编号 in
//! the actor's jurisdiction), and dismissing an alert with a reason. Each
//! writes its audit entry in its own transaction. [`open_or_join`] is
//! shared with the department push import, which registers its
//! pre-warnings in the import's transaction.

use chrono::{DateTime, SubsecRound, Utc};
use jianfu_domain::Permission;
use jianfu_monitoring::case::{ActionKind, CaseState, Channel};
use jianfu_monitoring::{AlertStatus, Rule, procedure};
use jianfu_store::monitoring::{self as store, AlertKey, AlertRow, CaseRow, DismissalRow};
use jianfu_store::{Tx, audit, registry};
use serde::Serialize;

use super::convert::{engine_actor, params_for, refused, to_row, write_transition};
use crate::error::{UseCaseError, UseCaseResult};
use crate::{Actor, App};

/// Longest reason of a dismissal, in characters.
const MAX_REASON: usize = 500;

/// What opening did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Opened {
    /// The case.
    pub case_id: i64,
    /// The alert joined a case that was already open.
    pub joined: bool,
}

/// Opens a case from the alert of `key` (or joins the household's open
/// case), with the note (办理意见) every step carries.
pub async fn open_from_alert(
    app: &App,
    actor: &Actor,
    key: &AlertKey,
    note: &str,
) -> UseCaseResult<Opened> {
    actor.require(Permission::ActOnCases)?;
    let now = app.now().trunc_subsecs(6);
    let mut tx = app.db.begin_write().await?;
    let alert = open_alert(&mut tx, actor, key).await?;
    let rule = Rule::from_code(&alert.rule)
        .ok_or_else(|| UseCaseError::Invalid(format!("预警规则“{}”无法识别", alert.rule)))?;
    let new = NewCase {
        county: &alert.county_code,
        household_no: &alert.household_no,
        village: &alert.village_code,
        channel: Channel::Alert(rule),
        note,
    };
    let opened = open_or_join(app, &mut tx, actor, &new, now).await?;
    store::link_alert(&mut tx, key, opened.case_id, &actor.username, now).await?;
    store::set_alert_status(&mut tx, key, AlertStatus::Linked.code(), now).await?;
    let action = if opened.joined {
        "monitoring.alert.link"
    } else {
        "monitoring.case.open"
    };
    let mut entry = actor.entry(action, &alert.village_code);
    entry.target_kind = Some("monitoring_case".into());
    entry.target_key = Some(opened.case_id.to_string());
    entry.detail = Some(format!(
        "alert={}/{}/{}/{}",
        key.county_code, key.household_no, key.year, key.rule
    ));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(opened)
}

/// The alert of `key`, inside the jurisdiction and still open.
async fn open_alert(tx: &mut Tx, actor: &Actor, key: &AlertKey) -> UseCaseResult<AlertRow> {
    let alert = store::alert_by_key(tx, key)
        .await?
        .filter(|a| actor.scope.contains_str(&a.village_code))
        .ok_or(UseCaseError::NotFound)?;
    match AlertStatus::from_code(&alert.status) {
        Some(AlertStatus::Open) => Ok(alert),
        Some(AlertStatus::Linked) => {
            let case = store::case_of_alert(tx, key).await?.unwrap_or_default();
            Err(UseCaseError::Invalid(format!(
                "该预警已关联案件 {case}，不能重复立案"
            )))
        }
        Some(AlertStatus::Dismissed) => Err(UseCaseError::Invalid("该预警已被忽略".into())),
        _ => Err(UseCaseError::Invalid(
            "该预警的条件已不再成立（已失效），不能据此立案；如仍有风险，请按其他渠道登记".into(),
        )),
    }
}

/// A case about to be opened (or a pre-warning about to join one).
pub(crate) struct NewCase<'a> {
    /// The household's county.
    pub county: &'a str,
    /// 户编号.
    pub household_no: &'a str,
    /// The household's village.
    pub village: &'a str,
    /// How the risk was found.
    pub channel: Channel,
    /// The opening step's note (办理意见).
    pub note: &'a str,
}

/// Registers a pre-warning for the household of `new` in `tx`: opens a
/// case through its channel when the household has no case that is not
/// over, or joins the open one (as an alert does) when the actor may
/// register pre-warnings. Writes no audit entry: the caller names what
/// joined. Shared by alerts and department pushes.
pub(crate) async fn open_or_join(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    new: &NewCase<'_>,
    now: DateTime<Utc>,
) -> UseCaseResult<Opened> {
    match store::open_case_of_household(tx, new.county, new.household_no).await? {
        Some(case) => {
            if !procedure::may(actor.role, ActionKind::Open, CaseState::PreWarning) {
                return Err(UseCaseError::Invalid(format!(
                    "“{}”无权登记预警",
                    actor.role
                )));
            }
            Ok(Opened {
                case_id: case.id,
                joined: true,
            })
        }
        None => Ok(Opened {
            case_id: insert_opened(app, tx, actor, new, now).await?,
            joined: false,
        }),
    }
}

/// Opens the case through the engine and stores it; returns its number.
async fn insert_opened(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    new: &NewCase<'_>,
    now: DateTime<Utc>,
) -> UseCaseResult<i64> {
    let today = app.today();
    let region = jianfu_domain::RegionCode::parse(new.village)
        .map_err(|_| UseCaseError::Invalid(format!("村代码“{}”无效", new.village)))?;
    let params = params_for(tx, new.village, today).await?;
    let calendar = crate::monitoring::calendar::work_calendar_in(tx, new.village).await?;
    let t = procedure::open_case(
        region,
        new.channel,
        &engine_actor(actor),
        new.note,
        today,
        &calendar,
        &params,
    )
    .map_err(refused)?;
    let base = CaseRow {
        id: 0,
        county_code: new.county.to_string(),
        household_no: new.household_no.to_string(),
        village_code: new.village.to_string(),
        state: String::new(),
        channel: new.channel.code(),
        green_channel: false,
        opened_on: today,
        last_step_on: today,
        publicity_earliest_end: None,
        open_objections: 0,
        home_visits: 0,
        measures: 0,
        approved_on: None,
        eliminated_on: None,
        follow_on_until: None,
        steps: 0,
        opened_by: actor.username.clone(),
        opened_at: now,
        updated_at: now,
    };
    let row = to_row(&t.case, &base, now);
    let id = store::insert_case(tx, &row).await?;
    write_transition(tx, id, &t, actor, now).await?;
    Ok(id)
}

/// Opens a case by hand for household `household_no` (of `county`, or of
/// the actor's county, or the county its number starts with) through a
/// channel other than an alert.
pub async fn open_manual(
    app: &App,
    actor: &Actor,
    county: Option<&str>,
    household_no: &str,
    channel: Channel,
    note: &str,
) -> UseCaseResult<Opened> {
    actor.require(Permission::ActOnCases)?;
    if matches!(channel, Channel::Alert(_)) {
        return Err(UseCaseError::Invalid(
            "由预警立案请从预警列表办理（需指明预警）".into(),
        ));
    }
    let household_no = household_no.trim();
    let county = county_of(actor, county, household_no)?;
    let now = app.now().trunc_subsecs(6);
    let mut tx = app.db.begin_write().await?;
    let household = registry::household(&mut tx, &actor.scope, &county, household_no)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    if let Some(open) = store::open_case_of_household(&mut tx, &county, household_no).await? {
        return Err(UseCaseError::Invalid(format!(
            "该户已有在办案件 {}（{}），请在该案件中办理",
            open.id,
            CaseState::from_code(&open.state).map_or(open.state.as_str(), |s| s.label())
        )));
    }
    let new = NewCase {
        county: &county,
        household_no,
        village: &household.village_code,
        channel,
        note,
    };
    let case_id = insert_opened(app, &mut tx, actor, &new, now).await?;
    let mut entry = actor.entry("monitoring.case.open", &household.village_code);
    entry.target_kind = Some("monitoring_case".into());
    entry.target_key = Some(case_id.to_string());
    entry.detail = Some(format!("channel={}", channel.code()));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Opened {
        case_id,
        joined: false,
    })
}

/// The county a household number is looked up in.
pub(crate) fn county_of(
    actor: &Actor,
    county: Option<&str>,
    household_no: &str,
) -> UseCaseResult<String> {
    if let Some(c) = county {
        return Ok(c.trim().to_string());
    }
    let scope = actor.scope.prefix();
    if scope.len() >= 6 {
        return Ok(scope[..6].to_string());
    }
    let digits =
        household_no.len() >= 6 && household_no.bytes().take(6).all(|b| b.is_ascii_digit());
    if digits {
        return Ok(household_no[..6].to_string());
    }
    Err(UseCaseError::Invalid(format!(
        "户编号“{household_no}”不以县级代码开头，请同时指明所在县（6位代码）"
    )))
}

/// Dismisses the open alert of `key` with a reason. Only those who may
/// close a pre-warning as not at risk (township workers and
/// administrators) may dismiss: a dismissal is the same judgement made
/// before a case exists.
pub async fn dismiss_alert(
    app: &App,
    actor: &Actor,
    key: &AlertKey,
    reason: &str,
) -> UseCaseResult<()> {
    actor.require(Permission::ActOnCases)?;
    if !procedure::may(actor.role, ActionKind::CloseNoRisk, CaseState::PreWarning) {
        return Err(UseCaseError::Invalid(format!(
            "“{}”无权忽略预警：忽略预警须由乡镇工作人员或县级以上管理员办理",
            actor.role
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(UseCaseError::Invalid("忽略预警须填写理由".into()));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(UseCaseError::Invalid(format!(
            "理由不能超过{MAX_REASON}个字"
        )));
    }
    let now = app.now().trunc_subsecs(6);
    let mut tx = app.db.begin_write().await?;
    let alert = open_alert(&mut tx, actor, key).await?;
    let d = DismissalRow {
        reason: reason.to_string(),
        dismissed_by: actor.username.clone(),
        dismissed_at: now,
    };
    store::insert_dismissal(&mut tx, key, &d).await?;
    store::set_alert_status(&mut tx, key, AlertStatus::Dismissed.code(), now).await?;
    let mut entry = actor.entry("monitoring.alert.dismiss", &alert.village_code);
    entry.target_kind = Some("monitoring_alert".into());
    entry.target_key = Some(format!(
        "{}/{}/{}/{}",
        key.county_code, key.household_no, key.year, key.rule
    ));
    entry.detail = Some(format!("reason={reason}"));
    audit::append_at(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}
