//! The API's shapes of alerts and cases. Store rows are taken apart
//! whole, so a column added to a row does not build until the API decides
//! whether to show it.

use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::PushSource;
use jianfu_monitoring::case::Channel;
use jianfu_monitoring::{CaseState, Colour};
use jianfu_service::monitoring::cases::{AlertLine, CaseDetail, CaseLine, DeadlineView};
use jianfu_store::monitoring::{
    AlertRow, AttachmentRow, CaseRow, DeadlineRow, MeasureRow, PushRow, TimelineRow,
};
use serde::Serialize;
use utoipa::ToSchema;

/// 一条防返贫监测预警。
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    /// 县级代码
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// 年度
    pub year: i16,
    /// 规则：R2、R3 或 R5
    pub rule: String,
    /// 所在村
    pub village_code: String,
    /// 状态：open（待处理）、linked（已关联案件）、dismissed（已忽略）、lapsed（已失效）
    pub status: String,
    /// 最近一次评估时规则是否仍成立
    pub holds: bool,
    /// 自付费用（分）
    pub out_of_pocket: i64,
    /// R2/R3 阈值（分）
    pub threshold: Option<i64>,
    /// 人均纯收入（分）
    pub income_per_capita: Option<i64>,
    /// 家庭人口
    pub size: i64,
    /// 建议纳入（R1 或 R4 成立）
    pub candidate: bool,
    /// 建议类别：UNSTABLE、EDGE、SUDDEN
    pub category: Option<String>,
    /// 所用监测参数
    pub params_name: String,
    /// 数据截至日期
    pub as_of: NaiveDate,
    /// 预警时间
    pub raised_at: DateTime<Utc>,
    /// 说明（一句中文）
    pub explanation: String,
    /// 关联的案件编号
    pub case_id: Option<i64>,
    /// 忽略理由
    pub dismissed_reason: Option<String>,
    /// 忽略人
    pub dismissed_by: Option<String>,
}

impl From<AlertRow> for AlertOut {
    fn from(a: AlertRow) -> Self {
        let AlertRow {
            county_code,
            household_no,
            year,
            rule,
            village_code,
            status,
            holds,
            out_of_pocket,
            threshold,
            income_per_capita,
            size,
            candidate,
            category,
            params_name,
            as_of,
            raised_at,
            updated_at: _,
            explanation,
            explanation_json: _,
        } = a;
        AlertOut {
            county_code,
            household_no,
            year,
            rule,
            village_code,
            status,
            holds,
            out_of_pocket,
            threshold,
            income_per_capita,
            size,
            candidate,
            category,
            params_name,
            as_of,
            raised_at,
            explanation,
            case_id: None,
            dismissed_reason: None,
            dismissed_by: None,
        }
    }
}

impl From<AlertLine> for AlertOut {
    fn from(l: AlertLine) -> Self {
        let AlertLine {
            alert,
            case_id,
            dismissal,
        } = l;
        let (reason, by) =
            dismissal.map_or((None, None), |d| (Some(d.reason), Some(d.dismissed_by)));
        AlertOut {
            case_id,
            dismissed_reason: reason,
            dismissed_by: by,
            ..alert.into()
        }
    }
}

/// 一个监测案件。
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    /// 案件编号
    pub id: i64,
    /// 县级代码
    pub county_code: String,
    /// 户编号
    pub household_no: String,
    /// 所在村
    pub village_code: String,
    /// 状态代码（pre_warning、verifying、candidate、publicity、township_review、county_decision、monitored、rejected、closed、elimination_*、eliminated）
    pub state: String,
    /// 状态（中文）
    pub state_label: String,
    /// 发现渠道代码（alert:R2、self_declaration、cadre_screening、department_data、social_supervision）
    pub channel: String,
    /// 发现渠道（中文）
    pub channel_label: String,
    /// 已进入绿色通道
    pub green_channel: bool,
    /// 立案日期
    pub opened_on: NaiveDate,
    /// 最近办理日期
    pub last_step_on: NaiveDate,
    /// 公示最早结束日期
    pub publicity_earliest_end: Option<NaiveDate>,
    /// 待处理的公示异议数
    pub open_objections: i64,
    /// 已登记入户核实次数
    pub home_visits: i64,
    /// 已登记帮扶措施数
    pub measures: i64,
    /// 县级审定纳入日期
    pub approved_on: Option<NaiveDate>,
    /// 风险消除审定日期
    pub eliminated_on: Option<NaiveDate>,
    /// 跟踪监测截止日期
    pub follow_on_until: Option<NaiveDate>,
    /// 立案人
    pub opened_by: String,
    /// 立案时间
    pub opened_at: DateTime<Utc>,
    /// 最近更新时间
    pub updated_at: DateTime<Utc>,
}

impl From<CaseRow> for CaseOut {
    fn from(c: CaseRow) -> Self {
        let CaseRow {
            id,
            county_code,
            household_no,
            village_code,
            state,
            channel,
            green_channel,
            opened_on,
            last_step_on,
            publicity_earliest_end,
            open_objections,
            home_visits,
            measures,
            approved_on,
            eliminated_on,
            follow_on_until,
            steps: _,
            opened_by,
            opened_at,
            updated_at,
        } = c;
        CaseOut {
            id,
            county_code,
            household_no,
            village_code,
            state_label: CaseState::from_code(&state).map_or(String::new(), |s| s.label().into()),
            state,
            channel_label: Channel::from_code(&channel).map_or(String::new(), Channel::label),
            channel,
            green_channel,
            opened_on,
            last_step_on,
            publicity_earliest_end,
            open_objections,
            home_visits,
            measures,
            approved_on,
            eliminated_on,
            follow_on_until,
            opened_by,
            opened_at,
            updated_at,
        }
    }
}

/// 时限的颜色。
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColourOut {
    /// 正常
    Green,
    /// 临期
    Amber,
    /// 逾期
    Red,
}

impl From<Colour> for ColourOut {
    fn from(c: Colour) -> Self {
        match c {
            Colour::Green => ColourOut::Green,
            Colour::Amber => ColourOut::Amber,
            Colour::Red => ColourOut::Red,
        }
    }
}

/// 一项办理时限。
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineOut {
    /// 类别代码（pre_warning、procedure、home_visit、health_measure、elimination）
    pub kind: String,
    /// 类别（中文）
    pub label: String,
    /// 负责该环节的地区（村或乡镇）
    pub owner_code: String,
    /// 起算日期
    pub opened_on: NaiveDate,
    /// 到期日期（当日24时，北京时间）
    pub due_on: NaiveDate,
    /// 完成日期；未完成时为空
    pub done_on: Option<NaiveDate>,
    /// 未完成时的颜色
    pub colour: Option<ColourOut>,
    /// 逾期完成
    pub late: bool,
}

impl From<DeadlineView> for DeadlineOut {
    fn from(v: DeadlineView) -> Self {
        let DeadlineView {
            row,
            label,
            colour,
            late,
        } = v;
        let DeadlineRow {
            case_id: _,
            kind,
            owner_code,
            opened_on,
            due_on,
            done_on,
        } = row;
        DeadlineOut {
            kind,
            label: label.into(),
            owner_code,
            opened_on,
            due_on,
            done_on,
            colour: colour.map(ColourOut::from),
            late,
        }
    }
}

/// 案件列表中的一行。
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseLineOut {
    /// 案件
    pub case: CaseOut,
    /// 最紧迫的未完成时限
    pub next_deadline: Option<DeadlineOut>,
}

impl From<CaseLine> for CaseLineOut {
    fn from(l: CaseLine) -> Self {
        CaseLineOut {
            case: l.case.into(),
            next_deadline: l.next.map(DeadlineOut::from),
        }
    }
}

/// 一条办理记录。
#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    /// 记录编号
    pub id: i64,
    /// 记录时间
    pub at: DateTime<Utc>,
    /// 办理日期
    pub step_on: NaiveDate,
    /// 办理环节代码
    pub action: String,
    /// 办理前状态
    pub from_state: Option<String>,
    /// 办理后状态
    pub to_state: String,
    /// 办理人角色
    pub role: String,
    /// 办理人
    pub username: String,
    /// 办理意见
    pub note: String,
    /// 理由
    pub reason: Option<String>,
    /// 一句中文说明
    pub text: String,
}

impl From<TimelineRow> for StepOut {
    fn from(t: TimelineRow) -> Self {
        let TimelineRow {
            id,
            case_id: _,
            at,
            step_on,
            action,
            from_state,
            to_state,
            role,
            username,
            note,
            reason,
            text,
        } = t;
        StepOut {
            id,
            at,
            step_on,
            action,
            from_state,
            to_state,
            role,
            username,
            note,
            reason,
            text,
        }
    }
}

/// 一项帮扶措施。
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureOut {
    /// 措施编号
    pub id: i64,
    /// 登记该措施的办理记录
    pub step_id: i64,
    /// 类型代码
    pub measure_type: String,
    /// 部门代码
    pub department: String,
    /// 开始日期
    pub start_on: NaiveDate,
    /// 金额（分）
    pub amount: Option<i64>,
    /// 责任人
    pub responsible: String,
    /// 措施说明
    pub description: String,
    /// 登记人
    pub recorded_by: String,
}

impl From<MeasureRow> for MeasureOut {
    fn from(m: MeasureRow) -> Self {
        let MeasureRow {
            id,
            case_id: _,
            timeline_id,
            measure_type,
            department,
            start_on,
            amount,
            responsible,
            description,
            recorded_by,
            recorded_at: _,
        } = m;
        MeasureOut {
            id,
            step_id: timeline_id,
            measure_type,
            department,
            start_on,
            amount,
            responsible,
            description,
            recorded_by,
        }
    }
}

/// 一个附件（照片或扫描件）。
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// 附件编号，下载：GET /api/v1/monitoring/attachments/{id}
    pub id: i64,
    /// 随之上传的办理记录
    pub step_id: Option<i64>,
    /// 文件名
    pub file_name: String,
    /// 类型：image/jpeg、image/png、application/pdf
    pub media_type: String,
    /// 字节数
    pub size: i64,
    /// SHA-256
    pub sha256: String,
    /// 上传人
    pub uploaded_by: String,
    /// 上传时间
    pub uploaded_at: DateTime<Utc>,
}

impl From<AttachmentRow> for AttachmentOut {
    fn from(a: AttachmentRow) -> Self {
        let AttachmentRow {
            id,
            case_id: _,
            timeline_id,
            file_name,
            media_type,
            size,
            sha256,
            uploaded_by,
            uploaded_at,
        } = a;
        AttachmentOut {
            id,
            step_id: timeline_id,
            file_name,
            media_type,
            size,
            sha256,
            uploaded_by,
            uploaded_at,
        }
    }
}

/// 案件详情。
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetailOut {
    /// 案件
    pub case: CaseOut,
    /// 办理记录（由早到晚）
    pub timeline: Vec<StepOut>,
    /// 时限
    pub deadlines: Vec<DeadlineOut>,
    /// 帮扶措施
    pub measures: Vec<MeasureOut>,
    /// 附件
    pub attachments: Vec<AttachmentOut>,
    /// 关联的预警
    pub alerts: Vec<AlertOut>,
    /// 立案或并入本案件的部门推送预警
    pub pushes: Vec<PushOut>,
    /// 调用者现在可以办理的环节代码
    pub allowed_steps: Vec<String>,
}

impl From<CaseDetail> for CaseDetailOut {
    fn from(d: CaseDetail) -> Self {
        let CaseDetail {
            case,
            timeline,
            deadlines,
            measures,
            attachments,
            alerts,
            pushes,
            allowed,
        } = d;
        CaseDetailOut {
            case: case.into(),
            timeline: timeline.into_iter().map(StepOut::from).collect(),
            deadlines: deadlines.into_iter().map(DeadlineOut::from).collect(),
            measures: measures.into_iter().map(MeasureOut::from).collect(),
            attachments: attachments.into_iter().map(AttachmentOut::from).collect(),
            alerts: alerts.into_iter().map(AlertOut::from).collect(),
            pushes: pushes.into_iter().map(PushOut::from).collect(),
            allowed_steps: allowed.iter().map(|a| a.code().to_string()).collect(),
        }
    }
}

/// 部门推送预警（其他部门推送名单中的一行）。
#[derive(Debug, Serialize, ToSchema)]
pub struct PushOut {
    /// 编号
    pub id: i64,
    /// 身份证号（已脱敏）
    pub id_number: String,
    /// 推送部门代码：medical_insurance、civil_affairs、education、housing、other
    pub source: String,
    /// 推送部门（中文）
    pub source_label: String,
    /// 推送日期
    pub pushed_on: NaiveDate,
    /// 预警原因
    pub reason: String,
    /// 金额（元，两位小数），未填时为空
    pub amount: Option<String>,
    /// 推送批次号
    pub push_ref: Option<String>,
    /// 备注
    pub remark: Option<String>,
    /// 所属案件
    pub case_id: i64,
    /// true：由本条推送立案；false：并入已有的在办案件
    pub opened_case: bool,
    /// 导入批次
    pub batch_id: i64,
    /// 导入人
    pub imported_by: String,
    /// 导入时间
    pub imported_at: DateTime<Utc>,
}

impl From<PushRow> for PushOut {
    fn from(p: PushRow) -> Self {
        let PushRow {
            id,
            id_number,
            source,
            pushed_on,
            reason,
            amount,
            push_ref,
            remark,
            county_code: _,
            household_no: _,
            village_code: _,
            case_id,
            opened_case,
            batch_id,
            imported_by,
            imported_at,
        } = p;
        let source_label =
            PushSource::from_code(&source).map_or(source.clone(), |s| s.label().into());
        PushOut {
            id,
            id_number,
            source,
            source_label,
            pushed_on,
            reason,
            amount: amount.map(|f| jianfu_domain::Money::from_fen(f).to_string()),
            push_ref,
            remark,
            case_id,
            opened_case,
            batch_id,
            imported_by,
            imported_at,
        }
    }
}
