//! `jianfu serve` (and the demo's server): the web application with a job
//! worker beside it, until Ctrl-C or SIGTERM.

use anyhow::{Context, Result};
use jianfu_web::AppState;
use tokio::sync::watch;

use crate::jobs_cli::QueueArgs;

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
