//! Pure domain types of jianfu (健扶).
//!
//! Every checked value is a newtype whose only constructor parses, so code
//! that holds an [`IdCardNo`], a [`RegionCode`] or a [`Money`] never has to
//! ask again whether it is valid. This crate does no I/O.
#![deny(missing_docs)]

pub mod access;
pub mod claim;
pub mod codes;
pub mod disease;
pub mod idcard;
pub mod mask;
pub mod money;
pub mod region;
pub mod registry;
pub mod time;

pub use access::{AccessError, Permission, Role, Scope};
pub use claim::ClaimRecord;
pub use codes::{
    ClaimKind, CodeError, FacilityLevel, Group, GroupSet, HouseholdType, PersonStatus, PushSource,
    Relation,
};
pub use disease::{DiseaseCatalogue, DiseaseList, Icd10, Icd10Error};
pub use idcard::{IdCardError, IdCardNo, Sex};
pub use idcard::{age_on, mask_middle};
pub use mask::{mask_numbers_in_text, mask_phone};
pub use money::{Money, MoneyError, Ratio};
pub use region::{RegionCode, RegionError, RegionLevel};
pub use registry::{DiagnosisRecord, HouseholdRecord, PersonRecord};
