//! Idempotent producers: the per-partition sequence state that turns a producer's retries into exactly one copy,
//! and the allocation of producer ids.
//!
//! Per partition and producer id the broker keeps the producer epoch and the last five batches (first and last
//! sequence, first and last offset), as Kafka does. A batch is:
//! - a duplicate when it matches one of those five at the same epoch: answered with the original offsets;
//! - in order when its first sequence follows the last one, or is 0 under a new epoch, or the producer is unknown
//!   here (Kafka accepts any sequence then: the producer's earlier data may have been deleted);
//! - otherwise refused: OUT_OF_ORDER_SEQUENCE_NUMBER, or INVALID_PRODUCER_EPOCH for an epoch older than the one
//!   seen.
//!
//! The state lives in memory; a partition's companion stream keeps snapshots of it (`state.rs`), and a partition
//! opening elsewhere or after a restart loads the latest and replays the batch headers after it, so a retry that
//! crosses a restart or a move is still answered with its original offsets.

use std::collections::{HashMap, VecDeque};

use automq_protocol::kafka_protocol::error::ResponseError;

/// Batches remembered per producer (Kafka's limit on in-flight requests per idempotent producer connection).
const REMEMBERED: usize = 5;

/// One batch remembered of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remembered {
    pub first_seq: i32,
    pub last_seq: i32,
    pub base_offset: i64,
    pub last_offset: i64,
}

/// One producer's state: its epoch and its last batches, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Producer {
    pub epoch: i16,
    pub batches: VecDeque<Remembered>,
}

/// What to do with a batch of an idempotent producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    Append,
    /// Already appended at these offsets.
    Duplicate {
        base_offset: i64,
        last_offset: i64,
    },
}

/// One partition's producers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStates {
    producers: HashMap<i64, Producer>,
}

fn next_seq(seq: i32) -> i32 {
    if seq == i32::MAX { 0 } else { seq + 1 }
}

impl ProducerStates {
    pub fn check(
        &self,
        producer_id: i64,
        epoch: i16,
        first_seq: i32,
        last_seq: i32,
    ) -> Result<SequenceCheck, (ResponseError, String)> {
        let Some(p) = self.producers.get(&producer_id) else {
            return Ok(SequenceCheck::Append);
        };
        if epoch < p.epoch {
            return Err((
                ResponseError::InvalidProducerEpoch,
                format!(
                    "producer {producer_id} sent epoch {epoch}, but epoch {} is current",
                    p.epoch
                ),
            ));
        }
        if epoch > p.epoch {
            if first_seq != 0 {
                return Err((
                    ResponseError::OutOfOrderSequenceNumber,
                    format!(
                        "producer {producer_id} starts epoch {epoch} at sequence {first_seq}, not 0"
                    ),
                ));
            }
            return Ok(SequenceCheck::Append);
        }
        if let Some(b) = p
            .batches
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
        {
            return Ok(SequenceCheck::Duplicate {
                base_offset: b.base_offset,
                last_offset: b.last_offset,
            });
        }
        let expected = p.batches.back().map_or(first_seq, |b| next_seq(b.last_seq));
        if first_seq != expected {
            return Err((
                ResponseError::OutOfOrderSequenceNumber,
                format!(
                    "producer {producer_id} at epoch {epoch} sent sequence {first_seq}, expected {expected}"
                ),
            ));
        }
        Ok(SequenceCheck::Append)
    }

    /// Every producer seen here: (producer id, epoch, last sequence or -1).
    pub fn all(&self) -> Vec<(i64, i16, i32)> {
        let mut all: Vec<_> = self
            .producers
            .iter()
            .map(|(id, p)| (*id, p.epoch, p.batches.back().map_or(-1, |b| b.last_seq)))
            .collect();
        all.sort_unstable();
        all
    }

    /// Every producer's state, by producer id (for a snapshot).
    pub fn export(&self) -> Vec<(i64, Producer)> {
        let mut all: Vec<_> = self
            .producers
            .iter()
            .map(|(id, p)| (*id, p.clone()))
            .collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    }

    /// The state a snapshot holds (at most five batches per producer are kept, the last ones).
    pub fn import(all: Vec<(i64, Producer)>) -> Self {
        let producers = all
            .into_iter()
            .map(|(id, mut p)| {
                while p.batches.len() > REMEMBERED {
                    p.batches.pop_front();
                }
                (id, p)
            })
            .collect();
        Self { producers }
    }

    /// Remembers an appended batch.
    pub fn record(
        &mut self,
        producer_id: i64,
        epoch: i16,
        first_seq: i32,
        last_seq: i32,
        base_offset: i64,
        last_offset: i64,
    ) {
        let p = self.producers.entry(producer_id).or_default();
        if epoch != p.epoch {
            p.epoch = epoch;
            p.batches.clear();
        }
        if p.batches.len() == REMEMBERED {
            p.batches.pop_front();
        }
        p.batches.push_back(Remembered {
            first_seq,
            last_seq,
            base_offset,
            last_offset,
        });
    }
}

/// Producer ids are handed out from blocks reserved in the metadata log, so no two brokers (and no two lives of
/// one broker) hand out the same id.
pub const ID_BLOCK: i64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_duplicates_and_gaps_are_out_of_order() {
        let mut s = ProducerStates::default();
        assert_eq!(s.check(7, 0, 0, 4), Ok(SequenceCheck::Append));
        s.record(7, 0, 0, 4, 100, 104);
        assert_eq!(s.check(7, 0, 5, 9), Ok(SequenceCheck::Append));
        s.record(7, 0, 5, 9, 105, 109);
        assert_eq!(
            s.check(7, 0, 0, 4),
            Ok(SequenceCheck::Duplicate {
                base_offset: 100,
                last_offset: 104
            })
        );
        assert_eq!(
            s.check(7, 0, 11, 12).unwrap_err().0,
            ResponseError::OutOfOrderSequenceNumber
        );
        assert_eq!(
            s.check(7, 0, 3, 4).unwrap_err().0,
            ResponseError::OutOfOrderSequenceNumber,
            "an overlap that is no remembered batch"
        );
    }

    #[test]
    fn epochs_fence_older_producers_and_restart_sequences() {
        let mut s = ProducerStates::default();
        s.record(1, 3, 0, 0, 0, 0);
        assert_eq!(
            s.check(1, 2, 1, 1).unwrap_err().0,
            ResponseError::InvalidProducerEpoch
        );
        assert_eq!(
            s.check(1, 4, 5, 5).unwrap_err().0,
            ResponseError::OutOfOrderSequenceNumber
        );
        assert_eq!(s.check(1, 4, 0, 2), Ok(SequenceCheck::Append));
        s.record(1, 4, 0, 2, 1, 3);
        assert_eq!(s.check(1, 4, 3, 3), Ok(SequenceCheck::Append));
    }

    #[test]
    fn unknown_producers_may_start_anywhere_and_sequences_wrap() {
        let mut s = ProducerStates::default();
        assert_eq!(s.check(9, 0, 4000, 4001), Ok(SequenceCheck::Append));
        s.record(9, 0, i32::MAX - 1, i32::MAX, 0, 1);
        assert_eq!(s.check(9, 0, 0, 3), Ok(SequenceCheck::Append));
        for i in 0..10 {
            s.record(9, 0, i, i, 10 + i64::from(i), 10 + i64::from(i));
        }
        assert!(
            s.check(9, 0, 3, 3).is_err(),
            "only the last five batches are remembered"
        );
        assert!(matches!(
            s.check(9, 0, 7, 7),
            Ok(SequenceCheck::Duplicate { .. })
        ));
    }
}
