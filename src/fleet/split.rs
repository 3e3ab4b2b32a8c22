//! Splitting a pool into K sub-pools so that the poorest sub-pool's baseline is as rich as
//! possible.
//!
//! ```text
//! maximise   min over sub-pools S of richness(baseline(S))       (no baseline = poorest)
//! then       Σ richness(baseline(S))                              (ties)
//! over       partitions of the classes into K non-empty sub-pools
//! ```
//!
//! Up to [`EXACT_LIMIT`] classes the answer is exact: every sub-pool of the classes (at
//! most 4,095) gets its real baseline ([`crate::Engine::baseline`], the POWER compat
//! baseline), then a dynamic programme over subsets finds the best minimum and, among the
//! partitions reaching it, the best sum. Beyond that it is a stated heuristic: sub-pools
//! are grown by merging, each time, the two whose meet of lattice points
//! ([`crate::Engine::point`]) keeps the most (level, then features), then single classes
//! move between sub-pools while that improves the poorest meet; the sub-pools found get
//! their real baselines. It keeps a score per pair of sub-pools, so it handles at most
//! [`HEURISTIC_LIMIT`] classes.
use super::measure::{baseline_of, PoolBaseline, Richness};
use crate::error::{Error, ErrorKind};
use crate::{BaselineOptions, Cpu, Engine};
use cpucompat_lattice::Point;

/// The most classes split exactly.
pub const EXACT_LIMIT: usize = 12;

/// The most classes the heuristic splits (it keeps a score per pair of sub-pools).
pub const HEURISTIC_LIMIT: usize = 2000;

/// A partition of class positions `0..n` into groups, and whether it is exact.
pub(crate) struct Partition {
    pub(crate) groups: Vec<Vec<usize>>,
    pub(crate) exact: bool,
}

/// The score of a sub-pool: `None` when it has no baseline.
type Score = Option<Richness>;

fn sum(s: Score) -> u64 {
    s.map_or(0, |r| (u64::from(r.level) << 32) | u64::from(r.features))
}

/// Splits the classes (`cpus`, one representative each) into `k` sub-pools.
///
/// # Errors
/// `k` is 0 or more than the number of classes; more than [`HEURISTIC_LIMIT`] classes.
pub(crate) fn split(
    engine: &Engine,
    cpus: &[&Cpu],
    k: usize,
    opts: &BaselineOptions,
) -> Result<Partition, Error> {
    let n = cpus.len();
    if k == 0 || k > n {
        return Err(Error::new(
            ErrorKind::Argument,
            format!(
                "cannot split {n} CPU class{} into {k} sub-pool{}",
                if n == 1 { "" } else { "es" },
                if k == 1 { "" } else { "s" }
            ),
        ));
    }
    if n > HEURISTIC_LIMIT {
        return Err(Error::new(
            ErrorKind::Argument,
            format!("--split handles at most {HEURISTIC_LIMIT} CPU classes; this pool has {n}"),
        ));
    }
    if n <= EXACT_LIMIT {
        let scores = subset_scores(engine, cpus, opts);
        return Ok(Partition {
            groups: exact(&scores, n, k),
            exact: true,
        });
    }
    let points: Vec<Point> = cpus
        .iter()
        .map(|c| engine.point(c))
        .collect::<Result<_, _>>()?;
    Ok(Partition {
        groups: heuristic(engine, &points, k),
        exact: false,
    })
}

/// The real baseline score of every non-empty subset of `cpus` (bit i = class i).
pub(crate) fn subset_scores(engine: &Engine, cpus: &[&Cpu], opts: &BaselineOptions) -> Vec<Score> {
    let n = cpus.len();
    let mut scores = vec![None; 1 << n];
    let mut members: Vec<&Cpu> = Vec::with_capacity(n);
    for (mask, slot) in scores.iter_mut().enumerate().skip(1) {
        members.clear();
        members.extend((0..n).filter(|i| mask & (1 << i) != 0).map(|i| cpus[i]));
        *slot = baseline_of(engine, &members, opts)
            .ok()
            .map(|b: PoolBaseline| b.richness());
    }
    scores
}

/// The best partition of `n` classes into `k` groups, given every subset's score.
pub(crate) fn exact(scores: &[Score], n: usize, k: usize) -> Vec<Vec<usize>> {
    let full = (1usize << n) - 1;
    // best[j][mask]: the best minimum over partitions of `mask` into j+1 groups;
    // None = impossible (fewer classes than groups).
    let mut best: Vec<Vec<Option<Score>>> = vec![vec![None; full + 1]; k];
    for mask in 1..=full {
        best[0][mask] = Some(scores[mask]);
    }
    for j in 1..k {
        for mask in 1..=full {
            if (mask.count_ones() as usize) < j + 1 {
                continue;
            }
            let low = mask & mask.wrapping_neg();
            let rest = mask ^ low;
            let mut found: Option<Score> = None;
            // Every proper sub-mask holding the lowest class.
            let mut sub = rest;
            loop {
                let first = sub | low;
                if first != mask {
                    if let Some(other) = best[j - 1][mask ^ first] {
                        let v = scores[first].min(other);
                        if found.is_none_or(|f| v > f) {
                            found = Some(v);
                        }
                    }
                }
                if sub == 0 {
                    break;
                }
                sub = (sub - 1) & rest;
            }
            best[j][mask] = found;
        }
    }
    let target = best[k - 1][full].flatten();
    // Among partitions whose every group scores at least `target`, the best sum.
    let ok = |s: Score| s >= target;
    let mut total: Vec<Vec<Option<(u64, usize)>>> = vec![vec![None; full + 1]; k];
    for mask in 1..=full {
        if ok(scores[mask]) {
            total[0][mask] = Some((sum(scores[mask]), mask));
        }
    }
    for j in 1..k {
        for mask in 1..=full {
            if (mask.count_ones() as usize) < j + 1 {
                continue;
            }
            let low = mask & mask.wrapping_neg();
            let rest = mask ^ low;
            let mut found: Option<(u64, usize)> = None;
            let mut sub = rest;
            loop {
                let first = sub | low;
                if first != mask && ok(scores[first]) {
                    if let Some((s, _)) = total[j - 1][mask ^ first] {
                        let v = s + sum(scores[first]);
                        if found.is_none_or(|(f, _)| v > f) {
                            found = Some((v, first));
                        }
                    }
                }
                if sub == 0 {
                    break;
                }
                sub = (sub - 1) & rest;
            }
            total[j][mask] = found;
        }
    }
    let mut groups = Vec::with_capacity(k);
    let mut mask = full;
    for j in (0..k).rev() {
        let first = match total[j][mask] {
            Some((_, first)) => first,
            // Unreachable when `target` came from the same scores; fall back to the rest.
            None => mask,
        };
        groups.push((0..n).filter(|i| first & (1 << i) != 0).collect());
        mask ^= first;
        if mask == 0 {
            break;
        }
    }
    groups
}

fn proxy(p: Option<Point>) -> Score {
    p.map(|p| Richness {
        level: p.level.rank(),
        features: p.features.len() as u32,
    })
}

fn meet_of(points: &[Point], group: &[usize]) -> Option<Point> {
    let mut it = group.iter();
    let first = points[*it.next()?];
    it.try_fold(first, |acc, &i| acc.meet(&points[i]).ok())
}

/// The heuristic for many classes (see the module documentation).
fn heuristic(_engine: &Engine, points: &[Point], k: usize) -> Vec<Vec<usize>> {
    let n = points.len();
    let mut groups: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut meets: Vec<Option<Point>> = points.iter().copied().map(Some).collect();
    let merged = |a: &Option<Point>, b: &Option<Point>| match (a, b) {
        (Some(x), Some(y)) => x.meet(y).ok(),
        _ => None,
    };
    // pair[a][b] for a < b: the score of merging groups a and b.
    let mut pair: Vec<Vec<Score>> = (0..n)
        .map(|a| {
            (0..n)
                .map(|b| proxy(merged(&meets[a], &meets[b])))
                .collect()
        })
        .collect();
    let mut alive: Vec<bool> = vec![true; n];
    let mut count = n;
    while count > k {
        let mut best: Option<(Score, usize, usize)> = None;
        for a in 0..n {
            if !alive[a] {
                continue;
            }
            for b in a + 1..n {
                if alive[b] && best.is_none_or(|(s, _, _)| pair[a][b] > s) {
                    best = Some((pair[a][b], a, b));
                }
            }
        }
        let Some((_, a, b)) = best else { break };
        let moved = std::mem::take(&mut groups[b]);
        groups[a].extend(moved);
        meets[a] = merged(&meets[a], &meets[b]);
        alive[b] = false;
        count -= 1;
        for c in 0..n {
            if alive[c] && c != a {
                let s = proxy(merged(&meets[a], &meets[c]));
                pair[a][c] = s;
                pair[c][a] = s;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    // Single-class moves while the poorest meet (then the sum) improves.
    let value = |gs: &[Vec<usize>]| {
        let scores: Vec<Score> = gs.iter().map(|g| proxy(meet_of(points, g))).collect();
        let min = scores.iter().copied().min().flatten();
        (min, scores.iter().map(|s| sum(*s)).sum::<u64>())
    };
    let mut current = value(&groups);
    for _round in 0..20 {
        let mut improved = false;
        for from in 0..groups.len() {
            let mut idx = 0;
            while idx < groups[from].len() {
                if groups[from].len() == 1 {
                    break;
                }
                let c = groups[from][idx];
                let mut moved = false;
                for to in 0..groups.len() {
                    if to == from {
                        continue;
                    }
                    groups[from].swap_remove(idx);
                    groups[to].push(c);
                    let v = value(&groups);
                    if v > current {
                        current = v;
                        improved = true;
                        moved = true;
                        break;
                    }
                    groups[to].pop();
                    groups[from].push(c);
                    let last = groups[from].len() - 1;
                    groups[from].swap(idx, last);
                }
                if !moved {
                    idx += 1;
                }
            }
        }
        if !improved {
            break;
        }
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    groups.sort();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(features: u32) -> Score {
        Some(Richness { level: 0, features })
    }

    /// Every partition of `n` into `k` groups, by brute force (restricted growth strings).
    fn brute(scores: &[Score], n: usize, k: usize) -> Score {
        let mut best: Option<Score> = None;
        let mut labels = vec![0usize; n];
        fn go(
            i: usize,
            used: usize,
            n: usize,
            k: usize,
            labels: &mut Vec<usize>,
            scores: &[Score],
            best: &mut Option<Score>,
        ) {
            if i == n {
                if used != k {
                    return;
                }
                let mut masks = vec![0usize; k];
                for (c, &l) in labels.iter().enumerate() {
                    masks[l] |= 1 << c;
                }
                let v = masks.iter().map(|&m| scores[m]).min().flatten();
                if best.is_none_or(|b| v > b) {
                    *best = Some(v);
                }
                return;
            }
            for l in 0..=used.min(k - 1) {
                labels[i] = l;
                go(i + 1, used.max(l + 1), n, k, labels, scores, best);
            }
        }
        go(0, 0, n, k, &mut labels, scores, &mut best);
        best.flatten()
    }

    #[test]
    fn exact_matches_brute_force_on_synthetic_scores() {
        // Scores of a made-up intersection lattice: each class is a random set of bits,
        // a subset's score its intersection size, and a "vendor" split makes some
        // subsets impossible.
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in 1..=7usize {
            let sets: Vec<u64> = (0..n).map(|_| next() | next()).collect();
            let vendor: Vec<bool> = (0..n).map(|_| next() % 5 == 0).collect();
            let mut scores = vec![None; 1 << n];
            for (mask, s) in scores.iter_mut().enumerate().skip(1) {
                let members: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                let mixed =
                    members.iter().any(|&i| vendor[i]) && members.iter().any(|&i| !vendor[i]);
                if !mixed {
                    *s = r(members
                        .iter()
                        .fold(u64::MAX, |a, &i| a & sets[i])
                        .count_ones());
                }
            }
            for k in 1..=n {
                let groups = exact(&scores, n, k);
                assert_eq!(groups.len(), k, "n={n} k={k}");
                let mut seen: Vec<usize> = groups.iter().flatten().copied().collect();
                seen.sort_unstable();
                assert_eq!(seen, (0..n).collect::<Vec<_>>());
                let got = groups
                    .iter()
                    .map(|g| scores[g.iter().fold(0, |m, &i| m | (1 << i))])
                    .min()
                    .flatten();
                assert_eq!(got, brute(&scores, n, k), "n={n} k={k}");
            }
        }
    }
}
