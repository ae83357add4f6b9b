//! Who the command line acts as: the system actor `命令行`, or with
//! `--as USER` a stored, enabled user (then that user's role and
//! jurisdiction apply to every use case of the command, and the audit log
//! names them).

use anyhow::{Result, bail};
use jianfu_service::{Actor, App};

/// The actor of this command.
pub async fn actor(app: &App, as_user: Option<&str>) -> Result<Actor> {
    let Some(name) = as_user else {
        return Ok(Actor::command_line());
    };
    let mut tx = app.db.read().await?;
    let Some(user) = jianfu_store::accounts::user_by_name(&mut tx, name).await? else {
        bail!("用户“{name}”不存在（--as 须为已建立的用户）");
    };
    if user.disabled {
        bail!("用户“{name}”已停用，不能以其身份操作");
    }
    Actor::of(&user, None).ok_or_else(|| anyhow::anyhow!("用户“{name}”的角色或地区无法识别"))
}
