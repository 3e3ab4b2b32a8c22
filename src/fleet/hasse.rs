//! The CPU classes of a pool as a Hasse diagram: an edge from class A up to class B when B
//! runs everything A does and no class sits between them; the pool baseline at the
//! bottom, below every minimal class.
//!
//! "B runs everything A does" is an engine compare: B's host against A's CPU as a guest
//! ([`crate::Engine::guest_of`]; on POWER the guest of A's highest compat mode, since no
//! raw-mode guest crosses processor families). Classes that run each other (the same
//! features under different model names) are ordered by number, so the diagram is a
//! partial order. Layers are longest paths from the bottom.
use super::classes::{ClassId, Fleet};
use crate::error::Error;
use crate::{Cpu, Engine};
use serde::Serialize;

/// One node: the baseline or a class.
#[derive(Clone, Debug, Serialize)]
pub struct HasseNode {
    /// `baseline` or the class number.
    pub id: String,
    /// The class, for a class node.
    pub class: Option<ClassId>,
    /// The host CPU's model (a class) or the baseline's model.
    pub model: Option<String>,
    /// The richest named model the node runs (the cluster mode for the baseline).
    pub runs: Option<String>,
    /// How many hosts.
    pub hosts: usize,
    /// The first few host names.
    pub host_names: Vec<String>,
    /// How many features.
    pub features: usize,
    /// The x86-64 level, if x86.
    pub x86_level: Option<String>,
    /// The layer, 0 at the bottom.
    pub layer: usize,
}

/// The diagram: nodes, and edges `(lower, upper)` by node index.
#[derive(Clone, Debug, Serialize)]
pub struct Hasse {
    /// The nodes; the baseline (when the pool has one) comes first.
    pub nodes: Vec<HasseNode>,
    /// `(lower, upper)`: the upper node runs everything the lower one does.
    pub edges: Vec<(usize, usize)>,
}

/// A class's CPU as a guest: what "runs everything it does" is asked with.
pub(crate) fn as_guest(engine: &Engine, cpu: &Cpu) -> Result<Cpu, Error> {
    if let Some(p) = engine.ppc64() {
        if let Ok((_, guest)) = p.compat_baseline([cpu]) {
            return Ok(guest);
        }
    }
    engine.guest_of(cpu)
}

/// Whether `host` runs `guest` (on s390x, judged by QEMU with `host` as the host model).
pub(crate) fn runs(engine: &Engine, host: &Cpu, guest: &Cpu) -> Result<bool, Error> {
    Ok(engine.for_host(host)?.compare(host, guest)?.runs())
}

/// The order of `classes`: `le[i][j]` when class j runs everything class i does.
pub(crate) fn order(fleet: &Fleet, classes: &[ClassId]) -> Result<Vec<Vec<bool>>, Error> {
    let engine = fleet.engine();
    let cpus: Vec<&Cpu> = classes
        .iter()
        .filter_map(|&c| fleet.class(c).map(|c| c.cpu()))
        .collect();
    let guests: Vec<Option<Cpu>> = cpus.iter().map(|c| as_guest(engine, c).ok()).collect();
    let n = cpus.len();
    let mut le = vec![vec![false; n]; n];
    for (j, host) in cpus.iter().enumerate() {
        let judge = engine.for_host(host)?;
        for i in 0..n {
            le[i][j] = i == j
                || match &guests[i] {
                    Some(g) => judge.compare(host, g)?.runs(),
                    None => false,
                };
        }
    }
    Ok(le)
}

/// Builds the diagram from per-node facts (index 0 = the baseline when `with_bottom`).
pub(crate) fn reduce(le: &[Vec<bool>]) -> (Vec<(usize, usize)>, Vec<usize>) {
    let n = le.len();
    let lt = |i: usize, j: usize| i != j && le[i][j] && (!le[j][i] || i < j);
    let mut edges = Vec::new();
    for i in 0..n {
        for j in 0..n {
            if lt(i, j) && !(0..n).any(|m| lt(i, m) && lt(m, j)) {
                edges.push((i, j));
            }
        }
    }
    // Layers: longest path from a minimal class, in an order where predecessors come
    // first (fewer strict predecessors first is such an order).
    let preds: Vec<usize> = (0..n)
        .map(|j| (0..n).filter(|&i| lt(i, j)).count())
        .collect();
    let mut by: Vec<usize> = (0..n).collect();
    by.sort_by_key(|&j| (preds[j], j));
    let mut layer = vec![0usize; n];
    for &j in &by {
        layer[j] = (0..n)
            .filter(|&i| lt(i, j))
            .map(|i| layer[i] + 1)
            .max()
            .unwrap_or(0);
    }
    (edges, layer)
}
