//! The identification procedure as a pure state machine: who may take each
//! step, what each step requires, and which deadlines it opens and closes.
//!
//! Roles (the table is [`may`]; `docs/MONITORING.md` prints it):
//! - administrators of a county or above take any step in their
//!   jurisdiction, and only they take the county's steps (approval or
//!   refusal at the county decision, the green channel, the end of
//!   follow-on tracking);
//! - township workers take the village and township steps;
//! - village doctors open pre-warnings, do the home verification (start
//!   it, confirm the risk) and record home visits and health-department
//!   measures; closing a pre-warning as "not at risk" needs a township
//!   worker, so one visit alone cannot end a case;
//! - insurance officers open pre-warnings from their data and record
//!   measures of the medical-insurance department;
//! - auditors read only.
//!
//! An upheld objection during publicity refuses inclusion (不予纳入); in
//! risk elimination it sends the case back to monitoring. The objection has
//! been checked by the time it is decided, so sending it back to home
//! verification would only repeat that check.

use chrono::NaiveDate;
use jianfu_domain::{RegionCode, Role};

use crate::calendar::{WorkCalendar, add_days, add_months};
use crate::case::{
    Action, ActionKind, Actor, Case, CaseState, Channel, ClosedDeadline, Command, TimelineEntry,
    Transition, TransitionError,
};
use crate::deadline::{Deadline, DeadlineKind};
use crate::measure::Department;
use crate::params::MonitoringParams;

/// How far a role reaches in the procedure. Each step names the least
/// reach it needs; insurance officers sit lowest because the only steps
/// they take (opening a pre-warning, recording a measure) are open to
/// every field role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    None,
    Insurance,
    Village,
    Township,
    County,
}

fn reach(role: Role) -> Reach {
    match role {
        Role::NationalAdmin | Role::ProvinceAdmin | Role::CityAdmin | Role::CountyAdmin => {
            Reach::County
        }
        Role::TownshipWorker => Reach::Township,
        Role::VillageDoctor => Reach::Village,
        Role::InsuranceOfficer => Reach::Insurance,
        Role::Auditor => Reach::None,
    }
}

/// True when `role` may take `action` while the case is in `state`.
/// Measures are further limited to the role's department ([`apply`]).
pub fn may(role: Role, action: ActionKind, state: CaseState) -> bool {
    use ActionKind as A;
    let r = reach(role);
    match action {
        A::Open | A::RecordMeasure => r >= Reach::Insurance,
        A::StartVerification | A::ConfirmRisk | A::RecordHomeVisit => r >= Reach::Village,
        A::CloseNoRisk
        | A::StartPublicity
        | A::RecordObjection
        | A::ResolveObjection
        | A::EndPublicity
        | A::TownshipApprove
        | A::ProposeElimination
        | A::ResumeMonitoring => r >= Reach::Township,
        A::Reject => match state {
            CaseState::CountyDecision | CaseState::EliminationCountyDecision => r >= Reach::County,
            _ => r >= Reach::Township,
        },
        A::GreenChannel | A::CountyApprove | A::EndFollowOn => r >= Reach::County,
    }
}

/// The department whose measures a role may record; `None` for any.
fn own_department(role: Role) -> Option<Department> {
    match role {
        Role::VillageDoctor => Some(Department::Health),
        Role::InsuranceOfficer => Some(Department::MedicalInsurance),
        _ => None,
    }
}

/// True when `action` fits a case in `case`'s state.
fn fits(action: &Action, case: &Case) -> bool {
    fits_kind(action.kind(), case)
}

/// True when an action of `kind` fits a case in `case`'s state (whether
/// it fits never depends on the action's data).
fn fits_kind(kind: ActionKind, case: &Case) -> bool {
    use ActionKind as A;
    use CaseState as S;
    let s = case.state;
    match kind {
        A::Open => false,
        A::StartVerification => s == S::PreWarning,
        A::ConfirmRisk => s == S::Verifying,
        A::CloseNoRisk => matches!(s, S::PreWarning | S::Verifying),
        A::GreenChannel => matches!(s, S::PreWarning | S::Verifying | S::Candidate),
        A::StartPublicity => matches!(s, S::Candidate | S::EliminationVerifying),
        A::RecordObjection | A::ResolveObjection | A::EndPublicity => {
            matches!(s, S::Publicity | S::EliminationPublicity)
        }
        A::TownshipApprove => matches!(s, S::TownshipReview | S::EliminationTownshipReview),
        A::CountyApprove => matches!(s, S::CountyDecision | S::EliminationCountyDecision),
        A::Reject => matches!(
            s,
            S::Candidate
                | S::TownshipReview
                | S::CountyDecision
                | S::EliminationVerifying
                | S::EliminationTownshipReview
                | S::EliminationCountyDecision
        ),
        A::RecordHomeVisit | A::RecordMeasure => case.is_monitored(),
        A::ProposeElimination => s == S::Monitored,
        A::ResumeMonitoring | A::EndFollowOn => s == S::Eliminated,
    }
}

/// The steps `role` may take on `case` now: those [`may`] allows that fit
/// the case's state, less the green channel once taken and deciding an
/// objection when none is open (a page offers exactly these). The
/// actor's jurisdiction and each step's other requirements (minimum
/// publicity, stable months, follow-on over) are [`apply`]'s checks.
pub fn available(role: Role, case: &Case) -> Vec<ActionKind> {
    ActionKind::STEPS
        .into_iter()
        .filter(|&a| may(role, a, case.state) && fits_kind(a, case))
        .filter(|&a| !(a == ActionKind::GreenChannel && case.green_channel))
        .filter(|&a| !(a == ActionKind::ResolveObjection && case.open_objections == 0))
        .collect()
}

/// A step in progress: the case being changed and what changed.
struct Work<'a> {
    case: Case,
    opened: Vec<Deadline>,
    closed: Vec<ClosedDeadline>,
    today: NaiveDate,
    calendar: &'a WorkCalendar,
    params: &'a MonitoringParams,
}

impl<'a> Work<'a> {
    fn new(
        case: Case,
        today: NaiveDate,
        calendar: &'a WorkCalendar,
        params: &'a MonitoringParams,
    ) -> Self {
        Work {
            case,
            opened: Vec::new(),
            closed: Vec::new(),
            today,
            calendar,
            params,
        }
    }

    fn finish(self, entry: TimelineEntry) -> Transition {
        Transition {
            case: self.case,
            opened: self.opened,
            closed: self.closed,
            entry,
        }
    }

    fn working_days(&self, n: u32) -> Result<NaiveDate, TransitionError> {
        Ok(self
            .calendar
            .add_working_days(self.today, n, Some(&self.case.region))?)
    }

    /// Opens a deadline unless one of the kind is open already.
    fn open(&mut self, kind: DeadlineKind, due_on: NaiveDate) {
        if self.case.deadline(kind).is_none() {
            let d = Deadline {
                kind,
                opened_on: self.today,
                due_on,
            };
            self.case.deadlines.push(d);
            self.opened.push(d);
        }
    }

    fn close(&mut self, kind: DeadlineKind) {
        let today = self.today;
        let (gone, kept): (Vec<Deadline>, Vec<Deadline>) = std::mem::take(&mut self.case.deadlines)
            .into_iter()
            .partition(|d| d.kind == kind);
        self.case.deadlines = kept;
        self.closed
            .extend(gone.into_iter().map(|deadline| ClosedDeadline {
                deadline,
                closed_on: today,
                late: today > deadline.due_on,
            }));
    }

    fn close_all(&mut self) {
        for kind in DeadlineKind::ALL {
            self.close(kind);
        }
    }

    fn procedure_deadline(&mut self, kind: DeadlineKind) -> Result<(), TransitionError> {
        let due = self.working_days(self.params.timers.procedure_working_days)?;
        self.open(kind, due);
        Ok(())
    }

    fn measure_deadlines(&mut self) -> Result<(), TransitionError> {
        let t = self.params.timers;
        if self.case.home_visits == 0 {
            self.open(
                DeadlineKind::HomeVisit,
                add_days(self.today, t.verify_days)?,
            );
        }
        if self.case.measures == 0 {
            self.open(
                DeadlineKind::HealthMeasure,
                add_days(self.today, t.measures_days)?,
            );
        }
        Ok(())
    }
}

/// Opens a case as a pre-warning: its verification is due within
/// `pre_warning_working_days`.
pub fn open_case(
    region: RegionCode,
    channel: Channel,
    actor: &Actor,
    note: &str,
    today: NaiveDate,
    calendar: &WorkCalendar,
    params: &MonitoringParams,
) -> Result<Transition, TransitionError> {
    check_actor(actor, &region, ActionKind::Open, CaseState::PreWarning)?;
    if note.trim().is_empty() {
        return Err(TransitionError::MissingNote);
    }
    let mut w = Work::new(Case::new(region, channel, today), today, calendar, params);
    let due = w.working_days(params.timers.pre_warning_working_days)?;
    w.open(DeadlineKind::PreWarning, due);
    let text = format!(
        "{today} {}：{}，来源：{}；{}",
        actor.role,
        ActionKind::Open,
        channel.label(),
        note.trim()
    );
    Ok(w.finish(TimelineEntry {
        on: today,
        action: ActionKind::Open,
        from: None,
        to: CaseState::PreWarning,
        role: actor.role,
        note: note.trim().to_string(),
        reason: None,
        text,
    }))
}

fn check_actor(
    actor: &Actor,
    region: &RegionCode,
    action: ActionKind,
    state: CaseState,
) -> Result<(), TransitionError> {
    if !may(actor.role, action, state) {
        return Err(TransitionError::NotAllowed {
            role: actor.role,
            action,
        });
    }
    if !actor.scope.contains(region) {
        return Err(TransitionError::OutsideJurisdiction { region: *region });
    }
    Ok(())
}

/// Checks everything that does not depend on the action's own rules.
fn check(
    case: &Case,
    cmd: &Command,
    actor: &Actor,
    today: NaiveDate,
) -> Result<(), TransitionError> {
    let kind = cmd.action.kind();
    check_actor(actor, &case.region, kind, case.state)?;
    if !fits(&cmd.action, case) {
        return Err(TransitionError::WrongState {
            state: case.state,
            action: kind,
        });
    }
    if cmd.note.trim().is_empty() {
        return Err(TransitionError::MissingNote);
    }
    if cmd.action.reason().is_some_and(|r| r.trim().is_empty()) {
        return Err(TransitionError::MissingReason { action: kind });
    }
    if today < case.last_step_on {
        return Err(TransitionError::Backdated {
            today,
            last: case.last_step_on,
        });
    }
    if let (Action::RecordMeasure(m), Some(own)) = (&cmd.action, own_department(actor.role))
        && m.department() != own
    {
        return Err(TransitionError::MeasureDepartment {
            role: actor.role,
            department: m.department(),
        });
    }
    Ok(())
}

/// Takes one step of a case: checks the actor, the state and the step's
/// requirements, and returns the new case with the deadlines opened and
/// closed and the history line.
pub fn apply(
    case: &Case,
    cmd: &Command,
    actor: &Actor,
    today: NaiveDate,
    calendar: &WorkCalendar,
    params: &MonitoringParams,
) -> Result<Transition, TransitionError> {
    check(case, cmd, actor, today)?;
    let mut w = Work::new(case.clone(), today, calendar, params);
    let to = step(&mut w, &cmd.action)?;
    if to.is_final() {
        w.close_all();
    }
    w.case.state = to;
    w.case.last_step_on = today;
    Ok(w.finish(entry(case.state, to, cmd, actor, today)))
}

/// The step's own rules; returns the state after it.
fn step(w: &mut Work, action: &Action) -> Result<CaseState, TransitionError> {
    use CaseState as S;
    let state = w.case.state;
    Ok(match action {
        Action::StartVerification => S::Verifying,
        Action::ConfirmRisk => {
            w.close(DeadlineKind::PreWarning);
            w.procedure_deadline(DeadlineKind::Procedure)?;
            S::Candidate
        }
        Action::CloseNoRisk { .. } => S::Closed,
        Action::GreenChannel { .. } => green_channel(w)?,
        Action::StartPublicity => start_publicity(w)?,
        Action::RecordObjection => {
            w.case.open_objections += 1;
            state
        }
        Action::ResolveObjection { upheld, .. } => resolve_objection(w, *upheld)?,
        Action::EndPublicity => end_publicity(w)?,
        Action::TownshipApprove if state == S::TownshipReview => S::CountyDecision,
        Action::TownshipApprove => S::EliminationCountyDecision,
        Action::CountyApprove => county_approve(w)?,
        Action::Reject { .. } if state.is_elimination() => back_to_monitoring(w),
        Action::Reject { .. } => S::Rejected,
        Action::RecordHomeVisit => {
            w.case.home_visits += 1;
            w.close(DeadlineKind::HomeVisit);
            state
        }
        Action::RecordMeasure(_) => {
            w.case.measures += 1;
            w.close(DeadlineKind::HealthMeasure);
            state
        }
        Action::ProposeElimination { stable_months } => propose_elimination(w, *stable_months)?,
        Action::ResumeMonitoring { .. } => {
            w.case.eliminated_on = None;
            w.case.follow_on_until = None;
            S::Monitored
        }
        Action::EndFollowOn => end_follow_on(w)?,
    })
}

fn start_publicity(w: &mut Work) -> Result<CaseState, TransitionError> {
    let earliest = w.working_days(w.params.timers.publicity_working_days)?;
    w.case.publicity_earliest_end = Some(earliest);
    w.case.open_objections = 0;
    Ok(if w.case.state == CaseState::Candidate {
        CaseState::Publicity
    } else {
        CaseState::EliminationPublicity
    })
}

fn propose_elimination(w: &mut Work, stable_months: u32) -> Result<CaseState, TransitionError> {
    let required = w.params.timers.stable_months;
    if stable_months < required {
        return Err(TransitionError::IncomeNotStable {
            months: stable_months,
            required,
        });
    }
    w.procedure_deadline(DeadlineKind::Elimination)?;
    Ok(CaseState::EliminationVerifying)
}

fn green_channel(w: &mut Work) -> Result<CaseState, TransitionError> {
    if w.case.green_channel {
        return Err(TransitionError::AlreadyGreen);
    }
    w.case.green_channel = true;
    w.close(DeadlineKind::PreWarning);
    w.procedure_deadline(DeadlineKind::Procedure)?;
    // Measures first: their clock starts now, not at the county's approval.
    let due = add_days(w.today, w.params.timers.measures_days)?;
    w.open(DeadlineKind::HealthMeasure, due);
    Ok(CaseState::Candidate)
}

fn resolve_objection(w: &mut Work, upheld: bool) -> Result<CaseState, TransitionError> {
    if w.case.open_objections == 0 {
        return Err(TransitionError::NoOpenObjection);
    }
    w.case.open_objections -= 1;
    Ok(match (upheld, w.case.state) {
        (false, state) => state,
        (true, CaseState::EliminationPublicity) => back_to_monitoring(w),
        (true, _) => CaseState::Rejected,
    })
}

fn end_publicity(w: &mut Work) -> Result<CaseState, TransitionError> {
    if w.case.open_objections > 0 {
        return Err(TransitionError::ObjectionsOpen {
            count: w.case.open_objections,
        });
    }
    if let Some(earliest) = w.case.publicity_earliest_end
        && w.today < earliest
    {
        return Err(TransitionError::PublicityTooShort { earliest });
    }
    w.case.publicity_earliest_end = None;
    Ok(if w.case.state == CaseState::Publicity {
        CaseState::TownshipReview
    } else {
        CaseState::EliminationTownshipReview
    })
}

fn county_approve(w: &mut Work) -> Result<CaseState, TransitionError> {
    if w.case.state == CaseState::CountyDecision {
        w.close(DeadlineKind::Procedure);
        w.case.approved_on = Some(w.today);
        w.measure_deadlines()?;
        return Ok(CaseState::Monitored);
    }
    w.close(DeadlineKind::Elimination);
    w.case.eliminated_on = Some(w.today);
    w.case.follow_on_until = Some(add_months(w.today, w.params.timers.follow_on_months)?);
    Ok(CaseState::Eliminated)
}

fn back_to_monitoring(w: &mut Work) -> CaseState {
    w.close(DeadlineKind::Elimination);
    w.case.publicity_earliest_end = None;
    w.case.open_objections = 0;
    CaseState::Monitored
}

fn end_follow_on(w: &mut Work) -> Result<CaseState, TransitionError> {
    let until = w.case.follow_on_until.unwrap_or(w.today);
    if w.today < until {
        return Err(TransitionError::FollowOnNotOver { until });
    }
    Ok(CaseState::Closed)
}

fn entry(
    from: CaseState,
    to: CaseState,
    cmd: &Command,
    actor: &Actor,
    today: NaiveDate,
) -> TimelineEntry {
    let kind = cmd.action.kind();
    let reason = cmd.action.reason().map(|r| r.trim().to_string());
    let mut text = format!("{today} {}：{kind}", actor.role);
    if from != to {
        text.push_str(&format!("（{from} → {to}）"));
    }
    if let Action::RecordMeasure(m) = &cmd.action {
        text.push_str(&format!("，{}", m.summary()));
    }
    if let Some(r) = &reason {
        text.push_str(&format!("，理由：{r}"));
    }
    text.push_str(&format!("；{}", cmd.note.trim()));
    TimelineEntry {
        on: today,
        action: kind,
        from: Some(from),
        to,
        role: actor.role,
        note: cmd.note.trim().to_string(),
        reason,
        text,
    }
}
