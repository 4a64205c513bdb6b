//! The follower task: keeps the directory at the head of the change log while the app
//! serves. On PostgreSQL a `LISTEN` on a connection of its own wakes it the moment another
//! instance commits; polling every `poll_interval` is the fallback (and the only way on
//! SQLite). Every ten minutes it also compacts the log and expires old entries, and, when
//! a snapshot file is configured, rewrites it every `YIZHAN_SNAPSHOT_INTERVAL_SECS`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{DatabaseConnection, sqlx::postgres::PgListener};
use tokio::{sync::Notify, task::JoinHandle};

use super::{snapshot::SnapshotFile, store::Directory};
use crate::domain::change_log;

/// How often the log is compacted and expired.
const MAINTAIN_EVERY: Duration = Duration::from_secs(600);
/// A lag that lasts longer than this is logged as a warning.
const LAG_WARNING: Duration = Duration::from_secs(5);

/// How the follower runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often to poll the log when nothing wakes the follower sooner.
    pub poll_interval: Duration,
    /// The PostgreSQL URL to `LISTEN` on; `None` polls only.
    pub listen_url: Option<String>,
    /// Entries older than this many days are dropped; cursors before them resynchronise.
    pub retention_days: u32,
    /// Walk-in borrowers' names and phones are erased this many days after the return
    /// (`Rules::loan_pii_retention_days`).
    pub loan_pii_retention_days: u32,
    /// The snapshot file to rewrite, and how often, while changes arrive.
    pub snapshot: Option<(SnapshotFile, Duration)>,
}

/// Starts the follower; it runs until the handle is aborted.
pub fn spawn(db: DatabaseConnection, directory: Arc<Directory>, settings: Settings) -> JoinHandle<()> {
    let wake = Arc::new(Notify::new());
    let listener = settings
        .listen_url
        .clone()
        .map(|url| tokio::spawn(listen(url, wake.clone())));
    tokio::spawn(async move {
        let _listener = listener.map(AbortOnDrop);
        let mut ticker = tokio::time::interval(settings.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut maintained = Instant::now();
        // None until the first pass, which writes a snapshot when the file is missing or
        // behind, so the next start is quick even if this process never stops cleanly.
        let mut snapshot_taken: Option<Instant> = None;
        let mut saving: Option<JoinHandle<()>> = None;
        let mut behind_since: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = wake.notified() => {}
            }
            match directory.catch_up(&db).await {
                Ok(caught) if caught.entries > 0 => {
                    tracing::debug!(
                        applied = caught.applied,
                        entries = caught.entries,
                        "directory caught up"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(error = ?error, "could not follow the change log"),
            }
            report_lag(&db, &directory, &mut behind_since).await;
            if maintained.elapsed() >= MAINTAIN_EVERY {
                maintained = Instant::now();
                maintain(&db, &settings).await;
            }
            // Written beside the follower, which goes on applying changes meanwhile.
            if let Some((file, every)) = &settings.snapshot
                && snapshot_taken.is_none_or(|taken| taken.elapsed() >= *every)
                && saving.as_ref().is_none_or(JoinHandle::is_finished)
            {
                snapshot_taken = Some(Instant::now());
                let (file, db, directory) = (file.clone(), db.clone(), directory.clone());
                saving = Some(tokio::spawn(async move {
                    if let Err(error) = file.save(&db, &directory).await {
                        tracing::warn!(error = ?error, "could not write the directory snapshot");
                    }
                }));
            }
        }
    })
}

/// Aborts a task when dropped, so the listener stops with the follower.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wakes the follower on every notification, and after every reconnection (notifications
/// sent while disconnected are lost, so the follower catches up from its position).
async fn listen(url: String, wake: Arc<Notify>) {
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(change_log::NOTIFY_CHANNEL).await {
                Ok(()) => loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => wake.notify_one(),
                        Ok(None) => {
                            tracing::info!("change notifications reconnected");
                            wake.notify_one();
                        }
                        Err(error) => {
                            tracing::warn!(%error, "lost the change-notification connection");
                            break;
                        }
                    }
                },
                Err(error) => tracing::warn!(%error, "could not LISTEN for changes"),
            },
            Err(error) => tracing::warn!(%error, "could not connect to LISTEN for changes"),
        }
        wake.notify_one();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Logs how far the directory is behind the log's head while it is.
async fn report_lag(db: &DatabaseConnection, directory: &Directory, behind_since: &mut Option<Instant>) {
    let Ok(head) = change_log::head(db).await else {
        return;
    };
    directory.note_head(head);
    let behind = head - directory.applied();
    if behind <= 0 {
        *behind_since = None;
        return;
    }
    let since = *behind_since.get_or_insert_with(Instant::now);
    if since.elapsed() >= LAG_WARNING {
        tracing::warn!(
            positions_behind = behind,
            seconds_behind = since.elapsed().as_secs(),
            "the directory lags behind the change log"
        );
    }
}

async fn maintain(db: &DatabaseConnection, settings: &Settings) {
    let retention_days = settings.retention_days;
    match change_log::compact(db).await {
        Ok(removed) if removed > 0 => tracing::info!(removed, "compacted the change log"),
        Ok(_) => {}
        Err(error) => tracing::warn!(error = ?error, "could not compact the change log"),
    }
    if let Err(error) = change_log::expire(db, retention_days).await {
        tracing::warn!(error = ?error, "could not expire old change-log entries");
    }
    if let Err(error) = crate::domain::idempotency::expire(db).await {
        tracing::warn!(error = ?error, "could not forget old idempotency keys");
    }
    match crate::domain::stations::privacy::erase_expired(db, settings.loan_pii_retention_days).await {
        Ok(erased) if erased > 0 => tracing::info!(erased, "erased walk-in borrowers' names and phones"),
        Ok(_) => {}
        Err(error) => tracing::warn!(error = ?error, "could not erase walk-in borrowers' personal data"),
    }
}
