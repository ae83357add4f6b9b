//! Who may do what, and where: roles, the permission matrix and the
//! jurisdiction [`Scope`].
//!
//! The matrix lives in [`Role::may`] and nowhere else; the web layer asks
//! it before every handler runs. A [`Scope`] is the region subtree a user
//! is bound to; the store's people-data queries take one, so a read that
//! forgot the caller's jurisdiction does not compile.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::region::{RegionCode, RegionLevel};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 国家级管理员
    NationalAdmin,
    /// 省级管理员
    ProvinceAdmin,
    /// 市级管理员
    CityAdmin,
    /// 县级管理员
    CountyAdmin,
    /// 乡镇工作人员
    TownshipWorker,
    /// 村医
    VillageDoctor,
    /// 医保经办人员
    InsuranceOfficer,
    /// 审计人员
    Auditor,
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read households, persons and diagnoses (masked).
    ViewRegistry,
    /// Read claims and their settlement.
    ViewClaims,
    /// Show one record's full ID and phone number, with a reason.
    Unmask,
    /// Export lists that contain personal data.
    ExportPersonal,
    /// Import persons and diagnoses.
    ImportRegistry,
    /// Import claims.
    ImportClaims,
    /// Add settlement parameter sets.
    ManagePolicies,
    /// Run a policy simulation.
    RunSimulation,
    /// Create, disable and reset users inside the own region.
    ManageUsers,
    /// Search and export the audit log.
    ViewAudit,
    /// See return-to-poverty alerts (防返贫监测预警) and export them.
    ViewMonitoring,
    /// Evaluate the monitoring rules over a region and update its alerts.
    RunMonitoring,
    /// Add monitoring parameter sets (监测参数).
    ManageMonitoringParams,
    /// Open monitoring cases and take their steps (办理监测案件); which
    /// step each role may take is the procedure's table
    /// (`jianfu_monitoring::procedure::may`).
    ActOnCases,
}

impl Permission {
    /// Every permission, in display order.
    pub const ALL: [Permission; 14] = [
        Permission::ViewRegistry,
        Permission::ViewClaims,
        Permission::Unmask,
        Permission::ExportPersonal,
        Permission::ImportRegistry,
        Permission::ImportClaims,
        Permission::ManagePolicies,
        Permission::RunSimulation,
        Permission::ManageUsers,
        Permission::ViewAudit,
        Permission::ViewMonitoring,
        Permission::RunMonitoring,
        Permission::ManageMonitoringParams,
        Permission::ActOnCases,
    ];

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Permission::ViewRegistry => "查看台账",
            Permission::ViewClaims => "查看结算",
            Permission::Unmask => "查看完整证件号和电话",
            Permission::ExportPersonal => "导出个人信息",
            Permission::ImportRegistry => "导入台账",
            Permission::ImportClaims => "导入结算数据",
            Permission::ManagePolicies => "管理政策参数",
            Permission::RunSimulation => "政策模拟测算",
            Permission::ManageUsers => "管理用户",
            Permission::ViewAudit => "查看审计日志",
            Permission::ViewMonitoring => "查看防返贫监测预警",
            Permission::RunMonitoring => "运行防返贫监测",
            Permission::ManageMonitoringParams => "管理监测参数",
            Permission::ActOnCases => "办理监测案件",
        }
    }
}

impl Role {
    /// Every role, from the widest jurisdiction down.
    pub const ALL: [Role; 8] = [
        Role::NationalAdmin,
        Role::ProvinceAdmin,
        Role::CityAdmin,
        Role::CountyAdmin,
        Role::TownshipWorker,
        Role::VillageDoctor,
        Role::InsuranceOfficer,
        Role::Auditor,
    ];

    /// The permission matrix: the one place that decides.
    pub const fn may(self, p: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match self {
            R::NationalAdmin | R::ProvinceAdmin | R::CityAdmin | R::CountyAdmin => true,
            // Township workers verify pre-warnings of their township, so they
            // may re-evaluate it; the parameters are the county's decision.
            R::TownshipWorker => matches!(
                p,
                P::ViewRegistry
                    | P::ViewClaims
                    | P::Unmask
                    | P::ExportPersonal
                    | P::ViewMonitoring
                    | P::RunMonitoring
                    | P::ActOnCases
            ),
            // A village doctor calls the families: the phone may be unmasked,
            // but lists of personal data do not leave the system.
            R::VillageDoctor => matches!(
                p,
                P::ViewRegistry | P::ViewClaims | P::Unmask | P::ViewMonitoring | P::ActOnCases
            ),
            R::InsuranceOfficer => matches!(
                p,
                P::ViewRegistry
                    | P::ViewClaims
                    | P::Unmask
                    | P::ExportPersonal
                    | P::ImportClaims
                    | P::ManagePolicies
                    | P::RunSimulation
                    | P::ViewMonitoring
                    | P::RunMonitoring
                    | P::ActOnCases
            ),
            // Auditors read the log and the registry as others see it,
            // never the unmasked data.
            R::Auditor => matches!(
                p,
                P::ViewRegistry | P::ViewClaims | P::ViewAudit | P::ViewMonitoring
            ),
        }
    }

    /// Stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Role::NationalAdmin => "national_admin",
            Role::ProvinceAdmin => "province_admin",
            Role::CityAdmin => "city_admin",
            Role::CountyAdmin => "county_admin",
            Role::TownshipWorker => "township_worker",
            Role::VillageDoctor => "village_doctor",
            Role::InsuranceOfficer => "insurance_officer",
            Role::Auditor => "auditor",
        }
    }

    /// From the stored code.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Role::NationalAdmin => "国家级管理员",
            Role::ProvinceAdmin => "省级管理员",
            Role::CityAdmin => "市级管理员",
            Role::CountyAdmin => "县级管理员",
            Role::TownshipWorker => "乡镇工作人员",
            Role::VillageDoctor => "村医",
            Role::InsuranceOfficer => "医保经办人员",
            Role::Auditor => "审计人员",
        }
    }

    /// English label.
    pub const fn label_en(self) -> &'static str {
        match self {
            Role::NationalAdmin => "National administrator",
            Role::ProvinceAdmin => "Province administrator",
            Role::CityAdmin => "City administrator",
            Role::CountyAdmin => "County administrator",
            Role::TownshipWorker => "Township worker",
            Role::VillageDoctor => "Village doctor",
            Role::InsuranceOfficer => "Insurance officer",
            Role::Auditor => "Auditor",
        }
    }

    /// Checks that a user of this role may be bound to `scope`: each
    /// administrator to a region of its own level, a township worker to a
    /// township, a village doctor to a village; insurance officers and
    /// auditors to a county or above.
    pub fn check_scope(self, scope: &Scope) -> Result<(), AccessError> {
        let level = scope.level();
        let ok = match self {
            Role::NationalAdmin => level.is_none(),
            Role::ProvinceAdmin => level == Some(RegionLevel::Province),
            Role::CityAdmin => level == Some(RegionLevel::City),
            Role::CountyAdmin => level == Some(RegionLevel::County),
            Role::TownshipWorker => level == Some(RegionLevel::Township),
            Role::VillageDoctor => level == Some(RegionLevel::Village),
            Role::InsuranceOfficer | Role::Auditor => {
                level.is_none_or(|l| l <= RegionLevel::County)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(AccessError::RoleRegion {
                role: self,
                region: scope.to_string(),
            })
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a role cannot be bound to a region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The region's level does not fit the role.
    #[error(
        "角色“{role}”不能绑定到地区 {region}：管理员须绑定本级地区，乡镇工作人员绑定乡镇，村医绑定村，医保经办和审计人员绑定县级或以上"
    )]
    RoleRegion {
        /// The role.
        role: Role,
        /// The region code (or 全国).
        region: String,
    },
}

/// A jurisdiction: the whole country or one region's subtree.
///
/// People-data queries in the store take a `&Scope`; the web layer builds
/// it only from the signed-in user's bound region.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope(Option<RegionCode>);

impl Scope {
    /// The whole country.
    pub const NATIONAL: Scope = Scope(None);

    /// The subtree of `region`.
    pub const fn region(region: RegionCode) -> Scope {
        Scope(Some(region))
    }

    /// Parses the stored form: `national` or a region code or prefix.
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "" | "national" | "全国" => Some(Scope::NATIONAL),
            code => RegionCode::parse_prefix(code).ok().map(Scope::region),
        }
    }

    /// The stored form: `national` or the 12-digit code.
    pub fn code(&self) -> &str {
        match &self.0 {
            None => "national",
            Some(r) => r.as_str(),
        }
    }

    /// The bound region, `None` for national.
    pub const fn bound_region(&self) -> Option<RegionCode> {
        self.0
    }

    /// The level of the bound region, `None` for national.
    pub fn level(&self) -> Option<RegionLevel> {
        self.0.map(|r| r.level())
    }

    /// The code prefix every region inside shares (`""` for national).
    pub fn prefix(&self) -> &str {
        match &self.0 {
            None => "",
            Some(r) => r.prefix(),
        }
    }

    /// True when `code` lies inside.
    pub fn contains(&self, code: &RegionCode) -> bool {
        self.0.is_none_or(|r| r.contains(code))
    }

    /// True when the stored code string (any length) lies inside.
    pub fn contains_str(&self, code: &str) -> bool {
        code.starts_with(self.prefix())
    }

    /// True when `other` lies wholly inside this scope.
    pub fn covers(&self, other: &Scope) -> bool {
        match other.0 {
            None => self.0.is_none(),
            Some(r) => self.contains(&r),
        }
    }

    /// The narrower scope of `code` when it lies inside this one; used for
    /// drill-down, so a narrowed scope never reaches outside its parent.
    pub fn narrow(&self, code: &RegionCode) -> Option<Scope> {
        self.contains(code).then_some(Scope(Some(*code)))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("全国"),
            Some(r) => f.write_str(r.as_str()),
        }
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> Scope {
        Scope::parse(s).unwrap()
    }

    #[test]
    fn scope_contains_its_subtree_only() {
        let county = scope("130624");
        assert!(county.contains(&RegionCode::parse("130624100200").unwrap()));
        assert!(!county.contains(&RegionCode::parse("130625100200").unwrap()));
        assert!(Scope::NATIONAL.contains(&RegionCode::parse("650000000000").unwrap()));
        assert!(county.covers(&scope("130624100")));
        assert!(!scope("130624100").covers(&county));
        assert!(!county.covers(&Scope::NATIONAL));
        assert!(
            county
                .narrow(&RegionCode::parse("130625000000").unwrap())
                .is_none()
        );
        assert_eq!(scope("national").code(), "national");
        assert_eq!(county.code(), "130624000000");
        assert_eq!(county.prefix(), "130624");
    }

    #[test]
    fn roles_bind_to_their_level() {
        assert!(
            Role::VillageDoctor
                .check_scope(&scope("130624100200"))
                .is_ok()
        );
        assert!(
            Role::VillageDoctor
                .check_scope(&scope("130624100"))
                .is_err()
        );
        assert!(Role::CountyAdmin.check_scope(&scope("130624")).is_ok());
        assert!(Role::CountyAdmin.check_scope(&Scope::NATIONAL).is_err());
        assert!(Role::NationalAdmin.check_scope(&Scope::NATIONAL).is_ok());
        assert!(Role::Auditor.check_scope(&scope("13")).is_ok());
        assert!(Role::Auditor.check_scope(&scope("130624100")).is_err());
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
    }

    #[test]
    fn matrix_limits_the_narrow_roles() {
        assert!(!Role::VillageDoctor.may(Permission::ExportPersonal));
        assert!(!Role::VillageDoctor.may(Permission::ManageUsers));
        assert!(!Role::Auditor.may(Permission::Unmask));
        assert!(Role::Auditor.may(Permission::ViewAudit));
        assert!(!Role::TownshipWorker.may(Permission::ViewAudit));
        assert!(Role::InsuranceOfficer.may(Permission::ManagePolicies));
        assert!(!Role::InsuranceOfficer.may(Permission::ImportRegistry));
        assert!(Role::CountyAdmin.may(Permission::ManageUsers));
    }

    #[test]
    fn monitoring_grants() {
        // Everyone sees alerts; only administrators set the parameters;
        // insurance officers screen (部门筛查), village doctors and
        // auditors only look.
        for role in Role::ALL {
            assert!(role.may(Permission::ViewMonitoring), "{role:?}");
        }
        let params: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may(Permission::ManageMonitoringParams))
            .collect();
        assert_eq!(
            params,
            [
                Role::NationalAdmin,
                Role::ProvinceAdmin,
                Role::CityAdmin,
                Role::CountyAdmin
            ]
        );
        assert!(Role::TownshipWorker.may(Permission::RunMonitoring));
        assert!(Role::InsuranceOfficer.may(Permission::RunMonitoring));
        assert!(!Role::VillageDoctor.may(Permission::RunMonitoring));
        assert!(!Role::Auditor.may(Permission::RunMonitoring));
    }
}
