//! Live measurements of a running server for `sonde latency`, `sonde stat`
//! and `sonde keys big`, over [`crate::connect`].
//!
//! - [`latency`]: round-trip samples with exact min/max/mean and bounded
//!   memory quantiles, a log-scale histogram; this host's intrinsic latency.
//! - [`stat`]: INFO fields into one row of vitals, rates from two rows.
//! - [`bigkeys`]: a paced SCAN with TYPE, MEMORY USAGE and lengths per
//!   key; the biggest keys and key-prefix totals.

pub mod bigkeys;
pub mod latency;
pub mod stat;
