//! Linearizability checking for glassmap's concurrent maps.
//!
//! A concurrent map is *linearizable* when every operation appears to take effect at one instant
//! between its invocation and its response, so that the results all threads saw are those of some
//! sequential run that respects real time (an operation that returned before another was invoked
//! comes first in it). A stale or "ghost" read, a lost update, or a value seen before its write was
//! invoked all break it.
//!
//! This crate does two things:
//!
//! 1. **Record** ([`Clock`], [`Event`]). Every thread takes a ticket from one shared `SeqCst`
//!    counter just before calling the map and another just after it returns, and keeps the
//!    operation with its result. Tickets totally order the invocations and responses, so "A
//!    returned before B was invoked" is `a.response < b.invoke`.
//! 2. **Check** ([`check`]). Linearizability is local (Herlihy & Wing): a history of a map is
//!    linearizable iff each key's sub-history is. [`check`] splits the history by key and checks
//!    each key against a sequential [`Model`], by default a [`Register`] whose state is `Option<V>`.
//!
//! The search is Wing & Gong's, memoised on (state, linearized operations) as Lowe's
//! just-in-time variant does it: events are processed in ticket order, and at each response the set
//! of reachable configurations is extended just far enough that the responding operation has taken
//! effect. Because each thread has at most one call pending, a configuration holds at most one
//! pending operation per thread, and checking is linear in the history's length.
//!
//! ```
//! use std::sync::Mutex;
//! use std::collections::HashMap;
//! use glassmap_lincheck::{check, Clock, Register, RegisterOp};
//!
//! let map = Mutex::new(HashMap::new());
//! let clock = Clock::new();
//! let events = std::thread::scope(|scope| {
//!     let workers: Vec<_> = (0..2u64)
//!         .map(|thread| {
//!             let (map, clock) = (&map, &clock);
//!             scope.spawn(move || {
//!                 let mut events = Vec::new();
//!                 for i in 0..100u64 {
//!                     let key = i % 3;
//!                     let value = thread * 1_000 + i; // unique in the whole run
//!                     events.push(clock.record(thread as usize, key, || {
//!                         let previous = map.lock().unwrap().insert(key, value);
//!                         RegisterOp::Write { value: Some(value), returned: Some(previous) }
//!                     }));
//!                     events.push(clock.record(thread as usize, key, || {
//!                         let returned = map.lock().unwrap().get(&key).copied();
//!                         RegisterOp::Read { returned }
//!                     }));
//!                 }
//!                 events
//!             })
//!         })
//!         .collect();
//!     workers.into_iter().flat_map(|w| w.join().unwrap()).collect::<Vec<_>>()
//! });
//! let summary = check(&Register::new(), &events).expect("a mutex-guarded map is linearizable");
//! assert_eq!(summary.operations, 400);
//! assert_eq!(summary.keys, 3);
//! ```

mod check;
mod history;
mod model;

pub use crate::check::{Summary, Violation, check, check_key};
pub use crate::history::{Clock, Event};
pub use crate::model::{Model, Register, RegisterOp};
