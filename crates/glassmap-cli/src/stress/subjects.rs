//! The maps `stress` knows, each adapted to [`Subject`]: its calls mapped onto the register operations
//! the checker understands. Adding a map is an adapter here and a line in [`TARGETS`].

use std::sync::Mutex;

use glassmap::{Map, RandomState};
use glassmap_lincheck::{Clock, RegisterOp};

use super::history::{Counters, Log, Plan, Subject, drive};

/// A map `stress` can run, as named on the command line.
pub struct Target {
    /// Name for `--map`.
    pub name: &'static str,
    /// One line for help and output.
    pub about: &'static str,
    /// True for the deliberately broken control, which the checker is expected to catch.
    pub control: bool,
    /// A fresh, empty map for one history.
    pub fresh: fn(seed: u64) -> Box<dyn Subject>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every target, in output order; the control comes last.
pub static TARGETS: &[Target] = &[Target {
    name: "stale",
    about: "CONTROL, deliberately broken: reads come from a copy refreshed every 8 writes (ghost reads)",
    control: true,
    fresh: |seed| Box::new(Stale::new(seed)),
}];

fn hasher(seed: u64) -> RandomState {
    RandomState::with_seed(seed)
}

fn growths<K, V, S>(map: &Map<K, V, S>) -> u64 {
    let stats = map.stats();
    stats.doublings + stats.same_size_growths
}

/// How often the stale control refreshes the copy its reads come from.
const STALE_REFRESH: u32 = 8;

/// The control: a correct map for writes, but reads are served from a copy taken every
/// [`STALE_REFRESH`] writes: what a reader of a Go map sees when it reads a bucket that is being
/// evacuated, or a cache that is refreshed lazily.
struct Stale {
    state: Mutex<StaleState>,
}

struct StaleState {
    live: Map<u64, u64>,
    copy: Map<u64, u64>,
    writes: u32,
}

impl Stale {
    fn new(seed: u64) -> Self {
        let map = || Map::with_hasher(hasher(seed));
        Stale {
            state: Mutex::new(StaleState {
                live: map(),
                copy: map(),
                writes: 0,
            }),
        }
    }
}

impl Subject for Stale {
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log {
        drive(thread, plan, clock, |draw| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if draw.die < 50 {
                RegisterOp::Read {
                    returned: state.copy.get(&draw.key).copied(),
                }
            } else {
                let previous = state.live.insert(draw.key, draw.value);
                state.writes += 1;
                if state.writes.is_multiple_of(STALE_REFRESH) {
                    state.copy = state.live.clone();
                }
                RegisterOp::Write {
                    value: Some(draw.value),
                    returned: Some(previous),
                }
            }
        })
    }

    fn counters(&self) -> Counters {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Counters {
            growths: growths(&state.live),
            promotions: 0,
        }
    }
}
