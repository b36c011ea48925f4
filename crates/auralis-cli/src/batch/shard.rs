//! `--shard I/N`: a deterministic share of a batch, balanced by duration.
//!
//! Every machine of a Kubernetes indexed Job or a Slurm array sees the same input list
//! (sorted byte-wise by relative path) and the same durations (read from the headers), so
//! each computes the same assignment with no coordinator: longest files first, each to the
//! shard with the least audio so far (ties to the lowest index). That is Graham's LPT
//! schedule; when a shard receives its last file it held the least audio of all, at most
//! total / N, so no shard exceeds total / N + the longest file.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (`index` counts from 0, as `JOB_COMPLETION_INDEX` and
/// `SLURM_ARRAY_TASK_ID` with `--array=0-(N-1)` do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard {s}: expected I/N with 0 ≤ I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(format!("--shard {s}: N must be at least 1"));
        }
        if index >= count {
            return Err(format!(
                "--shard {s}: I counts from 0, so it must be below N = {count} (shards 0/{count} … {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard of each item, from the items' weights (durations in ms, in list order).
pub fn assign(weights: &[u64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Longest first; equal weights keep list order, so the result is a function of the list.
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(a.cmp(&b)));
    let mut loads = vec![0u64; count.max(1)];
    let mut counts = vec![0usize; loads.len()];
    let mut shard_of = vec![0; weights.len()];
    for item in order {
        // Ties (files whose headers declare no length weigh 0) go to the shard with fewest
        // files, so unknown lengths still spread.
        let lightest = (0..loads.len())
            .min_by_key(|&s| (loads[s], counts[s], s))
            .unwrap_or(0);
        loads[lightest] += weights[item];
        counts[lightest] += 1;
        shard_of[item] = lightest;
    }
    shard_of
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible list of durations: a linear congruential generator, some very long
    /// files, some equal ones, some zero (a header without a length).
    fn durations(len: usize, seed: u64) -> Vec<u64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..len)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match i % 7 {
                    0 => 180_000,
                    1 => 0,
                    _ => (state >> 33) % 3_600_000,
                }
            })
            .collect()
    }

    #[test]
    fn shards_are_disjoint_complete_and_balanced_for_every_count() {
        for len in [0, 1, 2, 5, 17, 100, 1000] {
            for seed in 0..4 {
                let weights = durations(len, seed);
                let total: u64 = weights.iter().sum();
                let longest = weights.iter().copied().max().unwrap_or(0);
                for count in 1..=8 {
                    let shard_of = assign(&weights, count);
                    let shard_ref = &shard_of;
                    // Each item in exactly one shard in range: disjoint and complete.
                    assert_eq!(shard_of.len(), len);
                    assert!(shard_of.iter().all(|&s| s < count));
                    let mut union: Vec<usize> = (0..count)
                        .flat_map(|s| (0..len).filter(move |&i| shard_ref[i] == s))
                        .collect();
                    union.sort_unstable();
                    assert_eq!(union, (0..len).collect::<Vec<_>>());
                    for s in 0..count {
                        let load: u64 = (0..len)
                            .filter(|&i| shard_of[i] == s)
                            .map(|i| weights[i])
                            .sum();
                        assert!(
                            load as f64 <= total as f64 / count as f64 + longest as f64,
                            "len {len} seed {seed}: shard {s}/{count} holds {load} of {total}"
                        );
                    }
                    // Deterministic: another machine computes the same assignment.
                    assert_eq!(assign(&weights, count), shard_of);
                }
            }
        }
    }

    #[test]
    fn files_of_unknown_length_still_spread_over_the_shards() {
        let shard_of = assign(&[0; 10], 4);
        let sizes: Vec<usize> = (0..4)
            .map(|s| shard_of.iter().filter(|&&x| x == s).count())
            .collect();
        assert_eq!(sizes, [3, 3, 2, 2]);
    }

    #[test]
    fn shard_specs_parse_and_bad_ones_are_refused() {
        assert_eq!("0/4".parse(), Ok(Shard { index: 0, count: 4 }));
        assert_eq!("3/4".parse(), Ok(Shard { index: 3, count: 4 }));
        for bad in ["2/2", "3/2", "0/0", "1", "a/b", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
