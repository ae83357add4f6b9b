//! `jianfu batches`: the latest change batches (imports, parameter sets,
//! upgrades) and how each ended, including those whose process died
//! (marked when the command line opens the database, before listing).

use anyhow::Result;
use chrono::{DateTime, Utc};
use jianfu_domain::time::china;
use jianfu_store::{BatchRow, Db, batches};

/// How a batch ended, in words: whether its data was written.
pub fn status_label(status: &str) -> &str {
    match status {
        "committed" => "已写入",
        "rejected" | "rolled_back" => "未写入",
        "running" => "进行中",
        "interrupted" => "已中断，未写入",
        other => other,
    }
}

/// `at` in China time, to the second.
pub fn china_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn line(b: &BatchRow) -> String {
    [
        b.id.to_string(),
        b.kind.clone(),
        status_label(&b.status).to_string(),
        china_time(b.started_at),
        b.finished_at.map(china_time).unwrap_or_default(),
        b.rows_total.to_string(),
        b.rows_written.to_string(),
        b.errors.to_string(),
        b.user_name.clone(),
        b.source_file.clone().unwrap_or_default(),
    ]
    .join("\t")
}

/// Prints the latest `limit` batches, newest first.
pub async fn list(db: &Db, limit: i64) -> Result<bool> {
    let rows = batches::recent(&mut db.read().await?, limit).await?;
    if rows.is_empty() {
        println!("没有变更批次。");
        return Ok(true);
    }
    println!("批次\t类型\t状态\t开始（北京时间）\t结束\t数据行\t写入行\t错误\t操作人\t来源");
    for b in &rows {
        println!("{}", line(b));
    }
    Ok(true)
}
