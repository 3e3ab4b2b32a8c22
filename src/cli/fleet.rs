//! The fleet commands: `pool`, `place`, `migrate`, `upgrade-check`, `levels`. Each parses
//! its arguments, calls [`cpucompat::fleet`] and renders the answer (text at most 100
//! columns, JSON, and for `pool` XML, Graphviz dot, one HTML page, and Nova, KubeVirt and
//! libvirt snippets). Nothing is decided here.
mod picture;

use super::args::{self, Format};
use super::{argument, engine, Output};
use clap::{Args, Parser};
use cpucompat::fleet::{
    self, ClassReport, Fleet, PlaceOptions, Placement, PoolOptions, PoolReport, UpgradeCheck,
    WhatIf, X86Level,
};
use cpucompat::{Arch, BaselineOptions, CpuMap, Engine, Error, Input, Qemu};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The widest line the text layouts print.
const WIDTH: usize = 100;
/// How many host names a summary shows.
const FIRST: usize = 3;

/// Output formats of the fleet commands. Read by hand rather than as a clap value enum:
/// clap builds every subcommand's arguments at start-up, for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetFormat {
    /// Human-readable text, at most 100 columns.
    Text,
    /// JSON (the library's result, as documented in `cpucompat::fleet`).
    Json,
    /// pool: the baseline `<cpu>`, as `baseline` prints it.
    Xml,
    /// pool: the CPU classes as a Graphviz Hasse diagram.
    Dot,
    /// pool: one self-contained HTML page (diagram as inline SVG, tables, snippets).
    Html,
    /// pool: OpenStack Nova's `[libvirt]` CPU options.
    Nova,
    /// pool: a KubeVirt VMI `spec.domain.cpu` and its node selector.
    Kubevirt,
    /// pool: the libvirt domain `<cpu>` element of the cluster mode.
    Libvirt,
}

impl std::str::FromStr for FleetFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<FleetFormat, String> {
        Ok(match s {
            "text" => FleetFormat::Text,
            "json" => FleetFormat::Json,
            "xml" => FleetFormat::Xml,
            "dot" => FleetFormat::Dot,
            "html" => FleetFormat::Html,
            "nova" => FleetFormat::Nova,
            "kubevirt" => FleetFormat::Kubevirt,
            "libvirt" => FleetFormat::Libvirt,
            _ => {
                return Err(
                    "expected text, json, xml, dot, html, nova, kubevirt or libvirt".to_string(),
                )
            }
        })
    }
}

fn format_of(own: Option<FleetFormat>, outer: Option<Format>) -> FleetFormat {
    own.unwrap_or(match outer {
        Some(Format::Json) => FleetFormat::Json,
        Some(Format::Xml) => FleetFormat::Xml,
        _ => FleetFormat::Text,
    })
}

/// A fleet command's arguments as the top-level parser sees them: the words after the
/// command, parsed by the command itself when it runs. clap builds every subcommand's
/// arguments at start-up, for every command; the fleet commands have many, so they are
/// built only when one of them runs (`cpucompat pool --help` prints its full help).
#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct Raw {
    /// The command's arguments (see `cpucompat <command> --help`).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        value_name = "ARGS"
    )]
    pub args: Vec<std::ffi::OsString>,
}

/// Parses a fleet command's words; `--help` and usage errors exit the way clap does.
fn parse<T: Parser>(name: &str, raw: Raw) -> T {
    T::try_parse_from(std::iter::once(std::ffi::OsString::from(name)).chain(raw.args))
        .unwrap_or_else(|e| e.exit())
}

fn level_arg(text: &Option<String>) -> Result<Option<X86Level>, Error> {
    text.as_deref()
        .map(|t| {
            X86Level::from_name(t).ok_or_else(|| {
                argument(format!(
                    "unknown x86-64 level '{t}': expected v1, v2, v3 or v4"
                ))
            })
        })
        .transpose()
}

/// A pool of hosts: CPU classes, baseline, cluster mode, what holds it down; what-if
/// (--add, --remove, --guests), --split K, --level vN.
#[derive(Parser, Debug)]
#[command(name = "cpucompat pool")]
pub struct PoolArgs {
    /// Files holding host CPUs: any host form, several per file; `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: args::Engine,
    /// text, json, xml (the baseline), dot, html, nova, kubevirt or libvirt.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<FleetFormat>,
    /// Propose K sub-pools maximising the poorest sub-pool's baseline (exact up to 12
    /// classes, a stated heuristic beyond).
    #[arg(long, value_name = "K")]
    pub split: Option<usize>,
    /// x86: leave out (and name) the classes below this x86-64 level (v1 … v4).
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// What if these hosts joined the pool.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub add: Vec<PathBuf>,
    /// What if these classes (C3) or the hosts of these files left the pool.
    #[arg(long, value_name = "CLASS|FILE", num_args = 1..)]
    pub remove: Vec<String>,
    /// With --add/--remove: the domain XMLs (or guest CPUs) of this directory, and which of
    /// them could no longer start or would lose every migration target.
    #[arg(long, value_name = "DIR")]
    pub guests: Option<PathBuf>,
    /// x86, s390x: list every feature of the baseline (expand the model).
    #[arg(long)]
    pub features: bool,
    /// x86: drop features that block migration from the baseline.
    #[arg(long)]
    pub migratable: bool,
    /// List every host of every class, every regained feature.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Which hosts can start GUEST, and why the others cannot. Exit 0 when one can, 1
/// when none can, 2 on error.
#[derive(Parser, Debug)]
#[command(name = "cpucompat place")]
pub struct PlaceArgs {
    /// The guest: a guest <cpu> or a domain XML.
    pub guest: PathBuf,
    /// The candidate hosts (any host form, several per file).
    #[arg(required = true)]
    pub hosts: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: args::Engine,
    /// Output format: text or json.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<FleetFormat>,
    /// x86: the guest's CPU must reach this x86-64 level on the host.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// List every host.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Where GUEST, running on --from SRC, can live-migrate among --to DST..., by
/// libvirt's and QEMU's rules for its CPU mode. Exit 0 when one host can take it.
#[derive(Parser, Debug)]
#[command(name = "cpucompat migrate")]
pub struct MigrateArgs {
    /// The guest as defined (a guest <cpu> or a domain XML).
    pub guest: PathBuf,
    /// The host it runs on.
    #[arg(long = "from", value_name = "SRC")]
    pub from: PathBuf,
    /// The destination hosts.
    #[arg(long = "to", value_name = "DST", num_args = 1.., required = true)]
    pub to: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: args::Engine,
    /// Output format: text or json.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<FleetFormat>,
    /// x86: the guest's CPU must reach this x86-64 level.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// x86: the domain sets a TSC frequency, so an invtsc guest may migrate.
    #[arg(long)]
    pub tsc_frequency: bool,
    /// List every host.
    #[arg(long, short)]
    pub verbose: bool,
}

/// What a catalog upgrade (libvirt 11.3 → 12.8, QEMU 7.2 → newest) changes for
/// named models, and for GUESTS on --hosts. Exit 1 when a guest is worse off.
#[derive(Parser, Debug)]
#[command(name = "cpucompat upgrade-check")]
pub struct UpgradeArgs {
    /// The old catalog: libvirt 11.3 or 12.8 (x86, ppc64 cpu_map), QEMU 7.2 or newest
    /// (s390x, ppc64 tables).
    #[arg(long = "from", value_name = "VERSION")]
    pub from: String,
    /// The new catalog.
    #[arg(long = "to", value_name = "VERSION")]
    pub to: String,
    /// Guests: guest <cpu>s or domain XMLs (none: only the catalogs are compared).
    pub guests: Vec<PathBuf>,
    /// The hosts the guests run on (any host form).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub hosts: Vec<PathBuf>,
    /// Architecture: x86_64, ppc64 or s390x (default: named by the inputs, else x86_64
    /// for libvirt versions).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Output format: text or json.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<FleetFormat>,
}

/// x86-64 micro-architecture levels (v1 … v4) of hosts, or of every named model.
#[derive(Parser, Debug)]
#[command(name = "cpucompat levels")]
pub struct LevelsArgs {
    /// Host CPUs (any host form); without any, every named model of the catalog.
    pub hosts: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: args::Engine,
    /// Output format: text or json.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<FleetFormat>,
}

fn text_or_json(command: &str, f: FleetFormat) -> Result<bool, Error> {
    match f {
        FleetFormat::Text => Ok(false),
        FleetFormat::Json => Ok(true),
        _ => Err(argument(format!("{command} prints text or json"))),
    }
}

/// `names` joined with ", ", the first few only unless `all`.
fn names(list: &[String], all: bool) -> String {
    if all || list.len() <= FIRST + 1 {
        return list.join(", ");
    }
    format!(
        "{}, … ({} more)",
        list[..FIRST].join(", "),
        list.len() - FIRST
    )
}

/// `lead` then `items` joined with ", ", wrapped at [`WIDTH`] with `indent`.
fn wrap(lead: &str, items: &[String], indent: usize) -> String {
    let mut out = String::from(lead);
    let mut col = lead.chars().count();
    for (i, it) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{it},")
        } else {
            it.clone()
        };
        let len = piece.chars().count();
        let fresh = col == lead.chars().count() && i == 0;
        if !fresh && col + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if !fresh {
            out.push(' ');
            col += 1;
        }
        out.push_str(&piece);
        col += len;
    }
    out.push('\n');
    out
}

/// `s` cut to `width` characters with a final `…`.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A name (often a path) in `width` characters: its end, which tells files apart.
fn fit_name(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    let mut t = String::from("…");
    t.extend(s.chars().skip(n - width.saturating_sub(1)));
    t
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn hosts_of(c: &ClassReport, all: bool) -> String {
    format!(
        "{}: {}",
        plural(c.host_count, "host", "hosts"),
        host_list(&c.hosts, all)
    )
}

/// Host names, the first few only unless `all`.
fn host_list(hosts: &fleet::HostNames, all: bool) -> String {
    if all || hosts.len() <= FIRST + 1 {
        return hosts.to_vec().join(", ");
    }
    format!(
        "{}, … ({} more)",
        hosts.first(FIRST).join(", "),
        hosts.len() - FIRST
    )
}

// ---------------------------------------------------------------- pool

/// `pool`: classes, baseline, cluster mode, what holds it down; what-if; split.
pub fn pool(raw: Raw, outer: &args::Engine, outer_format: Option<Format>) -> Result<Output, Error> {
    let a: PoolArgs = parse("cpucompat pool", raw);
    let format = format_of(a.format, outer_format);
    let e = a.engine.or(outer);
    let mut inputs: Vec<Input> = a.files.iter().chain(&a.add).map(Input::path).collect();
    let engine = engine(&e, &mut inputs, None)?;
    let adds = inputs.split_off(a.files.len());
    let level = level_arg(&a.level)?;
    let before = Fleet::read(&engine, inputs)?;
    let what_if = !a.add.is_empty() || !a.remove.is_empty() || a.guests.is_some();
    let mut after = before.clone();
    after.add_inputs(adds)?;
    for r in &a.remove {
        match fleet::ClassId::parse(r) {
            Some(id) => after.remove_class(id)?,
            None => after.remove_input(r)?,
        };
    }
    let opts = PoolOptions {
        baseline: BaselineOptions {
            expand_features: a.features,
            migratable: a.migratable,
        },
        level,
        split: a.split,
        diagram: matches!(format, FleetFormat::Dot | FleetFormat::Html),
        skip_without: false,
    };
    let report = PoolReport::new(&after, &opts)?;
    let change = if what_if {
        let guests = match &a.guests {
            Some(dir) => read_guests(&before, dir)?,
            None => Vec::new(),
        };
        Some(WhatIf::new(&before, &after, &guests)?)
    } else {
        None
    };
    let bad_guest = change.as_ref().is_some_and(|w| {
        w.guests
            .iter()
            .any(|g| matches!(g.status, "cannot-start" | "loses-migration-targets"))
    });
    let exit = u8::from(report.below_level().next().is_some() || bad_guest);
    let no_snippet = || {
        argument(match report.baseline_error() {
            Some(e) => format!("the pool has no baseline: {e}"),
            None => "the pool has no cluster mode to write a snippet for".to_string(),
        })
    };
    let stdout = match format {
        FleetFormat::Text => {
            let mut s = String::new();
            if let Some(w) = &change {
                s.push_str(&what_if_text(w, a.verbose));
                s.push('\n');
            }
            s.push_str(&pool_text(&report, a.verbose));
            s
        }
        FleetFormat::Json => match &change {
            Some(w) => cpucompat::to_json_text(&serde_json::json!({
                "what_if": w,
                "pool": &report,
            })),
            None => cpucompat::to_json_text(&report),
        },
        FleetFormat::Xml => report.baseline().ok_or_else(no_snippet)?.cpu().to_xml(),
        FleetFormat::Libvirt => report.platforms().ok_or_else(no_snippet)?.libvirt.clone(),
        FleetFormat::Nova => report
            .platforms()
            .and_then(|p| p.nova.as_ref())
            .ok_or_else(|| match report.arch() {
                Arch::Ppc64 => argument("Nova gets no POWER snippet: the compat mode is libvirt's (--format libvirt)"),
                _ => no_snippet(),
            })?
            .snippet
            .clone(),
        FleetFormat::Kubevirt => report
            .platforms()
            .and_then(|p| p.kubevirt.as_ref())
            .ok_or_else(|| match report.arch() {
                Arch::Ppc64 => argument("KubeVirt gets no POWER snippet: the compat mode is libvirt's (--format libvirt)"),
                _ => no_snippet(),
            })?
            .snippet
            .clone(),
        FleetFormat::Dot => picture::dot(&report),
        FleetFormat::Html => picture::html(&report),
    };
    Ok(Output { stdout, exit })
}

/// Every `*.xml` file of a directory, sorted, as guests (the first CPU of each).
fn read_guests(pool: &Fleet, dir: &std::path::Path) -> Result<Vec<cpucompat::Cpu>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        Error::new(
            cpucompat::ErrorKind::Io,
            format!("{}: cannot read directory: {}", dir.display(), lower(&e)),
        )
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| pool.read_guest(Input::path(p)))
        .collect()
}

fn lower(e: &std::io::Error) -> String {
    let t = e.to_string();
    let t = t.split(" (os error").next().unwrap_or(&t).to_string();
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => t,
    }
}

fn baseline_line(b: Option<&fleet::PoolBaseline>, error: Option<&str>) -> String {
    match b {
        Some(b) => {
            let mut s = b.model().unwrap_or("(no model)").to_string();
            if let Some(m) = b.compat_mode() {
                if b.model() == Some(m) {
                    s = format!("host-model, compat mode {m}");
                } else {
                    s.push_str(&format!(" (raw mode), compat mode {m}"));
                }
            }
            if !b.features().is_empty() {
                s.push_str(&format!(
                    ", {}",
                    plural(b.features().len(), "feature", "features")
                ));
            }
            if let Some(l) = b.x86_level() {
                s.push_str(&format!(", x86-64-{l}"));
            }
            s
        }
        None => format!("none: {}", error.unwrap_or("no common CPU")),
    }
}

fn pool_text(r: &PoolReport, verbose: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "pool:          {} in {} ({})",
        plural(r.hosts(), "host", "hosts"),
        plural(r.classes().len(), "CPU class", "CPU classes"),
        r.arch(),
    );
    s.push_str(&wrap_text("catalog:       ", r.catalog(), 15));
    let _ = writeln!(
        s,
        "{}",
        fit(
            &format!(
                "baseline:      {}",
                baseline_line(r.baseline(), r.baseline_error())
            ),
            WIDTH
        )
    );
    match r.cluster_mode() {
        Some(c) => {
            let level = c
                .x86_level
                .map_or_else(String::new, |l| format!(", x86-64-{l}"));
            let what = if r.arch() == Arch::Ppc64 {
                "every host supports this compat mode"
            } else {
                "every host runs it with no extra feature"
            };
            let _ = writeln!(s, "cluster mode:  {}{level} ({what})", c.model);
        }
        None => {
            let _ = writeln!(s, "cluster mode:  none (no named model runs on every host)");
        }
    }
    if let Some(l) = r.level() {
        let out: Vec<&ClassReport> = r.below_level().collect();
        let hosts: usize = out.iter().map(|c| c.host_count).sum();
        if out.is_empty() {
            let _ = writeln!(s, "level:         every host reaches x86-64-{l}");
        } else {
            let ids: Vec<String> = out.iter().map(|c| c.id.to_string()).collect();
            let _ = write!(
                s,
                "{}",
                wrap(
                    &format!(
                        "level:         x86-64-{l}: {} left out: ",
                        plural(hosts, "host", "hosts")
                    ),
                    &ids,
                    15
                )
            );
        }
    }
    let held: Vec<String> = r.held_down_by().iter().map(|c| c.to_string()).collect();
    if r.classes().len() > fleet::WITHOUT_LIMIT {
        let _ = writeln!(
            s,
            "held down by:  not computed (more than {} classes)",
            fleet::WITHOUT_LIMIT
        );
    } else if r.classes().len() > 1 {
        if held.is_empty() {
            let _ = writeln!(s, "held down by:  no single class");
        } else {
            let _ = write!(s, "{}", wrap("held down by:  ", &held, 15));
        }
    }
    s.push('\n');
    let model_w = r
        .classes()
        .iter()
        .map(|c| c.model.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 26);
    let runs_w = r
        .classes()
        .iter()
        .map(|c| c.runs.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 24);
    let _ = writeln!(
        s,
        "{:<5} {:>6}  {:<model_w$}  {:<6} {:<5} {:>4}  {:<runs_w$}  WITHOUT IT",
        "CLASS", "HOSTS", "MODEL", "VENDOR", "LEVEL", "FEAT", "RUNS"
    );
    for c in r.classes() {
        let without = if c.below_level.is_some() {
            "left out (below level)".to_string()
        } else {
            match &c.without {
                Some(w) if w.holds_down => {
                    let mut parts = Vec::new();
                    if !w.gained.is_empty() {
                        parts.push(format!(
                            "+{}",
                            plural(w.gained.len(), "feature", "features")
                        ));
                    }
                    if let Some(m) = &w.cluster_mode {
                        parts.push(m.clone());
                    }
                    if r.baseline().is_none() && w.baseline_error.is_none() {
                        parts.push("a baseline".into());
                    }
                    parts.join(", ")
                }
                Some(_) => "-".to_string(),
                None => String::new(),
            }
        };
        let line = format!(
            "{:<5} {:>6}  {:<model_w$}  {:<6} {:<5} {:>4}  {:<runs_w$}  {without}",
            c.id.to_string(),
            c.host_count,
            fit(c.model.as_deref().unwrap_or("-"), model_w),
            fit(c.vendor.as_deref().unwrap_or("-"), 6),
            c.x86_level.map_or("-".to_string(), |l| l.to_string()),
            if r.arch() == Arch::Ppc64 {
                "-".to_string()
            } else {
                c.features.to_string()
            },
            fit(c.runs.as_deref().unwrap_or("-"), runs_w),
        );
        let _ = writeln!(s, "{}", fit(line.trim_end(), WIDTH));
    }
    // Why each holding class holds the pool down, and who it is.
    for c in r.classes() {
        let Some(w) = &c.without else { continue };
        if !w.holds_down && !verbose {
            continue;
        }
        s.push('\n');
        let _ = writeln!(
            s,
            "{}",
            fit(
                &format!(
                    "{} ({}) {}",
                    c.id,
                    c.model.as_deref().unwrap_or("-"),
                    hosts_of(c, verbose)
                ),
                WIDTH
            )
        );
        if !w.gained.is_empty() {
            let lead = format!(
                "  without it the pool regains {}: ",
                plural(w.gained.len(), "feature", "features")
            );
            let list = if verbose || w.gained.len() <= 12 {
                w.gained.clone()
            } else {
                let mut v = w.gained[..12].to_vec();
                v.push(format!("… {} more (--verbose)", w.gained.len() - 12));
                v
            };
            s.push_str(&wrap(&lead, &list, 4));
        }
        if let Some(m) = &w.cluster_mode {
            let what = if r.arch() == Arch::Ppc64 {
                "compat mode"
            } else {
                "cluster mode"
            };
            let _ = writeln!(s, "  without it the {what} is {m}");
        }
        if r.baseline().is_none() {
            match (&w.baseline_model, &w.baseline_error) {
                (Some(m), _) => {
                    let _ = writeln!(s, "  without it the pool has a baseline: {m}");
                }
                (None, Some(e)) => {
                    let _ = writeln!(
                        s,
                        "{}",
                        fit(&format!("  without it still no baseline: {e}"), WIDTH)
                    );
                }
                _ => {}
            }
        }
        if !w.blocks.is_empty() {
            let lead = "  it alone blocks: ";
            let list = if verbose {
                w.blocks.clone()
            } else {
                first(&w.blocks, 6)
            };
            s.push_str(&wrap(lead, &list, 4));
        }
        if !w.holds_down {
            let _ = writeln!(s, "  without it the pool gains nothing");
        }
    }
    for c in r.below_level() {
        s.push('\n');
        let _ = writeln!(
            s,
            "{}",
            fit(
                &format!("{} left out: {}", c.id, hosts_of(c, verbose)),
                WIDTH
            )
        );
        if let Some(m) = &c.below_level {
            s.push_str(&wrap("  lacks: ", m, 4));
        }
    }
    if let Some(sp) = r.split() {
        s.push('\n');
        let _ = writeln!(
            s,
            "{}",
            fit(
                &format!(
                    "split into {} ({}):",
                    plural(sp.k, "sub-pool", "sub-pools"),
                    if sp.exact { "exact" } else { "heuristic" }
                ),
                WIDTH
            )
        );
        for (i, p) in sp.pools.iter().enumerate() {
            let mut ids: Vec<String> = p.classes.iter().map(|c| c.to_string()).collect();
            if let Some(last) = ids.last_mut() {
                last.push_str(&format!(" ({})", plural(p.hosts, "host", "hosts")));
            }
            s.push_str(&wrap(&format!("  {}. ", i + 1), &ids, 5));
            let base = baseline_line(p.baseline.as_ref(), p.baseline_error.as_deref());
            let mode = p
                .cluster_mode
                .as_ref()
                .map_or_else(String::new, |c| format!("; cluster mode {}", c.model));
            let _ = writeln!(s, "{}", fit(&format!("     baseline {base}{mode}"), WIDTH));
        }
        s.push_str(&wrap_text("  method: ", &sp.method, 4));
    }
    if let Some(b) = r.baseline() {
        s.push('\n');
        s.push_str(&b.cpu().to_xml());
    }
    s
}

fn first(list: &[String], n: usize) -> Vec<String> {
    if list.len() <= n + 1 {
        return list.to_vec();
    }
    let mut v = list[..n].to_vec();
    v.push(format!("… {} more", list.len() - n));
    v
}

fn what_if_text(w: &WhatIf, verbose: bool) -> String {
    let mut s = String::new();
    let line = |p: &fleet::PoolSummary| {
        let base = match (&p.baseline_model, &p.baseline_error) {
            (Some(m), _) => {
                let mut t = format!("baseline {m}");
                if !p.features.is_empty() {
                    t.push_str(&format!(" ({} features", p.features.len()));
                    if let Some(l) = &p.x86_level {
                        t.push_str(&format!(", x86-64-{l}"));
                    }
                    t.push(')');
                }
                t
            }
            (None, Some(e)) => format!("no baseline ({e})"),
            _ => "no baseline".to_string(),
        };
        let mode = p
            .cluster_mode
            .as_deref()
            .map_or_else(String::new, |m| format!(", cluster mode {m}"));
        format!(
            "{}, {}: {base}{mode}",
            plural(p.hosts, "host", "hosts"),
            plural(p.classes, "class", "classes")
        )
    };
    s.push_str(&wrap_text("what if: before  ", &line(&w.before), 17));
    s.push_str(&wrap_text("         after   ", &line(&w.after), 17));
    if !w.new_classes.is_empty() {
        let ids: Vec<String> = w.new_classes.iter().map(|c| c.to_string()).collect();
        s.push_str(&wrap("  new classes: ", &ids, 4));
    }
    if !w.gone_classes.is_empty() {
        let ids: Vec<String> = w.gone_classes.iter().map(|c| c.to_string()).collect();
        s.push_str(&wrap("  classes gone: ", &ids, 4));
    }
    if !w.gained.is_empty() {
        let list = if verbose {
            w.gained.clone()
        } else {
            first(&w.gained, 10)
        };
        s.push_str(&wrap(
            &format!(
                "  baseline gains {}: ",
                plural(w.gained.len(), "feature", "features")
            ),
            &list,
            4,
        ));
    }
    if !w.lost.is_empty() {
        let list = if verbose {
            w.lost.clone()
        } else {
            first(&w.lost, 10)
        };
        s.push_str(&wrap(
            &format!(
                "  baseline loses {}: ",
                plural(w.lost.len(), "feature", "features")
            ),
            &list,
            4,
        ));
    }
    if w.gained.is_empty() && w.lost.is_empty() {
        let _ = writeln!(s, "  the baseline keeps its features");
    }
    if !w.guests.is_empty() {
        let _ = writeln!(s, "  guests:");
        for g in &w.guests {
            let name = g.name.as_deref().unwrap_or("(guest)");
            s.push_str(&wrap_text(
                "    ",
                &format!(
                    "{name}: {} (starts on {} → {} hosts, migration targets {} → {})",
                    g.status, g.before.starts, g.after.starts, g.before.targets, g.after.targets
                ),
                6,
            ));
        }
    }
    s
}

// ---------------------------------------------------------------- place, migrate

/// `place`: every host that can start the guest; exit 1 when none can.
pub fn place(
    raw: Raw,
    outer: &args::Engine,
    outer_format: Option<Format>,
) -> Result<Output, Error> {
    let a: PlaceArgs = parse("cpucompat place", raw);
    let json = text_or_json("place", format_of(a.format, outer_format))?;
    let e = a.engine.or(outer);
    let mut inputs: Vec<Input> = std::iter::once(&a.guest)
        .chain(&a.hosts)
        .map(Input::path)
        .collect();
    let engine = engine(&e, &mut inputs, None)?;
    let hosts = inputs.split_off(1);
    let fleet = Fleet::read(&engine, hosts)?;
    let guest = fleet.read_guest(inputs.remove(0))?;
    let opts = PlaceOptions {
        level: level_arg(&a.level)?,
        tsc_frequency: false,
    };
    let p = fleet::place(&guest, &fleet, &opts)?;
    placement_output(&p, json, a.verbose)
}

/// `migrate`: every destination the guest can live-migrate to from its source.
pub fn migrate(
    raw: Raw,
    outer: &args::Engine,
    outer_format: Option<Format>,
) -> Result<Output, Error> {
    let a: MigrateArgs = parse("cpucompat migrate", raw);
    let json = text_or_json("migrate", format_of(a.format, outer_format))?;
    let e = a.engine.or(outer);
    let mut inputs: Vec<Input> = [&a.guest, &a.from]
        .into_iter()
        .chain(&a.to)
        .map(Input::path)
        .collect();
    let engine = engine(&e, &mut inputs, None)?;
    let dsts = inputs.split_off(2);
    let src = inputs.pop().ok_or_else(|| argument("--from is required"))?;
    let source = engine.read_one(src)?;
    let guest = engine.for_host(&source)?.read_one(inputs.remove(0))?;
    let fleet = Fleet::read(&engine, dsts)?;
    let opts = PlaceOptions {
        level: level_arg(&a.level)?,
        tsc_frequency: a.tsc_frequency,
    };
    let p = fleet::migrate(&guest, &source, &fleet, &opts)?;
    placement_output(&p, json, a.verbose)
}

fn placement_output(p: &Placement, json: bool, verbose: bool) -> Result<Output, Error> {
    let stdout = if json {
        cpucompat::to_json_text(p)
    } else {
        placement_text(p, verbose)
    };
    Ok(Output {
        stdout,
        exit: u8::from(!p.fits_somewhere()),
    })
}

fn placement_text(p: &Placement, verbose: bool) -> String {
    let mut s = String::new();
    let g = p.guest();
    let mut what = format!("{} guest", g.mode);
    if let Some(m) = &g.model {
        what.push_str(&format!(" {m}"));
    }
    if let Some(l) = g.x86_level {
        what.push_str(&format!(" (x86-64-{l})"));
    }
    let _ = writeln!(
        s,
        "{}",
        fit(
            &format!(
                "guest:   {}: {what}",
                g.name.as_deref().unwrap_or("(guest)")
            ),
            WIDTH
        )
    );
    if let Some(src) = p.source() {
        let state = if !src.starts {
            "the guest does not start there"
        } else if !src.reasons.is_empty() {
            "the source refuses to migrate it"
        } else {
            "the guest starts there"
        };
        s.push_str(&wrap_text(
            "source:  ",
            &format!(
                "{} ({}): {state}",
                src.name.as_deref().unwrap_or("(host)"),
                src.model.as_deref().unwrap_or("-")
            ),
            9,
        ));
        for r in &src.reasons {
            s.push_str(&reason(r, verbose));
        }
    }
    for w in p.warnings() {
        s.push_str(&wrap_text("warning: ", w, 4));
    }
    let verb = if p.source().is_some() {
        "take it"
    } else {
        "run it"
    };
    let _ = writeln!(
        s,
        "hosts:   {} of {} {verb}",
        p.fitting_hosts(),
        plural(p.hosts(), "host", "hosts")
    );
    s.push('\n');
    for t in p.targets() {
        let hosts = format!(
            "{}: {}",
            plural(t.hosts.len(), "host", "hosts"),
            host_list(&t.hosts, verbose)
        );
        let verdict = t.verdict.map_or("", |v| v.as_str());
        let state = if t.fits {
            format!("fits ({verdict})")
        } else {
            "does not fit".to_string()
        };
        let _ = writeln!(
            s,
            "{}",
            fit(
                &format!(
                    "{} {} {state}: {hosts}",
                    t.class,
                    t.model.as_deref().unwrap_or("-")
                ),
                WIDTH
            )
        );
        // A refusal at the source was said once, above.
        for r in t
            .reasons
            .iter()
            .filter(|r| !matches!(r.rule.as_str(), "source" | "libvirt-invtsc"))
        {
            s.push_str(&reason(r, verbose));
        }
    }
    s
}

/// One failing rule, wrapped; a long feature list shows its first dozen names unless
/// `verbose`.
fn reason(r: &fleet::Obstacle, verbose: bool) -> String {
    let lead = format!("  {}: ", r.rule);
    match r.message.split_once(": ") {
        Some((head, list)) if list.contains(", ") => {
            let names: Vec<String> = list.split(", ").map(str::to_string).collect();
            let shown = if verbose || names.len() <= 13 {
                names
            } else {
                let mut v = names[..12].to_vec();
                v.push(format!("… {} more (--verbose)", names.len() - 12));
                v
            };
            wrap(&format!("{lead}{head}: "), &shown, 4)
        }
        _ => wrap_text(&lead, &r.message, 4),
    }
}

/// `lead` then the words of `text`, wrapped at [`WIDTH`] with `indent`.
fn wrap_text(lead: &str, text: &str, indent: usize) -> String {
    let mut out = String::from(lead);
    let mut col = lead.chars().count();
    let mut fresh = true;
    for w in text.split(' ') {
        let len = w.chars().count();
        if !fresh && col + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if !fresh {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += len;
        fresh = false;
    }
    out.push('\n');
    out
}

// ---------------------------------------------------------------- upgrade-check

/// Which catalog a version names.
enum Side {
    Map(CpuMap),
    Qemu(Qemu),
}

fn side(v: &str) -> Result<Side, Error> {
    match v {
        "11.3" | "11.3.0" | "libvirt-11.3" => Ok(Side::Map(CpuMap::Libvirt11_3)),
        "12.8" | "12.8.0" | "libvirt-12.8" => Ok(Side::Map(CpuMap::Libvirt12_8)),
        _ => Qemu::from_name(v).map(Side::Qemu).ok_or_else(|| {
            argument(format!(
                "unknown version '{v}': expected libvirt 11.3 or 12.8, or QEMU 7.2 or newest"
            ))
        }),
    }
}

/// `upgrade-check`: what a catalog upgrade changes for models and guests.
pub fn upgrade(
    raw: Raw,
    outer: &args::Engine,
    outer_format: Option<Format>,
) -> Result<Output, Error> {
    let a: UpgradeArgs = parse("cpucompat upgrade-check", raw);
    let json = text_or_json("upgrade-check", format_of(a.format, outer_format))?;
    let (from, to) = (side(&a.from)?, side(&a.to)?);
    if matches!(
        (&from, &to),
        (Side::Map(_), Side::Qemu(_)) | (Side::Qemu(_), Side::Map(_))
    ) {
        return Err(argument(
            "--from and --to must both be libvirt versions (11.3, 12.8) or both QEMU releases (7.2, newest)",
        ));
    }
    let mut inputs: Vec<Input> = a.guests.iter().chain(&a.hosts).map(Input::path).collect();
    let arch = match a.arch.clone().or_else(|| outer.arch.clone()) {
        Some(x) => Some(Arch::from_name(&x).ok_or_else(|| {
            argument(format!(
                "unknown architecture '{x}': expected x86_64, ppc64 or s390x"
            ))
        })?),
        None => cpucompat::detect_arch(&mut inputs)?,
    };
    let build = |s: &Side, arch: Arch| -> Result<Engine, Error> {
        match s {
            Side::Map(m) => Engine::builder(arch).cpu_map(m.clone()).build(),
            Side::Qemu(q) => Engine::builder(arch).qemu(*q).build(),
        }
    };
    let arch = match (arch, &from, &to) {
        (Some(a), ..) => a,
        (None, Side::Map(_), Side::Map(_)) => Arch::X86,
        _ => {
            return Err(argument(
                "QEMU tables are per architecture: name it with --arch s390x or --arch ppc64",
            ))
        }
    };
    let (old, new) = (build(&from, arch)?, build(&to, arch)?);
    drop(inputs);
    let check = fleet::upgrade_check(&old, &new, &a.guests, &a.hosts)?;
    let stdout = if json {
        cpucompat::to_json_text(&check)
    } else {
        upgrade_text(&check)
    };
    Ok(Output {
        stdout,
        exit: u8::from(!check.all_well()),
    })
}

fn upgrade_text(u: &UpgradeCheck) -> String {
    let mut s = String::new();
    let c = &u.catalogs;
    let _ = writeln!(s, "from:    {}", c.from);
    let _ = writeln!(s, "to:      {}", c.to);
    let _ = writeln!(s, "models whose expansion changed: {}", c.changed.len());
    for m in &c.changed {
        let _ = writeln!(s, "  {}:", m.model);
        if !m.added.is_empty() {
            s.push_str(&wrap("    features added: ", &m.added, 6));
        }
        if !m.removed.is_empty() {
            s.push_str(&wrap("    features removed: ", &m.removed, 6));
        }
        for d in &m.details {
            s.push_str(&wrap_text("    ", d, 6));
        }
    }
    let list = |s: &mut String, what: &str, v: &[String]| {
        if v.is_empty() {
            let _ = writeln!(s, "models {what}: none");
        } else {
            s.push_str(&wrap(&format!("models {what} ({}): ", v.len()), v, 4));
        }
    };
    list(&mut s, "added", &c.added);
    list(&mut s, "dropped", &c.dropped);
    if !c.renamed.is_empty() {
        let r: Vec<String> = c
            .renamed
            .iter()
            .map(|(a, b)| format!("{a} → {b}"))
            .collect();
        s.push_str(&wrap("models renamed: ", &r, 4));
    }
    if u.guests.is_empty() {
        return s;
    }
    let _ = writeln!(s, "\nguests on {}:", plural(u.hosts, "host", "hosts"));
    for g in &u.guests {
        let after = g.after.map_or_else(
            || "-".to_string(),
            |r| {
                format!(
                    "{}, {}",
                    plural(r.starts, "host", "hosts"),
                    plural(r.targets, "target", "targets")
                )
            },
        );
        let _ = writeln!(
            s,
            "{}",
            fit(
                &format!(
                    "  {} ({}): {}",
                    fit_name(&g.name, 60),
                    g.model.as_deref().unwrap_or("-"),
                    g.status
                ),
                WIDTH
            )
        );
        let _ = writeln!(
            s,
            "    starts on {}, {} → {after}",
            plural(g.before.starts, "host", "hosts"),
            plural(g.before.targets, "target", "targets"),
        );
        if let Some(e) = &g.invalid_after {
            s.push_str(&wrap_text("    the new catalog refuses it: ", e, 6));
        }
        if let Some(m) = &g.model_change {
            let _ = writeln!(
                s,
                "{}",
                fit(&format!("    its model {} changed", m.model), WIDTH)
            );
        }
        if !g.features_added.is_empty() {
            s.push_str(&wrap("    features gained: ", &g.features_added, 6));
        }
        if !g.features_removed.is_empty() {
            s.push_str(&wrap("    features lost: ", &g.features_removed, 6));
        }
        for h in &g.lost_hosts {
            let why: Vec<String> = h.reasons.iter().map(|r| r.to_string()).collect();
            let _ = writeln!(
                s,
                "{}",
                fit(
                    &format!("    no longer on {}: {}", h.host, why.join("; ")),
                    WIDTH
                )
            );
        }
        if !g.gained_hosts.is_empty() {
            s.push_str(&wrap("    now also on: ", &g.gained_hosts, 6));
        }
    }
    s
}

// ---------------------------------------------------------------- levels

/// One row of `levels`.
#[derive(serde::Serialize)]
struct LevelRow {
    name: String,
    model: Option<String>,
    x86_level: Option<X86Level>,
    next_level_lacks: Vec<String>,
}

/// `levels`: the x86-64 level of each host, or of each named model.
pub fn levels(
    raw: Raw,
    outer: &args::Engine,
    outer_format: Option<Format>,
) -> Result<Output, Error> {
    let a: LevelsArgs = parse("cpucompat levels", raw);
    let json = text_or_json("levels", format_of(a.format, outer_format))?;
    let e = a.engine.or(outer);
    let mut inputs: Vec<Input> = a.hosts.iter().map(Input::path).collect();
    let engine = engine(&e, &mut inputs, Some(Arch::X86))?;
    if engine.arch() != Arch::X86 {
        return Err(argument("x86-64 levels are an x86 notion"));
    }
    let mut rows: Vec<LevelRow> = Vec::new();
    if inputs.is_empty() {
        for m in engine.models() {
            let x = engine.expand(m.name())?;
            let l = X86Level::of(x.features());
            rows.push(LevelRow {
                name: m.name().to_string(),
                model: m.canonical().map(str::to_string),
                x86_level: l,
                next_level_lacks: next_missing(l, x.features()),
            });
        }
    } else {
        for cpu in engine.read_pool(inputs) {
            let cpu = cpu?;
            let f = engine.features(&cpu)?;
            let l = X86Level::of(&f);
            let name = match (cpu.input(), cpu.pos().line) {
                (Some(i), 0) => i.to_string(),
                (Some(i), line) => format!("{i}:{line}"),
                (None, _) => "(cpu)".to_string(),
            };
            rows.push(LevelRow {
                name,
                model: cpu.model().map(str::to_string),
                x86_level: l,
                next_level_lacks: next_missing(l, &f),
            });
        }
    }
    if json {
        return Ok(Output::ok(cpucompat::to_json_text(&rows)));
    }
    let w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    let mut s = format!("{:<w$}  LEVEL  NEXT LEVEL LACKS\n", "NAME");
    for r in &rows {
        let level = r
            .x86_level
            .map_or_else(|| "-".to_string(), |l| l.to_string());
        let line = format!(
            "{:<w$}  {level:<5}  {}",
            fit_name(&r.name, w),
            names(&r.next_level_lacks, false)
        );
        let _ = writeln!(s, "{}", fit(line.trim_end(), WIDTH));
    }
    let count = |x: Option<X86Level>| rows.iter().filter(|r| r.x86_level == x).count();
    let _ = writeln!(
        s,
        "v4 {}, v3 {}, v2 {}, v1 {}, below {}",
        count(Some(X86Level::V4)),
        count(Some(X86Level::V3)),
        count(Some(X86Level::V2)),
        count(Some(X86Level::V1)),
        count(None)
    );
    Ok(Output::ok(s))
}

/// The features the next level up needs that `features` lacks.
fn next_missing(l: Option<X86Level>, features: &[String]) -> Vec<String> {
    let next = match l {
        None => Some(X86Level::V1),
        Some(X86Level::V1) => Some(X86Level::V2),
        Some(X86Level::V2) => Some(X86Level::V3),
        Some(X86Level::V3) => Some(X86Level::V4),
        Some(X86Level::V4) => None,
    };
    next.map_or_else(Vec::new, |n| n.missing(features))
}
