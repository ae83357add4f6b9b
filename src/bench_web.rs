//! `jianfu bench web`: a load generator for the web application.
//!
//! It builds (or reuses) a database of generated persons, serves the real
//! application on a loopback port inside this process, signs in concurrent
//! clients (a county officer and a village doctor, sessions opened through
//! the same service the sign-in form uses) and sends a bounded mix of
//! dashboard, search and household requests for a fixed time. It prints
//! latency percentiles per kind of request, throughput and peak memory.
//! Every request must answer 200; anything else stops the run as a
//! failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jianfu_domain::{Role, Scope};
use jianfu_ingest::FileKind;
use jianfu_service::App;
use jianfu_service::accounts::{self, Actor, NewAccount};
use jianfu_store::{Db, Value};

/// Options of `jianfu bench web`.
#[derive(Args, Debug)]
pub struct WebBenchArgs {
    /// Persons to generate when the database has none of the county.
    #[arg(long, default_value_t = 1_000_000)]
    persons: u64,
    /// Database to use (kept between runs); a temporary SQLite file when absent.
    #[arg(long = "bench-db")]
    bench_db: Option<String>,
    /// County to generate.
    #[arg(long, default_value = "130624")]
    county: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

/// The kinds of request in the mix.
const KINDS: [&str; 6] = [
    "dashboard county",
    "dashboard township",
    "search by ID number",
    "search by name",
    "search by village",
    "household detail",
];

struct Targets {
    townships: Vec<String>,
    ids: Vec<String>,
    names: Vec<String>,
    villages: Vec<String>,
    households: Vec<(String, String)>,
}

/// Runs the benchmark.
pub async fn run(args: WebBenchArgs) -> Result<bool> {
    let _tmp;
    let url = match &args.bench_db {
        Some(u) => u.clone(),
        None => {
            let dir = tempfile::tempdir()?;
            let u = format!("sqlite://{}", dir.path().join("bench-web.db").display());
            _tmp = dir;
            u
        }
    };
    let db = Db::open(&url).await?;
    prepare(&db, &args).await?;
    let targets = Arc::new(targets(&db, &args.county).await?);
    let officer = session(&db, "bench-county", Role::CountyAdmin, &args.county).await?;
    // The server runs as its own process, as in production; this process
    // only generates load.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = std::process::Command::new(std::env::current_exe()?)
        .args([
            "--db",
            &url,
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--insecure-cookies",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().context("server stdout")?),
        &mut line,
    )?;
    let addr = format!("127.0.0.1:{port}");
    let base = format!("http://{addr}");
    crate::bench::reset_peak_rss();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for n in 0..args.clients {
        let (base, cookie, targets) = (base.clone(), officer.clone(), targets.clone());
        tasks.push(tokio::spawn(async move {
            client(n, &base, &cookie, &targets, deadline).await
        }));
    }
    let mut lat: Vec<Vec<u32>> = vec![Vec::new(); KINDS.len()];
    for t in tasks {
        let mine = t.await??;
        for (all, m) in lat.iter_mut().zip(mine) {
            all.extend(m);
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let server_peak = peak_of(server.id());
    let _ = server.kill();
    let _ = server.wait();
    report(&lat, wall, args.clients);
    println!("server peak RSS {server_peak:.0} MiB");
    Ok(true)
}

async fn prepare(db: &Db, args: &WebBenchArgs) -> Result<()> {
    crate::ensure_regions(db).await?;
    let (households, persons) =
        jianfu_store::registry::totals(&mut db.read().await?, &args.county).await?;
    if households > 0 {
        println!("database has {persons} persons in {households} households: reused");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    crate::generate(&args.county, args.persons, 1, dir.path())?;
    println!(
        "generate: {} persons in {:.1} s",
        args.persons,
        t.elapsed().as_secs_f64()
    );
    for (kind, file) in [
        (FileKind::Persons, "persons.csv"),
        (FileKind::Diagnoses, "diagnoses.csv"),
    ] {
        let t = Instant::now();
        if !crate::bench::import(db, &dir.path().join(file), kind).await? {
            bail!("import of {file} failed");
        }
        println!("import {file}: {:.1} s", t.elapsed().as_secs_f64());
    }
    Ok(())
}

/// A session cookie for a user of `role` bound to `region` (created once).
async fn session(db: &Db, username: &str, role: Role, region: &str) -> Result<String> {
    let app = App::new(db.clone());
    if jianfu_store::accounts::user_by_name(&mut db.read().await?, username)
        .await?
        .is_none()
    {
        let new = NewAccount {
            username: username.into(),
            display_name: username.into(),
            role,
            scope: Scope::parse(region).context("region")?,
            password: "Bench-password-2026".into(),
            must_change_password: false,
        };
        accounts::add_user(&app, &Actor::command_line(), &new).await?;
    }
    let user = jianfu_store::accounts::user_by_name(&mut db.read().await?, username)
        .await?
        .context("bench user")?;
    let (token, _) = accounts::open_session(&app, &user).await?;
    Ok(format!("jianfu_session={token}"))
}

async fn targets(db: &Db, county: &str) -> Result<Targets> {
    let persons = "SELECT id_number, name, village_code, household_no FROM persons \
                   WHERE county_code = $1 ORDER BY id_number LIMIT 2000";
    let towns = "SELECT DISTINCT substr(village_code, 1, 9) || '000' FROM households \
                 WHERE county_code = $1";
    let mut c = db.read().await?;
    let rows: Vec<(String, String, String, String)> =
        c.all(persons, &[Value::Text(county)]).await?;
    let townships: Vec<(String,)> = c.all(towns, &[Value::Text(county)]).await?;
    drop(c);
    if rows.is_empty() || townships.is_empty() {
        bail!("no persons in county {county}");
    }
    Ok(Targets {
        townships: townships.into_iter().map(|t| t.0).collect(),
        ids: rows.iter().map(|r| r.0.clone()).collect(),
        names: rows.iter().map(|r| r.1.clone()).collect(),
        villages: rows.iter().map(|r| r.2.clone()).collect(),
        households: rows
            .iter()
            .map(|r| (county.to_string(), r.3.clone()))
            .collect(),
    })
}

fn enc(s: &str) -> String {
    jianfu_web::auth::encode(s)
}

fn path_of(kind: usize, i: usize, t: &Targets) -> String {
    let pick = |v: &[String]| v[i % v.len()].clone();
    match kind {
        0 => "/".to_string(),
        1 => format!("/?region={}", pick(&t.townships)),
        2 => format!("/search?id_number={}", pick(&t.ids)),
        3 => format!("/search?name={}", enc(&pick(&t.names))),
        4 => format!("/search?village={}", pick(&t.villages)),
        _ => {
            let (c, h) = &t.households[i % t.households.len()];
            format!("/households/{c}/{}", enc(h))
        }
    }
}

async fn client(
    n: usize,
    base: &str,
    cookie: &str,
    t: &Targets,
    deadline: Instant,
) -> Result<Vec<Vec<u32>>> {
    let http: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut lat = vec![Vec::new(); KINDS.len()];
    let mut i = n * 7919;
    while Instant::now() < deadline {
        let kind = i % KINDS.len();
        let uri: hyper::Uri = format!("{base}{}", path_of(kind, i / KINDS.len(), t)).parse()?;
        let req = hyper::Request::get(uri)
            .header("cookie", cookie)
            .body(Empty::new())?;
        let sent = Instant::now();
        let res = http.request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        let us = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
        if status != 200 {
            bail!(
                "{} answered {status}: {}",
                KINDS[kind],
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        lat[kind].push(us);
        i += 1;
    }
    Ok(lat)
}

/// Peak resident memory of another process, in MiB (Linux).
fn peak_of(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx] as f64 / 1000.0
}

fn report(lat: &[Vec<u32>], wall: f64, clients: usize) {
    println!("{clients} clients, {wall:.1} s");
    println!(
        "{:<22} {:>8} {:>9} {:>9} {:>9}",
        "request", "count", "p50 ms", "p95 ms", "p99 ms"
    );
    let mut all = Vec::new();
    for (k, l) in lat.iter().enumerate() {
        let mut s = l.clone();
        s.sort_unstable();
        println!(
            "{:<22} {:>8} {:>9.1} {:>9.1} {:>9.1}",
            KINDS[k],
            s.len(),
            pct(&s, 0.50),
            pct(&s, 0.95),
            pct(&s, 0.99)
        );
        all.extend(s);
    }
    all.sort_unstable();
    println!(
        "{:<22} {:>8} {:>9.1} {:>9.1} {:>9.1}",
        "all",
        all.len(),
        pct(&all, 0.50),
        pct(&all, 0.95),
        pct(&all, 0.99)
    );
    println!(
        "throughput {:.0} requests/s, load generator peak RSS {:.0} MiB",
        all.len() as f64 / wall,
        crate::bench::peak_rss_mib()
    );
}
