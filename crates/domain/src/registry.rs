//! Records of the poverty registry (建档立卡台账) as they arrive from an
//! import row, already parsed into domain types: a household, a person in
//! it and a diagnosis of a person. Storage adds history and keys.

use chrono::NaiveDate;

use crate::{GroupSet, HouseholdType, Icd10, IdCardNo, Money, PersonStatus, RegionCode, Relation};

/// A household (户) as described by the household columns of a persons row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRecord {
    /// 户编号: the sending department's household number.
    pub household_no: String,
    /// The village the household is registered in.
    pub village: RegionCode,
    /// 户类别
    pub household_type: HouseholdType,
    /// 家庭年人均纯收入, when given.
    pub income_per_capita: Option<Money>,
}

impl HouseholdRecord {
    /// The six-digit county code the household belongs to (its partition key).
    pub fn county_code(&self) -> &str {
        self.village.county_code()
    }
}

/// A person (人) with the household the row places them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The household columns of the row.
    pub household: HouseholdRecord,
    /// 姓名. Personal data.
    pub name: String,
    /// 身份证号. Personal data.
    pub id: IdCardNo,
    /// 与户主关系
    pub relation: Relation,
    /// 人员类别 recorded for the person (the household type adds more; see
    /// [`PersonRecord::all_groups`]).
    pub groups: GroupSet,
    /// 联系电话, digits only. Personal data.
    pub phone: Option<String>,
    /// 人员状态
    pub status: PersonStatus,
}

impl PersonRecord {
    /// The person's own groups plus those implied by the household type.
    pub fn all_groups(&self) -> GroupSet {
        self.groups
            .union(self.household.household_type.implied_groups())
    }

    /// True for the head of household.
    pub fn is_head(&self) -> bool {
        self.relation == Relation::Head
    }
}

/// A diagnosis (病) of a registered person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisRecord {
    /// 身份证号 of a person in the registry.
    pub id: IdCardNo,
    /// 疾病编码
    pub icd10: Icd10,
    /// 疾病名称 as given.
    pub disease_name: Option<String>,
    /// 确诊日期
    pub diagnosed_on: NaiveDate,
    /// 确诊机构 (name or facility code).
    pub facility: Option<String>,
}
