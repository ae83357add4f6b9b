//! Code lists of the registry: household type (户类别), person groups
//! (人员类别), relation to the head (与户主关系) and person status (人员状态).
//!
//! Each value has a stable English code (stored in the database and used
//! in the API) and a Chinese label (shown to users and written in
//! templates); input may use either, and a few official long forms are
//! accepted as aliases.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An input value that is not in a code list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("“{value}”不是有效的{list}，可用值：{allowed}")]
pub struct CodeError {
    /// The code list's Chinese name.
    pub list: &'static str,
    /// The value given.
    pub value: String,
    /// The accepted Chinese labels, joined for display.
    pub allowed: String,
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $list:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal $(, [$($alias:literal),*])? ;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The code list's Chinese name.
            pub const LIST: &'static str = $list;

            /// Stable English code.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// Chinese label.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Parses the English code, the Chinese label or an accepted alias.
            pub fn parse(input: &str) -> Result<Self, CodeError> {
                let s = input.trim();
                $(
                    if s.eq_ignore_ascii_case($code) || s == $label $($(|| s == $alias)*)? {
                        return Ok($name::$variant);
                    }
                )+
                Err(CodeError {
                    list: $list,
                    value: s.to_string(),
                    allowed: Self::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join("、"),
                })
            }

            /// Parses a code stored by this program (English code only).
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

code_enum! {
    /// 户类别: the household's standing in the poverty registry.
    HouseholdType, "户类别" {
        /// 脱贫户
        FormerlyPoor => "formerly_poor", "脱贫户";
        /// 脱贫不稳定户 (a monitored category)
        Unstable => "unstable", "脱贫不稳定户";
        /// 边缘易致贫户 (a monitored category)
        Edge => "edge", "边缘易致贫户";
        /// 突发严重困难户 (a monitored category)
        Sudden => "sudden", "突发严重困难户";
        /// 一般农户
        Ordinary => "ordinary", "一般农户";
    }
}

impl HouseholdType {
    /// Groups every member holds because of the household's type:
    /// 脱贫人口 for former poor households (including unstable ones) and
    /// 监测对象 for the three monitored categories.
    pub fn implied_groups(self) -> GroupSet {
        match self {
            HouseholdType::FormerlyPoor => GroupSet::of(&[Group::FormerlyPoor]),
            HouseholdType::Unstable => GroupSet::of(&[Group::FormerlyPoor, Group::Monitored]),
            HouseholdType::Edge | HouseholdType::Sudden => GroupSet::of(&[Group::Monitored]),
            HouseholdType::Ordinary => GroupSet::EMPTY,
        }
    }

    /// True for the three monitored categories (三类户).
    pub fn is_monitored(self) -> bool {
        matches!(
            self,
            HouseholdType::Unstable | HouseholdType::Edge | HouseholdType::Sudden
        )
    }
}

code_enum! {
    /// 人员类别: groups a person may hold, several at once. The first two
    /// follow from the household type; the others are recorded per person.
    Group, "人员类别" {
        /// 脱贫人口
        FormerlyPoor => "formerly_poor", "脱贫人口";
        /// 监测对象
        Monitored => "monitored", "监测对象";
        /// 特困人员
        ExtremePoor => "extreme_poor", "特困", ["特困人员", "特困供养人员"];
        /// 低保对象
        Subsistence => "subsistence", "低保", ["低保对象"];
        /// 返贫致贫人口
        ReturnedPoor => "returned_poor", "返贫致贫", ["返贫致贫人口"];
        /// 低保边缘家庭成员
        SubsistenceEdge => "subsistence_edge", "低保边缘", ["低保边缘家庭成员"];
        /// 因病致贫重病患者
        IllnessPoor => "illness_poor", "因病致贫重病患者";
    }
}

impl Group {
    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Group`]s, as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GroupSet(u8);

impl GroupSet {
    /// No group: an ordinary resident.
    pub const EMPTY: GroupSet = GroupSet(0);

    /// The set of the given groups.
    pub fn of(groups: &[Group]) -> Self {
        GroupSet(groups.iter().fold(0, |acc, g| acc | g.bit()))
    }

    /// Adds a group.
    pub fn insert(&mut self, g: Group) {
        self.0 |= g.bit();
    }

    /// True when `g` is in the set.
    pub fn contains(self, g: Group) -> bool {
        self.0 & g.bit() != 0
    }

    /// True when any of `groups` is in the set.
    pub fn contains_any(self, groups: GroupSet) -> bool {
        self.0 & groups.0 != 0
    }

    /// Both sets together.
    pub fn union(self, other: GroupSet) -> GroupSet {
        GroupSet(self.0 | other.0)
    }

    /// True for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw bits (stable: the declaration order of [`Group`]).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// From raw bits; unknown bits are dropped.
    pub fn from_bits(bits: u8) -> Self {
        GroupSet(bits & ((1 << Group::ALL.len()) - 1))
    }

    /// The groups in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Group> {
        Group::ALL
            .iter()
            .copied()
            .filter(move |g| self.contains(*g))
    }

    /// Parses a list separated by `、` `,` `，` `|` `;` or spaces; an empty
    /// string is the empty set. Fails on the first unknown value.
    pub fn parse_list(input: &str) -> Result<Self, CodeError> {
        let mut set = GroupSet::EMPTY;
        for part in input
            .split(['、', ',', '，', '|', ';', '；', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            set.insert(Group::parse(part)?);
        }
        Ok(set)
    }

    /// English codes joined by `|` (the storage and settlement-CSV form).
    pub fn codes(self) -> String {
        self.iter().map(Group::code).collect::<Vec<_>>().join("|")
    }

    /// Chinese labels joined by `、` (the display form).
    pub fn labels(self) -> String {
        self.iter().map(Group::label).collect::<Vec<_>>().join("、")
    }
}

impl fmt::Debug for GroupSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Group::code)).finish()
    }
}

code_enum! {
    /// 与户主关系
    Relation, "与户主关系" {
        /// 户主
        Head => "head", "户主", ["本人"];
        /// 配偶
        Spouse => "spouse", "配偶";
        /// 子女
        Child => "child", "子女", ["儿子", "女儿", "之子", "之女"];
        /// 父母
        Parent => "parent", "父母", ["父亲", "母亲"];
        /// 孙子女
        Grandchild => "grandchild", "孙子女", ["孙子", "孙女"];
        /// 兄弟姐妹
        Sibling => "sibling", "兄弟姐妹";
        /// 其他
        Other => "other", "其他";
    }
}

code_enum! {
    /// 人员状态
    PersonStatus, "人员状态" {
        /// 正常
        Active => "active", "正常";
        /// 死亡
        Deceased => "deceased", "死亡";
        /// 迁出
        MovedOut => "moved_out", "迁出";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_chinese_english_and_aliases() {
        assert_eq!(
            HouseholdType::parse("脱贫不稳定户").unwrap(),
            HouseholdType::Unstable
        );
        assert_eq!(HouseholdType::parse("edge").unwrap(), HouseholdType::Edge);
        assert_eq!(HouseholdType::parse(" EDGE ").unwrap(), HouseholdType::Edge);
        let e = HouseholdType::parse("贫困户").unwrap_err();
        assert!(e.to_string().contains("脱贫户、脱贫不稳定户"));
        assert_eq!(Group::parse("特困人员").unwrap(), Group::ExtremePoor);
        assert_eq!(Relation::parse("户主").unwrap(), Relation::Head);
        assert_eq!(
            PersonStatus::parse("moved_out").unwrap(),
            PersonStatus::MovedOut
        );
    }

    #[test]
    fn group_lists() {
        let s = GroupSet::parse_list("低保|因病致贫重病患者").unwrap();
        assert!(s.contains(Group::Subsistence) && s.contains(Group::IllnessPoor));
        assert_eq!(s.codes(), "subsistence|illness_poor");
        assert_eq!(
            GroupSet::parse_list("特困、低保，返贫致贫")
                .unwrap()
                .iter()
                .count(),
            3
        );
        assert!(GroupSet::parse_list("").unwrap().is_empty());
        assert_eq!(
            GroupSet::parse_list("低保户|五保").unwrap_err().value,
            "低保户"
        );
        assert_eq!(GroupSet::from_bits(s.bits()), s);
    }

    #[test]
    fn household_type_implies_groups() {
        let g = HouseholdType::Unstable.implied_groups();
        assert!(g.contains(Group::FormerlyPoor) && g.contains(Group::Monitored));
        assert!(HouseholdType::Ordinary.implied_groups().is_empty());
        assert!(HouseholdType::Sudden.is_monitored());
        assert!(!HouseholdType::FormerlyPoor.is_monitored());
    }
}

code_enum! {
    /// 就诊类型: the kind of a medical claim, which decides the Tier-1 rule.
    ClaimKind, "就诊类型" {
        /// 住院: an admission, with a deductible per admission.
        Inpatient => "inpatient", "住院";
        /// 门诊慢特病: chronic or special-disease outpatient care.
        OutpatientChronic => "outpatient_chronic", "门诊慢特病", ["门诊慢性病", "门诊特殊病"];
        /// 普通门诊: ordinary outpatient care (Tier 1 only).
        Outpatient => "outpatient", "普通门诊";
    }
}

code_enum! {
    /// 医疗机构级别: the level of the facility, which decides the inpatient
    /// deductible and ratio.
    FacilityLevel, "医疗机构级别" {
        /// 乡镇卫生院 (level 1, grassroots).
        Township => "township", "乡镇", ["乡镇卫生院", "乡级"];
        /// 县级医院 (level 2).
        County => "county", "县级", ["县级医院"];
        /// 市级医院 (level 3).
        City => "city", "市级", ["市级医院"];
        /// 省级医院 (level 3).
        Province => "province", "省级", ["省级医院"];
    }
}

impl ClaimKind {
    /// Position in [`ClaimKind::ALL`], for per-kind arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl FacilityLevel {
    /// Position in [`FacilityLevel::ALL`], for per-level arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

code_enum! {
    /// 推送部门: the department that pushed a pre-warning list (部门筛查预警,
    /// `domain.md` §3.4): 医保 high-cost patients, 民政 assistance
    /// applicants, 教育 students in difficulty, 住建 unsafe housing.
    PushSource, "推送部门" {
        /// 医保部门.
        MedicalInsurance => "medical_insurance", "医保", ["医保部门", "医疗保障局", "医保局"];
        /// 民政部门.
        CivilAffairs => "civil_affairs", "民政", ["民政部门", "民政局"];
        /// 教育部门.
        Education => "education", "教育", ["教育部门", "教育局"];
        /// 住建部门.
        Housing => "housing", "住建", ["住建部门", "住房和城乡建设局", "住建局"];
        /// 其他部门.
        Other => "other", "其他", ["其他部门"];
    }
}
