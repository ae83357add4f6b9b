//! The case of one household in the identification procedure and after:
//! its states, the actions that move it, and what a move produces.
//!
//! The rules of the moves (who may take each, what each requires, which
//! deadlines open and close) live in [`crate::procedure`]; this module
//! holds the values they work on. A case is a plain value: the caller
//! stores it and hands it back with the next action.

use std::fmt;

use chrono::NaiveDate;
use jianfu_domain::{RegionCode, Role, Scope};
use serde::Serialize;
use thiserror::Error;

use crate::calendar::CalendarError;
use crate::deadline::{Deadline, DeadlineKind};
use crate::measure::{Department, Measure};
use crate::rules::Rule;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 预警: raised, not yet looked at.
    PreWarning,
    /// 入户核查: the home verification is under way.
    Verifying,
    /// 拟纳入: verified at risk; village review and publicity next.
    Candidate,
    /// 公示.
    Publicity,
    /// 乡镇审核.
    TownshipReview,
    /// 县级审定.
    CountyDecision,
    /// 纳入监测.
    Monitored,
    /// 不予纳入.
    Rejected,
    /// 已结案: not at risk after verification, or follow-on tracking over.
    Closed,
    /// 风险消除核查.
    EliminationVerifying,
    /// 风险消除公示.
    EliminationPublicity,
    /// 风险消除乡镇审核.
    EliminationTownshipReview,
    /// 风险消除县级审定.
    EliminationCountyDecision,
    /// 风险消除（跟踪监测）: eliminated, still tracked.
    Eliminated,
}

impl CaseState {
    /// Stable English code.
    pub const fn code(self) -> &'static str {
        match self {
            CaseState::PreWarning => "pre_warning",
            CaseState::Verifying => "verifying",
            CaseState::Candidate => "candidate",
            CaseState::Publicity => "publicity",
            CaseState::TownshipReview => "township_review",
            CaseState::CountyDecision => "county_decision",
            CaseState::Monitored => "monitored",
            CaseState::Rejected => "rejected",
            CaseState::Closed => "closed",
            CaseState::EliminationVerifying => "elimination_verifying",
            CaseState::EliminationPublicity => "elimination_publicity",
            CaseState::EliminationTownshipReview => "elimination_township_review",
            CaseState::EliminationCountyDecision => "elimination_county_decision",
            CaseState::Eliminated => "eliminated",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            CaseState::PreWarning => "预警",
            CaseState::Verifying => "入户核查",
            CaseState::Candidate => "拟纳入",
            CaseState::Publicity => "公示",
            CaseState::TownshipReview => "乡镇审核",
            CaseState::CountyDecision => "县级审定",
            CaseState::Monitored => "纳入监测",
            CaseState::Rejected => "不予纳入",
            CaseState::Closed => "已结案",
            CaseState::EliminationVerifying => "风险消除核查",
            CaseState::EliminationPublicity => "风险消除公示",
            CaseState::EliminationTownshipReview => "风险消除乡镇审核",
            CaseState::EliminationCountyDecision => "风险消除县级审定",
            CaseState::Eliminated => "风险消除（跟踪监测）",
        }
    }

    /// True when nothing more can happen.
    pub const fn is_final(self) -> bool {
        matches!(self, CaseState::Rejected | CaseState::Closed)
    }

    /// True for the steps of the identification procedure before the
    /// county's decision (where a green-channel case is monitored
    /// provisionally).
    pub const fn is_identification(self) -> bool {
        matches!(
            self,
            CaseState::PreWarning
                | CaseState::Verifying
                | CaseState::Candidate
                | CaseState::Publicity
                | CaseState::TownshipReview
                | CaseState::CountyDecision
        )
    }

    /// True for the steps of risk elimination before the county's decision.
    pub const fn is_elimination(self) -> bool {
        matches!(
            self,
            CaseState::EliminationVerifying
                | CaseState::EliminationPublicity
                | CaseState::EliminationTownshipReview
                | CaseState::EliminationCountyDecision
        )
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How the household came to notice (发现渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 平台监测预警: an alert of this system.
    Alert(Rule),
    /// 农户自主申报.
    SelfDeclaration,
    /// 基层干部排查.
    CadreScreening,
    /// 部门筛查预警 (医保, 民政, …).
    DepartmentData,
    /// 社会监督.
    SocialSupervision,
}

impl Channel {
    /// Chinese label.
    pub fn label(self) -> String {
        match self {
            Channel::Alert(r) => format!("平台监测预警（{} {}）", r.code(), r.label()),
            Channel::SelfDeclaration => "农户自主申报".into(),
            Channel::CadreScreening => "基层干部排查".into(),
            Channel::DepartmentData => "部门筛查预警".into(),
            Channel::SocialSupervision => "社会监督".into(),
        }
    }
}

/// One household's case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// The household's village.
    pub region: RegionCode,
    /// Where it stands.
    pub state: CaseState,
    /// How it was found.
    pub channel: Channel,
    /// Taken into the green channel: monitored provisionally, measures
    /// first, the formal steps still due.
    pub green_channel: bool,
    /// The day it was opened.
    pub opened_on: NaiveDate,
    /// The day of the latest step (steps cannot be back-dated before it).
    pub last_step_on: NaiveDate,
    /// The earliest day the current publicity may end.
    pub publicity_earliest_end: Option<NaiveDate>,
    /// Objections raised in the current publicity and not yet resolved.
    pub open_objections: u32,
    /// Home visits recorded since monitoring started (or the green channel).
    pub home_visits: u32,
    /// Measures recorded since monitoring started (or the green channel).
    pub measures: u32,
    /// The county's approval of inclusion.
    pub approved_on: Option<NaiveDate>,
    /// The county's approval of risk elimination.
    pub eliminated_on: Option<NaiveDate>,
    /// Tracking after elimination lasts until this day.
    pub follow_on_until: Option<NaiveDate>,
    /// Open deadlines.
    pub deadlines: Vec<Deadline>,
}

impl Case {
    /// A new case in [`CaseState::PreWarning`], with no deadline yet.
    pub fn new(region: RegionCode, channel: Channel, today: NaiveDate) -> Case {
        Case {
            region,
            state: CaseState::PreWarning,
            channel,
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
            deadlines: Vec::new(),
        }
    }

    /// True while the household counts as monitored: included, in risk
    /// elimination or follow-on, or provisionally through the green channel.
    pub fn is_monitored(&self) -> bool {
        matches!(self.state, CaseState::Monitored | CaseState::Eliminated)
            || self.state.is_elimination()
            || (self.green_channel && self.state.is_identification())
    }

    /// The open deadline of a kind, if any.
    pub fn deadline(&self, kind: DeadlineKind) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.kind == kind)
    }
}

/// What to do, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start the home verification of a pre-warning.
    StartVerification,
    /// Verification found the household at risk: it becomes a candidate.
    ConfirmRisk,
    /// Not at risk: close the case.
    CloseNoRisk {
        /// Why.
        reason: String,
    },
    /// Take the case into the green channel.
    GreenChannel {
        /// Why (disaster, accident, …).
        reason: String,
    },
    /// Start the village review and publicity.
    StartPublicity,
    /// Record an objection raised during publicity.
    RecordObjection,
    /// Decide an objection: upheld ends the procedure, otherwise it is
    /// dismissed and publicity goes on.
    ResolveObjection {
        /// The objection holds.
        upheld: bool,
        /// Why.
        reason: String,
    },
    /// End publicity (not before its minimum length).
    EndPublicity,
    /// The township approves.
    TownshipApprove,
    /// The county approves.
    CountyApprove,
    /// Refuse at the current step.
    Reject {
        /// Why.
        reason: String,
    },
    /// The health side has visited the household.
    RecordHomeVisit,
    /// A measure was put in place.
    RecordMeasure(Measure),
    /// Start risk elimination.
    ProposeElimination {
        /// Months the income has stayed at or above the line (a fact the
        /// caller establishes).
        stable_months: u32,
    },
    /// The risk is back during follow-on tracking.
    ResumeMonitoring {
        /// Why.
        reason: String,
    },
    /// Follow-on tracking is over: close the case.
    EndFollowOn,
}

/// An action without its data, for tables and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Opening the case (a pre-warning).
    Open,
    /// [`Action::StartVerification`].
    StartVerification,
    /// [`Action::ConfirmRisk`].
    ConfirmRisk,
    /// [`Action::CloseNoRisk`].
    CloseNoRisk,
    /// [`Action::GreenChannel`].
    GreenChannel,
    /// [`Action::StartPublicity`].
    StartPublicity,
    /// [`Action::RecordObjection`].
    RecordObjection,
    /// [`Action::ResolveObjection`].
    ResolveObjection,
    /// [`Action::EndPublicity`].
    EndPublicity,
    /// [`Action::TownshipApprove`].
    TownshipApprove,
    /// [`Action::CountyApprove`].
    CountyApprove,
    /// [`Action::Reject`].
    Reject,
    /// [`Action::RecordHomeVisit`].
    RecordHomeVisit,
    /// [`Action::RecordMeasure`].
    RecordMeasure,
    /// [`Action::ProposeElimination`].
    ProposeElimination,
    /// [`Action::ResumeMonitoring`].
    ResumeMonitoring,
    /// [`Action::EndFollowOn`].
    EndFollowOn,
}

impl ActionKind {
    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            ActionKind::Open => "登记预警",
            ActionKind::StartVerification => "开始入户核查",
            ActionKind::ConfirmRisk => "核查确认存在风险",
            ActionKind::CloseNoRisk => "核查无风险结案",
            ActionKind::GreenChannel => "启动绿色通道",
            ActionKind::StartPublicity => "开始民主评议和公示",
            ActionKind::RecordObjection => "登记公示异议",
            ActionKind::ResolveObjection => "处理公示异议",
            ActionKind::EndPublicity => "结束公示",
            ActionKind::TownshipApprove => "乡镇审核通过",
            ActionKind::CountyApprove => "县级审定通过",
            ActionKind::Reject => "审核不通过",
            ActionKind::RecordHomeVisit => "登记入户核实",
            ActionKind::RecordMeasure => "登记帮扶措施",
            ActionKind::ProposeElimination => "启动风险消除",
            ActionKind::ResumeMonitoring => "恢复监测帮扶",
            ActionKind::EndFollowOn => "跟踪期满结案",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Action {
    /// The kind of action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::StartVerification => ActionKind::StartVerification,
            Action::ConfirmRisk => ActionKind::ConfirmRisk,
            Action::CloseNoRisk { .. } => ActionKind::CloseNoRisk,
            Action::GreenChannel { .. } => ActionKind::GreenChannel,
            Action::StartPublicity => ActionKind::StartPublicity,
            Action::RecordObjection => ActionKind::RecordObjection,
            Action::ResolveObjection { .. } => ActionKind::ResolveObjection,
            Action::EndPublicity => ActionKind::EndPublicity,
            Action::TownshipApprove => ActionKind::TownshipApprove,
            Action::CountyApprove => ActionKind::CountyApprove,
            Action::Reject { .. } => ActionKind::Reject,
            Action::RecordHomeVisit => ActionKind::RecordHomeVisit,
            Action::RecordMeasure(_) => ActionKind::RecordMeasure,
            Action::ProposeElimination { .. } => ActionKind::ProposeElimination,
            Action::ResumeMonitoring { .. } => ActionKind::ResumeMonitoring,
            Action::EndFollowOn => ActionKind::EndFollowOn,
        }
    }

    /// The reason the action carries, if it is one that needs a reason.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::CloseNoRisk { reason }
            | Action::GreenChannel { reason }
            | Action::ResolveObjection { reason, .. }
            | Action::Reject { reason }
            | Action::ResumeMonitoring { reason } => Some(reason),
            _ => None,
        }
    }
}

/// Who acts: a role bound to a jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The user's role.
    pub role: Role,
    /// The user's jurisdiction.
    pub scope: Scope,
}

/// An action with the note every step carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The action.
    pub action: Action,
    /// 办理意见: never empty.
    pub note: String,
}

/// A deadline closed by a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClosedDeadline {
    /// The deadline.
    pub deadline: Deadline,
    /// The day it was closed.
    pub closed_on: NaiveDate,
    /// Closed after its due date.
    pub late: bool,
}

/// One line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    /// The day.
    pub on: NaiveDate,
    /// What was done.
    pub action: ActionKind,
    /// State before.
    pub from: Option<CaseState>,
    /// State after.
    pub to: CaseState,
    /// Who.
    pub role: Role,
    /// The note.
    pub note: String,
    /// The reason, for actions that need one.
    pub reason: Option<String>,
    /// One line of Chinese for the page.
    pub text: String,
}

/// What a step produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The case after the step.
    pub case: Case,
    /// Deadlines opened.
    pub opened: Vec<Deadline>,
    /// Deadlines closed.
    pub closed: Vec<ClosedDeadline>,
    /// The history line.
    pub entry: TimelineEntry,
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The role may not take this action (at this step).
    #[error("“{role}”无权{action}")]
    NotAllowed {
        /// The role.
        role: Role,
        /// The action.
        action: ActionKind,
    },
    /// The household lies outside the user's jurisdiction.
    #[error("该户所在地区 {region} 不在您的管辖范围内")]
    OutsideJurisdiction {
        /// The household's village.
        region: RegionCode,
    },
    /// The action does not fit the case's state.
    #[error("案件当前为“{state}”，不能{action}")]
    WrongState {
        /// The current state.
        state: CaseState,
        /// The action.
        action: ActionKind,
    },
    /// No note.
    #[error("请填写办理意见")]
    MissingNote,
    /// An action that needs a reason has none.
    #[error("{action}须填写理由")]
    MissingReason {
        /// The action.
        action: ActionKind,
    },
    /// Publicity shorter than its minimum.
    #[error("公示期未满，最早可于 {earliest} 结束公示")]
    PublicityTooShort {
        /// The earliest day it may end.
        earliest: NaiveDate,
    },
    /// Objections still open at the end of publicity.
    #[error("公示期间还有 {count} 条异议未处理")]
    ObjectionsOpen {
        /// How many.
        count: u32,
    },
    /// An objection to resolve, but none is open.
    #[error("没有待处理的公示异议")]
    NoOpenObjection,
    /// Income not stable long enough for risk elimination.
    #[error("收入稳定在监测范围以上仅 {months} 个月，须满 {required} 个月才能启动风险消除")]
    IncomeNotStable {
        /// Months given.
        months: u32,
        /// Months required.
        required: u32,
    },
    /// Follow-on tracking not over yet.
    #[error("风险消除后须跟踪监测至 {until}，期满前不能结案")]
    FollowOnNotOver {
        /// The last day of tracking.
        until: NaiveDate,
    },
    /// A measure of another department.
    #[error("“{role}”只能登记本部门的帮扶措施，不能登记{}的措施", department.label())]
    MeasureDepartment {
        /// The role.
        role: Role,
        /// The measure's department.
        department: Department,
    },
    /// The green channel was already taken.
    #[error("该案件已进入绿色通道")]
    AlreadyGreen,
    /// A step dated before the previous one.
    #[error("办理日期 {today} 早于上一步的日期 {last}")]
    Backdated {
        /// The date given.
        today: NaiveDate,
        /// The previous step's date.
        last: NaiveDate,
    },
    /// A deadline could not be computed.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}
