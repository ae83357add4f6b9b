//! Browser tests: the real `jianfu` binary serving a demo county, driven
//! through headless Chromium (Debian's `chromium` and `chromium-driver`,
//! installed by `scripts/test.sh`) over WebDriver.
//!
//! A county officer and a village doctor sign in, search, open a household
//! and upload an import with errors; the village doctor must not reach
//! another village's household through the pages or the API. Screenshots
//! of the main pages go to `target/screenshots/`. At the end the server's
//! log is searched for every ID number, name and phone number of the
//! county: none may appear.
//!
//! Without Chromium the test is skipped, unless `JIANFU_REQUIRE_BROWSER=1`
//! (set by `scripts/test.sh`), where a missing browser is a failure.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

#[path = "browser/cases.rs"]
mod cases;

const PASSWORD: &str = "Jianfu-demo-2026";

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_jianfu")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Builds the demo database (regions, a generated county, demo accounts).
fn demo_db(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let out = Command::new(bin())
        .args(["--db", &url, "demo", "--no-serve", "--persons", "3000"])
        .env("CI", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    url
}

/// Starts `jianfu serve` on a free port, logging to `log`.
fn serve(url: &str, log: &Path) -> (Proc, String) {
    let port = free_port();
    let mut child = Command::new(bin())
        .args(["--db", url, "serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--insecure-cookies")
        .env(
            "JIANFU_LOG",
            "debug,sqlx=info,hyper=info,h2=info,tower=info",
        )
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("http://"), "server said: {line}");
    (Proc(child), format!("http://127.0.0.1:{port}"))
}

fn chromedriver() -> Option<(Proc, String)> {
    let driver = which("chromedriver")?;
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((Proc(child), format!("http://127.0.0.1:{port}")))
}

async fn browser(driver: &str, downloads: &Path, phone: bool) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--lang=zh-CN",
    ];
    if phone {
        args.push("--window-size=390,844");
    } else {
        args.push("--window-size=1280,900");
    }
    let caps = json!({
        "goog:chromeOptions": {
            "binary": which("chromium").map(|p| p.display().to_string()).unwrap_or_default(),
            "args": args,
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false
            }
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("WebDriver session")
}

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots_dir().join(format!("{name}.png")), png).unwrap();
}

async fn sign_in(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, |src| !src.contains("id=\"login\"")).await;
}

/// The dashboard's cards, their figures and charts wider than their box.
async fn overflowing(c: &Client) -> Vec<String> {
    let js = "const bad = [];\
        for (const el of document.querySelectorAll('.card, .card b, .chart')) {\
          if (el.scrollWidth > el.clientWidth + 1) {\
            bad.push(el.className + ': ' + el.textContent.trim().slice(0, 40)\
              + ' (' + el.scrollWidth + ' > ' + el.clientWidth + ')');\
          }\
        }\
        return bad;";
    let v = c.execute(js, vec![]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

async fn wait_for(c: &Client, ok: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let src = c.source().await.unwrap();
        if ok(&src) {
            return src;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "page never got there:\n{src}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A household of the doctor's village and one of another village.
async fn households(url: &str) -> ((String, String), (String, String)) {
    let db = jianfu_store::Db::open(url).await.unwrap();
    let jianfu_store::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let village: (String,) = sqlx::query_as("SELECT region FROM users WHERE username = 'doctor'")
        .fetch_one(pool)
        .await
        .unwrap();
    let own: (String, String) = sqlx::query_as(
        "SELECT county_code, household_no FROM households WHERE village_code = $1 ORDER BY household_no LIMIT 1",
    )
    .bind(&village.0)
    .fetch_one(pool)
    .await
    .unwrap();
    let other: (String, String) = sqlx::query_as(
        "SELECT county_code, household_no FROM households WHERE village_code <> $1 ORDER BY household_no LIMIT 1",
    )
    .bind(&village.0)
    .fetch_one(pool)
    .await
    .unwrap();
    db.close().await;
    (own, other)
}

/// The name of the head of a household.
async fn head_name(url: &str, county: &str, no: &str) -> String {
    let db = jianfu_store::Db::open(url).await.unwrap();
    let jianfu_store::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let (name,): (String,) = sqlx::query_as(
        "SELECT name FROM persons WHERE county_code = $1 AND household_no = $2 AND relation = 'head'",
    )
    .bind(county)
    .bind(no)
    .fetch_one(pool)
    .await
    .unwrap();
    db.close().await;
    name
}

/// The address reference of the head of household `no`.
async fn head_ref(url: &str, county: &str, no: &str) -> String {
    let db = jianfu_store::Db::open(url).await.unwrap();
    let members =
        jianfu_store::registry::household_members(&mut db.read().await.unwrap(), county, no)
            .await
            .unwrap();
    let head = members.iter().find(|m| m.relation == "head").unwrap();
    let r = jianfu_service::person_ref::PersonRefs::load(&db)
        .await
        .unwrap()
        .of(&head.id_number);
    db.close().await;
    r
}

/// What the database holds about people, to search the log for.
async fn personal_data(url: &str) -> Vec<String> {
    let db = jianfu_store::Db::open(url).await.unwrap();
    let jianfu_store::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id_number, name, phone FROM persons")
            .fetch_all(pool)
            .await
            .unwrap();
    db.close().await;
    let mut out = Vec::new();
    for (id, name, phone) in rows {
        out.push(id);
        if name.chars().count() >= 2 {
            out.push(name);
        }
        out.extend(phone);
    }
    out
}

struct Setup {
    _dir: tempfile::TempDir,
    _server: Proc,
    _driver: Proc,
    url: String,
    base: String,
    driver: String,
    log: PathBuf,
    downloads: PathBuf,
}

fn setup() -> Option<Setup> {
    let required = std::env::var_os("JIANFU_REQUIRE_BROWSER").is_some_and(|v| v == "1");
    let Some((driver_proc, driver)) = chromedriver() else {
        assert!(
            !required,
            "chromedriver not found but JIANFU_REQUIRE_BROWSER=1"
        );
        eprintln!("chromedriver not found: browser tests skipped");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = demo_db(dir.path());
    let log = dir.path().join("server.log");
    let (server, base) = serve(&url, &log);
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    Some(Setup {
        _dir: dir,
        _server: server,
        _driver: driver_proc,
        url,
        base,
        driver,
        log,
        downloads,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_and_doctors_in_the_browser() {
    let Some(s) = setup() else { return };
    let base = &s.base;

    // The sign-in page, and a wrong password.
    let c = browser(&s.driver, &s.downloads, false).await;
    c.goto(&format!("{base}/")).await.unwrap();
    let src = wait_for(&c, |src| src.contains("id=\"login\"")).await;
    assert!(src.contains("登录"));
    shot(&c, "01-login").await;
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("county")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("Wrong-password-1")
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, |src| src.contains("用户名或密码错误")).await;

    // County officer: the dashboard of the county.
    sign_in(&c, base, "county").await;
    let src = wait_for(&c, |src| src.contains("阜平县")).await;
    assert!(src.contains("id=\"logout\"") && src.contains("id=\"households\""));
    shot(&c, "02-dashboard-county").await;
    // Amounts fit their cards on a desktop and on a narrow phone; the
    // trend chart is there with its data table.
    assert!(src.contains("id=\"trends\"") && src.contains("chart-data"));
    assert!(
        src.contains("<small>万元</small>") || src.contains("<small>亿元</small>"),
        "large sums in 万元/亿元"
    );
    assert_eq!(overflowing(&c).await, Vec::<String>::new(), "at 1280 px");
    c.set_window_size(360, 800).await.unwrap();
    assert_eq!(overflowing(&c).await, Vec::<String>::new(), "at 360 px");
    shot(&c, "02b-dashboard-county-360").await;
    c.set_window_size(1280, 900).await.unwrap();

    // Search by name, open the household from the results.
    let ((county, own), (_, other)) = households(&s.url).await;
    let name = head_name(&s.url, &county, &own).await;
    c.goto(&format!("{base}/search")).await.unwrap();
    c.find(Locator::Id("q-name"))
        .await
        .unwrap()
        .send_keys(&name)
        .await
        .unwrap();
    c.find(Locator::Id("search"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, |src| src.contains("条")).await;
    shot(&c, "03-search").await;
    c.find(Locator::Css(&format!(
        "a[href='/households/{county}/{own}']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let src = wait_for(&c, |src| src.contains("家庭成员")).await;
    assert!(src.contains("变更记录"));
    shot(&c, "04-household").await;
    c.find(Locator::Css("td[data-label='姓名'] a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, |src| src.contains("id=\"id-number\"")).await;
    shot(&c, "05-person").await;
    let masked = c
        .find(Locator::Id("id-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(masked.contains('*'), "masked by default: {masked}");
    c.find(Locator::Id("unmask"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, |src| src.contains("confirm-unmask")).await;
    c.find(Locator::Id("confirm-unmask"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, |src| src.contains("审计日志")).await;
    let full = c
        .find(Locator::Id("id-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(full.len(), 18, "unmasked after stating a reason");
    assert!(!full.contains('*'));

    // An import with an error: nothing written, the report downloads.
    let file = s.downloads.parent().unwrap().join("导入测试.csv");
    std::fs::write(
        &file,
        "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态\n\
         WEB1,130624100200,边缘易致贫户,10200.36,林浩然,130624197001087553,户主,低保,,正常\n\
         WEB2,130624100201,边缘易致贫户,10200.36,林志强,130624197308076024,户主,,,正常\n",
    )
    .unwrap();
    c.goto(&format!("{base}/imports")).await.unwrap();
    wait_for(&c, |src| src.contains("multipart/form-data")).await;
    shot(&c, "06-imports").await;
    c.find(Locator::Css("input[type='file']"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[enctype='multipart/form-data'] button[type='submit']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let src = wait_for(&c, |src| src.contains("id=\"result\"")).await;
    assert!(
        src.contains("整个文件未导入"),
        "all-or-nothing refused the file"
    );
    shot(&c, "07-import-result").await;
    c.find(Locator::Css("a[href$='/report.csv']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let started = Instant::now();
    let report = loop {
        let found = std::fs::read_dir(&s.downloads)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "csv"));
        if let Some(p) = found {
            break std::fs::read_to_string(p).unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no report downloaded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        report.contains("身份证号") && report.contains("校验"),
        "{report}"
    );
    c.close().await.unwrap();

    // Village doctor on a phone: their own village's household, and
    // nothing of another village through the pages or the API.
    let d = browser(&s.driver, &s.downloads, true).await;
    sign_in(&d, base, "doctor").await;
    shot(&d, "10-dashboard-doctor-phone").await;
    d.goto(&format!("{base}/households/{county}/{own}"))
        .await
        .unwrap();
    wait_for(&d, |src| src.contains("家庭成员")).await;
    shot(&d, "11-household-doctor-phone").await;
    d.goto(&format!("{base}/households/{county}/{other}"))
        .await
        .unwrap();
    let src = wait_for(&d, |src| src.contains("没有找到")).await;
    assert!(!src.contains("家庭成员"));
    shot(&d, "12-other-village-refused").await;
    d.goto(&format!("{base}/api/v1/households/{county}/{other}"))
        .await
        .unwrap();
    let src = wait_for(&d, |src| src.contains("not_found")).await;
    assert!(!src.contains("members"));
    let other_head = head_ref(&s.url, &county, &other).await;
    d.goto(&format!("{base}/persons/{county}/{other}/{other_head}"))
        .await
        .unwrap();
    wait_for(&d, |src| src.contains("没有找到")).await;
    d.close().await.unwrap();

    // Nothing personal in the server's log.
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(log.contains("request"), "the server logged requests");
    for item in personal_data(&s.url).await {
        assert!(!log.contains(&item), "personal data in the server log");
    }
}
