//! Durable jobs end to end, with the real binary on SQLite and PostgreSQL:
//! a server killed with SIGKILL in the middle of an uploaded import is
//! started again, the API still answers for the job, the job ends done or
//! failed, and the registry holds all of the file or none of it; and
//! `jianfu jobs run --once` / `jianfu jobs list` from the command line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jianfu_domain::{Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::accounts::{self, Actor, NewAccount};
use jianfu_service::jobs::{NewUpload, Uploads, enqueue_import};
use jianfu_store::Db;
use jianfu_store::testing::{self, TestDb};

const PERSONS: i64 = 60_000;

/// `jianfu serve` in its own process, killed (SIGKILL) on drop.
struct Server {
    child: Child,
    base: String,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(url: &str, data: &Path, log: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_jianfu"))
            .args(["--db", url, "serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--insecure-cookies", "--job-lease", "5", "--data-dir"])
            .arg(data)
            .env("JIANFU_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::options()
                    .create(true)
                    .append(true)
                    .open(log)
                    .unwrap(),
            )
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("http://") {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the server did not start"
            );
        }
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _stdout: stdout,
        }
    }

    fn kill(&mut self) {
        // `Child::kill` is SIGKILL: no shutdown, no release of leases.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn with_regions(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    jianfu_store::regions::load_regions(&mut tx, 2023, jianfu_regions::regions("1306"), |_| {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A county officer of 阜平县 and an API token of theirs.
async fn officer(db: &Db) -> (Actor, String) {
    let new = NewAccount {
        username: "county".into(),
        display_name: "县管理员".into(),
        role: Role::CountyAdmin,
        scope: Scope::parse("130624").unwrap(),
        password: "Jobs-password-2026".into(),
        must_change_password: false,
    };
    let app = jianfu_service::App::new(db.clone());
    accounts::add_user(&app, &Actor::command_line(), &new)
        .await
        .unwrap();
    let mut c = db.read().await.unwrap();
    let user = jianfu_store::accounts::user_by_name(&mut c, "county")
        .await
        .unwrap()
        .unwrap();
    drop(c);
    let actor = Actor::of(&user, None).unwrap();
    let token = accounts::issue_api_token(&app, &actor, "jobs test")
        .await
        .unwrap();
    (actor, token)
}

fn generate(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .args(["generate", "--persons", &PERSONS.to_string(), "--out"])
        .arg(dir)
        .env("CI", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("persons.csv")
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
}

type Http = Client<HttpConnector, Full<Bytes>>;

async fn send(http: &Http, req: hyper::Request<Full<Bytes>>) -> (u16, serde_json::Value) {
    let res = http.request(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{status}: {}", String::from_utf8_lossy(&body)));
    (status, json)
}

/// Uploads `file` through `POST /api/v1/imports`; returns the job id.
async fn upload(http: &Http, base: &str, token: &str, file: &Path) -> String {
    let boundary = "jobs-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npersons\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"persons.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::fs::read(file).unwrap());
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let req = hyper::Request::post(format!("{base}/api/v1/imports"))
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let (status, json) = send(http, req).await;
    assert_eq!(status, 200, "{json}");
    json["job"].as_str().unwrap().to_string()
}

async fn status(http: &Http, base: &str, token: &str, job: &str) -> (u16, serde_json::Value) {
    let req = hyper::Request::get(format!("{base}/api/v1/imports/{job}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(http, req).await
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[tokio::test]
async fn an_import_killed_with_its_server_is_finished_by_the_next_one() {
    for t in testing::all().await {
        with_regions(&t).await;
        let (_, token) = officer(&t.db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = generate(dir.path());
        let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
        let http: Http = Client::builder(TokioExecutor::new()).build_http();

        let mut first = Server::start(&t.url, &data, &log);
        let job = upload(&http, &first.base, &token, &file).await;
        // Kill it once the write pass has begun (its change batch exists).
        let started = Instant::now();
        while count(&t.db, "change_batches").await == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{}",
                log_tail(&log)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        first.kill();
        let n = count(&t.db, "persons").await;
        assert!(
            n == 0 || n == PERSONS,
            "{:?}: half an import, {n} persons",
            t.engine()
        );

        let second = Server::start(&t.url, &data, &log);
        let (code, known) = status(&http, &second.base, &token, &job).await;
        assert_eq!(code, 200, "the job is still known: {known}");
        let started = Instant::now();
        let end = loop {
            let (_, s) = status(&http, &second.base, &token, &job).await;
            if s["status"] != "running" {
                break s;
            }
            let waited = started.elapsed();
            assert!(waited < Duration::from_secs(300), "{s}\n{}", log_tail(&log));
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let n = count(&t.db, "persons").await;
        match end["status"].as_str() {
            Some("done") if end["committed"] == true => assert_eq!(n, PERSONS, "{end}"),
            Some("done" | "failed") => assert_eq!(n, 0, "{end}"),
            _ => panic!("{end}"),
        }
        assert_eq!(end["status"], "done", "taken over and finished: {end}");
        let committed: i64 = {
            let sql = "SELECT COUNT(*) FROM change_batches WHERE status = 'committed'";
            t.db.read().await.unwrap().scalar(sql, &[]).await.unwrap()
        };
        assert_eq!(committed, 1, "imported once");
        let upload_dir = data.join("uploads").join(&job);
        assert!(
            !upload_dir.join("upload.csv").exists(),
            "the upload went with the job"
        );
    }
}

#[tokio::test]
async fn jobs_run_once_and_list_from_the_command_line() {
    for t in testing::all().await {
        with_regions(&t).await;
        let (actor, _) = officer(&t.db).await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let file = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n\
                    H1,130624100200,脱贫不稳定户,10230.76,孙文华,130624196603233058,户主,特困,13944633904,正常\n";
        let new = NewUpload {
            kind: FileKind::Persons,
            file_name: "人员.csv".into(),
            bytes: file.as_bytes().to_vec(),
            skip_invalid: false,
        };
        let app = jianfu_service::App::new(t.db.clone());
        let uploads = Uploads::new(data.join("uploads"));
        let job = enqueue_import(&app, &actor, &uploads, new).await.unwrap();

        let jianfu = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_jianfu"))
                .arg("--db")
                .arg(&t.url)
                .args(args)
                .output()
                .unwrap()
        };
        let data_arg = data.to_str().unwrap();
        let run = jianfu(&[
            "jobs",
            "run",
            "--once",
            "--kinds",
            "import",
            "--data-dir",
            data_arg,
        ]);
        let said = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(said.contains("已处理 1 个任务：完成 1"), "{said}");
        assert_eq!(count(&t.db, "persons").await, 1, "{:?}", t.engine());

        let list = jianfu(&["jobs", "list"]);
        let listed = String::from_utf8_lossy(&list.stdout);
        assert!(list.status.success());
        let line = listed
            .lines()
            .find(|l| l.starts_with(&job))
            .expect("listed");
        assert!(line.contains("\timport\tdone\t1/3\t"), "{line}");

        let again = jianfu(&["jobs", "run", "--once", "--data-dir", data_arg]);
        assert!(String::from_utf8_lossy(&again.stdout).contains("已处理 0 个任务"));
        let unknown = jianfu(&["jobs", "run", "--once", "--kinds", "nothing"]);
        assert_eq!(
            unknown.status.code(),
            Some(2),
            "an unknown kind is an error"
        );
    }
}
