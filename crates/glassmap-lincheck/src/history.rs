//! Recording: the shared ticket clock and the recorded operation.

use core::sync::atomic::{AtomicU64, Ordering};

/// The shared ticket counter that orders invocations and responses across threads.
///
/// Every ticket is unique; `SeqCst` makes the tickets agree with real time: if a call returned
/// (and took its response ticket) before another call took its invocation ticket, the first
/// response ticket is the smaller one.
#[derive(Debug, Default)]
pub struct Clock {
    next: AtomicU64,
}

impl Clock {
    /// A clock starting at ticket 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes an invocation ticket, runs `call` (which performs the operation on the map and
    /// returns it with its result filled in), then takes a response ticket.
    pub fn record<K, O>(&self, thread: usize, key: K, call: impl FnOnce() -> O) -> Event<K, O> {
        let invoke = self.tick();
        let op = call();
        let response = self.tick();
        Event {
            thread,
            key,
            op,
            invoke,
            response,
        }
    }

    /// The next ticket. For recording by hand (for example around an operation whose key is only
    /// known from its result).
    pub fn tick(&self) -> u64 {
        self.next.fetch_add(1, Ordering::SeqCst)
    }
}

/// One completed operation of a recorded history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<K, O> {
    /// The thread that made the call (for reports only: the check relies on the tickets).
    pub thread: usize,
    /// The key the operation is about; the history is checked key by key.
    pub key: K,
    /// The operation and the result the call returned.
    pub op: O,
    /// Ticket taken just before the call.
    pub invoke: u64,
    /// Ticket taken just after the call returned; greater than `invoke`.
    pub response: u64,
}
