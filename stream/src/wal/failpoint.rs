//! Named hooks that race tests can pause or make fail: "pause A here, run B, release A, A is fenced".
//!
//! Code under test carries an `Option<Arc<FailPoints>>` that is `None` in production, so an unused hook costs one
//! branch. A hook is hit by name; a test can count hits, wait for the n-th, hold every hit until released, or make
//! the next hits report a failure that the code turns into its own error (an I/O or store error).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

#[derive(Debug, Default)]
pub struct FailPoints {
    points: Mutex<HashMap<&'static str, Arc<watch::Sender<PointState>>>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct PointState {
    hits: u64,
    paused: bool,
    failures: u32,
}

impl FailPoints {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    fn point(&self, name: &'static str) -> Arc<watch::Sender<PointState>> {
        let mut points = self.points.lock().unwrap_or_else(PoisonError::into_inner);
        points
            .entry(name)
            .or_insert_with(|| Arc::new(watch::channel(PointState::default()).0))
            .clone()
    }

    /// Holds every later hit of `name` until [`release`](Self::release).
    pub fn pause(&self, name: &'static str) {
        self.point(name).send_modify(|s| s.paused = true);
    }

    pub fn release(&self, name: &'static str) {
        self.point(name).send_modify(|s| s.paused = false);
    }

    /// Makes the next `times` hits of `name` report a failure.
    pub fn fail(&self, name: &'static str, times: u32) {
        self.point(name).send_modify(|s| s.failures += times);
    }

    /// How often `name` was reached so far (a paused hit counts as soon as it arrives).
    pub fn hits(&self, name: &'static str) -> u64 {
        self.point(name).borrow().hits
    }

    /// Waits until `name` has been reached `n` times.
    pub async fn wait_for_hits(&self, name: &'static str, n: u64) {
        let point = self.point(name);
        let mut rx = point.subscribe();
        // The sender lives in `point` for as long as this waits, so this cannot fail.
        let _ = rx.wait_for(|s| s.hits >= n).await;
    }

    /// Called by the code under test. Waits while paused; returns true when this hit must fail.
    pub async fn hit(&self, name: &'static str) -> bool {
        let point = self.point(name);
        let mut rx = point.subscribe();
        point.send_modify(|s| s.hits += 1);
        let _ = rx.wait_for(|s| !s.paused).await;
        let mut fail = false;
        point.send_modify(|s| {
            if s.failures > 0 {
                s.failures -= 1;
                fail = true;
            }
        });
        fail
    }

    /// [`hit`](Self::hit) for code on a thread of its own (never call it on an async runtime's thread).
    pub fn hit_blocking(&self, name: &'static str) -> bool {
        futures::executor::block_on(self.hit(name))
    }
}

/// Hits `name` when hooks are installed; false (go on) otherwise.
pub(crate) async fn hit(points: &Option<Arc<FailPoints>>, name: &'static str) -> bool {
    match points {
        Some(points) => points.hit(name).await,
        None => false,
    }
}

pub(crate) fn hit_blocking(points: &Option<Arc<FailPoints>>, name: &'static str) -> bool {
    match points {
        Some(points) => points.hit_blocking(name),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paused_hit_waits_for_release_and_failures_are_counted_down() {
        let fp = FailPoints::new();
        fp.pause("p");
        fp.fail("p", 1);
        let hitter = tokio::spawn({
            let fp = fp.clone();
            async move { (fp.hit("p").await, fp.hit("p").await) }
        });
        fp.wait_for_hits("p", 1).await;
        assert!(!hitter.is_finished());
        assert_eq!(fp.hits("p"), 1);
        fp.release("p");
        assert_eq!(hitter.await.unwrap(), (true, false));
        assert_eq!(fp.hits("p"), 2);
    }

    #[test]
    fn blocking_hits_work_off_the_runtime() {
        let fp = FailPoints::new();
        fp.fail("q", 2);
        let fp2 = fp.clone();
        let results = std::thread::spawn(move || {
            [
                fp2.hit_blocking("q"),
                fp2.hit_blocking("q"),
                fp2.hit_blocking("q"),
            ]
        })
        .join()
        .unwrap();
        assert_eq!(results, [true, true, false]);
        assert!(!futures::executor::block_on(hit(&None, "q")));
    }
}
