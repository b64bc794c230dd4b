//! Named pause points, so race tests read as "pause A here, run B, release A, A is fenced".
//!
//! Code under test calls [`hit`] with an `Option<Arc<Failpoints>>` it was configured with; in production that is
//! `None` and a hit costs one branch. A test arms a point with [`Failpoints::pause`]: the next task to reach it
//! signals [`Paused::reached`] and waits until the handle is released (or dropped, so a failing test never leaves a
//! task hanging). Each arming catches exactly one hit; other hits pass straight through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// A registry of armed pause points.
#[derive(Debug, Default)]
pub struct Failpoints {
    armed: Mutex<HashMap<&'static str, Armed>>,
}

#[derive(Debug)]
struct Armed {
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The test's side of an armed point.
#[derive(Debug)]
pub struct Paused {
    name: &'static str,
    reached: Option<oneshot::Receiver<()>>,
    release: Option<oneshot::Sender<()>>,
}

impl Failpoints {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Arms `name`: the next task that reaches it waits for the returned handle.
    pub fn pause(&self, name: &'static str) -> Paused {
        let (reached_tx, reached_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        self.armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                name,
                Armed {
                    reached: reached_tx,
                    release: release_rx,
                },
            );
        Paused {
            name,
            reached: Some(reached_rx),
            release: Some(release_tx),
        }
    }

    async fn wait_if_armed(&self, name: &'static str) {
        let armed = self
            .armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        if let Some(armed) = armed {
            tracing::debug!(failpoint = name, "paused");
            // The test may have dropped its handle already; either way, go on when released or abandoned.
            let _ = armed.reached.send(());
            let _ = armed.release.await;
            tracing::debug!(failpoint = name, "released");
        }
    }
}

impl Paused {
    /// Waits until a task is paused here. Returns at once if that already happened.
    pub async fn reached(&mut self) {
        if let Some(rx) = self.reached.take() {
            // An error means the registry went away: nothing will ever pause here, and the test will see that.
            let _ = rx.await;
        }
    }

    /// Lets the paused task go on.
    pub fn release(mut self) {
        if let Some(tx) = self.release.take() {
            let _ = tx.send(());
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Called by the code under test at a named point.
pub async fn hit(failpoints: &Option<Arc<Failpoints>>, name: &'static str) {
    if let Some(fp) = failpoints {
        fp.wait_if_armed(name).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn a_paused_task_waits_for_release_and_only_once() {
        let fp = Failpoints::new();
        let mut paused = fp.pause("p");
        let done = Arc::new(AtomicBool::new(false));
        let task = {
            let (fp, done) = (Some(fp.clone()), done.clone());
            tokio::spawn(async move {
                hit(&fp, "other").await;
                hit(&fp, "p").await;
                done.store(true, Ordering::SeqCst);
                hit(&fp, "p").await; // not armed any more: passes
            })
        };
        paused.reached().await;
        tokio::task::yield_now().await;
        assert!(
            !done.load(Ordering::SeqCst),
            "must wait at the point until released"
        );
        paused.release();
        task.await.unwrap();
        assert!(done.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn dropping_the_handle_releases() {
        let fp = Failpoints::new();
        let paused = fp.pause("p");
        drop(paused);
        hit(&Some(fp), "p").await;
        hit(&None, "p").await;
    }
}
