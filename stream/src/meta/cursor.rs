//! [`LogCursor`]: one process's position in the metadata log, as reader and writer.
//!
//! Appending is "create the key after my tip": two writers racing for one sequence cannot both win, because
//! creation is create-if-absent. The loser is told what it missed and decides again.
//!
//! The subtle part is garbage collection. Collected entries leave holes that create-if-absent would happily fill,
//! so a process that stalled long enough (two snapshots and a collection went by) could "append" at an old
//! sequence, or tail into the hole and believe it is at the tip. The cursor rules that out with an **anchor**: the
//! identity ([`EntryId`]) of the last entry it has verified. Everything it read or wrote after the anchor is
//! trusted only once the anchor entry is read again, after those reads or that write, and is still there with
//! the same identity. Collection deletes entries in ascending order (see
//! [`LogStore::collect_garbage`](super::LogStore::collect_garbage)), so an anchor still present proves that no
//! later entry had been deleted when it was read or created: nothing read was a resurrected hole, and a create
//! that succeeded took a sequence nobody had used. A cursor whose anchor is gone is **stale** and must restart
//! from the latest snapshot. Before its first entry a cursor has no anchor; then the proof is "no snapshot exists
//! yet", since collection needs two. The cost is one extra GET per poll and per append.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::clock::Clock;
use super::failpoint::{self, Failpoints};
use super::frame::{Entry, EntryId, Seq, WriterId, encode_entry};
use super::log::LogStore;
use crate::error::{Error, Result};

/// Named pause points of the cursor, for race tests.
pub mod points {
    /// After the frame is built, before its create is sent.
    pub const APPEND_BEFORE_PUT: &str = "log.append.before_put";
    /// After the create succeeded, before the anchor check that confirms it.
    pub const APPEND_AFTER_PUT: &str = "log.append.after_put";
    /// After new entries were read, before the anchor check that confirms them.
    pub const POLL_BEFORE_VERIFY: &str = "log.poll.before_verify";
}

/// How many times a write whose answer was lost is read back (and, if absent, put again) before giving up.
const LOST_ANSWER_ATTEMPTS: u32 = 5;
const LOST_ANSWER_BACKOFF: Duration = Duration::from_millis(20);

/// What a poll found.
#[derive(Debug)]
pub enum Poll<T> {
    /// Entries after the previous tip, verified; empty when nothing is new.
    Entries(Vec<Entry<T>>),
    /// The cursor's position was garbage-collected: restart from the latest snapshot
    /// ([`LogCursor::reset`]). Nothing read in this poll may be used.
    Stale,
}

/// What an append did.
#[derive(Debug)]
pub enum Append<T> {
    /// The entry is in the log at `id.seq`, right after the previous tip.
    Written { id: EntryId, at_ms: u64 },
    /// Another writer took the sequence. `missed` are the entries after the previous tip, verified, the first
    /// being the one that won; the cursor's tip has moved past them. Apply them, then decide again.
    Conflict { missed: Vec<Entry<T>> },
    /// The cursor's position was garbage-collected while it appended. If `unresolved` is set, a create for that
    /// id succeeded but cannot be confirmed from here: after restarting from the latest snapshot, the entry
    /// landed if the replay meets it, or if the snapshot's writer table names it.
    Stale { unresolved: Option<EntryId> },
}

/// Whose entry holds a sequence after a create.
enum Slot {
    Ours,
    Theirs,
}

/// A position in the log with the right to append after it.
#[derive(Debug)]
pub struct LogCursor {
    log: LogStore,
    writer: WriterId,
    next_put: u64,
    tip: Seq,
    anchor: Option<EntryId>,
    clock: Arc<dyn Clock>,
    failpoints: Option<Arc<Failpoints>>,
}

impl LogCursor {
    /// A cursor before the first entry. `writer` must be unique to this process instance.
    pub fn new(
        log: LogStore,
        writer: WriterId,
        clock: Arc<dyn Clock>,
        failpoints: Option<Arc<Failpoints>>,
    ) -> Self {
        Self {
            log,
            writer,
            next_put: 0,
            tip: 0,
            anchor: None,
            clock,
            failpoints,
        }
    }

    pub fn log(&self) -> &LogStore {
        &self.log
    }

    pub fn writer(&self) -> WriterId {
        self.writer
    }

    /// The last sequence this cursor has verified (0 before the first entry).
    pub fn tip(&self) -> Seq {
        self.tip
    }

    /// The identity of entry [`tip`](Self::tip), `None` before the first entry.
    pub fn anchor(&self) -> Option<EntryId> {
        self.anchor
    }

    /// Continues after a snapshot: its sequence becomes the tip, its last entry the anchor.
    pub fn reset(&mut self, anchor: EntryId) {
        self.tip = anchor.seq;
        self.anchor = Some(anchor);
    }

    /// Is everything read or created since the anchor was set genuine? See the module docs.
    async fn verify(&self) -> Result<bool> {
        match self.anchor {
            Some(anchor) => Ok(self
                .log
                .read_entry::<IgnoredAny>(anchor.seq)
                .await?
                .is_some_and(|found| found.id == anchor)),
            None => Ok(self.log.list_snapshots().await?.is_empty()),
        }
    }

    /// Reads up to `limit` entries after the tip and moves the tip past them.
    pub async fn poll<T: DeserializeOwned>(&mut self, limit: usize) -> Result<Poll<T>> {
        let entries = self.log.read_from::<T>(self.tip + 1, limit).await?;
        failpoint::hit(&self.failpoints, points::POLL_BEFORE_VERIFY).await;
        if !self.verify().await? {
            return Ok(Poll::Stale);
        }
        if let Some(last) = entries.last() {
            self.tip = last.id.seq;
            self.anchor = Some(last.id);
        }
        Ok(Poll::Entries(entries))
    }

    /// Appends `record` at the sequence after the tip. See [`Append`] for the outcomes. An error means the
    /// store did not answer well enough to tell whether the entry landed, even after reading it back; the
    /// cursor is unchanged, and a later poll will show the entry if it did land.
    pub async fn append<T: Serialize + DeserializeOwned>(
        &mut self,
        record: T,
    ) -> Result<Append<T>> {
        let id = EntryId {
            writer: self.writer,
            seq: self.tip + 1,
            put: self.next_put,
        };
        self.next_put += 1;
        let at_ms = self.clock.now_ms();
        let frame = encode_entry(&Entry { id, at_ms, record })?;
        failpoint::hit(&self.failpoints, points::APPEND_BEFORE_PUT).await;
        match self.create_resolved(id, frame).await? {
            Slot::Ours => {
                failpoint::hit(&self.failpoints, points::APPEND_AFTER_PUT).await;
                if !self.verify().await? {
                    return Ok(Append::Stale {
                        unresolved: Some(id),
                    });
                }
                self.tip = id.seq;
                self.anchor = Some(id);
                Ok(Append::Written { id, at_ms })
            }
            Slot::Theirs => match self.poll::<T>(usize::MAX).await? {
                Poll::Entries(missed) => Ok(Append::Conflict { missed }),
                Poll::Stale => Ok(Append::Stale { unresolved: None }),
            },
        }
    }

    /// Creates `id`'s key and finds out whose entry it holds, reading it back when an answer is lost. The same
    /// frame is put again only while the key is seen absent, so `id` never names two different objects.
    async fn create_resolved(&self, id: EntryId, frame: bytes::Bytes) -> Result<Slot> {
        // `taken`: the key was seen holding an object. If it then reads absent, the object was collected, and
        // putting the frame again would fill a hole.
        let (mut taken, mut last_error) = match self.log.create_entry(id.seq, frame.clone()).await {
            Ok(true) => return Ok(Slot::Ours),
            Ok(false) => (true, None),
            Err(e) => {
                tracing::debug!(%id, error = %e, "create answer lost; reading back");
                (false, Some(e))
            }
        };
        let mut delay = LOST_ANSWER_BACKOFF;
        for attempt in 1..=LOST_ANSWER_ATTEMPTS {
            match self.log.read_entry::<IgnoredAny>(id.seq).await {
                Ok(Some(found)) if found.id == id => return Ok(Slot::Ours),
                Ok(Some(_)) => return Ok(Slot::Theirs),
                // Taken, then gone: collected under us. The poll that follows will find the cursor stale.
                Ok(None) if taken => return Ok(Slot::Theirs),
                // Absent after a lost answer: not applied yet. Put the same frame again; whatever that answers,
                // the next round reads the key back. The last round only reads.
                Ok(None) if attempt < LOST_ANSWER_ATTEMPTS => {
                    match self.log.create_entry(id.seq, frame.clone()).await {
                        Ok(true) => return Ok(Slot::Ours),
                        Ok(false) => taken = true,
                        Err(e) => last_error = Some(e),
                    }
                }
                Ok(None) => {}
                Err(e) => last_error = Some(e),
            }
            if attempt < LOST_ANSWER_ATTEMPTS {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Invalid(format!("{id}: outcome unresolved"))))
    }
}
