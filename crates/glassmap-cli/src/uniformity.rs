//! Is the hash spreading keys evenly? Bucket loads against the binomial expectation, a chi-square test, and a
//! one-line verdict.
//!
//! With a uniform hash each of the `n` entries lands in one of the `m` buckets independently with probability
//! `1/m`, so the number of entries in a bucket (its whole overflow chain) follows Binomial(n, 1/m): about
//! Poisson(load factor). The chi-square goodness-of-fit test compares the observed histogram with that.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete, DiscreteCDF};

/// Below this p-value the loads are declared not to come from a uniform hash.
///
/// Strict on purpose: with a good hash a false alarm happens once in a thousand runs.
pub const ALPHA: f64 = 0.001;

/// The share of entries used for the concentration measure ("90% of entries in x% of buckets").
pub const CONCENTRATION: f64 = 0.9;

/// A failed test is called skewed (or too even) when the variance of the loads is more than this fraction above
/// (or below) the binomial variance; in between the histogram's shape is off but its spread is not.
const SPREAD_MARGIN: f64 = 0.2;

/// Chi-square bins are merged until each expects at least this many buckets (the usual validity rule).
const MIN_EXPECTED: f64 = 5.0;

/// Rows shown individually in the histogram table; heavier buckets share one "more" row.
const MAX_ROWS: usize = 24;

/// One row of the histogram table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Entries per bucket (for the last row possibly "this many or more", see `open`).
    pub entries: usize,
    /// True if the row counts buckets with `entries` or more.
    pub open: bool,
    /// Buckets observed with this many entries.
    pub observed: usize,
    /// Buckets a uniform hash would give on average.
    pub expected: f64,
}

/// Result of the chi-square goodness-of-fit test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    /// The statistic, sum of (observed - expected)^2 / expected over the bins.
    pub statistic: f64,
    /// Degrees of freedom (bins - 1; nothing is estimated from the data).
    pub dof: usize,
    /// Probability that a uniform hash gives a statistic at least this large.
    pub p_value: f64,
}

/// What the test says about the hash on these keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Consistent with a uniform hash.
    Uniform,
    /// Entries crowd into fewer buckets than a uniform hash would use.
    Skewed,
    /// Loads are spread more evenly than chance allows: the keys follow a pattern the hash preserves.
    TooEven,
    /// Not from a uniform hash, but neither crowded nor too even: the shape of the histogram is off.
    Irregular,
    /// Too few buckets to test.
    Untestable,
}

/// Everything `inspect` reports about the spread of entries over buckets.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// Entries in the map.
    pub entries: usize,
    /// Primary buckets.
    pub buckets: usize,
    /// Histogram rows, observed next to expected.
    pub rows: Vec<Row>,
    /// The test, unless there are too few buckets.
    pub chi_square: Option<ChiSquare>,
    /// Share of buckets (0..=1) holding [`CONCENTRATION`] of the entries, fullest buckets first.
    pub concentration: f64,
    /// The same share expected from a uniform hash.
    pub expected_concentration: f64,
    /// Variance of the bucket loads divided by the binomial variance (1 for a uniform hash).
    pub variance_ratio: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Analyses bucket loads: `loads[i]` is the number of entries in bucket `i`'s chain.
///
/// # Panics
/// If `loads` is empty.
pub fn analyze(loads: impl IntoIterator<Item = usize>) -> Analysis {
    let mut hist: Vec<usize> = Vec::new();
    for load in loads {
        if hist.len() <= load {
            hist.resize(load + 1, 0);
        }
        hist[load] += 1;
    }
    let buckets: usize = hist.iter().sum();
    assert!(buckets > 0, "a map has at least one bucket");
    let entries: usize = hist.iter().enumerate().map(|(k, &b)| k * b).sum();
    let p = 1.0 / buckets as f64;
    let binomial = Binomial::new(p, entries as u64).expect("p is in (0, 1] and n is a count");
    let m = buckets as f64;
    let expected = |k: usize| m * binomial.pmf(k as u64);
    let expected_tail = |k: usize| m * binomial.sf(k as u64); // strictly more than k

    // The largest load a uniform hash makes plausible: beyond it the expectation is negligible.
    let mean = entries as f64 * p;
    let mut plausible = mean.ceil() as usize;
    while expected_tail(plausible) >= 0.5 {
        plausible += 1;
    }
    let max_observed = hist.len() - 1;

    let chi_square = chi_square(&hist, max_observed.max(plausible), expected, expected_tail);
    // Heavy tails beyond what a uniform hash makes plausible share one row.
    let shown = if max_observed <= MAX_ROWS {
        max_observed.max(plausible)
    } else {
        plausible
    };
    let rows = rows(&hist, shown, expected, expected_tail);

    let concentration = share_of_buckets(
        hist.iter().enumerate().rev().map(|(k, &b)| (k, b as f64)),
        entries,
    );
    let expected_concentration =
        share_of_buckets((0..=plausible + 8).rev().map(|k| (k, expected(k))), entries);

    let variance = hist
        .iter()
        .enumerate()
        .map(|(k, &b)| b as f64 * (k as f64 - mean).powi(2))
        .sum::<f64>()
        / m;
    let binomial_variance = entries as f64 * p * (1.0 - p);
    let variance_ratio = if binomial_variance > 0.0 {
        variance / binomial_variance
    } else {
        1.0
    };

    let verdict = match chi_square {
        None => Verdict::Untestable,
        Some(test) if test.p_value >= ALPHA => Verdict::Uniform,
        Some(_) if variance_ratio > 1.0 + SPREAD_MARGIN => Verdict::Skewed,
        Some(_) if variance_ratio < 1.0 - SPREAD_MARGIN => Verdict::TooEven,
        Some(_) => Verdict::Irregular,
    };
    Analysis {
        entries,
        buckets,
        rows,
        chi_square,
        concentration,
        expected_concentration,
        variance_ratio,
        verdict,
    }
}

/// The test over bins `0..=last` (the last bin also takes the expected tail beyond it), merging neighbours until
/// each bin expects at least [`MIN_EXPECTED`] buckets.
fn chi_square(
    hist: &[usize],
    last: usize,
    expected: impl Fn(usize) -> f64,
    expected_tail: impl Fn(usize) -> f64,
) -> Option<ChiSquare> {
    let mut bins: Vec<(f64, f64)> = Vec::new();
    let (mut observed, mut expect) = (0.0, 0.0);
    for k in 0..=last {
        observed += hist.get(k).copied().unwrap_or(0) as f64;
        expect += expected(k);
        if k == last {
            expect += expected_tail(last);
        }
        if expect >= MIN_EXPECTED {
            bins.push((observed, expect));
            (observed, expect) = (0.0, 0.0);
        }
    }
    if observed > 0.0 || expect > 0.0 {
        match bins.last_mut() {
            Some(bin) => {
                bin.0 += observed;
                bin.1 += expect;
            }
            None => bins.push((observed, expect)),
        }
    }
    if bins.len() < 2 {
        return None;
    }
    let statistic = bins.iter().map(|&(o, e)| (o - e).powi(2) / e).sum();
    let dof = bins.len() - 1;
    let p_value = ChiSquared::new(dof as f64).expect("dof >= 1").sf(statistic);
    Some(ChiSquare {
        statistic,
        dof,
        p_value,
    })
}

/// Histogram rows for `0..=shown`, plus an open row for heavier buckets if any were observed.
fn rows(
    hist: &[usize],
    shown: usize,
    expected: impl Fn(usize) -> f64,
    expected_tail: impl Fn(usize) -> f64,
) -> Vec<Row> {
    let mut rows: Vec<Row> = (0..=shown)
        .map(|k| Row {
            entries: k,
            open: false,
            observed: hist.get(k).copied().unwrap_or(0),
            expected: expected(k),
        })
        .collect();
    let heavier: usize = hist.iter().skip(shown + 1).sum();
    if heavier > 0 {
        rows.push(Row {
            entries: shown + 1,
            open: true,
            observed: heavier,
            expected: expected_tail(shown),
        });
    }
    rows
}

/// Smallest share of buckets holding [`CONCENTRATION`] of `entries`, given `(load, buckets with that load)` from the
/// heaviest load down. A partial load class counts fractionally.
fn share_of_buckets(classes: impl Iterator<Item = (usize, f64)>, entries: usize) -> f64 {
    let target = CONCENTRATION * entries as f64;
    let (mut held, mut used, mut total) = (0.0, 0.0, 0.0);
    let mut done = false;
    for (load, buckets) in classes {
        total += buckets;
        if done || load == 0 {
            continue;
        }
        let class_entries = load as f64 * buckets;
        if held + class_entries >= target {
            used += (target - held) / load as f64;
            done = true;
        } else {
            held += class_entries;
            used += buckets;
        }
    }
    if total > 0.0 { used / total } else { 0.0 }
}

impl Analysis {
    /// The one-line verdict, e.g. `skewed: 90% of entries in 4.0% of buckets (uniform hash: 74%), ...`.
    pub fn verdict_line(&self) -> String {
        let share = format!(
            "{:.0}% of entries in {} of buckets (uniform hash: {})",
            CONCENTRATION * 100.0,
            percent(self.concentration),
            percent(self.expected_concentration)
        );
        let p = match self.chi_square {
            Some(test) => format!("chi-square p {}", p_value(test.p_value)),
            None => String::new(),
        };
        match self.verdict {
            Verdict::Uniform => format!("uniform: {share}; {p}"),
            Verdict::Skewed => format!("skewed: {share}; {p}"),
            Verdict::TooEven => format!(
                "not random but even: loads vary {:.2}x as much as a uniform hash would; {share}; {p}",
                self.variance_ratio
            ),
            Verdict::Irregular => format!(
                "irregular: not a uniform hash's histogram, though loads vary {:.2}x as much; {share}; {p}",
                self.variance_ratio
            ),
            Verdict::Untestable => format!(
                "untestable: {} bucket(s) is too few for a chi-square test",
                self.buckets
            ),
        }
    }
}

/// `0.04` -> `4.0%`, `0.0012` -> `0.12%`.
pub fn percent(share: f64) -> String {
    let pct = share * 100.0;
    if pct != 0.0 && pct < 1.0 {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// `= 0.42`, `= 3.1e-7`, `< 1e-300`.
pub fn p_value(p: f64) -> String {
    if p < 1e-300 {
        "< 1e-300".to_owned()
    } else if p < 1e-3 {
        format!("= {p:.1e}")
    } else {
        format!("= {p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::splitmix64;

    /// Loads from throwing `n` random balls into `m` buckets.
    fn random_loads(n: usize, m: usize, seed: u64) -> Vec<usize> {
        let mut loads = vec![0; m];
        for i in 0..n {
            loads[(splitmix64(seed + i as u64) % m as u64) as usize] += 1;
        }
        loads
    }

    #[test]
    fn random_loads_pass() {
        let a = analyze(random_loads(6_500 * 16, 16_384, 1));
        assert_eq!(a.verdict, Verdict::Uniform, "{}", a.verdict_line());
        assert!((a.concentration - a.expected_concentration).abs() < 0.01);
        assert!((a.variance_ratio - 1.0).abs() < 0.05);
        assert_eq!(a.rows.iter().map(|r| r.observed).sum::<usize>(), 16_384);
    }

    #[test]
    fn crowded_loads_fail_as_skewed() {
        // 1 bucket in 64 used, as identity hashing of multiples of 64 does.
        let loads = (0..4096).map(|i| if i % 64 == 0 { 416 } else { 0 });
        let a = analyze(loads);
        assert_eq!(a.verdict, Verdict::Skewed);
        assert!(
            (a.concentration - 0.9 / 64.0).abs() < 1e-9,
            "{}",
            a.concentration
        );
        assert!(
            a.verdict_line()
                .starts_with("skewed: 90% of entries in 1.4% of buckets"),
            "{}",
            a.verdict_line()
        );
        assert!(a.chi_square.unwrap().p_value < 1e-300);
        assert!(a.rows.last().unwrap().open);
    }

    #[test]
    fn identical_loads_are_too_even() {
        let a = analyze(std::iter::repeat_n(6, 8192));
        assert_eq!(a.verdict, Verdict::TooEven);
        assert!(a.verdict_line().starts_with("not random but even"));
    }

    #[test]
    fn a_wrong_shape_with_normal_spread_is_irregular() {
        // Half the buckets at 3 and half at 10: variance 12.25 against the binomial's 6.5: crowded.
        let loads = (0..8192).map(|i| if i % 2 == 0 { 3 } else { 10 });
        let a = analyze(loads);
        assert!(
            (a.variance_ratio - 12.25 / 6.5).abs() < 0.01,
            "{}",
            a.variance_ratio
        );
        assert_eq!(a.verdict, Verdict::Skewed);
        // Only even loads, spread like a binomial (variance 6.75 against 6.5) but the wrong shape.
        let loads = (0..8192).map(|i| [2, 4, 6, 6, 6, 8, 10, 10][i % 8]);
        let a = analyze(loads);
        assert_eq!(
            a.verdict,
            Verdict::Irregular,
            "{} {}",
            a.variance_ratio,
            a.verdict_line()
        );
    }

    #[test]
    fn a_single_bucket_is_untestable() {
        let a = analyze([5]);
        assert_eq!(a.verdict, Verdict::Untestable);
        assert!((a.concentration - 0.9).abs() < 1e-12, "{}", a.concentration);
    }

    #[test]
    fn formatting() {
        assert_eq!(percent(0.04), "4.0%");
        assert_eq!(percent(0.0012), "0.12%");
        assert_eq!(p_value(0.0), "< 1e-300");
        assert_eq!(p_value(0.5), "= 0.500");
    }
}
