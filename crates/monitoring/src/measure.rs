//! Assistance measures (帮扶措施) of the health side: a checked value type.
//!
//! Each measure records its type, the department carrying it, its start
//! date, an amount where money is involved and the person responsible.
//! The types that belong to one department's business are tied to it
//! (settlement and chronic-disease certification are the insurance
//! bureau's; contracts and treatment are the health commission's), so a
//! record cannot claim a measure for the wrong office.

use chrono::NaiveDate;
use jianfu_domain::Money;
use serde::Serialize;
use thiserror::Error;

/// Longest responsible-person or description text accepted, in characters.
const MAX_TEXT: usize = 100;

/// What kind of help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureType {
    /// 家庭医生签约服务.
    FamilyDoctorContract,
    /// 大病专项救治.
    MajorIllnessTreatment,
    /// 三重制度综合保障结算及倾斜救助.
    TripleSettlement,
    /// 门诊慢特病认定.
    ChronicCertification,
    /// 先诊疗后付费.
    TreatFirstPayLater,
    /// 转介临时救助.
    TemporaryAssistanceReferral,
    /// 其他健康帮扶措施 (with a description).
    Other,
}

impl MeasureType {
    /// Every type, in display order.
    pub const ALL: [MeasureType; 7] = [
        MeasureType::FamilyDoctorContract,
        MeasureType::MajorIllnessTreatment,
        MeasureType::TripleSettlement,
        MeasureType::ChronicCertification,
        MeasureType::TreatFirstPayLater,
        MeasureType::TemporaryAssistanceReferral,
        MeasureType::Other,
    ];

    /// Stable English code.
    pub const fn code(self) -> &'static str {
        match self {
            MeasureType::FamilyDoctorContract => "family_doctor_contract",
            MeasureType::MajorIllnessTreatment => "major_illness_treatment",
            MeasureType::TripleSettlement => "triple_settlement",
            MeasureType::ChronicCertification => "chronic_certification",
            MeasureType::TreatFirstPayLater => "treat_first_pay_later",
            MeasureType::TemporaryAssistanceReferral => "temporary_assistance_referral",
            MeasureType::Other => "other",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            MeasureType::FamilyDoctorContract => "家庭医生签约服务",
            MeasureType::MajorIllnessTreatment => "大病专项救治",
            MeasureType::TripleSettlement => "三重制度保障及倾斜救助",
            MeasureType::ChronicCertification => "门诊慢特病认定",
            MeasureType::TreatFirstPayLater => "先诊疗后付费",
            MeasureType::TemporaryAssistanceReferral => "转介临时救助",
            MeasureType::Other => "其他健康帮扶",
        }
    }

    /// From the stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The department a type is bound to, if any.
    pub const fn bound_department(self) -> Option<Department> {
        match self {
            MeasureType::FamilyDoctorContract | MeasureType::MajorIllnessTreatment => {
                Some(Department::Health)
            }
            MeasureType::TripleSettlement | MeasureType::ChronicCertification => {
                Some(Department::MedicalInsurance)
            }
            _ => None,
        }
    }
}

/// The department carrying a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// 卫生健康部门.
    Health,
    /// 医疗保障部门.
    MedicalInsurance,
    /// 民政部门.
    CivilAffairs,
    /// 其他部门.
    Other,
}

impl Department {
    /// Stable English code.
    pub const fn code(self) -> &'static str {
        match self {
            Department::Health => "health",
            Department::MedicalInsurance => "medical_insurance",
            Department::CivilAffairs => "civil_affairs",
            Department::Other => "other",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Department::Health => "卫生健康部门",
            Department::MedicalInsurance => "医疗保障部门",
            Department::CivilAffairs => "民政部门",
            Department::Other => "其他部门",
        }
    }
}

/// Why a measure record was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeasureError {
    /// No responsible person.
    #[error("帮扶措施须填写责任人")]
    NoResponsible,
    /// A text longer than allowed.
    #[error("{field}不能超过{max}个字")]
    TooLong {
        /// Which field (Chinese).
        field: &'static str,
        /// Characters allowed.
        max: usize,
    },
    /// A negative amount.
    #[error("帮扶金额不能为负数")]
    NegativeAmount,
    /// A start date in the future.
    #[error("开始日期 {start} 晚于今天 {today}")]
    StartsInFuture {
        /// The start date given.
        start: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// A type recorded under the wrong department.
    #[error("“{}”应由{}实施，不能记为{}", measure.label(), expected.label(), given.label())]
    WrongDepartment {
        /// The type.
        measure: MeasureType,
        /// The department it belongs to.
        expected: Department,
        /// The department given.
        given: Department,
    },
    /// `Other` without saying what it is.
    #[error("“其他健康帮扶”须说明措施内容")]
    NoDescription,
}

fn check_texts(responsible: &str, description: &str) -> Result<(), MeasureError> {
    if responsible.is_empty() {
        return Err(MeasureError::NoResponsible);
    }
    for (field, text) in [("责任人", responsible), ("措施说明", description)] {
        if text.chars().count() > MAX_TEXT {
            return Err(MeasureError::TooLong {
                field,
                max: MAX_TEXT,
            });
        }
    }
    Ok(())
}

fn check_department(measure: MeasureType, given: Department) -> Result<(), MeasureError> {
    match measure.bound_department() {
        Some(expected) if expected != given => Err(MeasureError::WrongDepartment {
            measure,
            expected,
            given,
        }),
        _ => Ok(()),
    }
}

/// A checked measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    measure_type: MeasureType,
    department: Department,
    start_on: NaiveDate,
    amount: Option<Money>,
    responsible: String,
    description: String,
}

impl Measure {
    /// Checks and builds a measure; `today` bounds the start date.
    pub fn new(
        measure_type: MeasureType,
        department: Department,
        start_on: NaiveDate,
        amount: Option<Money>,
        responsible: &str,
        description: &str,
        today: NaiveDate,
    ) -> Result<Measure, MeasureError> {
        let (responsible, description) = (responsible.trim(), description.trim());
        check_texts(responsible, description)?;
        if amount.is_some_and(|a| a < Money::ZERO) {
            return Err(MeasureError::NegativeAmount);
        }
        if start_on > today {
            return Err(MeasureError::StartsInFuture {
                start: start_on,
                today,
            });
        }
        check_department(measure_type, department)?;
        if measure_type == MeasureType::Other && description.is_empty() {
            return Err(MeasureError::NoDescription);
        }
        Ok(Measure {
            measure_type,
            department,
            start_on,
            amount,
            responsible: responsible.to_string(),
            description: description.to_string(),
        })
    }

    /// The type.
    pub fn measure_type(&self) -> MeasureType {
        self.measure_type
    }

    /// The department.
    pub fn department(&self) -> Department {
        self.department
    }

    /// The start date.
    pub fn start_on(&self) -> NaiveDate {
        self.start_on
    }

    /// The amount, where money is involved.
    pub fn amount(&self) -> Option<Money> {
        self.amount
    }

    /// The person responsible.
    pub fn responsible(&self) -> &str {
        &self.responsible
    }

    /// What was done (required for `Other`).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// One line of Chinese for the case timeline.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}（{}，{} 起，责任人 {}",
            self.measure_type.label(),
            self.department.label(),
            self.start_on,
            self.responsible
        );
        if let Some(a) = self.amount {
            s.push_str(&format!("，金额 {a} 元"));
        }
        if !self.description.is_empty() {
            s.push_str(&format!("，{}", self.description));
        }
        s.push('）');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, d).unwrap()
    }

    fn m(
        t: MeasureType,
        dep: Department,
        start: NaiveDate,
        who: &str,
        what: &str,
    ) -> Result<Measure, MeasureError> {
        Measure::new(
            t,
            dep,
            start,
            Some(Money::from_yuan(300)),
            who,
            what,
            day(10),
        )
    }

    #[test]
    fn checks() {
        use Department as D;
        use MeasureType as T;
        let ok = m(
            T::TripleSettlement,
            D::MedicalInsurance,
            day(9),
            " 张医保 ",
            "",
        )
        .unwrap();
        assert_eq!(ok.responsible(), "张医保");
        assert!(ok.summary().contains("三重制度") && ok.summary().contains("300.00"));
        assert_eq!(
            m(T::FamilyDoctorContract, D::Health, day(9), "", ""),
            Err(MeasureError::NoResponsible)
        );
        assert!(matches!(
            m(T::TripleSettlement, D::Health, day(9), "李", ""),
            Err(MeasureError::WrongDepartment { .. })
        ));
        assert!(matches!(
            m(T::TreatFirstPayLater, D::Health, day(11), "李", ""),
            Err(MeasureError::StartsInFuture { .. })
        ));
        assert_eq!(
            m(T::Other, D::Other, day(9), "李", " "),
            Err(MeasureError::NoDescription)
        );
        assert!(
            m(
                T::TemporaryAssistanceReferral,
                D::CivilAffairs,
                day(9),
                "李",
                ""
            )
            .is_ok()
        );
        assert_eq!(
            Measure::new(
                T::Other,
                D::Other,
                day(9),
                Some(Money::from_fen(-1)),
                "李",
                "x",
                day(10)
            ),
            Err(MeasureError::NegativeAmount)
        );
        assert!(matches!(
            m(T::Other, D::Other, day(9), &"长".repeat(101), "x"),
            Err(MeasureError::TooLong { .. })
        ));
        for t in MeasureType::ALL {
            assert_eq!(MeasureType::from_code(t.code()), Some(t));
        }
        assert!(
            MeasureError::WrongDepartment {
                measure: T::TripleSettlement,
                expected: D::MedicalInsurance,
                given: D::Health
            }
            .to_string()
            .contains("医疗保障部门")
        );
    }
}
