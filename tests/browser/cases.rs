//! Browser tests of monitoring cases: the demo county evaluated as of the
//! end of 2024; a county officer opens an alert from the alert list,
//! which creates a case, and moves it through the procedure (verification,
//! candidate, rejection by the township); a village doctor on a
//! phone-sized window opens a case for a household of the village and
//! records the home verification with a photo.

use fantoccini::{Client, Locator};

use super::{browser, setup, shot, sign_in, wait_for};

/// Evaluates the demo county as of 2024-12-31 (its claim years).
fn run_monitoring(url: &str) {
    let out = std::process::Command::new(super::bin())
        .args(["--db", url, "monitor", "run", "--as-of", "2024-12-31"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Past the built-in national calendars (2022–2026), a plain calendar
/// (weekdays only, New Year's Day off) of this year and the next is added
/// as a later notice would be, so that deadlines opened today can be
/// computed and the procedure followed.
fn plain_calendars(url: &str) {
    use chrono::Datelike;
    let dir = tempfile::tempdir().unwrap();
    let year = chrono::Local::now().year();
    for y in [year, year + 1].into_iter().filter(|y| *y > 2026) {
        let file = dir.path().join(format!("cn-{y}.toml"));
        let toml = format!("year = {y}\nsource = \"测试\"\ndays_off = [\"{y}-01-01\"]\n");
        std::fs::write(&file, toml).unwrap();
        let out = std::process::Command::new(super::bin())
            .args(["--db", url, "calendar", "add", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Opens the form of `action` on a case page, fills the note (and the
/// reason when given, and a file when given) and submits it; returns the
/// page after.
async fn take(
    c: &Client,
    action: &str,
    note: &str,
    reason: Option<&str>,
    file: Option<&str>,
) -> String {
    let form = format!("form[data-action='{action}']");
    c.find(Locator::Css(&format!("details.step:has({form}) summary")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let field = |name: &str| format!("{form} [name='{name}']");
    c.find(Locator::Css(&field("note")))
        .await
        .unwrap()
        .send_keys(note)
        .await
        .unwrap();
    if let Some(r) = reason {
        c.find(Locator::Css(&field("reason")))
            .await
            .unwrap()
            .send_keys(r)
            .await
            .unwrap();
    }
    if let Some(f) = file {
        c.find(Locator::Css(&field("file")))
            .await
            .unwrap()
            .send_keys(f)
            .await
            .unwrap();
    }
    submit(c, &format!("{form} button[type='submit']")).await
}

/// Clicks `button` and waits for the next page: the old document is
/// marked first, so a page that already said something is not mistaken
/// for the answer.
async fn submit(c: &Client, button: &str) -> String {
    c.execute("window.__before_submit = true", vec![])
        .await
        .unwrap();
    c.find(Locator::Css(button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let fresh = c
            .execute(
                "return window.__before_submit === undefined && document.readyState === 'complete'",
                vec![],
            )
            .await
            .map(|v| v.as_bool() == Some(true))
            .unwrap_or(false);
        if fresh {
            return c.source().await.unwrap();
        }
        assert!(started.elapsed().as_secs() < 30, "no answer to {button}");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

fn state_of(src: &str) -> String {
    let at = src.find("data-state=\"").expect("the case's state") + 12;
    src[at..at + src[at..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_from_an_alert_and_a_home_verification_with_a_photo() {
    let Some(s) = setup() else { return };
    run_monitoring(&s.url);
    plain_calendars(&s.url);
    let base = &s.base;

    // The county officer: the alert list, 立案/核查, the case.
    let c = browser(&s.driver, &s.downloads, false).await;
    sign_in(&c, base, "county").await;
    c.goto(&format!("{base}/monitoring/alerts?year=2024"))
        .await
        .unwrap();
    let src = wait_for(&c, |src| src.contains("防返贫监测预警")).await;
    assert!(src.contains("立案/核查") && src.contains("忽略"), "{src}");
    shot(&c, "20-alerts").await;
    c.find(Locator::Css(
        "form[action='/monitoring/alerts/open'] textarea[name='note']",
    ))
    .await
    .unwrap()
    .send_keys("县级核查：医疗负担超过阈值")
    .await
    .unwrap();
    c.find(Locator::Css(
        "form[action='/monitoring/alerts/open'] button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let src = wait_for(&c, |src| src.contains("办理时限")).await;
    assert_eq!(state_of(&src), "pre_warning");
    assert!(src.contains("dl dl-green"), "a fresh deadline is green");
    let src = take(&c, "start_verification", "安排入户核查", None, None).await;
    assert_eq!(state_of(&src), "verifying", "{src}");
    // Confirming opens the 20-working-day procedure on the calendars.
    let src = take(&c, "confirm_risk", "核查确认存在风险", None, None).await;
    assert_eq!(state_of(&src), "candidate", "{src}");
    let src = take(
        &c,
        "reject",
        "经乡镇审核",
        Some("家庭收入已超过监测范围"),
        None,
    )
    .await;
    assert_eq!(state_of(&src), "rejected", "{src}");
    assert!(
        !src.contains("details class=\"step\""),
        "a final case offers no step"
    );
    shot(&c, "21-case-closed").await;
    c.goto(&format!("{base}/monitoring/cases")).await.unwrap();
    wait_for(&c, |src| {
        src.contains("监测案件") && src.contains("/monitoring/cases/1")
    })
    .await;
    c.close().await.unwrap();

    // The village doctor on a phone: a case for a household of the
    // village, the home verification with a photo.
    let ((_, own), _) = super::households(&s.url).await;
    let photo = s.downloads.parent().unwrap().join("入户照片.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
    jpeg.extend_from_slice(b"JFIF\0 home visit");
    std::fs::write(&photo, jpeg).unwrap();
    let p = browser(&s.driver, &s.downloads, true).await;
    sign_in(&p, base, "doctor").await;
    p.goto(&format!("{base}/monitoring/cases")).await.unwrap();
    wait_for(&p, |src| src.contains("手工立案")).await;
    p.find(Locator::Css(
        "form[action='/monitoring/cases'] input[name='household']",
    ))
    .await
    .unwrap()
    .send_keys(&own)
    .await
    .unwrap();
    p.find(Locator::Css(
        "form[action='/monitoring/cases'] textarea[name='note']",
    ))
    .await
    .unwrap()
    .send_keys("村医排查发现")
    .await
    .unwrap();
    p.find(Locator::Css(
        "form[method='post'][action='/monitoring/cases'] button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let src = wait_for(&p, |src| src.contains("办理时限")).await;
    assert_eq!(state_of(&src), "pre_warning");
    assert!(
        !src.contains("data-action=\"close_no_risk\""),
        "a doctor cannot close"
    );
    let photo = photo.display().to_string();
    let src = take(
        &p,
        "start_verification",
        "已入户核实，拍照留存",
        None,
        Some(&photo),
    )
    .await;
    assert_eq!(state_of(&src), "verifying", "{src}");
    assert!(src.contains("入户照片.jpg"), "{src}");
    // Nothing wider than the window: no sideways scrolling on a phone
    // (headless Chromium keeps a minimum window near 500 px).
    let (page, window) = (
        js_int(&p, "return document.documentElement.scrollWidth").await,
        js_int(&p, "return window.innerWidth").await,
    );
    assert!(window < 520, "a phone-sized window: {window}px");
    assert!(
        page <= window,
        "the case page fits the window: {page} > {window}"
    );
    shot(&p, "22-phone-home-verification").await;
    p.close().await.unwrap();
}

async fn js_int(c: &Client, script: &str) -> i64 {
    c.execute(script, vec![]).await.unwrap().as_i64().unwrap()
}
