//! Server-rendered pages, one module per area of the application.

pub mod account;
pub mod audit;
pub mod dashboard;
pub mod imports;
pub mod login;
pub mod monitoring;
pub mod people;
pub mod policies;
pub mod search;
pub mod users;
