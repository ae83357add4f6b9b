//! Pure monitoring engine of jianfu (健扶): 防止因病返贫动态监测.
#![deny(missing_docs)]

pub mod anomaly;
pub mod batch;
pub mod calendar;
pub mod deadline;
pub mod explain;
pub mod export;
pub mod input;
pub mod params;
pub mod rules;
