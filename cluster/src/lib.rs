//! The cluster over the stream engine. Brokers keep no state of their own, so a cluster is nodes that heartbeat,
//! watch one another, and hand streams over through the metadata log: [`membership`] detects dead nodes and fails
//! their streams over to the controller. Balancing and reassignment build on the same engine calls.

pub mod membership;

pub use membership::{Membership, MembershipConfig, MembershipStatus, WalLocator};
