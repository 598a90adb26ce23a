//! The plain state of each subsystem that clients and the keyspace refer
//! to: data only, clients named by id (and slot), importing nothing above
//! the value and keyspace layers. The behaviour that changes this state
//! lives with its subsystem ([`super::blocking`], the transaction commands,
//! [`super::pubsub`], [`super::replication`]).

pub mod acl;
pub mod blocking;
pub mod pubsub;
pub mod replication;
pub mod transactions;
