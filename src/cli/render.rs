//! Text layouts of the command line: one layout per answer on every architecture, at most
//! 100 columns; long lists are summarised (a count and the first few) unless `--verbose`.
use cpucompat::{
    Comparison, Cpu, Details, Engine, Error, Expansion, HostReport, ModelInfo, ModelUsability,
    PvrInfo, Verdict,
};
use std::fmt::Write as _;
use std::io::Write;

/// The widest line the text layouts print.
pub const WIDTH: usize = 100;

/// How many names a summarised list shows.
const FIRST: usize = 3;

/// `items` joined with ", ", wrapped at [`WIDTH`] with `indent` on continuation lines;
/// `lead` is already on the first line.
fn wrapped(lead: &str, items: &[String], indent: usize) -> String {
    let mut out = String::from(lead);
    let mut col = lead.chars().count();
    for (i, it) in items.iter().enumerate() {
        let sep = if i + 1 < items.len() { "," } else { "" };
        let piece = format!("{it}{sep}");
        let need = piece.chars().count() + usize::from(col > indent);
        if col > indent && col + need > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        }
        if col > indent && !out.ends_with(' ') {
            out.push(' ');
            col += 1;
        }
        out.push_str(&piece);
        col += piece.chars().count();
    }
    out
}

/// `n: a, b, c, ...` with the first [`FIRST`] names, or every name when `all`.
fn summary(names: &[String], all: bool) -> String {
    if all || names.len() <= FIRST {
        return names.join(", ");
    }
    format!(
        "{}, ... ({} more)",
        names[..FIRST].join(", "),
        names.len() - FIRST
    )
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

/// `compare`: libvirt's sentence, then one line per reason (`rule: message`), then the
/// host's extra features when it is a superset.
pub fn compare(cmp: &Comparison, host: &str, guest: &str, verbose: bool) -> String {
    let mut s = match cmp.verdict() {
        Verdict::Identical => format!("CPU described in {guest} is identical to host CPU {host}\n"),
        Verdict::Superset => format!("Host CPU {host} is a superset of CPU described in {guest}\n"),
        Verdict::Incompatible => {
            format!("CPU described in {guest} is incompatible with host CPU {host}\n")
        }
    };
    for r in cmp.reasons() {
        let (head, list) = match r.message().split_once(": ") {
            Some((h, l)) if l.contains(", ") && !verbose => (h, l),
            _ => (r.message(), ""),
        };
        if list.is_empty() {
            let lead = format!("  {}: ", r.rule());
            let words: Vec<String> = r.message().split(' ').map(str::to_string).collect();
            let _ = writeln!(s, "{}", wrapped_words(&lead, &words, 4));
        } else {
            let names: Vec<String> = list.split(", ").map(str::to_string).collect();
            let lead = format!("  {}: {head}: ", r.rule());
            let _ = writeln!(s, "{}", wrapped(&lead, &names, 4));
        }
    }
    if cmp.verdict() == Verdict::Superset && !cmp.extra().is_empty() {
        let lead = format!(
            "  host features the guest does not use ({}): ",
            cmp.extra().len()
        );
        let _ = writeln!(
            s,
            "{}",
            wrapped(&lead, &split_summary(cmp.extra(), verbose), 4)
        );
    }
    s
}

/// Words joined with spaces, wrapped at [`WIDTH`].
fn wrapped_words(lead: &str, words: &[String], indent: usize) -> String {
    let mut out = String::from(lead);
    let mut col = lead.chars().count();
    for (i, w) in words.iter().enumerate() {
        let len = w.chars().count();
        if i > 0 && col + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if i > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += len;
    }
    out
}

/// The first few names and a count of the rest, as list items (or all of them).
fn split_summary(names: &[String], all: bool) -> Vec<String> {
    if all || names.len() <= FIRST {
        return names.to_vec();
    }
    let mut v = names[..FIRST].to_vec();
    v.push(format!("... {} more (--verbose)", names.len() - FIRST));
    v
}

/// `compare --hypervisor`: libvirt's `hypervisor-cpu-compare` sentence, then the reasons.
pub fn hypervisor_compare(cmp: &Comparison, guest: &str, verbose: bool) -> String {
    let head = match cmp.verdict() {
        Verdict::Identical => format!(
            "CPU described in {guest} is identical to the CPU provided by hypervisor on the host\n"
        ),
        Verdict::Superset => format!(
            "The CPU provided by hypervisor on the host is a superset of CPU described in {guest}\n"
        ),
        Verdict::Incompatible => format!(
            "CPU described in {guest} is incompatible with the CPU provided by hypervisor on the host\n"
        ),
    };
    let body = compare(cmp, "", guest, verbose);
    let rest: String = body.lines().skip(1).map(|l| format!("{l}\n")).collect();
    head + &rest
}

/// `models HOST`: a header row, one row per model, and the usable count.
pub fn usability(list: &[ModelUsability], verbose: bool) -> String {
    let name_w = list
        .iter()
        .map(|m| m.name().len())
        .max()
        .unwrap_or(5)
        .max(5);
    let vendor_w = list
        .iter()
        .map(|m| m.model().vendor().map_or(1, str::len))
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = format!(
        "{:<name_w$}  {:<vendor_w$}  USABLE  BLOCKERS\n",
        "MODEL", "VENDOR"
    );
    let lead_w = name_w + vendor_w + 12;
    for m in list {
        let vendor = m.model().vendor().unwrap_or("-");
        let usable = if m.usable() { "yes" } else { "no" };
        let lead = format!("{:<name_w$}  {vendor:<vendor_w$}  {usable:<6}  ", m.name());
        let line = if verbose {
            let items: Vec<String> = m.blockers().to_vec();
            wrapped(&lead, &items, lead_w.min(40))
        } else if m.blockers().is_empty() {
            lead.trim_end().to_string()
        } else {
            let text = summary(m.blockers(), false);
            format!(
                "{lead}{}",
                fit(&text, WIDTH.saturating_sub(lead.chars().count()))
            )
        };
        let _ = writeln!(s, "{}", line.trim_end());
    }
    let usable = list.iter().filter(|m| m.usable()).count();
    let _ = writeln!(s, "{usable} of {} models usable", list.len());
    s
}

/// `models` without a host: the catalog's models.
pub fn catalog_models(list: &[ModelInfo]) -> String {
    let name_w = list
        .iter()
        .map(|m| m.name().len())
        .max()
        .unwrap_or(5)
        .max(5);
    let vendor_w = list
        .iter()
        .map(|m| m.vendor().map_or(1, str::len))
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = format!("{:<name_w$}  {:<vendor_w$}  CANONICAL\n", "MODEL", "VENDOR");
    for m in list {
        let line = format!(
            "{:<name_w$}  {:<vendor_w$}  {}",
            m.name(),
            m.vendor().unwrap_or("-"),
            m.canonical().unwrap_or("-")
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
    let _ = writeln!(s, "{} models", list.len());
    s
}

/// `host`: what this machine is, what it offers, and which models it runs.
pub fn host(engine: &Engine, r: &HostReport, verbose: bool) -> String {
    let mut s = String::new();
    let def = r.cpu().definition();
    let _ = writeln!(s, "architecture:  {}", r.arch());
    if let Some(p) = r.pvr() {
        s.push_str(&pvr(p));
    } else {
        let _ = writeln!(
            s,
            "vendor:        {}",
            def.vendor.as_deref().unwrap_or("(unknown)")
        );
        if let Some(sig) = def.signature {
            let step = sig.stepping.map_or_else(|| "-".into(), |v| v.to_string());
            let _ = writeln!(
                s,
                "signature:     family {} model {} stepping {step}",
                sig.family, sig.model
            );
        }
        let disabled = def
            .features
            .iter()
            .filter(|f| f.policy == Some(cpucompat::xml::model::Policy::Disable))
            .count();
        let label = match r.view() {
            cpucompat::HostView::Host => "host model:   ",
            cpucompat::HostView::Kvm => "kvm host-model:",
        };
        let minus = if disabled > 0 {
            format!(" - {disabled} features")
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{label} {} + {} features{minus}",
            def.model_name().unwrap_or("(none)"),
            def.features.len() - disabled
        );
        if let Some(g) = r.guest() {
            let gd = g.definition();
            let minus = gd
                .features
                .iter()
                .filter(|f| f.policy == Some(cpucompat::xml::model::Policy::Disable))
                .count();
            let _ = writeln!(
                s,
                "guest model:   {} + {} features - {minus} features",
                gd.model_name().unwrap_or("(none)"),
                gd.features.len() - minus
            );
        }
    }
    let _ = writeln!(s, "catalog:       {}", r.catalog());
    let _ = writeln!(s, "read from:     {}", r.sources().join(", "));
    for (source, why) in r.skipped() {
        let _ = writeln!(s, "not read:      {source}: {why}");
    }
    if !r.features().is_empty() {
        if verbose {
            let lead = format!("features ({}): ", r.features().len());
            let _ = writeln!(s, "{}", wrapped(&format!("{lead:<15}"), r.features(), 15));
        } else {
            let _ = writeln!(
                s,
                "features:      {} (--verbose lists them)",
                r.features().len()
            );
        }
    }
    let usable: Vec<&ModelUsability> = r.models().iter().filter(|m| m.usable()).collect();
    let _ = writeln!(s, "usable models: {} of {}", usable.len(), r.models().len());
    let mut richest: Vec<(usize, &str)> = usable
        .iter()
        .filter(|m| m.model().canonical().is_none())
        .filter_map(|m| {
            let n = engine.expand(m.name()).ok()?.features().len();
            Some((n, m.name()))
        })
        .collect();
    richest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let best: Vec<String> = richest.iter().take(5).map(|(_, n)| n.to_string()).collect();
    if !best.is_empty() {
        let _ = writeln!(s, "{}", wrapped("richest:       ", &best, 15));
    }
    if verbose {
        s.push('\n');
        s.push_str(&usability(r.models(), true));
    }
    s
}

/// A POWER compat mode, one line.
pub fn compat_mode(m: &cpucompat::ppc64::CompatMode) -> String {
    format!(
        "{} (ISA {}, logical PVR {}, at most {} threads per core)\n",
        m.name(),
        m.isa(),
        m.logical_pvr(),
        m.max_vthreads()
    )
}

/// What a PVR decodes to.
pub fn pvr(p: &PvrInfo) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "pvr:           {}", p.pvr);
    let _ = writeln!(s, "model:         {}", p.model);
    let _ = writeln!(
        s,
        "vendor:        {}",
        p.vendor.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        s,
        "qemu class:    {}",
        p.qemu_class.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        s,
        "family:        {}",
        p.family.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        s,
        "dd level:      {}.{}",
        p.pvr.dd_major(),
        p.pvr.dd_minor()
    );
    let _ = writeln!(s, "compat modes:  {}", p.compat_modes.join(" "));
    s
}

/// A decoded CPU in a few lines.
pub fn cpu_summary(engine: &Engine, cpu: &Cpu) -> Result<String, Error> {
    let def = cpu.definition();
    let features = engine.features(cpu)?;
    let mut s = String::new();
    let _ = writeln!(s, "model:         {}", def.model_name().unwrap_or("(none)"));
    let _ = writeln!(
        s,
        "vendor:        {}",
        def.vendor.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(s, "listed:        {} features", def.features.len());
    let _ = writeln!(s, "features:      {} in all", features.len());
    Ok(s)
}

/// `expand`: the features one per line; POWER (no features) describes the model.
pub fn expansion(e: &Expansion) -> String {
    match e.details() {
        Details::Ppc64 {
            pvrs,
            family,
            compat_modes,
        } => {
            let mut s = String::new();
            let _ = writeln!(s, "model:         {}", e.model().name());
            let _ = writeln!(
                s,
                "vendor:        {}",
                e.model().vendor().unwrap_or("(none)")
            );
            let _ = writeln!(s, "pvrs:          {}", pvrs.join(" "));
            let _ = writeln!(
                s,
                "features:      (none: POWER models have no feature bits)"
            );
            let _ = writeln!(
                s,
                "qemu family:   {}",
                family.as_deref().unwrap_or("(none)")
            );
            let _ = writeln!(s, "compat modes:  {}", compat_modes.join(" "));
            s
        }
        Details::S390x {
            cpu_type,
            generation,
            ga,
            ibc,
            description,
            ..
        } => {
            let mut s = format!(
                "{} ({description}): type {cpu_type}, generation {generation}, GA {ga}, IBC {ibc}, {} features\n",
                e.model().name(),
                e.features().len()
            );
            for f in e.features() {
                s.push_str(f);
                s.push('\n');
            }
            s
        }
        _ => e.features().iter().map(|f| format!("{f}\n")).collect(),
    }
}

/// A writer that remembers its first failure, so that a failed write to stdout is
/// reported as a write error, not as a read error of the input.
pub struct Watched<W: Write> {
    inner: W,
    failed: Option<std::io::Error>,
}

impl<W: Write> Watched<W> {
    /// Watches `inner`.
    pub fn new(inner: W) -> Watched<W> {
        Watched {
            inner,
            failed: None,
        }
    }

    /// The first failure, if any.
    pub fn failure(self) -> Option<std::io::Error> {
        self.failed
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            if self.failed.is_none() {
                self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            if self.failed.is_none() {
                self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}
