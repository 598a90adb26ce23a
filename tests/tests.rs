//! The integration test binary: every test runs the real `sonde` executable
//! and, where it needs a peer, a real redis-server on a free loopback port.

mod common;

mod cli;
mod connect;
mod docs;
mod first_hour;
mod fuzz;
mod hostile;
mod hot_keys;
mod live;
mod packaging;
mod persistence;
mod rdb_corpus;
mod rdb_export;
mod rdb_fuzz;
mod rdb_redis;
mod replica_tail;
mod resp_decode;
mod resp_sniff;
mod ring;
mod serve;
mod serve_acl;
mod serve_config;
mod serve_datacmds;
mod serve_debug;
mod serve_maxmemory;
mod serve_metrics;
mod serve_migrate;
mod serve_notify;
mod serve_parity;
mod serve_replication;
mod serve_sanitize;
mod serve_scripting;
mod serve_sentinel;
mod serve_streams;
mod serve_tls;
mod serve_tracking;
mod serve_types;
mod sockopt;
