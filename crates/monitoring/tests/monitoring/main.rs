//! The monitoring engine against the contract's worked examples and its
//! invariants; one test binary, a module per area.

mod case;
mod escalation;
mod params;
mod props;
mod roles;
mod rules;
mod support;
