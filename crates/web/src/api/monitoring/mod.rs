//! Monitoring through the API: the alerts awaiting a decision, opening a
//! case from one or dismissing it, the cases of the jurisdiction, one
//! case, taking a step, attachments up and down, and the supervision
//! items (督办) of the user's level and below, and the counties' monthly
//! feedback lists of A1–A3 findings with their answers. Each handler maps the
//! request to a use case of `jianfu_service::monitoring::cases`; refusals
//! of the procedure answer 400 with its Chinese message, another
//! jurisdiction's case 404.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

pub mod alerts;
pub mod cases;
pub mod dto;
pub mod feedback;
pub mod form;
pub mod supervision;
