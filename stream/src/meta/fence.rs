//! [`EpochFence`]: who holds what, at which epoch, and who has been fenced; the whole fencing rule in one place,
//! free of what is being held (a node's registration, a stream's ownership, the controller's seat).
//!
//! The rule, as in SlateDB's writer epoch: a claim succeeds only with an epoch above every epoch seen or fenced
//! for that key; a holder may act only while its epoch is the current one and above the fence. Claims and checks
//! are evaluated when a log record is applied, so every replica reaches the same verdict in the same place of the
//! log, and a holder that lost the race learns it from the verdict, not from a clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::Epoch;

/// Why a claim or an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FenceError {
    /// Someone claimed a newer (or the same) epoch: `held` is no longer good.
    Superseded { held: Epoch, current: Epoch },
    /// Every epoch up to `upto` was fenced explicitly (a node declared dead).
    Fenced { held: Epoch, upto: Epoch },
    /// Nobody ever claimed this key.
    Unclaimed,
}

impl FenceError {
    /// The epoch the refused party held and the one that beat it, for [`crate::Error::Fenced`].
    pub fn epochs(&self) -> (Epoch, Epoch) {
        match *self {
            FenceError::Superseded { held, current } => (held, current),
            FenceError::Fenced { held, upto } => (held, upto),
            FenceError::Unclaimed => (0, 0),
        }
    }
}

/// One key's fencing state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceState {
    /// The epoch of the current holder (0: never claimed).
    pub epoch: Epoch,
    /// Every epoch up to and including this one is fenced.
    pub fenced_upto: Epoch,
}

impl FenceState {
    /// Whether a holder at `epoch` may act.
    pub fn check(&self, held: Epoch) -> Result<(), FenceError> {
        if self.epoch == 0 {
            return Err(FenceError::Unclaimed);
        }
        if held <= self.fenced_upto {
            return Err(FenceError::Fenced {
                held,
                upto: self.fenced_upto,
            });
        }
        if held != self.epoch {
            return Err(FenceError::Superseded {
                held,
                current: self.epoch,
            });
        }
        Ok(())
    }

    /// Whether a new holder may claim `epoch`: it must exceed every epoch claimed or fenced.
    pub fn can_claim(&self, epoch: Epoch) -> Result<(), FenceError> {
        if epoch <= self.fenced_upto {
            return Err(FenceError::Fenced {
                held: epoch,
                upto: self.fenced_upto,
            });
        }
        if epoch <= self.epoch {
            return Err(FenceError::Superseded {
                held: epoch,
                current: self.epoch,
            });
        }
        Ok(())
    }

    /// The smallest epoch a new claim may use.
    pub fn next_epoch(&self) -> Epoch {
        self.epoch.max(self.fenced_upto) + 1
    }
}

/// Fencing state per key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Ord + Serialize",
    deserialize = "K: Ord + Deserialize<'de>"
))]
pub struct EpochFence<K> {
    keys: BTreeMap<K, FenceState>,
}

impl<K> Default for EpochFence<K> {
    fn default() -> Self {
        Self {
            keys: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy> EpochFence<K> {
    pub fn get(&self, key: K) -> FenceState {
        self.keys.get(&key).copied().unwrap_or_default()
    }

    pub fn check(&self, key: K, held: Epoch) -> Result<(), FenceError> {
        self.get(key).check(held)
    }

    pub fn can_claim(&self, key: K, epoch: Epoch) -> Result<(), FenceError> {
        self.get(key).can_claim(epoch)
    }

    /// Records a claim checked with [`can_claim`](Self::can_claim).
    pub fn claim(&mut self, key: K, epoch: Epoch) -> Result<(), FenceError> {
        self.can_claim(key, epoch)?;
        self.keys.entry(key).or_default().epoch = epoch;
        Ok(())
    }

    /// Fences every epoch up to and including `upto`. Never moves the fence back.
    pub fn fence(&mut self, key: K, upto: Epoch) {
        let state = self.keys.entry(key).or_default();
        state.fenced_upto = state.fenced_upto.max(upto);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_must_rise_and_only_the_current_holder_may_act() {
        let mut f = EpochFence::<u32>::default();
        assert_eq!(f.check(1, 1), Err(FenceError::Unclaimed));
        f.claim(1, 5).unwrap();
        assert_eq!(f.check(1, 5), Ok(()));
        assert_eq!(
            f.claim(1, 5),
            Err(FenceError::Superseded {
                held: 5,
                current: 5
            })
        );
        assert_eq!(
            f.claim(1, 4),
            Err(FenceError::Superseded {
                held: 4,
                current: 5
            })
        );
        f.claim(1, 6).unwrap();
        assert_eq!(
            f.check(1, 5),
            Err(FenceError::Superseded {
                held: 5,
                current: 6
            })
        );
        assert_eq!(
            f.check(2, 6),
            Err(FenceError::Unclaimed),
            "keys are independent"
        );
    }

    #[test]
    fn an_explicit_fence_stops_the_holder_and_lower_claims() {
        let mut f = EpochFence::<u32>::default();
        f.claim(7, 3).unwrap();
        f.fence(7, 3);
        assert_eq!(f.check(7, 3), Err(FenceError::Fenced { held: 3, upto: 3 }));
        f.fence(7, 1);
        assert_eq!(f.get(7).fenced_upto, 3, "a fence never moves back");
        f.fence(7, 9);
        assert_eq!(
            f.can_claim(7, 8),
            Err(FenceError::Fenced { held: 8, upto: 9 })
        );
        assert_eq!(f.get(7).next_epoch(), 10);
        f.claim(7, 10).unwrap();
        assert_eq!(f.check(7, 10), Ok(()));
    }

    #[test]
    fn serializes_with_integer_keys() {
        let mut f = EpochFence::<u64>::default();
        f.claim(3, 2).unwrap();
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<EpochFence<u64>>(&json).unwrap(), f);
    }
}
