//! The cases, grouped by what they exercise. Each case is one named function taking the run's context and
//! returning `Err` with a message that names the key and the operation.

pub mod basic;
pub mod conditional;
pub mod list;
pub mod multipart;
pub mod setup;
