//! The follow-up schedule: which task is open for a managed disease, when
//! it is due, when it is overdue, and which tasks are stored.
//!
//! A schedule has no state of its own: the open task of a disease is
//! always derived from the management span and the visits, because a new
//! visit closes every open task of its disease and opens the next. So one
//! rule serves the task list of today ([`tasks_in_window`]) and the file of
//! any past or future date ([`task_rows`]); only tasks whose due date lies
//! in the window of 60 days back and 180 days ahead are worth storing.

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::{add_days, add_months_clamped, past_due, past_due_at};
use crate::codes::care_code_enum;
use crate::explain::{Explain, ymd};
use crate::managed::{CareDisease, ManagementSpan};
use crate::readings::AlertRule;
use crate::visit::{Classification, Visit, VisitClass, classify};

/// Days to the follow-up after a danger or uncontrolled visit.
pub const FOLLOW_UP_DAYS: i64 = 14;
/// How far back the previous visit may lie and still make a second
/// uncontrolled visit a repeat.
pub const LOOK_BACK_DAYS: i64 = 120;
/// Calendar months to the routine visit after a controlled one.
pub const ROUTINE_MONTHS: u32 = 3;
/// Days from the start of management to the first visit (not TB).
pub const FIRST_VISIT_DAYS: i64 = 30;
/// Days from a TB notification to the first home visit (72 hours).
pub const TB_FIRST_VISIT_DAYS: i64 = 3;
/// Calendar months of the TB intensive phase, from the notification.
pub const TB_INTENSIVE_MONTHS: u32 = 2;
/// Days between visits in the TB intensive phase.
pub const TB_INTENSIVE_DAYS: i64 = 10;
/// Calendar months between visits in the TB continuation phase.
pub const TB_CONTINUATION_MONTHS: u32 = 1;
/// Whole days without a face-to-face visit after which a hypertension or
/// diabetes patient is overdue, whatever the tasks say.
pub const FACE_TO_FACE_DAYS: i64 = 95;
/// Days back from today that stored tasks reach.
pub const WINDOW_BACK_DAYS: i64 = 60;
/// Days ahead of today that stored tasks reach.
pub const WINDOW_AHEAD_DAYS: i64 = 180;

care_code_enum! {
    /// The kind of a follow-up task.
    TaskKind, "随访任务" {
        /// 转诊并随访: after a danger visit or a critical reading.
        UrgentReferral => "urgent_referral", "转诊并随访";
        /// 转诊后随访: after a repeat uncontrolled visit or a complication.
        ReferralFollowup => "referral_followup", "转诊后随访";
        /// 两周内复查: after a first uncontrolled visit or a run of high readings.
        Recheck => "recheck", "两周内复查";
        /// 常规随访.
        Routine => "routine", "常规随访";
    }
}

/// Which rule of the schedule chose a task after a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextRule {
    /// A danger visit.
    Danger,
    /// Uncontrolled again: the previous visit (within 120 days) was
    /// uncontrolled or danger.
    RepeatUncontrolled {
        /// Date of the previous visit.
        previous_on: NaiveDate,
        /// Its class.
        previous: VisitClass,
    },
    /// A new or worse complication (hypertension, diabetes) or, for TB, an
    /// adverse effect or complication: refer.
    Complication,
    /// Uncontrolled with no uncontrolled visit in the 120 days before.
    FirstUncontrolled,
    /// A basically stable mental-disorder visit.
    BasicallyStable,
    /// Controlled (or stable).
    Controlled,
    /// A TB visit in the intensive phase.
    TbIntensive {
        /// First day of the continuation phase.
        phase_ends: NaiveDate,
    },
    /// A TB visit in the continuation phase.
    TbContinuation,
}

/// Why a task exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskReason {
    /// Managed, no visit yet.
    NoVisitYet {
        /// Start of management.
        since: NaiveDate,
        /// Days allowed to the first visit.
        days: i64,
    },
    /// Opened by a visit.
    AfterVisit {
        /// The visit's date.
        visit_on: NaiveDate,
        /// The visit's class and why.
        class: Classification,
        /// The schedule rule applied.
        rule: NextRule,
    },
    /// Opened by a home-reading alert.
    Alert {
        /// The rule that fired.
        rule: AlertRule,
        /// The day it fired.
        day: NaiveDate,
    },
}

/// An open follow-up task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    /// The disease it belongs to.
    pub disease: CareDisease,
    /// What is to be done.
    pub kind: TaskKind,
    /// The day it opened.
    pub opened_on: NaiveDate,
    /// The last day to do it.
    pub due: NaiveDate,
    /// Why it exists.
    pub reason: TaskReason,
}

impl Task {
    /// True when still open on `as_of` and past its due date.
    pub fn overdue_on(&self, as_of: NaiveDate) -> bool {
        past_due(self.due, as_of)
    }

    /// [`Task::overdue_on`] at an instant (due dates end at midnight China time).
    pub fn overdue_at(&self, now: DateTime<Utc>) -> bool {
        past_due_at(self.due, now)
    }
}

/// The phase of a TB treatment on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TbPhase {
    /// 强化期, until (not including) `ends`.
    Intensive {
        /// First day of the continuation phase.
        ends: NaiveDate,
    },
    /// 继续期.
    Continuation,
}

/// The TB phase on `on` of a treatment notified on `since`.
pub fn tb_phase(since: NaiveDate, on: NaiveDate) -> TbPhase {
    let ends = add_months_clamped(since, TB_INTENSIVE_MONTHS);
    if on < ends {
        TbPhase::Intensive { ends }
    } else {
        TbPhase::Continuation
    }
}

/// The task of a managed disease before its first visit.
pub fn first_task(span: &ManagementSpan) -> Task {
    let days = match span.disease {
        CareDisease::Tb => TB_FIRST_VISIT_DAYS,
        _ => FIRST_VISIT_DAYS,
    };
    Task {
        disease: span.disease,
        kind: TaskKind::Routine,
        opened_on: span.since,
        due: add_days(span.since, days),
        reason: TaskReason::NoVisitYet {
            since: span.since,
            days,
        },
    }
}

/// The task a visit opens. `previous` is the visit of the same disease
/// just before it (any distance: the 120-day look-back is applied here),
/// `birth` the person's birth date, `since` the start of management.
pub fn next_after_visit(
    visit: &Visit,
    previous: Option<&Visit>,
    birth: NaiveDate,
    since: NaiveDate,
) -> Task {
    let class = classify(visit, birth);
    let (kind, rule) = match visit.disease() {
        CareDisease::Hypertension | CareDisease::Diabetes => {
            numeric_rule(visit, class, previous, birth)
        }
        CareDisease::Tb => tb_rule(visit, class, since),
        CareDisease::Mental => match class.class {
            VisitClass::Danger => (TaskKind::UrgentReferral, NextRule::Danger),
            VisitClass::Uncontrolled => (TaskKind::Recheck, NextRule::BasicallyStable),
            VisitClass::Controlled => (TaskKind::Routine, NextRule::Controlled),
        },
    };
    let d = visit.date();
    let due = match rule {
        NextRule::Controlled => add_months_clamped(d, ROUTINE_MONTHS),
        NextRule::TbIntensive { .. } => add_days(d, TB_INTENSIVE_DAYS),
        NextRule::TbContinuation => add_months_clamped(d, TB_CONTINUATION_MONTHS),
        _ => add_days(d, FOLLOW_UP_DAYS),
    };
    Task {
        disease: visit.disease(),
        kind,
        opened_on: d,
        due,
        reason: TaskReason::AfterVisit {
            visit_on: d,
            class,
            rule,
        },
    }
}

/// The table of the hypertension and diabetes schedule.
fn numeric_rule(
    visit: &Visit,
    class: Classification,
    previous: Option<&Visit>,
    birth: NaiveDate,
) -> (TaskKind, NextRule) {
    if class.class == VisitClass::Danger {
        return (TaskKind::UrgentReferral, NextRule::Danger);
    }
    let repeat = previous
        .filter(|p| add_days(p.date(), LOOK_BACK_DAYS) >= visit.date())
        .map(|p| (p.date(), classify(p, birth).class))
        .filter(|(_, c)| *c != VisitClass::Controlled);
    match (class.class, repeat) {
        (VisitClass::Uncontrolled, Some((previous_on, previous))) => (
            TaskKind::ReferralFollowup,
            NextRule::RepeatUncontrolled {
                previous_on,
                previous,
            },
        ),
        _ if visit.complication() => (TaskKind::ReferralFollowup, NextRule::Complication),
        (VisitClass::Uncontrolled, None) => (TaskKind::Recheck, NextRule::FirstUncontrolled),
        _ => (TaskKind::Routine, NextRule::Controlled),
    }
}

/// TB: danger signs refer urgently, an adverse effect or a complication
/// refers, otherwise the phase sets the interval.
fn tb_rule(visit: &Visit, class: Classification, since: NaiveDate) -> (TaskKind, NextRule) {
    match class.class {
        VisitClass::Danger => (TaskKind::UrgentReferral, NextRule::Danger),
        VisitClass::Uncontrolled => (TaskKind::ReferralFollowup, NextRule::Complication),
        VisitClass::Controlled if visit.complication() => {
            (TaskKind::ReferralFollowup, NextRule::Complication)
        }
        VisitClass::Controlled => match tb_phase(since, visit.date()) {
            TbPhase::Intensive { ends } => (
                TaskKind::Routine,
                NextRule::TbIntensive { phase_ends: ends },
            ),
            TbPhase::Continuation => (TaskKind::Routine, NextRule::TbContinuation),
        },
    }
}

/// The last two visits of the span's disease inside the span and on or
/// before `as_of` (same-day visits: the later in input order is later).
fn last_two<'v>(
    span: &ManagementSpan,
    visits: &'v [Visit],
    as_of: NaiveDate,
) -> (Option<&'v Visit>, Option<&'v Visit>) {
    let mut last: Option<&Visit> = None;
    let mut before: Option<&Visit> = None;
    for v in visits {
        if v.disease() != span.disease || v.date() > as_of || !span.covers(v.date()) {
            continue;
        }
        if last.is_none_or(|l| v.date() >= l.date()) {
            before = last;
            last = Some(v);
        } else if before.is_none_or(|b| v.date() >= b.date()) {
            before = Some(v);
        }
    }
    (last, before)
}

/// The schedule task open on `as_of` for a span, or `None` when the span
/// does not cover `as_of`. Visits may be in any order and of any disease.
pub fn schedule_task(
    span: &ManagementSpan,
    visits: &[Visit],
    birth: NaiveDate,
    as_of: NaiveDate,
) -> Option<Task> {
    if !span.covers(as_of) {
        return None;
    }
    Some(match last_two(span, visits, as_of) {
        (Some(last), previous) => next_after_visit(last, previous, birth, span.since),
        (None, _) => first_task(span),
    })
}

/// Every task open on `as_of`: the schedule task of each span that covers
/// it, and each alert task (from [`crate::readings::Alert::task`]) opened
/// on or before `as_of` and not closed by a visit of its disease on or
/// after its day. Pass only alerts that are still open (not dismissed).
pub fn open_tasks_on(
    spans: &[ManagementSpan],
    visits: &[Visit],
    alert_tasks: &[Task],
    birth: NaiveDate,
    as_of: NaiveDate,
) -> Vec<Task> {
    let mut open: Vec<Task> = spans
        .iter()
        .filter_map(|s| schedule_task(s, visits, birth, as_of))
        .collect();
    open.extend(alert_tasks.iter().filter(|t| {
        t.opened_on <= as_of
            && !visits
                .iter()
                .any(|v| v.disease() == t.disease && v.date() >= t.opened_on && v.date() <= as_of)
    }));
    open.sort_by_key(|t| (t.disease, t.due, t.kind));
    open
}

impl Explain for Task {
    fn zh(&self) -> String {
        let what = format!(
            "{}：{}，{}前完成",
            self.disease.label(),
            self.kind.label(),
            ymd(self.due)
        );
        let why = match self.reason {
            TaskReason::NoVisitYet { since, days } => {
                format!("{}起纳入管理，尚无随访，{days}天内首次随访", ymd(since))
            }
            TaskReason::AfterVisit {
                visit_on,
                class,
                rule,
            } => {
                format!("{}随访{}；{}", ymd(visit_on), class.zh(), rule_zh(rule))
            }
            TaskReason::Alert { rule, day } => format!("{}家庭监测预警 {}", ymd(day), rule.code()),
        };
        format!("{what}（{why}）")
    }

    fn en(&self) -> String {
        let what = format!(
            "{}: {} due {}",
            self.disease.code(),
            self.kind.code(),
            ymd(self.due)
        );
        let why = match self.reason {
            TaskReason::NoVisitYet { since, days } => {
                format!(
                    "managed since {}, no visit yet: first visit within {days} days",
                    ymd(since)
                )
            }
            TaskReason::AfterVisit {
                visit_on,
                class,
                rule,
            } => {
                format!(
                    "visit of {}: {}; {}",
                    ymd(visit_on),
                    class.en(),
                    rule_en(rule)
                )
            }
            TaskReason::Alert { rule, day } => {
                format!("home-reading alert {} on {}", rule.code(), ymd(day))
            }
        };
        format!("{what} ({why})")
    }
}

fn rule_zh(rule: NextRule) -> String {
    match rule {
        NextRule::Danger => "危急，紧急转诊，2周内随访".into(),
        NextRule::RepeatUncontrolled {
            previous_on,
            previous,
        } => format!(
            "上次随访（{}）{}，连续控制不满意，转诊，2周内随访",
            ymd(previous_on),
            previous.label()
        ),
        NextRule::Complication => {
            "出现新发或加重的并发症（或药物不良反应），转诊，2周内随访".into()
        }
        NextRule::FirstUncontrolled => "首次控制不满意，调整用药，2周内复查".into(),
        NextRule::BasicallyStable => "病情基本稳定，2周内复查".into(),
        NextRule::Controlled => "3个月后常规随访（同日，月末顺延至当月最后一天）".into(),
        NextRule::TbIntensive { phase_ends } => {
            format!("强化期（至{}），每10天随访", ymd(phase_ends))
        }
        NextRule::TbContinuation => "继续期，每月随访".into(),
    }
}

fn rule_en(rule: NextRule) -> String {
    match rule {
        NextRule::Danger => "danger: urgent referral, follow-up within 2 weeks".into(),
        NextRule::RepeatUncontrolled {
            previous_on,
            previous,
        } => format!(
            "previous visit ({}) was {}: uncontrolled again, refer, follow up within 2 weeks",
            ymd(previous_on),
            previous.code()
        ),
        NextRule::Complication => {
            "new or worse complication (or adverse effect): refer, follow up within 2 weeks".into()
        }
        NextRule::FirstUncontrolled => {
            "first uncontrolled visit: adjust, recheck within 2 weeks".into()
        }
        NextRule::BasicallyStable => "basically stable: recheck within 2 weeks".into(),
        NextRule::Controlled => {
            "routine visit in 3 calendar months (day clamped to the month's end)".into()
        }
        NextRule::TbIntensive { phase_ends } => {
            format!("intensive phase (until {}): every 10 days", ymd(phase_ends))
        }
        NextRule::TbContinuation => "continuation phase: monthly".into(),
    }
}
