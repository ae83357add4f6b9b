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
        query("from", "起始日期 YYYY-MM-DD", "string"),
        query("to", "截止日期 YYYY-MM-DD（含）", "string"),
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
