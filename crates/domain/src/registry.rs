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

/// The Chinese label of a field name of the change history (`*` is the
/// creation of the record).
pub fn change_field_label(field: &str) -> &str {
    match field {
        "*" => "新建",
        "village_code" => "行政区划代码",
        "household_type" => "户类别",
        "income_per_capita" => "家庭年人均纯收入",
        "name" => "姓名",
        "relation" => "与户主关系",
        "groups" => "人员类别",
        "phone" => "联系电话",
        "status" => "人员状态",
        "disease_name" => "疾病名称",
        "facility" => "确诊机构",
        other => other,
    }
}

/// A stored value of the change history as a user reads it: Chinese
/// labels for codes, phone numbers masked.
pub fn change_value_display(field: &str, value: Option<&str>) -> String {
    let Some(v) = value else {
        return String::new();
    };
    let label = |l: Option<&'static str>| l.map_or_else(|| v.to_string(), str::to_string);
    match field {
        "household_type" => label(HouseholdType::from_code(v).map(HouseholdType::label)),
        "relation" => label(Relation::from_code(v).map(Relation::label)),
        "status" => label(PersonStatus::from_code(v).map(PersonStatus::label)),
        "groups" => v
            .split('|')
            .filter_map(crate::Group::from_code)
            .map(crate::Group::label)
            .collect::<Vec<_>>()
            .join("、"),
        "phone" => crate::mask_phone(v),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_values_read_in_chinese() {
        assert_eq!(change_field_label("status"), "人员状态");
        assert_eq!(change_value_display("status", Some("deceased")), "死亡");
        assert_eq!(
            change_value_display("groups", Some("subsistence|illness_poor")),
            "低保、因病致贫重病患者"
        );
        assert_eq!(
            change_value_display("phone", Some("13912345678")),
            "139****5678"
        );
        assert_eq!(
            change_value_display("income_per_capita", Some("9000.00")),
            "9000.00"
        );
        assert_eq!(change_value_display("name", None), "");
    }
}
