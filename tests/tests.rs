//! The integration test binary: every test runs the real `sonde` executable
//! and, where it needs a peer, a real redis-server on a free loopback port.

mod common;

mod cli;
mod resp_decode;
mod serve;
