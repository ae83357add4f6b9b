//! Follow-up visits (随访记录) and their classification: danger (危急),
//! uncontrolled (控制不满意) or controlled (控制满意).
//!
//! A [`Visit`] is only made by [`VisitDraft::validate`], which checks the
//! plausible ranges and which values each disease needs: hypertension
//! needs both pressures, diabetes a fasting glucose, a severe mental
//! disorder a stability grade (and no other disease may carry one, since a
//! grade on a hypertension row means the columns slipped). A phone visit
//! carries the values the patient reports from home measuring.

use chrono::NaiveDate;
use thiserror::Error;

use crate::calendar::age_on;
use crate::codes::care_code_enum;
use crate::explain::Explain;
use crate::managed::CareDisease;
use crate::measure::{BP_HIGH, BP_HIGH_65, Bp, ELDERLY_AGE, Glucose, MeasureError};

/// Longest note kept, in characters.
pub const NOTE_MAX_CHARS: usize = 500;
/// Highest risk grade of the mental-disorder risk assessment (0–5).
pub const RISK_GRADE_MAX: u8 = 5;

care_code_enum! {
    /// 随访方式.
    Way, "随访方式" {
        /// 门诊或家庭随访 (counts for the four visits a year).
        FaceToFace => "face_to_face", "面对面", ["门诊", "家庭", "门诊随访", "家庭随访"];
        /// 电话随访 (counts for the schedule only).
        Phone => "phone", "电话", ["电话随访"];
    }
}

care_code_enum! {
    /// 服药依从性.
    Adherence, "服药依从性" {
        /// 规律.
        Regular => "regular", "规律";
        /// 间断.
        Intermittent => "intermittent", "间断";
        /// 不服药.
        None => "none", "不服药";
    }
}

care_code_enum! {
    /// 病情稳定性 of a severe mental disorder at a visit.
    Stability, "病情稳定性" {
        /// 稳定.
        Stable => "stable", "稳定";
        /// 基本稳定.
        BasicallyStable => "basically_stable", "基本稳定";
        /// 不稳定.
        Unstable => "unstable", "不稳定";
    }
}

impl Stability {
    /// The grade a risk assessment alone implies: 0 stable, 1–2 basically
    /// stable, 3–5 unstable.
    pub fn implied_by_risk(risk: u8) -> Stability {
        match risk {
            0 => Stability::Stable,
            1 | 2 => Stability::BasicallyStable,
            _ => Stability::Unstable,
        }
    }
}

/// The grade a mental-disorder visit carries: the doctor's stability
/// judgement and the risk assessment (危险性评估, 0–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MentalGrade {
    /// Stability as recorded.
    pub stability: Stability,
    /// Risk grade 0–5.
    pub risk: u8,
}

impl MentalGrade {
    /// The grade the schedule uses: the worse of the recorded stability
    /// and the one the risk grade implies, so risk ≥ 3 is always unstable.
    pub fn effective(self) -> Stability {
        self.stability.max(Stability::implied_by_risk(self.risk))
    }
}

care_code_enum! {
    /// A field of a visit, for error messages and import columns.
    VisitField, "随访字段" {
        /// 病种.
        Disease => "disease", "病种";
        /// 随访日期.
        Date => "date", "随访日期";
        /// 随访方式.
        Way => "way", "随访方式";
        /// 收缩压.
        Systolic => "systolic", "收缩压";
        /// 舒张压.
        Diastolic => "diastolic", "舒张压";
        /// 空腹血糖.
        Glucose => "glucose", "空腹血糖";
        /// 服药依从性.
        Adherence => "adherence", "服药依从性";
        /// 随访医生.
        Doctor => "doctor", "随访医生";
        /// 备注.
        Note => "note", "备注";
        /// 病情稳定性.
        Stability => "stability", "病情稳定性";
        /// 危险性评估.
        RiskGrade => "risk_grade", "危险性评估";
    }
}

/// Why a visit is refused. Every variant names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VisitError {
    /// A measured value outside its plausible range or unreadable.
    #[error(transparent)]
    Measure(#[from] MeasureError),
    /// A value the disease's classification needs is missing.
    #[error("{disease}随访缺少{}", field.label())]
    Missing {
        /// The missing field.
        field: VisitField,
        /// The visit's disease.
        disease: CareDisease,
    },
    /// A value that does not belong to this disease's visits.
    #[error("{disease}随访不应填写{}", field.label())]
    NotForDisease {
        /// The field given.
        field: VisitField,
        /// The visit's disease.
        disease: CareDisease,
    },
    /// A risk grade above 5.
    #[error("危险性评估应为 0–{RISK_GRADE_MAX} 级，实际为 {value}")]
    RiskGrade {
        /// The grade given.
        value: u8,
    },
    /// A text longer than allowed.
    #[error("{}过长：{len} 字，最多 {max} 字", field.label())]
    TooLong {
        /// The field.
        field: VisitField,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl VisitError {
    /// The field at fault.
    pub fn field(&self) -> VisitField {
        match self {
            VisitError::Measure(e) => match e.field() {
                "systolic" => VisitField::Systolic,
                "diastolic" => VisitField::Diastolic,
                _ => VisitField::Glucose,
            },
            VisitError::Missing { field, .. }
            | VisitError::NotForDisease { field, .. }
            | VisitError::TooLong { field, .. } => *field,
            VisitError::RiskGrade { .. } => VisitField::RiskGrade,
        }
    }

    /// Stable English code for error reports.
    pub fn code(&self) -> &'static str {
        match self {
            VisitError::Measure(_) | VisitError::RiskGrade { .. } => "visit_out_of_range",
            VisitError::Missing { .. } => "visit_missing_value",
            VisitError::NotForDisease { .. } => "visit_wrong_disease",
            VisitError::TooLong { .. } => "visit_too_long",
        }
    }
}

/// A visit as it arrives (an import row already split into typed cells,
/// an API body): nothing checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitDraft {
    /// 病种.
    pub disease: CareDisease,
    /// 随访日期.
    pub date: NaiveDate,
    /// 随访方式.
    pub way: Way,
    /// 收缩压, mmHg.
    pub systolic: Option<u32>,
    /// 舒张压, mmHg.
    pub diastolic: Option<u32>,
    /// 空腹血糖 in tenths of mmol/L (see [`Glucose::parse`] for text).
    pub glucose_tenths: Option<u32>,
    /// 药物不良反应.
    pub adverse_effect: bool,
    /// 新发或加重的并发症.
    pub complication: bool,
    /// 危急症状 (the non-numeric danger signs).
    pub danger_signs: bool,
    /// 服药依从性.
    pub adherence: Adherence,
    /// 转诊.
    pub referral: bool,
    /// 随访医生.
    pub doctor: String,
    /// 备注.
    pub note: String,
    /// Stability and risk grade; mental-disorder visits only.
    pub mental: Option<MentalGrade>,
}

impl VisitDraft {
    /// A draft with no values, no flags, regular adherence and no note.
    pub fn new(disease: CareDisease, date: NaiveDate, way: Way, doctor: &str) -> Self {
        VisitDraft {
            disease,
            date,
            way,
            systolic: None,
            diastolic: None,
            glucose_tenths: None,
            adverse_effect: false,
            complication: false,
            danger_signs: false,
            adherence: Adherence::Regular,
            referral: false,
            doctor: doctor.to_string(),
            note: String::new(),
            mental: None,
        }
    }

    /// Checks the draft; the first problem found is returned.
    pub fn validate(self) -> Result<Visit, VisitError> {
        let disease = self.disease;
        let (bp, glucose) = self.measured()?;
        check_grade(disease, self.mental)?;
        let doctor = self.doctor.trim().to_string();
        if doctor.is_empty() {
            return Err(missing(VisitField::Doctor, disease));
        }
        let len = self.note.chars().count();
        if len > NOTE_MAX_CHARS {
            return Err(VisitError::TooLong {
                field: VisitField::Note,
                len,
                max: NOTE_MAX_CHARS,
            });
        }
        Ok(Visit {
            disease,
            date: self.date,
            way: self.way,
            bp,
            glucose,
            adverse_effect: self.adverse_effect,
            complication: self.complication,
            danger_signs: self.danger_signs,
            adherence: self.adherence,
            referral: self.referral,
            doctor,
            note: self.note,
            mental: self.mental,
        })
    }
}

impl VisitDraft {
    /// The checked pressure and glucose, and those the disease needs.
    fn measured(&self) -> Result<(Option<Bp>, Option<Glucose>), VisitError> {
        let disease = self.disease;
        let bp = match (self.systolic, self.diastolic) {
            (Some(s), Some(d)) => Some(Bp::new(s, d)?),
            (None, None) => None,
            (None, Some(_)) => return Err(missing(VisitField::Systolic, disease)),
            (Some(_), None) => return Err(missing(VisitField::Diastolic, disease)),
        };
        let glucose = self.glucose_tenths.map(Glucose::from_tenths).transpose()?;
        match disease {
            CareDisease::Hypertension if bp.is_none() => {
                Err(missing(VisitField::Systolic, disease))
            }
            CareDisease::Diabetes if glucose.is_none() => {
                Err(missing(VisitField::Glucose, disease))
            }
            _ => Ok((bp, glucose)),
        }
    }
}

fn missing(field: VisitField, disease: CareDisease) -> VisitError {
    VisitError::Missing { field, disease }
}

fn check_grade(disease: CareDisease, grade: Option<MentalGrade>) -> Result<(), VisitError> {
    match (disease, grade) {
        (CareDisease::Mental, None) => Err(missing(VisitField::Stability, disease)),
        (CareDisease::Mental, Some(g)) if g.risk > RISK_GRADE_MAX => {
            Err(VisitError::RiskGrade { value: g.risk })
        }
        (CareDisease::Mental, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(VisitError::NotForDisease {
            field: VisitField::Stability,
            disease,
        }),
    }
}

/// A checked follow-up visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    disease: CareDisease,
    date: NaiveDate,
    way: Way,
    bp: Option<Bp>,
    glucose: Option<Glucose>,
    adverse_effect: bool,
    complication: bool,
    danger_signs: bool,
    adherence: Adherence,
    referral: bool,
    doctor: String,
    note: String,
    mental: Option<MentalGrade>,
}

impl Visit {
    /// 病种.
    pub fn disease(&self) -> CareDisease {
        self.disease
    }
    /// 随访日期.
    pub fn date(&self) -> NaiveDate {
        self.date
    }
    /// 随访方式.
    pub fn way(&self) -> Way {
        self.way
    }
    /// True for a face-to-face visit (门诊/家庭).
    pub fn is_face_to_face(&self) -> bool {
        self.way == Way::FaceToFace
    }
    /// Blood pressure, when measured.
    pub fn bp(&self) -> Option<Bp> {
        self.bp
    }
    /// Fasting glucose, when measured.
    pub fn glucose(&self) -> Option<Glucose> {
        self.glucose
    }
    /// 药物不良反应.
    pub fn adverse_effect(&self) -> bool {
        self.adverse_effect
    }
    /// 新发或加重的并发症.
    pub fn complication(&self) -> bool {
        self.complication
    }
    /// 危急症状.
    pub fn danger_signs(&self) -> bool {
        self.danger_signs
    }
    /// 服药依从性.
    pub fn adherence(&self) -> Adherence {
        self.adherence
    }
    /// 转诊.
    pub fn referral(&self) -> bool {
        self.referral
    }
    /// 随访医生.
    pub fn doctor(&self) -> &str {
        &self.doctor
    }
    /// 备注.
    pub fn note(&self) -> &str {
        &self.note
    }
    /// Stability and risk grade of a mental-disorder visit.
    pub fn mental(&self) -> Option<MentalGrade> {
        self.mental
    }

    /// True when the visit's values meet the control target (the KPI's
    /// "at target"): hypertension below 140/90 (65 and over: below
    /// 150/90), diabetes fasting glucose below 7.0. `None` for TB and
    /// mental visits, which have no numeric target.
    pub fn at_target(&self, birth: NaiveDate) -> Option<bool> {
        match self.disease {
            CareDisease::Hypertension => {
                let limit = pressure_limit(age_on(birth, self.date));
                self.bp.map(|bp| !bp.reaches(limit))
            }
            CareDisease::Diabetes => self.glucose.map(|g| !g.is_high()),
            CareDisease::Tb | CareDisease::Mental => None,
        }
    }
}

/// The raised-pressure limit for a person of `age`.
fn pressure_limit(age: u32) -> (u16, u16) {
    if age >= ELDERLY_AGE {
        BP_HIGH_65
    } else {
        BP_HIGH
    }
}

care_code_enum! {
    /// The class of a visit.
    VisitClass, "随访分类" {
        /// 控制满意.
        Controlled => "controlled", "控制满意";
        /// 控制不满意.
        Uncontrolled => "uncontrolled", "控制不满意";
        /// 危急.
        Danger => "danger", "危急";
    }
}

/// The rule that decided a visit's class (the first that applied, in the
/// order danger, uncontrolled, controlled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassReason {
    /// SBP ≥ 180 or DBP ≥ 110.
    DangerPressure(Bp),
    /// FPG ≥ 16.7 or ≤ 3.9.
    DangerGlucose(Glucose),
    /// Danger signs were recorded.
    DangerSigns,
    /// Pressure at or above the limit for the age on the visit date.
    HighPressure {
        /// The pressure.
        bp: Bp,
        /// The limit applied (SBP, DBP).
        limit: (u16, u16),
        /// Age on the visit date.
        age: u32,
    },
    /// FPG ≥ 7.0.
    HighGlucose(Glucose),
    /// An adverse drug effect was recorded.
    AdverseEffect,
    /// The values meet the target and nothing was flagged.
    AtTarget,
    /// A mental-disorder visit, classed by its effective grade.
    Grade(MentalGrade),
}

/// A visit's class with the rule behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    /// The class.
    pub class: VisitClass,
    /// Why.
    pub reason: ClassReason,
}

/// Classifies a visit of a person born on `birth`.
///
/// TB visits have no numbers: danger signs make them danger, an adverse
/// effect uncontrolled. Mental visits map their effective grade: unstable
/// is danger, basically stable uncontrolled, stable controlled (danger
/// signs still make any visit danger).
pub fn classify(visit: &Visit, birth: NaiveDate) -> Classification {
    let (class, reason) = danger_rule(visit)
        .or_else(|| grade_rule(visit))
        .or_else(|| uncontrolled_rule(visit, birth))
        .unwrap_or((VisitClass::Controlled, ClassReason::AtTarget));
    Classification { class, reason }
}

/// Danger values of the visit's disease, then danger signs.
fn danger_rule(visit: &Visit) -> Option<(VisitClass, ClassReason)> {
    let bp = visit
        .bp
        .filter(|b| b.is_danger() && has_pressure_rule(visit.disease));
    let glucose = visit
        .glucose
        .filter(|g| g.is_danger() && visit.disease == CareDisease::Diabetes);
    let reason = bp
        .map(ClassReason::DangerPressure)
        .or(glucose.map(ClassReason::DangerGlucose))
        .or(visit.danger_signs.then_some(ClassReason::DangerSigns))?;
    Some((VisitClass::Danger, reason))
}

/// A mental-disorder visit's class is its effective grade.
fn grade_rule(visit: &Visit) -> Option<(VisitClass, ClassReason)> {
    let grade = visit
        .mental
        .filter(|_| visit.disease == CareDisease::Mental)?;
    let class = match grade.effective() {
        Stability::Unstable => VisitClass::Danger,
        Stability::BasicallyStable => VisitClass::Uncontrolled,
        Stability::Stable => VisitClass::Controlled,
    };
    Some((class, ClassReason::Grade(grade)))
}

/// Raised values of the visit's disease (the pressure limit by age on the
/// visit date), then an adverse effect.
fn uncontrolled_rule(visit: &Visit, birth: NaiveDate) -> Option<(VisitClass, ClassReason)> {
    let pressure = visit
        .bp
        .filter(|_| visit.disease == CareDisease::Hypertension)
        .and_then(|bp| {
            let age = age_on(birth, visit.date);
            let limit = pressure_limit(age);
            bp.reaches(limit)
                .then_some(ClassReason::HighPressure { bp, limit, age })
        });
    let glucose = visit
        .glucose
        .filter(|g| g.is_high() && visit.disease == CareDisease::Diabetes);
    let reason = pressure
        .or(glucose.map(ClassReason::HighGlucose))
        .or(visit.adverse_effect.then_some(ClassReason::AdverseEffect))?;
    Some((VisitClass::Uncontrolled, reason))
}

/// Pressure decides danger at hypertension and diabetes visits.
fn has_pressure_rule(d: CareDisease) -> bool {
    matches!(d, CareDisease::Hypertension | CareDisease::Diabetes)
}

impl Explain for Classification {
    fn zh(&self) -> String {
        let class = self.class.label();
        match self.reason {
            ClassReason::DangerPressure(bp) => {
                format!("血压 {bp} 达到危急值（收缩压≥180或舒张压≥110）：{class}")
            }
            ClassReason::DangerGlucose(g) => {
                format!("空腹血糖 {g} 达到危急值（≥16.7或≤3.9）：{class}")
            }
            ClassReason::DangerSigns => format!("有危急症状：{class}"),
            ClassReason::HighPressure { bp, limit, age } => format!(
                "血压 {bp}，{age}岁，未低于 {}/{}：{class}",
                limit.0, limit.1
            ),
            ClassReason::HighGlucose(g) => format!("空腹血糖 {g} ≥7.0：{class}"),
            ClassReason::AdverseEffect => format!("有药物不良反应：{class}"),
            ClassReason::AtTarget => format!("指标达标，无危急症状、无不良反应：{class}"),
            ClassReason::Grade(g) => format!(
                "病情{}，危险性评估{}级，按{}处理：{class}",
                g.stability.label(),
                g.risk,
                g.effective().label()
            ),
        }
    }

    fn en(&self) -> String {
        let class = self.class.code();
        match self.reason {
            ClassReason::DangerPressure(bp) => {
                format!("BP {bp} at danger level (SBP ≥ 180 or DBP ≥ 110): {class}")
            }
            ClassReason::DangerGlucose(g) => {
                format!("fasting glucose {g} at danger level (≥ 16.7 or ≤ 3.9): {class}")
            }
            ClassReason::DangerSigns => format!("danger signs recorded: {class}"),
            ClassReason::HighPressure { bp, limit, age } => format!(
                "BP {bp} at age {age} not below {}/{}: {class}",
                limit.0, limit.1
            ),
            ClassReason::HighGlucose(g) => format!("fasting glucose {g} ≥ 7.0: {class}"),
            ClassReason::AdverseEffect => format!("adverse drug effect recorded: {class}"),
            ClassReason::AtTarget => {
                format!("values at target, no danger signs, no adverse effect: {class}")
            }
            ClassReason::Grade(g) => format!(
                "{} with risk grade {}, handled as {}: {class}",
                g.stability.code(),
                g.risk,
                g.effective().code()
            ),
        }
    }
}
