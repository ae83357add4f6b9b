//! Pure monitoring engine of jianfu (健扶): 防止因病返贫动态监测.
#![deny(missing_docs)]

pub mod anomaly;
pub mod batch;
pub mod calendar;
pub mod case;
pub mod deadline;
pub mod escalation;
pub mod explain;
pub mod export;
pub mod input;
pub mod measure;
pub mod params;
pub mod procedure;
pub mod rules;
