//! `Map::collapse_to_huge_pages` against its contract: it finishes a growth in progress, changes
//! nothing a reader or writer sees (every key is found through `get` and `get_batch`, the map grows
//! on from the collapsed array and releases its pages as an old array), and on a Linux kernel with
//! `MADV_COLLAPSE` (6.1+) it really backs the array with huge pages (`AnonHugePages` in this
//! process's `smaps_rollup` grows). Its own test binary, so no other test's memory moves the count.

use glassmap::{Map, RandomState};

fn key(i: u64) -> u64 {
    let z = (i ^ 0x2545).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z ^ (z >> 31)
}

/// Kilobytes of anonymous huge pages mapped by this process, when the kernel reports them.
fn anon_huge_kib() -> Option<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let line = rollup.lines().find(|l| l.starts_with("AnonHugePages:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Whether this kernel knows `MADV_COLLAPSE` (Linux 6.1 and later) with transparent huge pages.
fn kernel_collapses() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    cfg!(all(target_os = "linux", target_env = "gnu"))
        && (major, minor) >= (6, 1)
        && std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists()
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the kernel call is not made under Miri; sizes are far too big"
)]
fn collapsed_map_reads_and_grows_as_before() {
    // 220K entries: a doubling to 2^16 buckets of 152 bytes (about 10 MiB, so several aligned
    // 2 MiB pages) started at 212,993 and is still under way.
    let n = 220_000u64;
    let mut map = Map::with_hasher(RandomState::with_seed(4));
    for i in 0..n {
        map.insert(key(i), i);
    }
    assert!(map.is_growing(), "the call has a growth to finish");
    let before = anon_huge_kib();
    let collapsed = map.collapse_to_huge_pages();
    assert!(!map.is_growing(), "the growth was finished first");
    if kernel_collapses() {
        assert!(collapsed, "MADV_COLLAPSE refused on a kernel that has it");
        let (before, after) = (before.unwrap(), anon_huge_kib().unwrap());
        // The allocation (about 10 MiB, page-aligned) holds at least 3 whole aligned 2 MiB pages.
        assert!(
            after >= before + 3 * 2048,
            "AnonHugePages {before} -> {after} kB"
        );
    }
    let keys: Vec<u64> = (0..n + 1000).map(key).collect();
    for (i, k) in keys.iter().enumerate() {
        let want = (i < n as usize).then_some(i as u64);
        assert_eq!(map.get(k).copied(), want);
    }
    for chunk in keys.chunks(100) {
        assert!(
            map.get_batch(chunk)
                .zip(chunk)
                .all(|(got, k)| got == map.get(k))
        );
    }
    // Grow on: the collapsed array becomes the old one, is evacuated and released page by page.
    for i in n..3 * n {
        map.insert(key(i), i);
    }
    map.finish_growth();
    for i in (0..3 * n).step_by(7) {
        assert_eq!(map.get(&key(i)), Some(&i));
    }
    assert_eq!(map.len(), 3 * n as usize);
}

#[test]
fn small_and_empty_maps_are_left_alone() {
    let mut empty: Map<u64, u64> = Map::new();
    assert!(!empty.collapse_to_huge_pages(), "nothing allocated");
    let mut small: Map<u64, u64> = (0..100).map(|i| (i, i)).collect();
    assert!(!small.collapse_to_huge_pages(), "no whole huge page inside");
    assert!((0..100).all(|i| small.get(&i) == Some(&i)));
}
