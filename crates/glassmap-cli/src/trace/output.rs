//! What `trace` prints and draws.

use std::io::Write;

use super::run::Trace;
use super::tracker::{GrowthEvent, Kind};
use crate::plot::{TimelineFigure, Window};
use crate::units::thousands;

/// The table of growth events.
pub fn write_events(
    events: &[GrowthEvent],
    churn: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
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

/// The closing line, and a note when `Stats` counted growths the probes could not see.
pub fn write_summary(t: &Trace, out: &mut dyn Write) -> std::io::Result<()> {
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

/// The timeline picture: B and the load factor (or, under churn, overflow buckets) per write, with every
/// evacuation window shaded.
pub fn timeline_figure(
    trace: &Trace,
    source: &str,
    hint: &str,
    live: Option<usize>,
) -> TimelineFigure {
    TimelineFigure {
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
        log_x: live.is_none(),
    }
}
