//! The OpenAPI 3.1 document of the JSON API, served at
//! `/api/openapi.json`.
//!
//! Each area of the API adds its paths in [`paths`]; a test walks the
//! document and calls every documented `GET` path so a documented route
//! that does not exist fails the build.

use axum::Json;
use serde_json::{Map, Value, json};

/// The error envelope's schema and the standard error answers.
fn components() -> Value {
    json!({
        "securitySchemes": {
            "session": { "type": "apiKey", "in": "cookie", "name": "jianfu_session",
                "description": "会话 Cookie；修改类请求还须在 X-CSRF-Token 请求头中带上登录时返回的 csrf_token" },
            "token": { "type": "http", "scheme": "bearer",
                "description": "在“我的账户”页面生成的接口令牌" }
        },
        "schemas": {
            "Error": {
                "type": "object", "required": ["error"],
                "properties": { "error": {
                    "type": "object", "required": ["code", "message", "details"],
                    "properties": {
                        "code": { "type": "string", "enum": ["unauthorized", "forbidden", "not_found", "csrf",
                            "throttled", "bad_request", "invalid", "conflict", "too_large", "internal"] },
                        "message": { "type": "string", "description": "中文说明" },
                        "details": { "type": "array", "items": { "type": "string" } }
                    }
                } }
            },
            "Me": {
                "type": "object",
                "properties": {
                    "username": { "type": "string" }, "display_name": { "type": "string" },
                    "role": { "type": "string" }, "region": { "type": "string" },
                    "permissions": { "type": "array", "items": { "type": "string" } },
                    "csrf_token": { "type": "string" }
                }
            }
        },
        "responses": {
            "Error": { "description": "错误（统一错误结构）",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
        }
    })
}

/// An operation answering `schema` as JSON, with the standard errors.
pub fn op(summary: &str, schema: Value) -> Value {
    json!({
        "summary": summary,
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": schema } } },
            "400": { "$ref": "#/components/responses/Error" },
            "401": { "$ref": "#/components/responses/Error" },
            "403": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" }
        }
    })
}

/// `op` with the members of `extra` (parameters, request body) added.
pub fn with(mut op: Value, extra: Value) -> Value {
    if let (Some(o), Value::Object(e)) = (op.as_object_mut(), extra) {
        o.extend(e);
    }
    op
}

/// A query parameter.
pub fn query(name: &str, description: &str, ty: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description,
            "schema": { "type": ty } })
}

/// A path parameter.
pub fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description,
            "schema": { "type": "string" } })
}

fn session_paths() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/v1/session",
            json!({ "post": {
                "summary": "登录，返回当前用户和 csrf_token，并设置会话 Cookie",
                "security": [],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": { "username": { "type": "string" }, "password": { "type": "string" } } } } } },
                "responses": {
                    "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Me" } } } },
                    "400": { "$ref": "#/components/responses/Error" },
                    "429": { "$ref": "#/components/responses/Error" }
                }
            } }),
        ),
        (
            "/api/v1/session/end",
            json!({ "post": op("退出登录", json!({ "type": "object" })) }),
        ),
        (
            "/api/v1/me",
            json!({ "get": op("当前用户、角色、管辖地区与权限", json!({ "$ref": "#/components/schemas/Me" })) }),
        ),
    ]
}

fn imports_paths() -> Vec<(&'static str, Value)> {
    let status = json!({ "type": "object", "properties": {
        "job": { "type": "string" }, "kind": { "type": "string", "enum": ["persons", "diagnoses", "claims"] },
        "file": { "type": "string" }, "status": { "type": "string", "enum": ["running", "done", "failed"] },
        "phase": { "type": ["string", "null"], "enum": ["checking", "writing", null] },
        "percent": { "type": "integer" }, "committed": { "type": "boolean" },
        "rows_read": { "type": "integer" }, "rows_written": { "type": "integer" },
        "rows_rejected": { "type": "integer" }, "errors": { "type": "integer" },
        "warnings": { "type": "integer" }, "batch": { "type": ["integer", "null"] },
        "message": { "type": ["string", "null"] }, "has_report": { "type": "boolean" },
        "problems": { "type": "array", "description": "错误报告的前20条（证件号已脱敏）；完整内容见错误报告",
            "items": { "type": "object", "properties": {
                "row": { "type": ["integer", "null"], "description": "文件中的行号（表头为第1行）；整个文件的问题为 null" },
                "column": { "type": "string" }, "value": { "type": "string" },
                "problem": { "type": "string" }, "code": { "type": "string" },
                "level": { "type": "string", "enum": ["错误", "警告"] } } } } } });
    let mut upload = op(
        "上传 CSV/XLSX 文件并在后台导入；只能导入调用者管辖范围内的行，范围外的行作为错误行报告",
        json!({ "type": "object", "properties": { "job": { "type": "string" } } }),
    );
    upload["requestBody"] = json!({ "required": true, "content": { "multipart/form-data": { "schema": {
        "type": "object", "required": ["kind", "file"],
        "properties": {
            "kind": { "type": "string", "enum": ["persons", "diagnoses", "claims"] },
            "mode": { "type": "string", "enum": ["all", "skip"], "description": "all：全部正确才导入（默认）；skip：跳过错误行" },
            "file": { "type": "string", "format": "binary" } } } } } });
    let mut st = op("导入任务的状态和行数", status);
    st["parameters"] = json!([path_param("job", "导入任务编号")]);
    let mut report = op("错误报告（CSV，UTF-8 带 BOM）", json!({ "type": "string" }));
    report["parameters"] = json!([path_param("job", "导入任务编号")]);
    report["responses"]["200"] = json!({ "description": "错误报告", "content": { "text/csv": { "schema": { "type": "string" } } } });
    vec![
        ("/api/v1/imports", json!({ "post": upload })),
        ("/api/v1/imports/{job}", json!({ "get": st })),
        ("/api/v1/imports/{job}/report", json!({ "get": report })),
    ]
}

fn policies_paths() -> Vec<(&'static str, Value)> {
    let row = json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "name": { "type": "string" }, "region_prefix": { "type": "string" },
        "valid_from": { "type": "string", "format": "date" }, "valid_to": { "type": "string", "format": "date" },
        "loaded_at": { "type": "string", "format": "date-time" }, "loaded_by": { "type": "string" } } });
    let mut detail = row.clone();
    detail["properties"]["source"] = json!({ "type": "string", "description": "TOML 原文" });
    let mut create = op(
        "添加政策参数（TOML 原文作请求体）；校验失败时 details 给出键路径；保存后重新结算相关结算记录",
        json!({ "type": "object", "properties": { "id": { "type": "integer" }, "existed": { "type": "boolean" },
            "person_years": { "type": "integer" }, "claims_resettled": { "type": "integer" }, "adjustments": { "type": "integer" } } }),
    );
    create["requestBody"] = json!({ "required": true, "content": { "application/toml": { "schema": { "type": "string" } } } });
    let mut one = op("一套政策参数及其原文", detail);
    one["parameters"] = json!([path_param("id", "政策参数编号")]);
    vec![
        (
            "/api/v1/policies",
            json!({
            "get": op("与管辖地区相关的政策参数", json!({ "type": "array", "items": row })),
            "post": create }),
        ),
        ("/api/v1/policies/{id}", json!({ "get": one })),
    ]
}

fn user_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": { "type": "string" }, "display_name": { "type": "string" },
            "role": { "type": "string" }, "region": { "type": "string" },
            "disabled": { "type": "boolean" }, "must_change_password": { "type": "boolean" },
            "created_at": { "type": "string", "format": "date-time" }
        }
    })
}

fn list_params() -> Vec<Value> {
    vec![
        query("page", "页码，从1开始", "integer"),
        query("per", "每页条数（默认50，最多200）", "integer"),
    ]
}

fn users_paths() -> Vec<(&'static str, Value)> {
    let name = path_param("username", "用户名");
    let mut list = op(
        "管辖地区内的用户（分页、排序）",
        json!({ "type": "object", "properties": {
            "total": { "type": "integer" },
            "items": { "type": "array", "items": user_schema() } } }),
    );
    let mut params = list_params();
    params.push(query(
        "sort",
        "排序列：username、name、role、region、status、created；其他值按用户名",
        "string",
    ));
    params.push(query("dir", "asc 或 desc", "string"));
    list["parameters"] = Value::Array(params);
    let mut add = op("在管辖地区内新增用户（首次登录须改密码）", user_schema());
    add["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
        "type": "object", "required": ["username", "display_name", "role", "region", "password"],
        "properties": {
            "username": { "type": "string" }, "display_name": { "type": "string" },
            "role": { "type": "string", "description": "角色代码，如 village_doctor" },
            "region": { "type": "string", "description": "national 或行政区划代码" },
            "password": { "type": "string", "description": "初始密码：至少10个字符，含字母和数字，不含用户名" } } } } } });
    let responses = add["responses"].as_object_mut().expect("responses");
    let ok = responses.remove("200").expect("200");
    responses.insert("201".into(), ok);
    responses.insert(
        "409".into(),
        json!({ "$ref": "#/components/responses/Error" }),
    );
    let with_name = |mut v: Value| {
        v["parameters"] = json!([name.clone()]);
        v
    };
    vec![
        ("/api/v1/users", json!({ "get": list, "post": add })),
        (
            "/api/v1/users/{username}",
            json!({ "get": with_name(op("一个用户（管辖地区外的用户为 404）", user_schema())) }),
        ),
        (
            "/api/v1/users/{username}/disable",
            json!({ "post": with_name(op("停用用户：结束其所有会话并吊销接口令牌", user_schema())) }),
        ),
        (
            "/api/v1/users/{username}/enable",
            json!({ "post": with_name(op("启用用户", user_schema())) }),
        ),
        (
            "/api/v1/users/{username}/reset-password",
            json!({ "post": with_name(op("重置密码：返回临时密码（只返回一次），下次登录须修改",
                json!({ "type": "object", "properties": {
                    "username": { "type": "string" }, "temporary_password": { "type": "string" } } }))) }),
        ),
    ]
}

fn audit_paths() -> Vec<(&'static str, Value)> {
    let entry = json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "at": { "type": "string", "format": "date-time" },
        "username": { "type": "string" }, "role": { "type": ["string", "null"] },
        "action": { "type": "string" }, "action_label": { "type": "string" },
        "target_kind": { "type": ["string", "null"] },
        "target_key": { "type": ["string", "null"], "description": "身份证号和电话已脱敏" },
        "region": { "type": "string" }, "reason": { "type": ["string", "null"] },
        "detail": { "type": ["string", "null"] }, "client_ip": { "type": ["string", "null"] } } });
    let mut get = op(
        "查询审计日志（只读，最新在前，只含管辖地区内的记录）",
        json!({ "type": "object", "properties": {
            "total": { "type": "integer" }, "items": { "type": "array", "items": entry } } }),
    );
    let mut params = vec![
        query("user", "用户名（完全匹配）", "string"),
        query(
            "action",
            "操作代码（完全匹配），如 login、user.add",
            "string",
        ),
        query("target", "对象（完全匹配），如完整身份证号", "string"),
        query("from", "起始日期 YYYY-MM-DD（北京时间）", "string"),
        query("to", "截止日期 YYYY-MM-DD（含）", "string"),
        query(
            "sort",
            "排序列：at、user、action、region（默认最新在前）",
            "string",
        ),
        query("dir", "asc 或 desc", "string"),
    ];
    params.extend(list_params());
    get["parameters"] = Value::Array(params);
    vec![("/api/v1/audit", json!({ "get": get }))]
}

/// Every documented path with its operations.
pub fn paths() -> Map<String, Value> {
    let mut out = Map::new();
    for (path, item) in session_paths()
        .into_iter()
        .chain(super::registry::paths())
        .chain(imports_paths())
        .chain(policies_paths())
        .chain(users_paths())
        .chain(audit_paths())
    {
        out.insert(path.to_string(), item);
    }
    out
}

/// The whole document.
pub fn spec() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "健扶 jianfu API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "健康帮扶动态管理信息系统的 JSON 接口。所有人员数据只在调用者的管辖地区内可见；证件号和电话默认脱敏。"
        },
        "servers": [{ "url": "/" }],
        "security": [{ "session": [] }, { "token": [] }],
        "paths": Value::Object(paths()),
        "components": components()
    })
}

/// `GET /api/openapi.json`
pub async fn document() -> Json<Value> {
    Json(spec())
}
