//! `jianfu serve` (and the demo's server): the web application with a job
//! worker beside it, until Ctrl-C or SIGTERM.

use anyhow::{Context, Result};
use clap::Args;
use jianfu_store::Db;
use jianfu_web::AppState;
use tokio::sync::watch;

use crate::jobs_cli::QueueArgs;

/// `jianfu serve`'s options.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Send cookies without the Secure flag even on a non-loopback
    /// address (only behind a proxy that itself speaks HTTPS).
    #[arg(long)]
    insecure_cookies: bool,
    /// A reverse proxy (address or CIDR range, repeatable) whose
    /// X-Forwarded-For names the client; from anyone else the header
    /// is ignored.
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    trusted_proxies: Vec<ipnet::IpNet>,
    #[command(flatten)]
    queue: QueueArgs,
}

/// `jianfu serve` on `db` (at `url`).
pub async fn run(db: Db, url: &str, args: ServeArgs) -> Result<bool> {
    if jianfu_store::accounts::user_count(&mut db.read().await?).await? == 0 {
        println!("数据库中还没有用户：请先用 jianfu user add 创建管理员。");
    }
    // Browsers refuse Secure cookies over plain HTTP except on loopback,
    // where they are allowed; elsewhere HTTPS is expected in front.
    let web = AppState::new(db, !args.insecure_cookies).with_trusted_proxies(args.trusted_proxies);
    serve(web, url, &args.addr, &args.queue).await?;
    Ok(true)
}

/// Serves `state` (its database at `url`) on `addr` with a job worker
/// beside it, until Ctrl-C or SIGTERM; then the server stops taking
/// requests and the worker gives back the jobs it cannot finish in its
/// grace period.
pub async fn serve(state: AppState, url: &str, addr: &str, queue: &QueueArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {addr}"))?;
    let local = listener.local_addr()?;
    let db = state.db.clone();
    let state = state.with_uploads(queue.uploads(url));
    let worker = state.worker(queue.config(&db, Vec::new()))?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        println!("正在停止……");
        let _ = stop.send(true);
    });
    // The server and the worker each wait for the one signal.
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let jobs = tokio::spawn({
        let stopped = until_stopped(stopped.clone());
        async move { worker.run(stopped).await }
    });
    println!("健扶已启动：http://{local}/");
    jianfu_web::serve(listener, state, until_stopped(stopped)).await?;
    jobs.await?;
    db.close().await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
