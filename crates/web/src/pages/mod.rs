//! Server-rendered pages, one module per area of the application.

pub mod account;
pub mod audit;
pub mod login;
pub mod registry;
pub mod users;
