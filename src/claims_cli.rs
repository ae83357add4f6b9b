//! The CLI's words for a claims import (`jianfu import claims FILE`).

use jianfu_store::ImportStats;

/// Prints what a committed claims import wrote.
pub fn print_written(s: &ImportStats) {
    println!(
        "已写入：新增 {} 条结算记录、{} 条冲销；未变 {} 条；重新结算已有记录 {} 条（调整记录 {} 条）；人员年度累计 {} 个",
        s.claims_created,
        s.reversals_created,
        s.claims_unchanged,
        s.claims_resettled,
        s.adjustments,
        s.person_years
    );
}
