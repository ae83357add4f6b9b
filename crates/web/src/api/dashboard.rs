//! The figures of the home page through the API: one region's households,
//! persons by group and the year's claims, with each child region's.
//!
//! Documentation comments of the types here are field descriptions in the
//! OpenAPI document, hence in Chinese.

use axum::Json;
use axum::extract::State;
use jianfu_store::rollups::{ChildFigures, Dashboard, Figures};
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::{StandardErrors, tags};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiQuery, ApiResult, AppError};
use crate::pages::dashboard::{DashboardQuery, dashboard_of};

/// 一个地区的统计（金额单位：分）。
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresOut {
    /// 户数
    pub households: i64,
    /// 人数
    pub persons: i64,
    /// 状态正常的人数
    pub active: i64,
    /// 脱贫人口
    pub formerly_poor: i64,
    /// 监测对象
    pub monitored: i64,
    /// 特困人员
    pub extreme_poor: i64,
    /// 低保对象
    pub subsistence: i64,
    /// 返贫致贫人口
    pub returned_poor: i64,
    /// 有疾病诊断的人数
    pub with_diagnosis: i64,
    /// 当年结算笔数
    pub claims: i64,
    /// 当年就医人数
    pub claimants: i64,
    /// 医疗总费用
    pub total: i64,
    /// 基本医保
    pub basic: i64,
    /// 大病保险
    pub critical: i64,
    /// 医疗救助
    pub assistance: i64,
    /// 补充保障
    pub supplementary: i64,
    /// 个人自付
    pub out_of_pocket: i64,
}

impl From<Figures> for FiguresOut {
    fn from(f: Figures) -> Self {
        // Taken apart whole, so a figure added to the rollups does not
        // build until the API decides whether to show it.
        let Figures {
            households,
            persons,
            active,
            formerly_poor,
            monitored,
            extreme_poor,
            subsistence,
            returned_poor,
            with_diagnosis,
            claims,
            claimants,
            total,
            basic,
            critical,
            assistance,
            supplementary,
            out_of_pocket,
        } = f;
        FiguresOut {
            households,
            persons,
            active,
            formerly_poor,
            monitored,
            extreme_poor,
            subsistence,
            returned_poor,
            with_diagnosis,
            claims,
            claimants,
            total,
            basic,
            critical,
            assistance,
            supplementary,
            out_of_pocket,
        }
    }
}

/// 下级地区的统计。
#[derive(Debug, Serialize, ToSchema)]
pub struct ChildOut {
    /// 地区代码（12位）
    pub code: String,
    /// 名称
    pub name: String,
    /// 统计
    pub figures: FiguresOut,
}

impl From<ChildFigures> for ChildOut {
    fn from(c: ChildFigures) -> Self {
        let ChildFigures {
            code,
            name,
            figures,
        } = c;
        ChildOut {
            code,
            name,
            figures: figures.into(),
        }
    }
}

/// 一个地区一年的统计，及其下级地区。
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardOut {
    /// 地区代码（12位）
    pub code: String,
    /// 名称
    pub name: String,
    /// 结算统计的年度
    pub year: i32,
    /// 本地区的统计
    pub figures: FiguresOut,
    /// 各下级地区的统计（没有数据的地区也列出）
    pub children: Vec<ChildOut>,
}

impl From<Dashboard> for DashboardOut {
    fn from(d: Dashboard) -> Self {
        let Dashboard {
            code,
            name,
            year,
            figures,
            children,
        } = d;
        DashboardOut {
            code,
            name,
            year,
            figures: figures.into(),
            children: children.into_iter().map(ChildOut::from).collect(),
        }
    }
}

/// `GET /api/v1/dashboard`: the figures of the home page.
#[utoipa::path(
    get,
    path = "/api/v1/dashboard",
    operation_id = "dashboard",
    tag = tags::REGISTRY,
    summary = "地区统计：户数、各类人员数、当年结算与个人自付，及下级地区",
    params(DashboardQuery),
    responses((status = 200, description = "成功", body = DashboardOut), StandardErrors)
)]
pub async fn dashboard(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> ApiResult<DashboardOut> {
    match dashboard_of(&st, &user, &q).await? {
        Some(d) => Ok(Json(d.into())),
        None => Err(AppError::BadRequest("全国用户请指定地区代码 region".into()).into()),
    }
}
