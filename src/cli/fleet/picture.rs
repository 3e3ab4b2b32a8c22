//! `pool --format dot|html`: the CPU classes as a Hasse diagram, for Graphviz or as one
//! self-contained HTML page (inline SVG, tables, snippets; no script, no network).
//!
//! Colours: a class is teal (`#2a9d8f`), a class that alone holds the pool down has a
//! thick coral border (`#e76f51`), the baseline is dark blue (`#264653`) at the bottom.
//! The page lays the diagram out itself: layers are the diagram's (longest path from the
//! baseline), nodes in a layer ordered by the mean position of the nodes below them.
use cpucompat::fleet::{Hasse, HasseNode, PoolReport};
use std::fmt::Write as _;

/// A class node's fill.
pub const CLASS_FILL: &str = "#2a9d8f";
/// The border of a class that alone holds the pool down.
pub const HOLDS_DOWN: &str = "#e76f51";
/// The baseline node's fill.
pub const BASELINE_FILL: &str = "#264653";

fn holds_down(r: &PoolReport, n: &HasseNode) -> bool {
    n.class.is_some_and(|c| r.held_down_by().contains(&c))
}

/// The lines of a node's label.
fn label(n: &HasseNode) -> Vec<String> {
    let level = n
        .x86_level
        .as_deref()
        .map_or_else(String::new, |l| format!(" · x86-64-{l}"));
    if n.class.is_none() {
        let mut v = vec![format!("baseline · {} hosts", n.hosts)];
        v.push(format!(
            "{} · {} features{level}",
            n.model.as_deref().unwrap_or("-"),
            n.features
        ));
        if let Some(r) = &n.runs {
            v.push(format!("cluster mode {r}"));
        }
        return v;
    }
    let mut hosts = n.host_names.join(", ");
    if n.hosts > n.host_names.len() {
        hosts.push_str(&format!(" +{}", n.hosts - n.host_names.len()));
    }
    let short = |s: &str| -> String {
        let s = s.rsplit('/').next().unwrap_or(s);
        if s.chars().count() > 36 {
            let mut t: String = s.chars().take(35).collect();
            t.push('…');
            t
        } else {
            s.to_string()
        }
    };
    vec![
        format!(
            "{} · {} host{} · {}",
            n.id,
            n.hosts,
            if n.hosts == 1 { "" } else { "s" },
            n.model.as_deref().unwrap_or("-")
        ),
        short(&hosts),
        format!("runs {}{level}", n.runs.as_deref().unwrap_or("-")),
    ]
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz: `dot -Tsvg` draws it, the baseline at the bottom.
pub fn dot(r: &PoolReport) -> String {
    let mut s = String::from("digraph pool {\n  rankdir=BT;\n");
    let title = format!(
        "{} hosts in {} CPU classes ({}, {})",
        r.hosts(),
        r.classes().len(),
        r.arch(),
        r.catalog()
    );
    let _ = writeln!(
        s,
        "  graph [fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"{}\"];",
        dot_escape(&title)
    );
    let _ = writeln!(
        s,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, fontcolor=\"white\", fillcolor=\"{CLASS_FILL}\", color=\"{CLASS_FILL}\"];"
    );
    s.push_str("  edge [arrowsize=0.6, color=\"#555555\"];\n");
    let Some(h) = r.diagram() else {
        s.push_str("}\n");
        return s;
    };
    for n in &h.nodes {
        let text = label(n)
            .iter()
            .map(|l| dot_escape(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let extra = if n.class.is_none() {
            format!(", fillcolor=\"{BASELINE_FILL}\", color=\"{BASELINE_FILL}\"")
        } else if holds_down(r, n) {
            format!(", color=\"{HOLDS_DOWN}\", penwidth=3")
        } else {
            String::new()
        };
        let _ = writeln!(s, "  \"{}\" [label=\"{text}\"{extra}];", dot_escape(&n.id));
    }
    for (a, b) in &h.edges {
        let _ = writeln!(
            s,
            "  \"{}\" -> \"{}\";",
            dot_escape(&h.nodes[*a].id),
            dot_escape(&h.nodes[*b].id)
        );
    }
    s.push_str("}\n");
    s
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const NODE_W: f64 = 250.0;
const NODE_H: f64 = 54.0;
const GAP_X: f64 = 24.0;
const GAP_Y: f64 = 34.0;
const MARGIN: f64 = 16.0;

/// Node centres: layer rows bottom-up, each row ordered by the mean x of its nodes' lower
/// neighbours.
fn layout(h: &Hasse) -> (Vec<(f64, f64)>, f64, f64) {
    let layers = h.nodes.iter().map(|n| n.layer).max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (i, n) in h.nodes.iter().enumerate() {
        rows[n.layer].push(i);
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let width = widest * (NODE_W + GAP_X) - GAP_X + 2.0 * MARGIN;
    let height = layers as f64 * (NODE_H + GAP_Y) - GAP_Y + 2.0 * MARGIN;
    let mut pos = vec![(0.0, 0.0); h.nodes.len()];
    for (l, row) in rows.iter_mut().enumerate() {
        if l > 0 {
            let key = |i: usize| -> f64 {
                let xs: Vec<f64> = h
                    .edges
                    .iter()
                    .filter(|(_, b)| *b == i)
                    .map(|(a, _)| pos[*a].0)
                    .collect();
                if xs.is_empty() {
                    f64::MAX
                } else {
                    xs.iter().sum::<f64>() / xs.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = row.iter().map(|&i| (key(i), i)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            *row = keyed.into_iter().map(|(_, i)| i).collect();
        }
        let span = row.len() as f64 * (NODE_W + GAP_X) - GAP_X;
        let x0 = (width - span) / 2.0 + NODE_W / 2.0;
        let y = height - MARGIN - NODE_H / 2.0 - l as f64 * (NODE_H + GAP_Y);
        for (k, &i) in row.iter().enumerate() {
            pos[i] = (x0 + k as f64 * (NODE_W + GAP_X), y);
        }
    }
    (pos, width, height)
}

/// The diagram as inline SVG.
pub fn svg(r: &PoolReport) -> String {
    let Some(h) = r.diagram() else {
        return String::new();
    };
    let (pos, width, height) = layout(h);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"CPU classes of the pool\">\n"
    );
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n");
    for (a, b) in &h.edges {
        let (x1, y1) = (pos[*a].0, pos[*a].1 - NODE_H / 2.0);
        let (x2, y2) = (pos[*b].0, pos[*b].1 + NODE_H / 2.0);
        let _ = writeln!(
            s,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>"
        );
    }
    for (i, n) in h.nodes.iter().enumerate() {
        let (cx, cy) = pos[i];
        let (x, y) = (cx - NODE_W / 2.0, cy - NODE_H / 2.0);
        let (fill, stroke, sw) = if n.class.is_none() {
            (BASELINE_FILL, BASELINE_FILL, 1.0)
        } else if holds_down(r, n) {
            (CLASS_FILL, HOLDS_DOWN, 4.0)
        } else {
            (CLASS_FILL, CLASS_FILL, 1.0)
        };
        let _ = writeln!(
            s,
            "<g><title>{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>",
            esc(&n.host_names.join(", "))
        );
        for (k, line) in label(n).iter().enumerate() {
            let ty = y + 16.0 + k as f64 * 15.0;
            let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
            let _ = writeln!(
                s,
                "<text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" fill=\"white\"{weight}>{}</text>",
                esc(line)
            );
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

/// One self-contained page: the diagram, then the tables, then the snippets.
pub fn html(r: &PoolReport) -> String {
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let title = format!(
        "cpucompat pool: {} hosts in {} CPU classes",
        r.hosts(),
        r.classes().len()
    );
    let _ = writeln!(s, "<title>{}</title>", esc(&title));
    s.push_str(
        "<style>\nbody{font-family:Helvetica,Arial,sans-serif;margin:1.5em;color:#222}\n\
         table{border-collapse:collapse;margin:.5em 0}\n\
         td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\n\
         th{background:#eee}\n.num{text-align:right}\n.hold{color:#b3401f;font-weight:bold}\n\
         pre{background:#f6f6f6;padding:.6em;overflow-x:auto}\n.diagram{overflow-x:auto}\n</style>\n</head>\n<body>\n",
    );
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        s,
        "<p>{} · {}. An arrow goes up from a class to one that runs everything it does; the baseline is at the bottom; a coral border marks a class that alone holds the pool down.</p>",
        esc(r.arch().as_str()),
        esc(r.catalog())
    );
    let _ = writeln!(s, "<div class=\"diagram\">\n{}</div>", svg(r));
    s.push_str("<h2>Pool</h2>\n<table>\n");
    let row = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    };
    match r.baseline() {
        Some(b) => {
            row(&mut s, "baseline", b.model().unwrap_or("-"));
            row(&mut s, "baseline features", &b.features().len().to_string());
            if let Some(l) = b.x86_level() {
                row(&mut s, "x86-64 level", &format!("x86-64-{l}"));
            }
            if let Some(m) = b.compat_mode() {
                row(&mut s, "compat mode", m);
            }
        }
        None => row(&mut s, "baseline", r.baseline_error().unwrap_or("none")),
    }
    row(
        &mut s,
        "cluster mode",
        r.cluster_mode().map_or("none", |c| c.model.as_str()),
    );
    let held: Vec<String> = r.held_down_by().iter().map(|c| c.to_string()).collect();
    row(
        &mut s,
        "held down by",
        &if held.is_empty() {
            "-".to_string()
        } else {
            held.join(", ")
        },
    );
    s.push_str("</table>\n<h2>Classes</h2>\n<table>\n<tr><th>class</th><th>hosts</th><th>model</th><th>vendor</th><th>level</th><th>features</th><th>runs</th><th>without it, the pool regains</th><th>it alone blocks</th></tr>\n");
    for c in r.classes() {
        let (regain, blocks, hold) = match (&c.without, &c.below_level) {
            (_, Some(m)) => (
                format!("left out: lacks {}", m.join(", ")),
                String::new(),
                false,
            ),
            (Some(w), None) => {
                let mut parts = Vec::new();
                if !w.gained.is_empty() {
                    parts.push(format!(
                        "{} features: {}",
                        w.gained.len(),
                        w.gained.join(", ")
                    ));
                }
                if let Some(m) = &w.cluster_mode {
                    parts.push(format!("cluster mode {m}"));
                }
                (parts.join("; "), w.blocks.join(", "), w.holds_down)
            }
            (None, None) => (String::new(), String::new(), false),
        };
        let hosts = if c.hosts.len() > 20 {
            format!("{} hosts: {} …", c.host_count, c.hosts.first(20).join(", "))
        } else {
            format!("{}: {}", c.host_count, c.hosts.to_vec().join(", "))
        };
        let _ = writeln!(
            s,
            "<tr><td{}>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if hold { " class=\"hold\"" } else { "" },
            c.id,
            esc(&hosts),
            esc(c.model.as_deref().unwrap_or("-")),
            esc(c.vendor.as_deref().unwrap_or("-")),
            c.x86_level.map_or("-".to_string(), |l| l.to_string()),
            c.features,
            esc(c.runs.as_deref().unwrap_or("-")),
            esc(&regain),
            esc(&blocks),
        );
    }
    s.push_str("</table>\n");
    if let Some(sp) = r.split() {
        let _ = writeln!(s, "<h2>Split into {} sub-pools</h2>\n<p>{}</p>\n<table>\n<tr><th>sub-pool</th><th>classes</th><th>hosts</th><th>baseline</th><th>features</th><th>cluster mode</th></tr>", sp.k, esc(&sp.method));
        for (i, p) in sp.pools.iter().enumerate() {
            let ids: Vec<String> = p.classes.iter().map(|c| c.to_string()).collect();
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                i + 1,
                ids.join(", "),
                p.hosts,
                esc(p.baseline.as_ref().and_then(|b| b.model()).or(p.baseline_error.as_deref()).unwrap_or("-")),
                p.baseline.as_ref().map_or(0, |b| b.features().len()),
                esc(p.cluster_mode.as_ref().map_or("-", |c| c.model.as_str())),
            );
        }
        s.push_str("</table>\n");
    }
    if let Some(p) = r.platforms() {
        s.push_str("<h2>Configuration</h2>\n");
        let _ = writeln!(
            s,
            "<h3>libvirt domain &lt;cpu&gt;</h3>\n<pre>{}</pre>",
            esc(&p.libvirt)
        );
        if let Some(n) = &p.nova {
            let _ = writeln!(
                s,
                "<h3>OpenStack Nova (nova.conf)</h3>\n<pre>{}</pre>",
                esc(&n.snippet)
            );
        }
        if let Some(k) = &p.kubevirt {
            let _ = writeln!(
                s,
                "<h3>KubeVirt (VirtualMachineInstance)</h3>\n<pre>{}</pre>",
                esc(&k.snippet)
            );
        }
    }
    if let Some(b) = r.baseline() {
        let _ = writeln!(
            s,
            "<h2>Baseline</h2>\n<pre>{}</pre>",
            esc(&b.cpu().to_xml())
        );
    }
    s.push_str("</body>\n</html>\n");
    s
}
