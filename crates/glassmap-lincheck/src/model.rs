//! Sequential specifications the histories are checked against.

use core::fmt::Debug;
use core::hash::Hash;
use core::marker::PhantomData;

/// A sequential specification of one key: its initial state and what each operation does to it.
pub trait Model {
    /// The state of one key.
    type State: Clone + Eq + Hash + Debug;
    /// A recorded operation, with the result the call returned.
    type Op: Debug;

    /// The state before any operation (for a map: the key is absent).
    fn init(&self) -> Self::State;

    /// Applies `op` to `state`: the next state if the result recorded in `op` is what a sequential
    /// run would return in `state`, or `None` if that result is impossible there.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
}

/// One key of a map seen as a register holding `Option<V>`.
pub struct Register<V> {
    value: PhantomData<fn() -> V>,
}

impl<V> Register<V> {
    /// The register model.
    pub fn new() -> Self {
        Register { value: PhantomData }
    }
}

impl<V> Default for Register<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Debug for Register<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Register")
    }
}

/// The operations of a map on one key, each with the result the call returned.
///
/// Every written value should be unique in the run: then a read names the write it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterOp<V> {
    /// `get`, `contains_key`, `load`: the value seen, `None` if absent.
    Read {
        /// What the call returned.
        returned: Option<V>,
    },
    /// `insert`, `remove`, `swap`, `store`: sets the state to `value` (`None` removes).
    Write {
        /// The new state.
        value: Option<V>,
        /// `Some(previous)` when the call reports the previous value, `None` when it reports nothing.
        returned: Option<Option<V>>,
    },
    /// `get_or_insert_with`, `load_or_store`: stores `value` only if the key is absent.
    InsertIfAbsent {
        /// The value offered.
        value: V,
        /// `Some(existing)` when an existing value was found (nothing changed), `None` when
        /// `value` was stored.
        returned: Option<V>,
    },
    /// `compare_and_swap`, `compare_and_delete`, a conditional remove: sets `new` only if the
    /// state equals `expected`.
    CompareAndSet {
        /// The state required for the change.
        expected: Option<V>,
        /// The state after a successful change.
        new: Option<V>,
        /// Whether the call reported success.
        succeeded: bool,
    },
    /// `update(k, |v| *v = new)`: replaces the value only if the key is present.
    UpdateIfPresent {
        /// The value written when present.
        new: V,
        /// `Some(old)` when the key was present, `None` when absent (nothing changed).
        returned: Option<V>,
    },
}

impl<V: Clone + Eq + Hash + Debug> Model for Register<V> {
    type State = Option<V>;
    type Op = RegisterOp<V>;

    fn init(&self) -> Option<V> {
        None
    }

    fn step(&self, state: &Option<V>, op: &RegisterOp<V>) -> Option<Option<V>> {
        match op {
            RegisterOp::Read { returned } => (returned == state).then(|| state.clone()),
            RegisterOp::Write { value, returned } => match returned {
                Some(previous) if previous != state => None,
                _ => Some(value.clone()),
            },
            RegisterOp::InsertIfAbsent { value, returned } => match (state, returned) {
                (None, None) => Some(Some(value.clone())),
                (Some(current), Some(seen)) if current == seen => Some(state.clone()),
                _ => None,
            },
            RegisterOp::CompareAndSet {
                expected,
                new,
                succeeded,
            } => match (state == expected, *succeeded) {
                (true, true) => Some(new.clone()),
                (false, false) => Some(state.clone()),
                _ => None,
            },
            RegisterOp::UpdateIfPresent { new, returned } => match (state, returned) {
                (None, None) => Some(None),
                (Some(current), Some(seen)) if current == seen => Some(Some(new.clone())),
                _ => None,
            },
        }
    }
}
