//! Fuzz-target bodies over the library's public API (feature `fuzzing`): the whole-input
//! path, `cpu_map` directories, and the laws of every architecture. They run under
//! `cargo test` too (`tests/fuzz_seeds.rs`, over the committed seeds and generated
//! inputs), and each is one call in a `fuzz/` target.
//!
//! Every body must never panic on any bytes; on top of that each checks laws, so that a
//! campaign searches for wrong answers, not only for crashes:
//!
//! * [`engine_read`]: [`Engine::read`] of arbitrary bytes (first byte: which engine) either
//!   fails with one line naming the input, or gives CPUs each of which
//!   - prints as XML that reads back to the same lattice point (`read ∘ to_xml = id`);
//!   - as a host, runs its own guest identically (`compare(h, guest_of(h)) = identical`);
//!   - as a host, runs the baseline of itself.
//! * [`cpu_map_dir`]: arbitrary files written into a temporary libvirt `cpu_map`
//!   (sections `@@ NAME` over a small valid map): import and engine either fail naming a
//!   file of the map, or agree, and the engine answers for every model it lists.
//! * [`law_x86`], [`law_ppc64`], [`law_s390x`]: an arbitrary catalog (x86, POWER: a
//!   generated `cpu_map`; s390x: QEMU's tables of either release) and an arbitrary pool of
//!   hosts, built with `arbitrary`; the laws of `cpucompat-contract`'s adapter module, over
//!   [`Engine::baseline`], [`Engine::compare`], [`Engine::point`], [`Engine::ceiling`] and
//!   [`Engine::guest_of`]:
//!
//! ```text
//! compare is reflexive        compare(h, guest_of(h)) = identical
//! baseline runs everywhere    ∀ h ∈ pool: compare(h, b).runs()          b = baseline(pool)
//! baseline is maximal         F(b) = (⋂ F(h)) ∩ ceiling(b)  (− non-migratable with --migratable)
//! baseline is below           L(b) ≤ min L(h)
//! baseline is commutative     point(baseline(pool)) = point(baseline(reversed rotated pool))
//!                             (x86: on pools whose hosts all name their vendor, as their model)
//! decode is lossless          F(decode(dump of S)) = S                  (x86, where a model fits)
//! QMP baseline runs on both   comparison(baseline(a, b), a) ∈ {identical, subset}, same for b
//! ```
//!
//! (`F`: the features of the point, `L`: its level.) Architecture-specific forms: POWER
//! has no feature bits, and its baseline is libvirt's same-model rule, so it is checked on
//! one-model pools, and the compat-mode baseline (QEMU's rule) on any pool.
#![allow(clippy::expect_used, clippy::unwrap_used)]
use crate::{
    Arch, BaselineOptions, Cpu, CpuKind, CpuMap, Engine, Error, ErrorKind, Input, Qemu, Rule,
    Verdict,
};
use arbitrary::Unstructured;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The engines over the embedded catalogs: x86 (libvirt 12.8, 11.3), POWER (QEMU newest,
/// 7.2) and s390x (QEMU newest, 7.2).
pub fn engines() -> &'static [Engine] {
    static E: OnceLock<Vec<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        let b = Engine::builder;
        [
            b(Arch::X86).build(),
            b(Arch::X86).cpu_map(CpuMap::Libvirt11_3).build(),
            b(Arch::Ppc64).build(),
            b(Arch::Ppc64).qemu(Qemu::V7_2).build(),
            b(Arch::S390x).build(),
            b(Arch::S390x).qemu(Qemu::V7_2).build(),
        ]
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("embedded engine: {e}")))
        .collect()
    })
}

/// An error about input `name`: one line, naming it.
fn names(e: &Error, name: &str) {
    let text = e.to_string();
    assert!(!text.contains('\n'), "error is not one line: {text:?}");
    assert!(
        text.starts_with(&format!("{name}:")),
        "error does not name {name}: {text}"
    );
}

/// POWER: QEMU runs no raw-mode guest on a host whose PVR none of its CPU classes
/// matches (it has no CPU type for such a host), not even the host's own. The laws that
/// say "runs" hold for every other host.
fn unplaceable(cmp: &crate::Comparison) -> bool {
    !cmp.reasons().is_empty()
        && cmp.reasons().iter().all(|r| {
            r.rule() == Rule::QemuRawPvr
                && r.message().ends_with("so no raw-mode guest can run on it")
        })
}

/// The laws one CPU read by `e` obeys on its own.
fn cpu_laws(e: &Engine, c: &Cpu) {
    let p = e.point(c).expect("a CPU of this engine");
    let _ = e.features(c).expect("a CPU of this engine");
    let _ = e.ceiling(c).expect("a CPU of this engine");
    let _ = e.usability(c);
    let _ = c.to_json();
    let xml = c.to_xml();
    match e.read(Input::from_text("printed.xml", xml.clone())) {
        Ok(back) => {
            assert_eq!(
                back.len(),
                1,
                "printed CPU reads as {} CPUs\n{xml}",
                back.len()
            );
            assert_eq!(
                e.point(&back[0]).ok(),
                Some(p),
                "printed CPU reads back differently\n{xml}"
            );
        }
        Err(err) => panic!("printed CPU does not read back: {err}\n{xml}"),
    }
    if !c.is_host() {
        return;
    }
    if let Ok(g) = e.guest_of(c) {
        match e.compare(c, &g) {
            Ok(cmp) if unplaceable(&cmp) => {}
            Ok(cmp) => assert_eq!(
                cmp.verdict(),
                Verdict::Identical,
                "a host does not run its own guest: {:?}\n{xml}\n{}",
                cmp.reasons(),
                g.to_xml()
            ),
            Err(err) => panic!("compare with its own guest fails: {err}\n{xml}"),
        }
    }
    if let Ok(b) = e.baseline([c], &BaselineOptions::default()) {
        let runs = e.compare(c, b.cpu()).map(|x| x.runs() || unplaceable(&x));
        assert!(
            matches!(runs, Ok(true)),
            "a host does not run the baseline of itself: {runs:?}\n{xml}\n{}",
            b.to_xml()
        );
    }
}

/// Attacks [`Engine::read`], the library's whole-input path, for every architecture.
pub fn engine_read(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let all = engines();
    let e = &all[pick as usize % all.len()];
    match e.read(Input::from_bytes("fuzz.in", bytes.to_vec())) {
        Err(err) => names(&err, "fuzz.in"),
        Ok(cpus) => {
            assert!(!cpus.is_empty(), "read gives no CPU and no error");
            for c in cpus.iter().take(4) {
                cpu_laws(e, c);
            }
            // The streamed pool reads the same CPUs.
            let pool: Vec<_> = e
                .read_pool([Input::from_bytes("fuzz.in", bytes.to_vec())])
                .collect();
            assert_eq!(pool.len(), cpus.len());
            for (a, b) in pool.iter().zip(&cpus) {
                match a {
                    Ok(a) => assert_eq!(e.point(a).ok(), e.point(b).ok()),
                    Err(err) => panic!("the pool fails where read succeeds: {err}"),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Temporary cpu_map directories.

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("cpucompat-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        TempDir(p)
    }

    fn write(&self, name: &str, content: &[u8]) {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The small valid map [`cpu_map_dir`] starts from: two x86 models, two POWER models.
const MAP: &[(&str, &str)] = &[
    (
        "index.xml",
        "<cpus>\n  <arch name='x86'>\n    <include filename='x86_vendors.xml'/>\n    \
         <include filename='x86_features.xml'/>\n    <group name='models'>\n      \
         <include filename='x86_A.xml'/>\n      <include filename='x86_B.xml'/>\n    \
         </group>\n  </arch>\n  <arch name='ppc64'>\n    \
         <include filename='ppc64_vendors.xml'/>\n    <group name='IBM'>\n      \
         <include filename='ppc64_POWER8.xml'/>\n      <include filename='ppc64_POWER9.xml'/>\n    \
         </group>\n  </arch>\n</cpus>\n",
    ),
    (
        "x86_vendors.xml",
        "<cpus>\n  <vendor name='Intel' string='GenuineIntel'/>\n  \
         <vendor name='AMD' string='AuthenticAMD'/>\n</cpus>\n",
    ),
    (
        "x86_features.xml",
        "<cpus>\n  <feature name='fpu'>\n    <cpuid eax_in='0x00000001' edx='0x00000001'/>\n  \
         </feature>\n  <feature name='pni'>\n    <alias name='sse3' source='qemu'/>\n    \
         <cpuid eax_in='0x00000001' ecx='0x00000001'/>\n  </feature>\n  \
         <feature name='avx2'>\n    <cpuid eax_in='0x00000007' ecx_in='0x00000000' ebx='0x00000020'/>\n  \
         </feature>\n  <feature name='invtsc' migratable='no'>\n    \
         <cpuid eax_in='0x80000007' edx='0x00000100'/>\n  </feature>\n  \
         <feature name='arch-facilities'>\n    <msr index='0x0000010a' edx='0x00000000' eax='0x00000001'/>\n  \
         </feature>\n</cpus>\n",
    ),
    (
        "x86_A.xml",
        "<cpus>\n  <model name='A'>\n    <decode host='on' guest='on'/>\n    \
         <signature family='6' model='60'/>\n    <vendor name='Intel'/>\n    \
         <feature name='fpu'/>\n    <feature name='pni'/>\n  </model>\n</cpus>\n",
    ),
    (
        "x86_B.xml",
        "<cpus>\n  <model name='B'>\n    <decode host='on' guest='off'/>\n    <model name='A'/>\n    \
         <feature name='avx2'/>\n    <feature name='pni' removed='yes'/>\n  </model>\n</cpus>\n",
    ),
    (
        "ppc64_vendors.xml",
        "<cpus>\n  <vendor name='IBM'/>\n</cpus>\n",
    ),
    (
        "ppc64_POWER8.xml",
        "<cpus>\n  <model name='POWER8'>\n    <vendor name='IBM'/>\n    \
         <pvr value='0x004b0000' mask='0xffff0000'/>\n    \
         <pvr value='0x004d0000' mask='0xffff0000'/>\n  </model>\n</cpus>\n",
    ),
    (
        "ppc64_POWER9.xml",
        "<cpus>\n  <model name='POWER9'>\n    <vendor name='IBM'/>\n    \
         <pvr value='0x004e0000' mask='0xffff0000'/>\n  </model>\n</cpus>\n",
    ),
];

/// A file name a section may write: a plain name, no path.
fn file_name(raw: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(raw).ok()?.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b));
    ok.then(|| name.to_string())
}

/// The sections of a `cpu_map_dir` input: `(name, content)`, each introduced by a line
/// `@@ NAME`; bytes before the first header are ignored.
fn sections(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rest = data;
    let mut current: Option<(String, Vec<u8>)> = None;
    loop {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if let Some(name) = line.strip_prefix(b"@@ ") {
            out.extend(current.take());
            current = file_name(name).map(|n| (n, Vec::new()));
        } else if let Some((_, content)) = &mut current {
            content.extend_from_slice(line);
            if next.is_some() {
                content.push(b'\n');
            }
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    out.extend(current);
    out
}

/// An error about a file of the map in `dir`.
fn names_a_map_file(e: &Error, dir: &Path) {
    let text = e.to_string();
    assert!(!text.contains('\n'), "error is not one line: {text:?}");
    let file = e
        .file()
        .unwrap_or_else(|| panic!("error names no file: {text}"));
    assert!(
        Path::new(file).starts_with(dir),
        "error names {file}, not a file of the map: {text}"
    );
}

/// Attacks the `cpu_map` loader through real files: `data` overrides files of a small
/// valid map (or adds, or empties them) with `@@ NAME` sections.
pub fn cpu_map_dir(data: &[u8]) {
    let dir = TempDir::new();
    for (name, content) in MAP {
        dir.write(name, content.as_bytes());
    }
    for (name, content) in sections(data) {
        if content == b"-\n" || content == b"-" {
            let _ = std::fs::remove_file(dir.0.join(&name));
        } else {
            dir.write(&name, &content);
        }
    }
    for arch in [Arch::X86, Arch::Ppc64] {
        let imported = crate::import_cpu_map(&dir.0, arch);
        let engine = Engine::builder(arch)
            .cpu_map(CpuMap::Dir(dir.0.clone()))
            .build();
        if let Err(e) = &imported {
            names_a_map_file(e, &dir.0);
        }
        match engine {
            Err(e) => {
                names_a_map_file(&e, &dir.0);
                assert!(
                    imported.is_err(),
                    "import succeeds where the engine fails: {e}"
                );
            }
            Ok(engine) => {
                if let Err(e) = imported {
                    panic!("the engine loads where import fails: {e}");
                }
                models_answer(&engine);
            }
        }
    }
}

/// Every model an engine lists expands, and a host of it runs its own guest.
fn models_answer(e: &Engine) {
    for m in e.models().iter().take(16) {
        if let Err(err) = e.expand(m.name()) {
            panic!("listed model {} does not expand: {err}", m.name());
        }
        let xml = format!(
            "<cpu><arch>{}</arch><model>{}</model></cpu>",
            e.arch(),
            xml_escape(m.name())
        );
        if let Ok(c) = e.read_one(Input::from_text("model.xml", xml)) {
            cpu_laws(e, &c);
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------
// Laws.

/// The laws of a pool of hosts `pool` read by `e` (every CPU a host).
///
/// `non_migratable` names the catalog's `migratable='no'` features, `removed` gives the
/// `removed='yes'` features of a model (x86; empty elsewhere).
fn pool_laws(
    e: &Engine,
    pool: &[Cpu],
    non_migratable: &[String],
    removed: &dyn Fn(&str) -> Vec<String>,
) {
    for h in pool {
        cpu_laws(e, h);
    }
    let points: Vec<_> = pool.iter().map(|h| e.point(h).expect("own CPU")).collect();
    let arch = e.arch();
    let option_sets: &[BaselineOptions] = match arch {
        Arch::X86 => &[
            BaselineOptions {
                expand_features: false,
                migratable: false,
            },
            BaselineOptions {
                expand_features: true,
                migratable: false,
            },
            BaselineOptions {
                expand_features: false,
                migratable: true,
            },
        ],
        Arch::S390x => &[
            BaselineOptions {
                expand_features: false,
                migratable: false,
            },
            BaselineOptions {
                expand_features: true,
                migratable: false,
            },
        ],
        Arch::Ppc64 => &[BaselineOptions {
            expand_features: false,
            migratable: false,
        }],
    };
    for opts in option_sets {
        let b = match e.baseline(pool, opts) {
            Ok(b) => b,
            Err(err) => {
                // No common CPU, or a host libvirt's baseline refuses (a model whose vendor
                // differs from the host's).
                assert!(
                    matches!(err.kind(), ErrorKind::NoAnswer | ErrorKind::Invalid),
                    "baseline of a pool of hosts fails with {err}"
                );
                continue;
            }
        };
        assert_eq!(b.inputs(), pool.len());
        let bp = e.point(b.cpu()).expect("own CPU");
        let meet = points
            .iter()
            .fold(None, |acc: Option<crate::FeatureSet>, p| {
                Some(acc.map_or(p.features, |a| a & p.features))
            })
            .unwrap_or(crate::FeatureSet::EMPTY);
        let meet_names = e.feature_names(&meet);
        // x86 --migratable: libvirt's decode drops every non-migratable feature from the
        // result's list whatever its policy, so a non-migratable feature of the chosen
        // model stays in the baseline (through the model) even where the meet lacks it.
        let kept: Vec<String> = match (opts.migratable, b.cpu().model()) {
            (true, Some(m)) => e
                .expand(m)
                .map(|x| x.features().to_vec())
                .unwrap_or_default()
                .into_iter()
                .filter(|n| non_migratable.contains(n))
                .collect(),
            _ => Vec::new(),
        };
        let carries_dropped = kept.iter().any(|n| !meet_names.contains(n));
        // Runs everywhere.
        for h in pool {
            let c = e
                .compare(h, b.cpu())
                .unwrap_or_else(|err| panic!("compare with the baseline fails: {err}"));
            assert!(
                c.runs() || unplaceable(&c) || carries_dropped,
                "the baseline does not run on a host of the pool ({opts:?}): {:?}\nhost {}\nbaseline {}",
                c.reasons(),
                h.to_xml(),
                b.to_xml()
            );
        }
        // Below every host.
        for p in &points {
            assert!(
                bp.level <= p.level,
                "the baseline's level is above a host's"
            );
        }
        // Maximal: F(b) = (⋂ F(h)) ∩ ceiling(b), under --migratable without the
        // non-migratable features but those of the model. x86: a guest decode also
        // disables the model's removed features that its list does not name, which
        // leaves out a removed feature both the model (through its parent) and the meet
        // have.
        let ceiling = e.ceiling(b.cpu()).expect("own CPU");
        let mut want: std::collections::BTreeSet<String> =
            e.feature_names(&(meet & ceiling)).into_iter().collect();
        if opts.migratable {
            want.retain(|n| !non_migratable.contains(n));
            want.extend(kept);
        }
        let got: std::collections::BTreeSet<String> =
            e.feature_names(&bp.features).into_iter().collect();
        let gone = removed(b.cpu().model().unwrap_or(""));
        assert!(
            got.is_subset(&want) && want.difference(&got).all(|n| gone.contains(n)),
            "the baseline is not the meet of the pool ({opts:?})\nbaseline {}\n got {got:?}\nwant {want:?}",
            b.to_xml()
        );
        // Commutative: the same point from the pool reversed and rotated. x86: libvirt
        // reads only the first CPU's explicit vendor, and checks every later CPU's
        // explicit vendor against its model's; whether the baseline succeeds, and which
        // vendor steers its decode, depends on the order unless every host names its
        // vendor, consistently with its model.
        let order_free = arch != Arch::X86
            || pool.iter().all(|h| {
                let v = h.definition().vendor.as_deref();
                let mv = h
                    .model()
                    .and_then(|m| e.expand(m).ok())
                    .and_then(|x| x.model().vendor().map(str::to_string));
                v.is_some() && (mv.is_none() || mv.as_deref() == v)
            });
        if pool.len() > 1 && order_free {
            let mut other: Vec<&Cpu> = pool.iter().collect();
            other.reverse();
            other.rotate_left(1);
            match e.baseline(other, opts) {
                Ok(b2) => assert_eq!(
                    e.point(b2.cpu()).ok(),
                    Some(bp),
                    "the baseline depends on the order of the pool ({opts:?})\n{}\n{}",
                    b.to_xml(),
                    b2.to_xml()
                ),
                Err(err) => panic!("the baseline fails on the pool in another order: {err}"),
            }
        }
    }
}

/// Reads generated XML; `None` when the engine refuses it (an arbitrary definition may be
/// one the engine rightly refuses), after checking the refusal names the input.
fn read_cpu(e: &Engine, name: &str, xml: String) -> Option<Cpu> {
    match e.read_one(Input::from_text(name, xml)) {
        Ok(c) => Some(c),
        Err(err) => {
            names(&err, name);
            None
        }
    }
}

/// A CPUID register location for a generated x86 feature.
const SLOTS: [(u32, &str); 7] = [
    (0x1, "ecx"),
    (0x1, "edx"),
    (0x7, "ebx"),
    (0x7, "ecx"),
    (0x7, "edx"),
    (0x8000_0001, "ecx"),
    (0x8000_0001, "edx"),
];

/// A generated x86 catalog: features `f0…` at distinct CPUID bits, models `m0…`.
struct X86Map {
    /// Per feature: slot index, bit, migratable.
    features: Vec<(usize, u32, bool)>,
    models: Vec<X86Model>,
}

struct X86Model {
    parent: Option<usize>,
    vendor: Option<&'static str>,
    decode: Option<(bool, bool)>,
    signature: Option<(u32, u32)>,
    features: Vec<usize>,
    removed: Vec<usize>,
}

const VENDORS: [(&str, &str); 2] = [("Intel", "GenuineIntel"), ("AMD", "AuthenticAMD")];

fn pick_subset(u: &mut Unstructured<'_>, n: usize, one_in: u32) -> arbitrary::Result<Vec<usize>> {
    let mut out = Vec::new();
    for i in 0..n {
        if u.ratio(1, one_in)? {
            out.push(i);
        }
    }
    Ok(out)
}

impl X86Map {
    fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<X86Map> {
        let nfeat = u.int_in_range(1..=14)?;
        let mut taken = std::collections::HashSet::new();
        let mut features = Vec::new();
        for _ in 0..nfeat {
            let slot = u.int_in_range(0..=SLOTS.len() - 1)?;
            let bit = u.int_in_range(0..=31)?;
            if taken.insert((slot, bit)) {
                features.push((slot, bit, !u.ratio(1, 6)?));
            }
        }
        let nmod = u.int_in_range(1..=5)?;
        let mut models = Vec::new();
        for i in 0..nmod {
            let parent = if i > 0 && u.ratio(1, 3)? {
                Some(u.int_in_range(0..=i - 1)?)
            } else {
                None
            };
            let vendor = match u.int_in_range(0..=4)? {
                0 => None,
                1 => Some("AMD"),
                _ => Some("Intel"),
            };
            let decode = match u.int_in_range(0..=5)? {
                0 => None,
                1 => Some((true, false)),
                2 => Some((false, true)),
                _ => Some((true, true)),
            };
            let signature = if u.ratio(1, 3)? {
                Some((u.int_in_range(5..=25)?, u.int_in_range(0..=255)?))
            } else {
                None
            };
            let own = pick_subset(u, features.len(), 2)?;
            let removed = if parent.is_some() && u.ratio(1, 4)? {
                pick_subset(u, features.len(), 4)?
                    .into_iter()
                    .filter(|f| !own.contains(f))
                    .collect()
            } else {
                Vec::new()
            };
            models.push(X86Model {
                parent,
                vendor,
                decode,
                signature,
                features: own,
                removed,
            });
        }
        Ok(X86Map { features, models })
    }

    fn write(&self, dir: &TempDir) {
        dir.write(
            "index.xml",
            b"<cpus>\n  <arch name='x86'>\n    <include filename='x86_vendors.xml'/>\n    \
              <include filename='x86_features.xml'/>\n    <group name='m'>\n      \
              <include filename='x86_models.xml'/>\n    </group>\n  </arch>\n</cpus>\n",
        );
        let mut v = String::from("<cpus>\n");
        for (name, string) in VENDORS {
            v += &format!("  <vendor name='{name}' string='{string}'/>\n");
        }
        v += "</cpus>\n";
        dir.write("x86_vendors.xml", v.as_bytes());
        let mut f = String::from("<cpus>\n");
        for (i, &(slot, bit, migratable)) in self.features.iter().enumerate() {
            let (leaf, reg) = SLOTS[slot];
            let m = if migratable { "" } else { " migratable='no'" };
            f += &format!(
                "  <feature name='f{i}'{m}>\n    <cpuid eax_in='{leaf:#010x}' ecx_in='0x00000000' {reg}='{:#010x}'/>\n  </feature>\n",
                1u32 << bit
            );
        }
        f += "</cpus>\n";
        dir.write("x86_features.xml", f.as_bytes());
        let mut m = String::from("<cpus>\n");
        for (i, model) in self.models.iter().enumerate() {
            m += &format!("  <model name='m{i}'>\n");
            if let Some(p) = model.parent {
                m += &format!("    <model name='m{p}'/>\n");
            }
            if let Some((host, guest)) = model.decode {
                let on = |b: bool| if b { "on" } else { "off" };
                m += &format!("    <decode host='{}' guest='{}'/>\n", on(host), on(guest));
            }
            if let Some((family, number)) = model.signature {
                m += &format!("    <signature family='{family}' model='{number}'/>\n");
            }
            if let Some(v) = model.vendor {
                m += &format!("    <vendor name='{v}'/>\n");
            }
            for f in &model.features {
                m += &format!("    <feature name='f{f}'/>\n");
            }
            for f in &model.removed {
                m += &format!("    <feature name='f{f}' removed='yes'/>\n");
            }
            m += "  </model>\n";
        }
        m += "</cpus>\n";
        dir.write("x86_models.xml", m.as_bytes());
    }

    /// `<cpudata>` holding exactly the features `set`, a vendor and a signature.
    fn dump(&self, set: &[usize], vendor: Option<&str>, signature: u32) -> String {
        let mut regs: std::collections::BTreeMap<u32, [u32; 4]> = Default::default();
        for &f in set {
            let (slot, bit, _) = self.features[f];
            let (leaf, reg) = SLOTS[slot];
            let r = ["eax", "ebx", "ecx", "edx"]
                .iter()
                .position(|x| *x == reg)
                .unwrap_or(0);
            regs.entry(leaf).or_default()[r] |= 1 << bit;
        }
        let mut leaf0 = [0x16u32, 0, 0, 0];
        if let Some(s) = vendor.and_then(|v| VENDORS.iter().find(|x| x.0 == v)) {
            let b = s.1.as_bytes();
            let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            leaf0 = [0x16, word(0), word(8), word(4)];
        }
        regs.insert(0, leaf0);
        regs.entry(1).or_default()[0] = signature;
        let mut out = String::from("<cpudata arch='x86'>\n");
        for (leaf, r) in regs {
            out += &format!(
                "  <cpuid eax_in='{leaf:#010x}' ecx_in='0x00' eax='{:#010x}' ebx='{:#010x}' ecx='{:#010x}' edx='{:#010x}'/>\n",
                r[0], r[1], r[2], r[3]
            );
        }
        out += "</cpudata>\n";
        out
    }
}

/// An x86 host `<cpu>` of the generated map.
fn x86_host(u: &mut Unstructured<'_>, map: &X86Map) -> arbitrary::Result<String> {
    let model = u.int_in_range(0..=map.models.len() - 1)?;
    let mut x = format!("<cpu>\n  <arch>x86_64</arch>\n  <model>m{model}</model>\n");
    match u.int_in_range(0..=5)? {
        0 => {}
        1 => x += "  <vendor>AMD</vendor>\n",
        _ => {
            let v = map.models[model].vendor.unwrap_or("Intel");
            x += &format!("  <vendor>{v}</vendor>\n");
        }
    }
    for f in 0..map.features.len() {
        match u.int_in_range(0..=5)? {
            0 => x += &format!("  <feature policy='require' name='f{f}'/>\n"),
            1 => x += &format!("  <feature policy='disable' name='f{f}'/>\n"),
            _ => {}
        }
    }
    x += "</cpu>\n";
    Ok(x)
}

/// The laws of x86 over an arbitrary catalog and pool.
pub fn law_x86(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(map) = X86Map::arbitrary(&mut u) else {
        return;
    };
    let dir = TempDir::new();
    map.write(&dir);
    let e = match Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Dir(dir.0.clone()))
        .build()
    {
        Ok(e) => e,
        Err(err) => {
            // A generated map may be one libvirt refuses too (a cycle cannot be written,
            // but a model may end up with no feature): the refusal names a map file.
            names_a_map_file(&err, &dir.0);
            return;
        }
    };
    let migratable_names: Vec<String> = map
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.2)
        .map(|(i, _)| format!("f{i}"))
        .collect();
    let removed = |model: &str| -> Vec<String> {
        model
            .strip_prefix('m')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| map.models.get(i))
            .map(|m| m.removed.iter().map(|f| format!("f{f}")).collect())
            .unwrap_or_default()
    };
    let n = u.int_in_range(1..=4).unwrap_or(1);
    let mut pool = Vec::new();
    for i in 0..n {
        let Ok(xml) = x86_host(&mut u, &map) else {
            break;
        };
        if let Some(c) = read_cpu(&e, &format!("host{i}.xml"), xml) {
            pool.push(c);
        }
    }
    // Decode is lossless: a dump of exactly S decodes to a CPU denoting S.
    if let (Ok(set), Ok(vendor), Ok(sig)) = (
        pick_subset(&mut u, map.features.len(), 2),
        u.int_in_range(0..=2),
        u.arbitrary::<u32>(),
    ) {
        let vendor = [None, Some("Intel"), Some("AMD")][vendor as usize];
        let dump = map.dump(&set, vendor, sig);
        for kind in [CpuKind::Host, CpuKind::Guest] {
            match e.decode(Input::from_text("dump.xml", dump.clone()), kind) {
                Ok(c) => {
                    // A guest decode disables the model's removed features it does not
                    // list (libvirt's rule), the only features it may leave out.
                    let want: std::collections::BTreeSet<String> =
                        set.iter().map(|f| format!("f{f}")).collect();
                    let got: std::collections::BTreeSet<String> =
                        e.features(&c).expect("own CPU").into_iter().collect();
                    let gone = match kind {
                        CpuKind::Guest => removed(c.model().unwrap_or("")),
                        CpuKind::Host => Vec::new(),
                    };
                    assert!(
                        got.is_subset(&want) && want.difference(&got).all(|n| gone.contains(n)),
                        "{kind:?} decode is lossy\n{dump}\n{}\n got {got:?}\nwant {want:?}",
                        c.to_xml()
                    );
                    if kind == CpuKind::Host && pool.len() < 4 {
                        pool.push(c);
                    }
                }
                Err(err) => {
                    names(&err, "dump.xml");
                    assert_eq!(err.kind(), ErrorKind::NoAnswer, "decode fails with {err}");
                }
            }
        }
    }
    if !pool.is_empty() {
        pool_laws(&e, &pool, &migratable_names, &removed);
    }
}

/// POWER models a generated map may hold: name, vendor, PVR value (mask `0xffff0000`).
const POWER: [(&str, &str, u32); 8] = [
    ("POWER6", "IBM", 0x003e_0000),
    ("POWER7", "IBM", 0x003f_0000),
    ("POWER8", "IBM", 0x004b_0000),
    ("POWER9", "IBM", 0x004e_0000),
    ("POWER10", "IBM", 0x0080_0000),
    ("POWER11", "IBM", 0x0082_0000),
    ("POWERPC_e5500", "Freescale", 0x8024_0000),
    ("POWERPC_e6500", "Freescale", 0x8040_0000),
];

/// The laws of POWER over an arbitrary map (a subset of the real models, their PVR
/// patterns sometimes perturbed) and pool.
pub fn law_ppc64(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(q) = u.arbitrary::<bool>() else {
        return;
    };
    let mut models = Vec::new();
    for (name, vendor, pvr) in POWER {
        if u.ratio(3, 4).unwrap_or(true) {
            let (value, mask) = if u.ratio(1, 8).unwrap_or(false) {
                let v = u.arbitrary::<u32>().unwrap_or(pvr);
                let m = u.arbitrary::<u32>().unwrap_or(0xffff_0000);
                (v & m, m)
            } else {
                (pvr, 0xffff_0000)
            };
            models.push((name, vendor, value, mask));
        }
    }
    if models.is_empty() {
        return;
    }
    let dir = TempDir::new();
    let mut index = String::from(
        "<cpus>\n  <arch name='ppc64'>\n    <include filename='ppc64_vendors.xml'/>\n    <group name='g'>\n",
    );
    for (name, vendor, value, mask) in &models {
        index += &format!("      <include filename='ppc64_{name}.xml'/>\n");
        dir.write(
            &format!("ppc64_{name}.xml"),
            format!(
                "<cpus>\n  <model name='{name}'>\n    <vendor name='{vendor}'/>\n    \
                 <pvr value='{value:#010x}' mask='{mask:#010x}'/>\n  </model>\n</cpus>\n"
            )
            .as_bytes(),
        );
    }
    index += "    </group>\n  </arch>\n</cpus>\n";
    dir.write("index.xml", index.as_bytes());
    dir.write(
        "ppc64_vendors.xml",
        b"<cpus>\n  <vendor name='IBM'/>\n  <vendor name='Freescale'/>\n</cpus>\n",
    );
    let mut b = Engine::builder(Arch::Ppc64).cpu_map(CpuMap::Dir(dir.0.clone()));
    if q {
        b = b.qemu(Qemu::V7_2);
    }
    let e = match b.build() {
        Ok(e) => e,
        Err(err) => {
            names_a_map_file(&err, &dir.0);
            return;
        }
    };
    let n = u.int_in_range(1..=4).unwrap_or(1);
    let same = u.arbitrary::<bool>().unwrap_or(true);
    let first = u.int_in_range(0..=models.len() - 1).unwrap_or(0);
    let mut pool = Vec::new();
    for i in 0..n {
        let pick = if same {
            first
        } else {
            u.int_in_range(0..=models.len() - 1).unwrap_or(0)
        };
        let (name, vendor, ..) = models[pick];
        let v = if u.arbitrary::<bool>().unwrap_or(false) {
            format!("  <vendor>{vendor}</vendor>\n")
        } else {
            String::new()
        };
        let xml = format!("<cpu>\n  <arch>ppc64</arch>\n  <model>{name}</model>\n{v}</cpu>\n");
        if let Some(c) = read_cpu(&e, &format!("host{i}.xml"), xml) {
            pool.push(c);
        }
    }
    // Decode is lossless: a PVR decodes to a host of a model whose pattern accepts it,
    // which keeps the PVR.
    if let Ok(pvr) = u.arbitrary::<u32>() {
        let pvr = if u.arbitrary::<bool>().unwrap_or(false) {
            models[first].2 | (pvr & !models[first].3)
        } else {
            pvr
        };
        let dump = format!("<cpudata arch='ppc64'>\n  <pvr value='{pvr:#010x}'/>\n</cpudata>\n");
        let matching = models.iter().find(|m| pvr & m.3 == m.2);
        match e.decode(Input::from_text("dump.xml", dump), CpuKind::Host) {
            Ok(c) => {
                let ext = e.ppc64().expect("a POWER engine");
                assert_eq!(ext.pvr_of(&c).ok().flatten().map(|p| p.value()), Some(pvr));
                assert_eq!(c.model(), matching.map(|m| m.0), "decoded to another model");
                if pool.len() < 4 {
                    pool.push(c);
                }
            }
            Err(err) => {
                names(&err, "dump.xml");
                assert!(matching.is_none(), "{pvr:#010x} matches a model: {err}");
            }
        }
    }
    if pool.is_empty() {
        return;
    }
    pool_laws(&e, &pool, &[], &|_| Vec::new());
    // The compat-mode baseline: a mode every host supports, as a guest every host runs;
    // the same whatever the order.
    let ext = e.ppc64().expect("a POWER engine");
    match ext.compat_baseline(&pool) {
        Ok((mode, guest)) => {
            for h in &pool {
                let c = e
                    .compare(h, &guest)
                    .unwrap_or_else(|err| panic!("compare with the compat baseline: {err}"));
                assert!(
                    c.runs() || unplaceable(&c),
                    "the compat baseline does not run on a host: {:?}\n{}\n{}",
                    c.reasons(),
                    h.to_xml(),
                    guest.to_xml()
                );
            }
            let mut other: Vec<&Cpu> = pool.iter().collect();
            other.reverse();
            other.rotate_left(1);
            let again = ext
                .compat_baseline(other)
                .map(|(m, _)| m.mode().name().to_string());
            assert_eq!(again.ok().as_deref(), Some(mode.mode().name()));
        }
        Err(err) => assert!(
            matches!(err.kind(), ErrorKind::NoAnswer | ErrorKind::Invalid),
            "compat baseline fails with {err}"
        ),
    }
}

/// The feature names of an s390x engine: every feature of its newest model's full
/// expansion, and every other feature its models' expansions name.
fn s390x_features(e: &Engine) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in e.models() {
        if let Ok(x) = e.expand(m.name()) {
            for f in x.features() {
                if !out.contains(f) {
                    out.push(f.clone());
                }
            }
        }
    }
    out
}

fn s390x_tables() -> &'static [(Vec<String>, Vec<String>); 2] {
    static T: OnceLock<[(Vec<String>, Vec<String>); 2]> = OnceLock::new();
    T.get_or_init(|| {
        let all = engines();
        let one = |e: &Engine| {
            (
                e.models().iter().map(|m| m.name().to_string()).collect(),
                s390x_features(e),
            )
        };
        [one(&all[4]), one(&all[5])]
    })
}

/// An s390x model as QMP's `CpuModelInfo` and as a libvirt host `<cpu>`.
fn s390x_model(
    u: &mut Unstructured<'_>,
    models: &[String],
    features: &[String],
) -> arbitrary::Result<(serde_json::Value, String)> {
    let model = u.choose(models)?;
    let mut props = serde_json::Map::new();
    let mut xml = format!("<cpu>\n  <arch>s390x</arch>\n  <model>{model}</model>\n");
    let n = u.int_in_range(0..=12)?;
    for _ in 0..n {
        let f = u.choose(features)?;
        if props.contains_key(f) {
            continue;
        }
        let on = u.arbitrary::<bool>()?;
        props.insert(f.clone(), serde_json::Value::Bool(on));
        let policy = if on { "require" } else { "disable" };
        xml += &format!("  <feature policy='{policy}' name='{f}'/>\n");
    }
    xml += "</cpu>\n";
    Ok((serde_json::json!({"name": model, "props": props}), xml))
}

/// The replies of an s390x QMP session over `requests`, after negotiation.
fn qmp(e: &Engine, requests: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let mut input = String::from("{\"execute\":\"qmp_capabilities\"}\n");
    for r in requests {
        input += &r.to_string();
        input.push('\n');
    }
    let mut out = Vec::new();
    let ext = e.s390x().expect("an s390x engine");
    if let Err(err) = ext.serve_qmp(input.as_bytes(), &mut out) {
        panic!("QMP over memory fails: {err}");
    }
    let text = String::from_utf8(out).expect("QMP replies are UTF-8");
    let mut replies: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|err| panic!("{err}: {l}")))
        .collect();
    // The greeting and the negotiation's reply.
    assert!(replies.len() >= 2 + requests.len(), "{text}");
    replies.drain(..2);
    replies
}

/// The laws of s390x over QEMU's tables of either release and an arbitrary pool, and the
/// QMP baseline law.
pub fn law_s390x(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(newest) = u.arbitrary::<bool>() else {
        return;
    };
    let all = engines();
    let e = &all[if newest { 4 } else { 5 }];
    let (models, features) = &s390x_tables()[usize::from(!newest)];
    let n = u.int_in_range(1..=4).unwrap_or(1);
    let mut pool = Vec::new();
    let mut infos = Vec::new();
    for i in 0..n {
        let Ok((info, xml)) = s390x_model(&mut u, models, features) else {
            break;
        };
        if let Some(c) = read_cpu(e, &format!("host{i}.xml"), xml) {
            pool.push(c);
            infos.push(info);
        }
    }
    if pool.is_empty() {
        return;
    }
    pool_laws(e, &pool, &[], &|_| Vec::new());
    // QMP: baseline(a, b) runs on both; comparison of a model with itself is identical.
    let (a, b) = (&infos[0], infos.last().unwrap_or(&infos[0]));
    let cmd = |name: &str, x: &serde_json::Value, y: &serde_json::Value| serde_json::json!({"execute": name, "arguments": {"modela": x, "modelb": y}});
    let r = qmp(
        e,
        &[
            cmd("query-cpu-model-baseline", a, b),
            cmd("query-cpu-model-comparison", a, a),
        ],
    );
    if let Some(err) = r[0].get("error") {
        // QEMU refuses props a model cannot have, and models with nothing in common.
        assert!(err.get("desc").is_some(), "{err}");
        return;
    }
    assert_eq!(
        r[1]["return"]["result"], "identical",
        "a model does not compare identical with itself: {a}"
    );
    let base = r[0]["return"]["model"].clone();
    let r = qmp(
        e,
        &[
            cmd("query-cpu-model-comparison", &base, a),
            cmd("query-cpu-model-comparison", &base, b),
        ],
    );
    for (reply, input) in r.iter().zip([a, b]) {
        let result = reply["return"]["result"].as_str().unwrap_or("");
        assert!(
            matches!(result, "identical" | "subset"),
            "the QMP baseline {base} does not run on {input}: {reply}"
        );
    }
}
