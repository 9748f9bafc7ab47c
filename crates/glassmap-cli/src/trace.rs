//! `glassmap trace`: insert keys one at a time and report every growth: the write that started it, B before and
//! after, the kind, and how many writes the evacuation took.
//!
//! Only the O(1) probes `log2_buckets()` and `growth()` are read after each write; `stats()` walks the arrays and
//! is called once, at the end, to cross-check the growth counts.

use std::hash::{BuildHasher, Hash};
use std::io::Write;
use std::path::PathBuf;

use glassmap::{GrowthKind, Map};

use crate::error::Error;
use crate::hashers::HasherVisitor;
use crate::keys::{KeyArgs, Keys, MAX_N, Rng, parse_count_u64, parse_n};
use crate::plot::{TimelineFigure, TimelinePoint, Window};
use crate::report::ReportDir;
use crate::units::thousands;

const EXAMPLES: &str = "\
Examples:
  glassmap trace --n 2000                    # growth points 9, 14, 27, 53, 105, 209, 417, 833, 1665
  glassmap trace --capacity 1000 --n 5000    # a capacity hint moves the first growth
  glassmap trace --churn --n 1M --plot       # deletes pile up overflow buckets: same-size growth
  glassmap trace --keys ids.txt --hasher fx

With --plot, writes <out>/timeline.png and timeline.svg.";

/// Arguments of `glassmap trace`.
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct TraceArgs {
    /// Keys and hasher.
    #[command(flatten)]
    pub keys: KeyArgs,

    /// Capacity hint: create the map with Map::with_capacity(H)
    #[arg(long, value_name = "H", value_parser = parse_capacity)]
    pub capacity: Option<usize>,

    /// Mix in deletes: once the map holds --live entries, remove a random key before each insert, so overflow
    /// buckets pile up and same-size growth happens
    #[arg(long)]
    pub churn: bool,

    /// Entries kept during --churn [default: the largest doubling threshold 13 * 2^(B-1) at or below n/64]
    #[arg(long, value_name = "L", value_parser = parse_n, requires = "churn")]
    pub live: Option<usize>,

    /// Write timeline.png and timeline.svg (B and load factor over the writes) to the report folder
    #[arg(long)]
    pub plot: bool,

    /// Report folder for --plot
    #[arg(long, default_value = ReportDir::DEFAULT)]
    pub out: PathBuf,
}

fn parse_capacity(s: &str) -> Result<usize, String> {
    match parse_count_u64(s) {
        Some(h) if h <= MAX_N as u64 => Ok(h as usize),
        Some(_) => Err(format!("too large: at most {MAX_N}")),
        None => Err(format!("'{s}' is not a count (examples: 0, 1000, 64k)")),
    }
}

/// Kind of a growth, as the trace reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Twice the buckets (load factor above 6.5).
    Doubling,
    /// Same number of buckets, rebuilt to shed overflow buckets.
    SameSize,
    /// Any other size (explicit reserve or shrink).
    Resize,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Doubling => "doubling",
            Kind::SameSize => "same-size",
            Kind::Resize => "resize",
        }
    }
}

/// The growth in progress, as `Map::growth()` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Kind of growth.
    pub kind: Kind,
    /// Buckets in the old array.
    pub old_buckets: usize,
    /// Old buckets evacuated so far.
    pub evacuated: usize,
}

/// What the O(1) probes say after a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// `log2_buckets()`: B of the current (new) array.
    pub log2_buckets: u8,
    /// `growth()`.
    pub growth: Option<Phase>,
}

/// One growth, from the write that started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrowthEvent {
    /// Write number that started it (1-based; inserts and removes both count).
    pub write: u64,
    /// Insert number that started it, or the inserts done so far if a remove did.
    pub insert: u64,
    /// B before the write.
    pub b_before: u8,
    /// B after it.
    pub b_after: u8,
    /// Kind.
    pub kind: Kind,
    /// Write number that finished the evacuation, if it finished.
    pub finished_at: Option<u64>,
}

impl GrowthEvent {
    /// Writes from start to finish, both included.
    pub fn writes_to_finish(&self) -> Option<u64> {
        self.finished_at.map(|end| end - self.write + 1)
    }
}

/// Turns the probe after each write into growth events.
#[derive(Clone, Debug)]
pub struct Tracker {
    last: Probe,
    writes: u64,
    inserts: u64,
    open: Option<usize>,
    /// Growths seen so far, in order.
    pub events: Vec<GrowthEvent>,
}

impl Tracker {
    /// A tracker for a map currently in state `initial`.
    pub fn new(initial: Probe) -> Self {
        Tracker {
            last: initial,
            writes: 0,
            inserts: 0,
            open: None,
            events: Vec::new(),
        }
    }

    /// Records one write (`insert` false for a remove) and the probe after it.
    pub fn observe(&mut self, insert: bool, now: Probe) {
        self.writes += 1;
        self.inserts += u64::from(insert);
        let before = self.last;
        let b_changed = now.log2_buckets != before.log2_buckets;
        let started = match (before.growth, now.growth) {
            // Not growing afterwards: a growth happened only if B moved (started and finished in this write).
            (_, None) => b_changed,
            (None, Some(_)) => true,
            // A different growth than before: the old one finished and a new one started in this write.
            (Some(a), Some(b)) => {
                b_changed
                    || a.kind != b.kind
                    || a.old_buckets != b.old_buckets
                    || b.evacuated < a.evacuated
            }
        };
        if let Some(i) = self.open
            && (now.growth.is_none() || started)
        {
            self.events[i].finished_at = Some(self.writes);
            self.open = None;
        }
        if started {
            let kind = match now.growth {
                Some(phase) => phase.kind,
                None if now.log2_buckets == before.log2_buckets + 1 => Kind::Doubling,
                None => Kind::Resize,
            };
            self.events.push(GrowthEvent {
                write: self.writes,
                insert: self.inserts,
                b_before: before.log2_buckets,
                b_after: now.log2_buckets,
                kind,
                finished_at: if now.growth.is_none() {
                    Some(self.writes)
                } else {
                    None
                },
            });
            if now.growth.is_some() {
                self.open = Some(self.events.len() - 1);
            }
        }
        self.last = now;
    }
}

/// Samples of the map's shape for the timeline picture: every `stride` writes, plus both sides of every change of B.
#[derive(Clone, Debug)]
struct Timeline {
    stride: u64,
    points: Vec<TimelinePoint>,
    pending: Option<TimelinePoint>,
}

impl Timeline {
    fn new(writes: u64) -> Self {
        Timeline {
            stride: (writes / 4000).max(1),
            points: Vec::new(),
            pending: None,
        }
    }

    fn record(&mut self, point: TimelinePoint) {
        let last_b = self.points.last().map(|p| p.log2_buckets);
        if last_b.is_some_and(|b| b != point.log2_buckets) {
            if let Some(before) = self.pending.take()
                && self.points.last() != Some(&before)
            {
                self.points.push(before);
            }
            self.points.push(point);
        } else if last_b.is_none() || point.write.is_multiple_of(self.stride) {
            self.points.push(point);
        }
        self.pending = Some(point);
    }

    fn finish(mut self) -> Vec<TimelinePoint> {
        if let Some(last) = self.pending.take()
            && self.points.last() != Some(&last)
        {
            self.points.push(last);
        }
        self.points
    }
}

/// What a trace produced; independent of key and hasher types.
struct Trace {
    events: Vec<GrowthEvent>,
    writes: u64,
    timeline: Vec<TimelinePoint>,
    overflow: Vec<(u64, f64)>,
    len: usize,
    log2_buckets: u8,
    load_factor: f64,
    doublings: u64,
    same_size_growths: u64,
}

/// Runs the writes with the chosen hasher.
struct Run<K> {
    keys: Vec<K>,
    capacity: Option<usize>,
    /// Entries kept during churn.
    live: Option<usize>,
    seed: u64,
    /// Sample overflow buckets per bucket for the picture (`stats()` every `writes / 2000` writes, not per write).
    sample_overflow: bool,
}

fn probe<K, V, S>(map: &Map<K, V, S>) -> Probe {
    Probe {
        log2_buckets: map.log2_buckets(),
        growth: map.growth().map(|g| Phase {
            kind: match g.kind {
                GrowthKind::Doubling => Kind::Doubling,
                GrowthKind::SameSize => Kind::SameSize,
                _ => Kind::Resize,
            },
            old_buckets: g.old_buckets,
            evacuated: g.evacuated,
        }),
    }
}

fn point<K, V, S>(write: u64, map: &Map<K, V, S>) -> TimelinePoint {
    let b = map.log2_buckets();
    TimelinePoint {
        write,
        log2_buckets: b,
        load_factor: map.len() as f64 / (1u64 << b) as f64,
    }
}

impl<K: Hash + Eq + Clone> HasherVisitor for Run<K> {
    type Output = Trace;

    fn visit<S: BuildHasher + Clone>(self, s: S) -> Trace {
        let mut map = match self.capacity {
            Some(h) => Map::with_capacity_and_hasher(h, s),
            None => Map::with_hasher(s),
        };
        let expected_writes = self.keys.len() as u64 * if self.live.is_some() { 2 } else { 1 };
        let mut tracker = Tracker::new(probe(&map));
        let mut timeline = Timeline::new(expected_writes);
        let overflow_stride = (expected_writes / 2000).max(1);
        let mut overflow = Vec::new();
        let mut live_keys: Vec<K> = Vec::new();
        let mut rng = Rng::new(self.seed ^ 0xc4a2);
        for k in self.keys {
            if let Some(limit) = self.live {
                if live_keys.len() >= limit {
                    let victim = live_keys.swap_remove(rng.below(live_keys.len()));
                    map.remove(&victim);
                    tracker.observe(false, probe(&map));
                    timeline.record(point(tracker.writes, &map));
                }
                live_keys.push(k.clone());
            }
            map.insert(k, ());
            tracker.observe(true, probe(&map));
            timeline.record(point(tracker.writes, &map));
            if self.sample_overflow && tracker.writes % overflow_stride < 2 {
                let stats = map.stats();
                overflow.push((
                    tracker.writes,
                    stats.overflow_buckets as f64 / stats.buckets as f64,
                ));
            }
        }
        let stats = map.stats();
        Trace {
            events: tracker.events,
            writes: tracker.writes,
            timeline: timeline.finish(),
            overflow,
            len: stats.len,
            log2_buckets: stats.log2_buckets,
            load_factor: stats.load_factor,
            doublings: stats.doublings,
            same_size_growths: stats.same_size_growths,
        }
    }
}

/// The default number of entries kept during churn: the largest doubling threshold (8 for B = 0, else
/// 13 * 2^(B-1)) at or below n/64, so the table sits exactly at Go's maximum load and the live set turns over
/// about 60 times: overflow buckets pile up until there are as many as primary buckets, Go's trigger for a
/// same-size growth (one every 10 to 20 turnovers).
pub fn default_live(n: usize) -> usize {
    let mut live = 8;
    loop {
        let next = if live == 8 { 13 } else { live * 2 };
        if next > n / 64 {
            return live;
        }
        live = next;
    }
}

/// Runs `glassmap trace`.
pub fn run(args: &TraceArgs, out: &mut dyn Write) -> Result<(), Error> {
    let keys = args.keys.load()?;
    let source = args.keys.describe(&keys);
    let live = args
        .churn
        .then(|| args.live.unwrap_or_else(|| default_live(keys.len())));
    let (hasher, seed) = (args.keys.hasher, args.keys.seed);
    let sample_overflow = args.plot && args.churn;
    let trace = match keys {
        Keys::Int(keys) => hasher.visit(
            seed,
            Run {
                keys,
                capacity: args.capacity,
                live,
                seed,
                sample_overflow,
            },
        ),
        Keys::Text(keys) => hasher.visit(
            seed,
            Run {
                keys,
                capacity: args.capacity,
                live,
                seed,
                sample_overflow,
            },
        ),
    };
    let w = |e: std::io::Error| Error::stdout(e);
    let hint = match args.capacity {
        Some(h) => format!("Map::with_capacity({h})"),
        None => "no capacity hint".to_owned(),
    };
    writeln!(
        out,
        "glassmap trace: {source}, {hint}, hasher {}",
        hasher.describe(seed)
    )
    .map_err(w)?;
    if let Some(live) = live {
        writeln!(
            out,
            "churn: once {} entries are live, each insert follows a random remove",
            thousands(live as u64)
        )
        .map_err(w)?;
    }
    write_events(&trace.events, args.churn, out).map_err(w)?;
    write_summary(&trace, out).map_err(w)?;

    if args.plot {
        let figure = TimelineFigure {
            title: match live {
                Some(live) => format!(
                    "{source}, churn at {}: B and overflow buckets per write",
                    thousands(live as u64)
                ),
                None => format!("{source}, {hint}: B and load factor per write"),
            },
            writes: trace.writes,
            points: trace.timeline.clone(),
            overflow: trace.overflow.clone(),
            windows: trace
                .events
                .iter()
                .map(|e| Window {
                    start: e.write,
                    end: e.finished_at.unwrap_or(trace.writes),
                    same_size: e.kind == Kind::SameSize,
                })
                .collect(),
            log_x: !args.churn,
        };
        let [png, svg] = ReportDir::new(&args.out).write_figure("timeline", &figure)?;
        writeln!(out, "timeline: {}, {}", png.display(), svg.display()).map_err(w)?;
    }
    Ok(())
}

fn write_events(events: &[GrowthEvent], churn: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if churn {
        writeln!(
            out,
            "{:>10} {:>10} {:>12} {:>10}   evacuation",
            "write", "insert", "B", "kind"
        )?;
    } else {
        writeln!(
            out,
            "{:>10} {:>12} {:>10}   evacuation",
            "insert", "B", "kind"
        )?;
    }
    for e in events {
        let b = format!("{} -> {}", e.b_before, e.b_after);
        let evacuation = match e.writes_to_finish() {
            Some(1) => "finished in the same write".to_owned(),
            Some(n) => format!("{} writes", thousands(n)),
            None => "unfinished at the end".to_owned(),
        };
        if churn {
            writeln!(
                out,
                "{:>10} {:>10} {b:>12} {:>10}   {evacuation}",
                e.write,
                e.insert,
                e.kind.name()
            )?;
        } else {
            writeln!(
                out,
                "{:>10} {b:>12} {:>10}   {evacuation}",
                e.insert,
                e.kind.name()
            )?;
        }
    }
    Ok(())
}

/// `1 growth`, `2 growths`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn write_summary(t: &Trace, out: &mut dyn Write) -> std::io::Result<()> {
    let count = |k: Kind| t.events.iter().filter(|e| e.kind == k).count() as u64;
    let (doublings, same_size) = (count(Kind::Doubling), count(Kind::SameSize));
    writeln!(
        out,
        "total: {} ({doublings} doubling, {same_size} same-size) in {} writes; \
         finally B = {} ({} buckets), {} entries, load factor {:.2}",
        plural(t.events.len(), "growth"),
        thousands(t.writes),
        t.log2_buckets,
        thousands(1u64 << t.log2_buckets),
        thousands(t.len as u64),
        t.load_factor
    )?;
    if (doublings, same_size) != (t.doublings, t.same_size_growths) {
        writeln!(
            out,
            "note: Stats counts {} doublings and {} same-size growths; the others started and finished inside one \
             write without changing B, which the O(1) probes cannot see",
            t.doublings, t.same_size_growths
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle(b: u8) -> Probe {
        Probe {
            log2_buckets: b,
            growth: None,
        }
    }

    fn growing(b: u8, kind: Kind, old: usize, evacuated: usize) -> Probe {
        Probe {
            log2_buckets: b,
            growth: Some(Phase {
                kind,
                old_buckets: old,
                evacuated,
            }),
        }
    }

    #[test]
    fn a_growth_finished_within_its_first_write() {
        let mut t = Tracker::new(idle(0));
        for _ in 0..8 {
            t.observe(true, idle(0));
        }
        t.observe(true, idle(1));
        assert_eq!(t.events.len(), 1);
        let e = t.events[0];
        assert_eq!(
            (e.insert, e.b_before, e.b_after, e.kind),
            (9, 0, 1, Kind::Doubling)
        );
        assert_eq!(e.writes_to_finish(), Some(1));
    }

    #[test]
    fn a_growth_over_several_writes() {
        let mut t = Tracker::new(idle(3));
        t.observe(true, growing(4, Kind::Doubling, 8, 2));
        t.observe(true, growing(4, Kind::Doubling, 8, 4));
        t.observe(false, growing(4, Kind::Doubling, 8, 6));
        t.observe(true, idle(4));
        assert_eq!(t.events.len(), 1);
        assert_eq!(t.events[0].writes_to_finish(), Some(4));
        assert_eq!(t.events[0].b_before, 3);
    }

    #[test]
    fn back_to_back_growths_are_two_events() {
        let mut t = Tracker::new(idle(4));
        t.observe(true, growing(4, Kind::SameSize, 16, 14));
        // Finishes the same-size growth and starts another one in the same write.
        t.observe(true, growing(4, Kind::SameSize, 16, 2));
        t.observe(true, growing(4, Kind::SameSize, 16, 16));
        t.observe(true, idle(4));
        assert_eq!(t.events.len(), 2);
        assert_eq!(t.events[0].finished_at, Some(2));
        assert_eq!(t.events[1].write, 2);
        assert_eq!(t.events[1].finished_at, Some(4));
        assert_eq!(t.events[1].kind, Kind::SameSize);
    }

    #[test]
    fn an_unfinished_growth_stays_open() {
        let mut t = Tracker::new(idle(5));
        t.observe(true, growing(6, Kind::Doubling, 32, 2));
        assert_eq!(t.events[0].writes_to_finish(), None);
    }

    #[test]
    fn default_live_sits_at_a_doubling_threshold() {
        assert_eq!(default_live(10), 8);
        assert_eq!(default_live(1000), 13);
        assert_eq!(default_live(100_000), 13 << 6);
    }

    #[test]
    fn timeline_keeps_both_sides_of_a_step() {
        let mut tl = Timeline::new(10_000_000);
        let p = |write, b| TimelinePoint {
            write,
            log2_buckets: b,
            load_factor: 1.0,
        };
        for w in 1..=100 {
            tl.record(p(w, if w < 50 { 3 } else { 4 }));
        }
        let points = tl.finish();
        assert_eq!(
            points.iter().map(|p| p.write).collect::<Vec<_>>(),
            [1, 49, 50, 100]
        );
    }
}
