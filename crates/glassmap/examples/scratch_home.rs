use glassmap::IntMap;
use glassmap_workloads::single::ab::{PASS, Summary, lookup_pass};
use glassmap_workloads::single::keys::{keys, with_repeats};
fn main() {
    let n: usize = std::env::args().nth(1).map_or(1_000_000, |a| a.parse().unwrap());
    let keys = keys(n);
    let mut m = IntMap::with_capacity(n);
    for &k in &keys { m.insert(k, k).unwrap(); }
    let home: Vec<u64> = keys.iter().copied().filter(|&k| m.slot_of(k) == Some(m.home_slot(k))).collect();
    let away: Vec<u64> = keys.iter().copied().filter(|&k| m.slot_of(k) != Some(m.home_slot(k))).collect();
    println!("home {} away {}", home.len(), away.len());
    let len = PASS * 8;
    let (h, a, all) = (with_repeats(&home, len), with_repeats(&away, len), with_repeats(&keys, len));
    let (mut th, mut ta, mut tall) = (vec![], vec![], vec![]);
    for r in 0..40 {
        let c = |v: &Vec<u64>| v[(r % 8) * PASS..][..PASS].to_vec();
        th.push(lookup_pass(&c(&h), false, |k| m.get(k).copied()));
        ta.push(lookup_pass(&c(&a), false, |k| m.get(k).copied()));
        tall.push(lookup_pass(&c(&all), false, |k| m.get(k).copied()));
    }
    for (name, t) in [("home", th), ("away", ta), ("all", tall)] {
        let s = Summary::of(t);
        println!("{name}: {:?}", s);
    }
}
