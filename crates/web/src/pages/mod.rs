//! Server-rendered pages, one module per area of the application.

pub mod account;
pub mod imports;
pub mod login;
pub mod policies;
pub mod registry;
