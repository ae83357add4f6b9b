//! Imports through the real router, on SQLite and PostgreSQL: upload,
//! progress, result, error report, jurisdiction, templates and the API.

use std::time::Duration;

use axum::http::StatusCode;
use jianfu_domain::Role;
use jianfu_store::{Db, testing};

use crate::support;
use crate::support::Client;

pub(crate) const HEADER: &str = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n";

pub(crate) fn persons(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

pub(crate) const H1_HEAD: &str =
    "H1,130624100200,脱贫不稳定户,10230.76,孙文华,130624196603233058,户主,特困,13944633904,正常";
const H1_SPOUSE: &str =
    "H1,130624100200,脱贫不稳定户,10230.76,孙德明,130624196306305342,配偶,,,正常";
/// A household of 定兴县: another county of the same city.
const OTHER_COUNTY: &str =
    "H2,130626100001,边缘易致贫户,10200.36,林浩然,130624197001087553,户主,低保,,正常";
/// A wrong check digit.
pub(crate) const BAD_ID: &str =
    "H3,130624100201,边缘易致贫户,10200.36,林志强,130624197308076024,户主,,,正常";

async fn setup(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("1306"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    support::add_user(db, "county", Role::CountyAdmin, "130624").await;
    support::add_user(db, "town", Role::TownshipWorker, "130624100").await;
    support::add_user(db, "other", Role::CountyAdmin, "130626").await;
}

async fn persons_count(db: &Db) -> i64 {
    jianfu_store::registry::totals(&mut db.read().await.unwrap(), "")
        .await
        .unwrap()
        .1
}

/// Uploads through the page and follows the redirect to the job page
/// until it is finished; returns the job id and the final page.
async fn import(
    c: &mut Client,
    kind: &str,
    mode: &str,
    name: &str,
    bytes: &[u8],
) -> (String, String) {
    let a = c
        .upload(
            "/imports",
            &[("kind", kind), ("mode", mode)],
            ("file", name, bytes),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let loc = a.location().unwrap().to_string();
    let job = loc.trim_start_matches("/imports/").to_string();
    for _ in 0..300 {
        let page = c.get(&loc).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return (job, page.body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import did not finish");
}

fn card(html: &str, id: &str) -> u64 {
    let at = html.find(&format!("id=\"{id}\"")).unwrap();
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find('<').unwrap();
    rest[start..end].trim().parse().unwrap()
}

#[tokio::test]
async fn upload_progress_result_and_report() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;

        let page = c.get("/imports").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        assert!(
            page.body
                .contains(&format!("action=\"/imports?_csrf={}\"", c.csrf))
        );

        // All-or-nothing with a bad row: nothing written, the report says why.
        let file = persons(&[H1_HEAD, H1_SPOUSE, BAD_ID]);
        let (job, html) = import(&mut c, "persons", "all", "人员.csv", &file).await;
        assert!(html.contains("整个文件未导入"), "{html}");
        assert_eq!(card(&html, "rows"), 3);
        assert_eq!(card(&html, "written"), 0);
        assert_eq!(persons_count(&t.db).await, 0, "{:?}", t.engine());
        let report = c.get(&format!("/imports/{job}/report.csv")).await;
        assert_eq!(report.status, StatusCode::OK);
        assert!(
            report.body.contains("文件,行号,列,值,问题"),
            "{}",
            report.body
        );
        let line = report
            .body
            .lines()
            .find(|l| l.contains(",4,身份证号,"))
            .unwrap_or_else(|| panic!("row 4 in {}", report.body));
        assert!(
            line.starts_with("人员.csv,") && line.contains("校验"),
            "{line}"
        );
        let xlsx = c.get(&format!("/imports/{job}/report.xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK"), "an XLSX is a zip");
        // The result page lists the problem itself, masked.
        assert!(html.contains("id=\"problems\""), "{html}");
        assert!(
            html.contains("130624********6024") && html.contains("校验位"),
            "{html}"
        );
        assert!(!html.contains("130624197308076024"));
        assert!(!html.contains("下面列出前"), "all problems fit");

        // Skip-invalid: the good rows are written.
        let (_, html) = import(&mut c, "persons", "skip", "人员2.csv", &file).await;
        assert!(html.contains("已写入正确的行"), "{html}");
        assert_eq!(card(&html, "written"), 2);
        assert_eq!(persons_count(&t.db).await, 2);

        // The import is audited with its file, kind and counts.
        let (entries, _) = jianfu_store::audit::search(
            &mut t.db.read().await.unwrap(),
            &jianfu_domain::Scope::NATIONAL,
            &jianfu_store::AuditFilter {
                action: Some("import".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].target_key.as_deref(), Some("人员2.csv"));
        let detail = entries[0].detail.as_deref().unwrap();
        assert!(
            detail.contains("kind=persons") && detail.contains("rows=3"),
            "{detail}"
        );

        // The list of recent imports shows both batches and exports.
        let list = c.get("/imports").await;
        assert!(list.body.contains("人员2.csv") && list.body.contains("未写入"));
        let csv = c.get("/imports?format=csv&sort=rows&dir=desc").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);

        // Another county's administrator sees neither the job nor its report.
        let mut other = Client::signed_in(&app, "other").await;
        assert_eq!(
            other.get(&format!("/imports/{job}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            other
                .get(&format!("/imports/{job}/report.csv"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert!(!other.get("/imports").await.body.contains("人员2.csv"));

        // Many problems: the first 20 on the page, the rest in the report.
        let many: Vec<String> = (0..25)
            .map(|i| format!("B{i},130624100200,脱贫户,,某,13062419730807{i:04},户主,,,正常"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let (job, html) = import(&mut c, "persons", "all", "多.csv", &persons(&many)).await;
        assert_eq!(html.matches("data-label=\"行号\"").count(), 20, "{html}");
        assert!(html.contains("下面列出前"), "{html}");
        let report = c.get(&format!("/imports/{job}/report.csv")).await.body;
        assert!(report.lines().count() > 21, "{report}");
    }
}

#[tokio::test]
async fn jurisdiction_and_permissions() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);

        // A township worker may import only department push lists (their
        // rows open cases), not the registry.
        let mut town = Client::signed_in(&app, "town").await;
        let page = town.get("/imports").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("option value=\"pushes\""),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("option value=\"persons\""),
            "{}",
            page.body
        );
        let a = town
            .upload(
                "/imports",
                &[("kind", "persons")],
                ("file", "p.csv", &persons(&[H1_HEAD])),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = town
            .upload(
                "/api/v1/imports",
                &[("kind", "persons")],
                ("file", "p.csv", &persons(&[H1_HEAD])),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(a.json()["error"]["code"], "forbidden");
        assert_eq!(persons_count(&t.db).await, 0);

        // A county administrator's row of another county is rejected, in
        // either mode; all-or-nothing then writes nothing. The first pass
        // finds it, so one report lists it with the file's other problems.
        let mut c = Client::signed_in(&app, "county").await;
        let file = persons(&[H1_HEAD, H1_SPOUSE, OTHER_COUNTY, BAD_ID]);
        let (job, html) = import(&mut c, "persons", "all", "p.csv", &file).await;
        assert!(html.contains("整个文件未导入"), "{html}");
        assert_eq!(persons_count(&t.db).await, 0, "{:?}", t.engine());
        let report = c.get(&format!("/imports/{job}/report.csv")).await.body;
        let line = report
            .lines()
            .find(|l| l.contains(",4,"))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(
            line.contains("行政区划代码") && line.contains("不在您的管辖范围内"),
            "{line}"
        );
        assert!(line.contains("outside_jurisdiction"));
        assert!(
            report
                .lines()
                .any(|l| l.contains(",5,") && l.contains("id_checksum")),
            "{report}"
        );
        let file = persons(&[H1_HEAD, H1_SPOUSE, OTHER_COUNTY]);

        let (_, html) = import(&mut c, "persons", "skip", "p.csv", &file).await;
        assert_eq!(card(&html, "written"), 2, "{html}");
        assert_eq!(card(&html, "rejected"), 1);
        assert_eq!(persons_count(&t.db).await, 2);
        assert!(
            jianfu_store::registry::person(
                &mut t.db.read().await.unwrap(),
                "130626",
                "130624197001087553"
            )
            .await
            .unwrap()
            .is_none()
        );

        // Diagnoses of a person outside the jurisdiction are refused too.
        let diag = "身份证号,疾病编码,疾病名称,确诊日期,确诊机构\n\
                    130624196603233058,N18.5,,2022-07-31,阜平县医院\n\
                    130624197001087553,I63.9,,2023-04-30,定兴县医院\n";
        let mut other = Client::signed_in(&app, "other").await;
        let (job, html) = import(&mut other, "diagnoses", "skip", "d.csv", diag.as_bytes()).await;
        assert_eq!(card(&html, "written"), 0, "{html}");
        let report = other.get(&format!("/imports/{job}/report.csv")).await.body;
        assert!(
            report.contains(",2,身份证号,") && report.contains("您的管辖范围内没有该身份证号"),
            "{report}"
        );
        // When the only errors of the first pass are about persons, the
        // write pass still runs, so what only the database can see (here
        // a year without a policy) is in the same report.
        let claims = "claim_id,person_id,kind,level,county_internal,settled_at,total,policy_scope\n\
                      C1,130624196603233058,inpatient,county,true,2024-03-01T10:00:00,100.00,90.00\n\
                      C2,130624197001087553,inpatient,county,true,2023-03-01T10:00:00,100.00,90.00\n";
        let (job, html) = import(&mut c, "claims", "all", "c.csv", claims.as_bytes()).await;
        assert!(html.contains("整个文件未导入"), "{html}");
        let report = c.get(&format!("/imports/{job}/report.csv")).await.body;
        assert!(
            report.contains(",2,结算时间,") && report.contains("no_policy"),
            "{report}"
        );
        assert!(
            report.contains(",3,身份证号,") && report.contains("outside_jurisdiction"),
            "{report}"
        );

        // A file too large to ask person by person: the jurisdiction's
        // persons are read once, and judged the same way.
        let mut big = String::from("身份证号,疾病编码,疾病名称,确诊日期,确诊机构\n");
        let start = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        for i in 0..10_500 {
            let day = start + chrono::Days::new(i);
            big.push_str(&format!("130624196603233058,I10,,{day},阜平县医院\n"));
        }
        big.push_str("130624197001087553,I63.9,,2023-04-30,定兴县医院\n");
        assert!(big.len() > 512 * 1024, "{}", big.len());
        let (job, html) = import(&mut c, "diagnoses", "skip", "大.csv", big.as_bytes()).await;
        assert_eq!(card(&html, "written"), 10_500, "{html}");
        assert_eq!(card(&html, "rejected"), 1, "{html}");
        let report = c.get(&format!("/imports/{job}/report.csv")).await.body;
        assert!(
            report.contains(",10502,身份证号,") && report.contains("outside_jurisdiction"),
            "{report}"
        );

        // In all-or-nothing mode too, with the file's other problems.
        let diag = "身份证号,疾病编码,疾病名称,确诊日期,确诊机构\n\
                    130624196603233058,N18.5,,2022-07-31,阜平县医院\n\
                    130624197001087553,I63.9,,2023-99-30,定兴县医院\n";
        let (job, html) = import(&mut other, "diagnoses", "all", "d.csv", diag.as_bytes()).await;
        assert!(html.contains("整个文件未导入"), "{html}");
        let report = other.get(&format!("/imports/{job}/report.csv")).await.body;
        assert!(report.contains(",2,身份证号,"), "{report}");
        assert!(report.contains(",3,确诊日期,"), "{report}");

        // Claims likewise.
        let claims = "claim_id,person_id,kind,level,county_internal,settled_at,total,policy_scope\n\
                      C1,130624196603233058,inpatient,county,true,2023-03-01T10:00:00,100.00,90.00\n\
                      C2,130624196603233058,inpatient,county,true,2023-03-01T10:00:00,-5,90.00\n";
        let (job, html) = import(&mut other, "claims", "all", "c.csv", claims.as_bytes()).await;
        assert!(html.contains("整个文件未导入"), "{html}");
        let report = other.get(&format!("/imports/{job}/report.csv")).await.body;
        let outside: Vec<&str> = report
            .lines()
            .filter(|l| l.contains("outside_jurisdiction"))
            .collect();
        assert_eq!(outside.len(), 2, "{report}");
        assert!(outside[0].contains(",2,身份证号,"), "{report}");
        assert!(report.contains(",3,医疗总费用,"), "{report}");
    }
}

#[tokio::test]
async fn templates_and_api() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        for kind in ["persons", "diagnoses", "claims"] {
            let a = c.get(&format!("/imports/template/{kind}.xlsx")).await;
            assert_eq!(a.status, StatusCode::OK, "{kind}");
            assert!(a.bytes.starts_with(b"PK"));
            assert!(
                a.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .contains("spreadsheetml"),
                "{kind}"
            );
        }
        assert_eq!(
            c.get("/imports/template/other.xlsx").await.status,
            StatusCode::NOT_FOUND
        );

        // The API: start, poll, report.
        let file = persons(&[H1_HEAD, BAD_ID]);
        let a = c
            .upload(
                "/api/v1/imports",
                &[("kind", "persons"), ("mode", "skip")],
                ("file", "api.csv", &file),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let job = a.json()["job"].as_str().unwrap().to_string();
        let mut status = serde_json::Value::Null;
        for _ in 0..300 {
            status = c.get(&format!("/api/v1/imports/{job}")).await.json();
            if status["status"] != "running" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status["status"], "done", "{status}");
        assert_eq!(status["rows_read"], 2);
        assert_eq!(status["rows_written"], 1);
        assert_eq!(status["rows_rejected"], 1);
        assert_eq!(status["has_report"], true);
        let problems = status["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{status}");
        assert_eq!(problems[0]["row"], 3);
        assert_eq!(problems[0]["column"], "身份证号");
        assert_eq!(problems[0]["value"], "130624********6024");
        assert_eq!(problems[0]["code"], "id_checksum");
        assert_eq!(problems[0]["level"], "错误");
        let report = c.get(&format!("/api/v1/imports/{job}/report")).await;
        assert_eq!(report.status, StatusCode::OK);
        assert!(report.body.contains(",3,身份证号,"), "{}", report.body);

        // The error envelope: unknown job, missing file, bad kind.
        let a = c.get("/api/v1/imports/nope").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert_eq!(a.json()["error"]["code"], "not_found");
        let a = c
            .upload(
                "/api/v1/imports",
                &[("kind", "nothing")],
                ("file", "x.csv", b"a"),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.json()["error"]["code"], "bad_request");
        let a = c
            .upload(
                "/api/v1/imports",
                &[("kind", "persons")],
                ("file", "x.pdf", b"a"),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        // The document describes the routes.
        let doc = c.get("/api/openapi.json").await.json();
        assert!(doc["paths"]["/api/v1/imports/{job}"]["get"].is_object());
    }
}

/// Polls the API until the job is no longer running.
async fn api_status(c: &mut Client, job: &str) -> serde_json::Value {
    let mut status = serde_json::Value::Null;
    for _ in 0..300 {
        status = c.get(&format!("/api/v1/imports/{job}")).await.json();
        if status["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    status
}

#[tokio::test]
async fn a_job_outlives_the_server_that_took_its_upload() {
    for t in testing::all().await {
        setup(&t.db).await;
        // A server whose worker never gets to the job (it stopped).
        let first = support::app_without_worker(&t.db);
        let mut c = Client::signed_in(&first, "county").await;
        let file = persons(&[H1_HEAD, H1_SPOUSE]);
        let a = c
            .upload(
                "/api/v1/imports",
                &[("kind", "persons")],
                ("file", "人员.csv", &file),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let job = a.json()["job"].as_str().unwrap().to_string();
        let queued = c.get(&format!("/api/v1/imports/{job}")).await.json();
        assert_eq!(queued["status"], "running", "{queued}");
        assert_eq!(queued["phase"], serde_json::Value::Null);
        assert_eq!(queued["percent"], 0);
        assert_eq!(queued["file"], "人员.csv");
        let page = c.get("/imports").await.body;
        assert!(page.contains(&format!("/imports/{job}")), "listed");

        // The next server of the database (sharing its upload directory)
        // answers for the job and runs it.
        c.app = support::app(&t.db);
        let status = api_status(&mut c, &job).await;
        assert_eq!(status["status"], "done", "{:?}: {status}", t.engine());
        assert_eq!(status["committed"], true);
        assert_eq!(status["rows_written"], 2);
        assert_eq!(persons_count(&t.db).await, 2);
        let mut other = Client::signed_in(&c.app, "other").await;
        let hidden = other.get(&format!("/api/v1/imports/{job}")).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    }
}

/// A department push list through the page: the kind on the form, a
/// bad row named by row and column with nothing written, then a good
/// list opening one 部门筛查预警 case that the case page shows with both
/// pushes (the second joined it).
#[tokio::test]
async fn a_push_list_through_the_page() {
    for t in testing::all().await {
        setup(&t.db).await;
        let app = support::app(&t.db);
        let mut c = Client::signed_in(&app, "county").await;
        let (_, html) = import(
            &mut c,
            "persons",
            "all",
            "p.csv",
            &persons(&[H1_HEAD, H1_SPOUSE]),
        )
        .await;
        assert!(html.contains("导入完成"), "{html}");
        let mut town = Client::signed_in(&app, "town").await;
        let header = "身份证号,推送部门,推送日期,预警原因,金额\n";
        let bad = format!("{header}130624196603233058,卫健,2026-01-15,高费用,\n");
        let (_, html) = import(&mut town, "pushes", "all", "推送.csv", bad.as_bytes()).await;
        assert!(html.contains("整个文件未导入"), "{html}");
        assert!(html.contains("推送部门") && html.contains("医保"), "{html}");
        let good = format!(
            "{header}130624196603233058,医保,2026-01-15,年度个人自付医疗费用较高,52300.50\n\
             130624196306305342,民政,2026-01-20,申请低保,\n"
        );
        let (_, html) = import(&mut town, "pushes", "all", "推送.csv", good.as_bytes()).await;
        assert!(html.contains("导入完成"), "{html}");
        let case = town.get("/monitoring/cases/1").await;
        assert_eq!(case.status, StatusCode::OK);
        for text in [
            "部门筛查预警",
            "部门推送预警",
            "医保",
            "52300.50",
            "并入在办案件",
            "申请低保",
        ] {
            assert!(case.body.contains(text), "{text}: {}", case.body);
        }
        assert!(!case.body.contains("130624196603233058"), "ID masked");
    }
}
