//! `jianfu user …`: accounts from the command line of the server, and the
//! demo's accounts.
//!
//! The command line acts as a national administrator (whoever may run the
//! binary against the database already holds all of it); every change is
//! still audited, under the name 命令行.

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use jianfu_domain::{Role, Scope};
use jianfu_service::App;
use jianfu_service::accounts::{self, Actor, NewAccount};
use jianfu_store::Db;

/// What to do with users.
#[derive(Subcommand)]
pub enum UserAction {
    /// Create a user bound to one region.
    Add {
        /// Login name (letters, digits, _ . -).
        username: String,
        /// Role: national_admin, province_admin, city_admin, county_admin,
        /// township_worker, village_doctor, insurance_officer, auditor.
        #[arg(long)]
        role: String,
        /// Region: `national` or a region code or prefix (e.g. 130624).
        #[arg(long)]
        region: String,
        /// Name shown on pages.
        #[arg(long)]
        name: Option<String>,
        /// Initial password (else read from JIANFU_PASSWORD). The user must
        /// change it at first sign-in unless --keep-password.
        #[arg(long, env = "JIANFU_PASSWORD", hide_env_values = true)]
        password: String,
        /// Do not ask the user to change the password at first sign-in.
        #[arg(long)]
        keep_password: bool,
    },
    /// Disable a user: they cannot sign in; sessions and tokens end.
    Disable {
        /// Login name.
        username: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// Login name.
        username: String,
    },
    /// Lift the sign-in delay after wrong passwords: the user's failed
    /// sign-ins at every address are forgotten.
    Unlock {
        /// Login name.
        username: String,
    },
    /// Set a new password; the user must change it at next sign-in. Their
    /// sessions end and their API tokens are revoked.
    ResetPassword {
        /// Login name.
        username: String,
        /// New password (else read from JIANFU_PASSWORD).
        #[arg(long, env = "JIANFU_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List users.
    List,
}

/// Runs a `user` command.
pub async fn run(db: &Db, action: UserAction) -> Result<bool> {
    let app = App::new(db.clone());
    let actor = Actor::command_line();
    match action {
        UserAction::Add {
            username,
            role,
            region,
            name,
            password,
            keep_password,
        } => {
            let role = Role::from_code(&role).ok_or_else(|| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
                anyhow!("未知角色“{role}”，可选：{}", all.join("、"))
            })?;
            let scope = Scope::parse(&region)
                .ok_or_else(|| anyhow!("地区“{region}”不是有效的区划代码或 national"))?;
            let new = NewAccount {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                scope,
                password,
                must_change_password: !keep_password,
            };
            accounts::add_user(&app, &actor, &new).await?;
            println!("已创建用户 {}（{}，{}）", new.username, role.label(), scope);
        }
        UserAction::Disable { username } => {
            accounts::set_disabled(&app, &actor, &username, true).await?;
            println!("已停用用户 {username}，其会话和接口令牌均已失效");
        }
        UserAction::Enable { username } => {
            accounts::set_disabled(&app, &actor, &username, false).await?;
            println!("已启用用户 {username}");
        }
        UserAction::Unlock { username } => {
            let n = accounts::unlock(&app, &actor, &username).await?;
            println!("已解除用户 {username} 的登录限制（清除失败记录 {n} 条）");
        }
        UserAction::ResetPassword { username, password } => {
            accounts::reset_password(&app, &actor, &username, &password).await?;
            println!("已重置用户 {username} 的密码，其会话和接口令牌均已失效，下次登录时须修改");
        }
        UserAction::List => {
            println!("用户名\t姓名\t角色\t地区\t状态");
            for u in accounts::users(&app, &actor).await? {
                let role = Role::from_code(&u.role).map_or(u.role.as_str(), |r| r.label());
                let state = if u.disabled { "停用" } else { "启用" };
                println!(
                    "{}\t{}\t{role}\t{}\t{state}",
                    u.username, u.display_name, u.region
                );
            }
        }
    }
    Ok(true)
}

/// Password of every demo account (printed by `jianfu demo`).
pub const DEMO_PASSWORD: &str = "Jianfu-demo-2026";

/// Creates the demo accounts on a database without users: one of each
/// working role in the demo county. Returns their names and roles.
pub async fn demo_users(db: &Db, county: &str) -> Result<Vec<(String, Role, Scope)>> {
    if jianfu_store::accounts::user_count(&mut db.read().await?).await? > 0 {
        return Ok(Vec::new());
    }
    let county_scope = Scope::parse(county).ok_or_else(|| anyhow!("县级代码“{county}”无效"))?;
    // The village doctor and the township worker get the first village
    // that has households, so their pages show something.
    let Some(village) =
        jianfu_store::registry::first_village_with_households(&mut db.read().await?, county)
            .await?
    else {
        bail!("演示县没有任何家庭，无法创建村医账户");
    };
    let village_scope = Scope::parse(&village).ok_or_else(|| anyhow!("村级代码无效"))?;
    let township_scope = Scope::parse(&village[..9]).ok_or_else(|| anyhow!("乡级代码无效"))?;
    let city_scope = Scope::parse(&county[..4]).ok_or_else(|| anyhow!("市级代码无效"))?;
    let plan = [
        ("county", "县卫健局管理员", Role::CountyAdmin, county_scope),
        ("city", "市卫健委管理员", Role::CityAdmin, city_scope),
        (
            "township",
            "乡镇工作人员",
            Role::TownshipWorker,
            township_scope,
        ),
        ("doctor", "村医", Role::VillageDoctor, village_scope),
        (
            "insurer",
            "县医保局经办",
            Role::InsuranceOfficer,
            county_scope,
        ),
        ("auditor", "审计人员", Role::Auditor, county_scope),
    ];
    let app = App::new(db.clone());
    let actor = Actor::command_line();
    let mut out = Vec::new();
    for (username, name, role, scope) in plan {
        let new = NewAccount {
            username: username.into(),
            display_name: name.into(),
            role,
            scope,
            password: DEMO_PASSWORD.into(),
            must_change_password: false,
        };
        accounts::add_user(&app, &actor, &new).await?;
        out.push((username.to_string(), role, scope));
    }
    Ok(out)
}
