//! `jianfu monitor feedback`: the counties' monthly feedback lists of
//! A1–A3 findings (异常结算月度反馈清单) from the command line — make a
//! month's lists, list them, show one with its findings, and answer a
//! finding. Each subcommand maps its arguments to a use case of
//! `jianfu_service::monitoring::feedback` and its answer to text.

use anyhow::Result;
use clap::Subcommand;
use jianfu_domain::Money;
use jianfu_service::monitoring::feedback::{self, Month};
use jianfu_service::{Actor, App, UseCaseError};

/// What to do with the feedback lists.
#[derive(Subcommand)]
pub enum FeedbackAction {
    /// Make a month's list for every county that has none (the hourly
    /// deadline job does it for last month).
    Generate {
        /// The month, YYYY-MM (default: last month); it must be over.
        #[arg(long)]
        month: Option<String>,
    },
    /// List the lists of your jurisdiction, newest month first.
    List {
        /// Only this month, YYYY-MM.
        #[arg(long)]
        month: Option<String>,
    },
    /// Show one list and its findings.
    Show {
        /// The list's number.
        id: i64,
    },
    /// Record the county's answer to a finding (核查反馈).
    Answer {
        /// The finding's number.
        id: i64,
        /// What was found and done.
        #[arg(long)]
        text: String,
    },
}

fn month_of(m: Option<&str>) -> Result<Option<Month>, UseCaseError> {
    m.map(Month::parse).transpose()
}

/// Runs a `monitor feedback` command; the outcome as `monitor` answers it.
pub async fn run(app: &App, actor: &Actor, action: FeedbackAction) -> Result<(), UseCaseError> {
    match action {
        FeedbackAction::Generate { month } => {
            let g = feedback::generate(app, actor, month_of(month.as_deref())?).await?;
            println!(
                "{} 月度反馈清单已生成：新清单 {} 个，异常结算 {} 条。",
                g.month, g.lists, g.findings
            );
        }
        FeedbackAction::List { month } => {
            let lists = feedback::lists(app, actor, month_of(month.as_deref())?, 10_000).await?;
            println!("编号\t县（区）\t月份\t生成日期\t反馈期限\t异常结算数\t已反馈\t完成日期");
            for l in lists {
                let done = l
                    .done_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{done}",
                    l.id, l.county_code, l.month, l.raised_on, l.due_on, l.findings, l.answered
                );
            }
        }
        FeedbackAction::Show { id } => {
            let (l, findings) = feedback::list_detail(app, actor, id).await?;
            println!(
                "清单 {}：{} {}，反馈期限 {}，已反馈 {}/{}",
                l.id, l.county_code, l.month, l.due_on, l.answered, l.findings
            );
            println!("编号\t结算单号\t户编号\t结算日期\t问题\t个人自付（元）\t核查反馈");
            for f in findings {
                let oop = Money::from_fen(f.out_of_pocket);
                let answer = f.answer.unwrap_or_else(|| "—".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{oop}\t{answer}",
                    f.id, f.claim_id, f.household_no, f.settled_on, f.rules
                );
            }
        }
        FeedbackAction::Answer { id, text } => {
            let f = feedback::answer(app, actor, id, &text).await?;
            println!("已反馈：异常结算 {}（清单 {}）", f.id, f.feedback_id);
        }
    }
    Ok(())
}
