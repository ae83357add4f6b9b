//! `jianfu case`: cases of the monitoring procedure (识别程序) from the
//! command line — open one from an alert or by hand, take a step (with
//! a note, a reason, a measure, attachments), list the cases of the
//! jurisdiction and show one. Each subcommand maps its arguments to a use
//! case of `jianfu_service::monitoring::cases`; a refusal of permission or
//! jurisdiction exits 1, input the procedure refuses exits 2.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use jianfu_domain::{Money, PushSource};
use jianfu_monitoring::case::Channel;
use jianfu_monitoring::{CaseState, DeadlineKind};
use jianfu_service::monitoring::cases::{
    self, CaseDetail, CaseQuery, MeasureInput, StepRequest, Upload,
};
use jianfu_service::{Actor, App, UseCaseError};
use jianfu_store::monitoring::AlertKey;

/// What to do with cases.
#[derive(Subcommand)]
pub enum CaseAction {
    /// Open a case: from an alert (COUNTY/户编号/YEAR/RULE) or for a household through a channel.
    Open {
        /// The alert, as COUNTY/HOUSEHOLD/YEAR/RULE (e.g. 130624/1306241002000001/2023/R2).
        #[arg(long, conflicts_with_all = ["household", "channel"])]
        alert: Option<String>,
        /// The household's 户编号 (with --channel).
        #[arg(long, requires = "channel")]
        household: Option<String>,
        /// The household's county, when the 户编号 does not start with it.
        #[arg(long)]
        county: Option<String>,
        /// self_declaration, cadre_screening, department_data or social_supervision.
        #[arg(long)]
        channel: Option<String>,
        /// 办理意见.
        #[arg(long)]
        note: String,
    },
    /// Take a step of a case.
    Act {
        /// The case number.
        case: i64,
        /// The step, e.g. start_verification, confirm_risk, county_approve, record_measure.
        action: String,
        /// 办理意见.
        #[arg(long)]
        note: String,
        /// The reason (closing, rejecting, green channel, objections, resuming).
        #[arg(long)]
        reason: Option<String>,
        /// Deciding an objection: it holds (default: it does not).
        #[arg(long)]
        upheld: bool,
        /// Proposing elimination: months the income stayed at or above the line.
        #[arg(long)]
        stable_months: Option<u32>,
        /// Recording a measure: its type (family_doctor_contract, triple_settlement, …).
        #[arg(long)]
        measure_type: Option<String>,
        /// Recording a measure: its department (health, medical_insurance, civil_affairs, other).
        #[arg(long)]
        department: Option<String>,
        /// Recording a measure: the start date (default: today).
        #[arg(long, value_parser = parse_date)]
        start: Option<NaiveDate>,
        /// Recording a measure: the amount in yuan.
        #[arg(long)]
        amount: Option<String>,
        /// Recording a measure: the person responsible.
        #[arg(long)]
        responsible: Option<String>,
        /// Recording a measure: what was done.
        #[arg(long, default_value = "")]
        description: String,
        /// A photo or scan (JPEG, PNG, PDF; ≤ 10 MB); repeat for several.
        #[arg(long)]
        attach: Vec<PathBuf>,
    },
    /// Dismiss an alert (COUNTY/户编号/YEAR/RULE) with a reason.
    Dismiss {
        /// The alert.
        alert: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// List the cases of your jurisdiction.
    List {
        /// Region code prefix (a township, a village).
        #[arg(long)]
        region: Option<String>,
        /// Only this state (pre_warning, verifying, candidate, …).
        #[arg(long)]
        state: Option<String>,
        /// Only cases with an overdue deadline.
        #[arg(long)]
        overdue: bool,
    },
    /// Show one case: timeline, deadlines, measures, attachments.
    Show {
        /// The case number.
        case: i64,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期“{s}”无效：应为 YYYY-MM-DD，如 2024-12-31"))
}

/// Reads `COUNTY/HOUSEHOLD/YEAR/RULE`.
fn alert_key(s: &str) -> Result<AlertKey> {
    let parts: Vec<&str> = s.trim().split('/').collect();
    let [county, household, year, rule] = parts[..] else {
        bail!("预警“{s}”无效：应为 县代码/户编号/年度/规则，如 130624/1306241002000001/2023/R2");
    };
    let year = year
        .parse()
        .with_context(|| format!("预警“{s}”的年度“{year}”无效"))?;
    Ok(AlertKey {
        county_code: county.into(),
        household_no: household.into(),
        year,
        rule: rule.to_uppercase(),
    })
}

/// Runs a `case` command; `Ok(false)` when it was refused.
pub async fn run(app: &App, actor: &Actor, action: CaseAction) -> Result<bool> {
    match action {
        CaseAction::Open {
            alert,
            household,
            county,
            channel,
            note,
        } => open(app, actor, alert, household, county, channel, &note).await,
        act @ CaseAction::Act { .. } => step(app, actor, act).await,
        CaseAction::Dismiss { alert, reason } => {
            let key = alert_key(&alert)?;
            let done = cases::dismiss_alert(app, actor, &key, &reason).await;
            answer(done.map(|()| println!("预警已忽略：{alert}")))
        }
        CaseAction::List {
            region,
            state,
            overdue,
        } => {
            let q = CaseQuery {
                region,
                state,
                overdue,
            };
            answer(cases::list_cases(app, actor, &q).await.map(|lines| {
                println!("案件\t户编号\t村\t状态\t来源\t立案日期\t最近时限\t到期\t时限状态");
                for l in lines {
                    let c = &l.case;
                    let (kind, due, colour) =
                        l.next.as_ref().map_or(("—", String::new(), ""), |d| {
                            (
                                d.label,
                                d.row.due_on.to_string(),
                                d.colour.map_or("", |c| c.label()),
                            )
                        });
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{kind}\t{due}\t{colour}",
                        c.id,
                        c.household_no,
                        c.village_code,
                        state_label(&c.state),
                        channel_label(&c.channel),
                        c.opened_on
                    );
                }
            }))
        }
        CaseAction::Show { case } => {
            answer(cases::case_detail(app, actor, case).await.map(|d| show(&d)))
        }
    }
}

async fn open(
    app: &App,
    actor: &Actor,
    alert: Option<String>,
    household: Option<String>,
    county: Option<String>,
    channel: Option<String>,
    note: &str,
) -> Result<bool> {
    let opened = match (alert, household, channel) {
        (Some(a), _, _) => cases::open_from_alert(app, actor, &alert_key(&a)?, note).await,
        (None, Some(h), Some(c)) => {
            let channel = Channel::from_code(&c)
                .filter(|c| Channel::MANUAL.contains(c))
                .with_context(|| {
                    format!("渠道“{c}”无效：应为 self_declaration、cadre_screening、department_data 或 social_supervision")
                })?;
            cases::open_manual(app, actor, county.as_deref(), &h, channel, note).await
        }
        _ => bail!("请用 --alert 指明预警，或用 --household 和 --channel 指明农户和发现渠道"),
    };
    answer(opened.map(|o| {
        if o.joined {
            println!("该户已有在办案件 {}，预警已并入该案件", o.case_id);
        } else {
            println!("已立案：案件 {}", o.case_id);
        }
    }))
}

async fn step(app: &App, actor: &Actor, act: CaseAction) -> Result<bool> {
    let CaseAction::Act {
        case,
        action,
        note,
        reason,
        upheld,
        stable_months,
        measure_type,
        department,
        start,
        amount,
        responsible,
        description,
        attach,
    } = act
    else {
        unreachable!("called for act only")
    };
    let amount = amount
        .map(|a| Money::from_yuan_str_non_negative(&a).with_context(|| format!("金额“{a}”无效")))
        .transpose()?;
    let measure = measure_type.map(|t| MeasureInput {
        measure_type: t,
        department: department.unwrap_or_default(),
        start_on: start,
        amount,
        responsible: responsible.unwrap_or_default(),
        description,
    });
    let mut files = Vec::new();
    for path in attach {
        let content =
            std::fs::read(&path).with_context(|| format!("无法读取附件 {}", path.display()))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push(Upload { file_name, content });
    }
    let req = StepRequest {
        upheld: Some(upheld),
        action,
        note,
        reason,
        stable_months,
        measure,
        files,
    };
    let done = cases::take_step(app, actor, case, &req).await;
    answer(done.map(|d| {
        println!(
            "案件 {} 已办理，当前状态：{}",
            d.case_id,
            state_label(&d.state)
        );
        if !d.attachments.is_empty() {
            println!("附件 {} 个已保存", d.attachments.len());
        }
    }))
}

fn state_label(code: &str) -> &str {
    match CaseState::from_code(code) {
        Some(s) => s.label(),
        None => code,
    }
}

fn channel_label(code: &str) -> String {
    Channel::from_code(code).map_or_else(|| code.to_string(), Channel::label)
}

fn show(d: &CaseDetail) {
    let c = &d.case;
    println!(
        "案件 {}：户编号 {}，村 {}",
        c.id, c.household_no, c.village_code
    );
    println!(
        "状态：{}{}；来源：{}；立案：{}（{}）",
        state_label(&c.state),
        if c.green_channel {
            "（绿色通道）"
        } else {
            ""
        },
        channel_label(&c.channel),
        c.opened_on,
        c.opened_by
    );
    println!("\n办理记录：");
    for t in &d.timeline {
        println!("  {}（{}）", t.text, t.username);
    }
    println!("\n时限：");
    for dl in &d.deadlines {
        let kind =
            DeadlineKind::from_code(&dl.row.kind).map_or(dl.row.kind.as_str(), |k| k.label());
        let status = match (dl.row.done_on, dl.colour) {
            (Some(done), _) if dl.late => format!("{done} 完成（逾期）"),
            (Some(done), _) => format!("{done} 完成"),
            (None, Some(colour)) => colour.label().to_string(),
            (None, None) => String::new(),
        };
        println!(
            "  {kind}：{} 起，{} 到期，{status}",
            dl.row.opened_on, dl.row.due_on
        );
    }
    if !d.measures.is_empty() {
        println!("\n帮扶措施：");
        for m in &d.measures {
            let amount = m
                .amount
                .map(|f| format!("，{} 元", Money::from_fen(f)))
                .unwrap_or_default();
            println!(
                "  {} {} {} 起，责任人 {}{amount} {}",
                m.measure_type, m.department, m.start_on, m.responsible, m.description
            );
        }
    }
    if !d.pushes.is_empty() {
        println!("\n部门推送预警：");
        for p in &d.pushes {
            let source = PushSource::from_code(&p.source).map_or(p.source.as_str(), |s| s.label());
            let amount = p
                .amount
                .map(|f| format!("，金额 {} 元", Money::from_fen(f)))
                .unwrap_or_default();
            let how = if p.opened_case { "立案" } else { "并入" };
            println!(
                "  {source} {} 推送（{}）：{}{amount}；{how}",
                p.pushed_on, p.id_number, p.reason
            );
        }
    }
    if !d.attachments.is_empty() {
        println!("\n附件：");
        for a in &d.attachments {
            println!(
                "  {} {}（{}，{} 字节）",
                a.id, a.file_name, a.media_type, a.size
            );
        }
    }
    if !d.allowed.is_empty() {
        let steps: Vec<String> = d
            .allowed
            .iter()
            .map(|a| format!("{}（{}）", a.code(), a.label()))
            .collect();
        println!("\n您可办理：{}", steps.join("、"));
    }
}

/// A refusal prints and exits 1; invalid input and failures exit 2.
fn answer(outcome: Result<(), UseCaseError>) -> Result<bool> {
    match outcome {
        Ok(()) => Ok(true),
        Err(e @ (UseCaseError::Denied(_) | UseCaseError::NotFound)) => {
            eprintln!("错误：{e}");
            Ok(false)
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}
