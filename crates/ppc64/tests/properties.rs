//! Laws of the POWER compat algebra, checked over generated pools of hosts, for both QEMU
//! tables (newest, 7.2) and both libvirt maps (12.8, 11.3).
//!
//! * the compat levels form a chain: a total order, antisymmetric and transitive, whose
//!   order is the table's and whose relation is never "incompatible";
//! * the compat-mode baseline is the chain meet of each host's newest nameable mode, is
//!   run by every host (by QEMU's rule and by compare), is the greatest such mode, does not
//!   depend on the order of the pool, and never rises when a host is added;
//! * compare is reflexive on hosts.
use cpucompat_catalog::embedded;
use cpucompat_lattice::{Level, Relation};
use cpucompat_ppc64::{Cpu, LibvirtMap, Ppc64, Pvr, QemuTable};
use proptest::prelude::*;
use std::sync::OnceLock;

/// A host of the pool: a model name, or a PVR (decoded).
#[derive(Clone, Copy, Debug)]
enum HostSpec {
    Named(&'static str),
    Pvr(u32),
}

const HOSTS: [HostSpec; 14] = [
    HostSpec::Named("POWER7"),
    HostSpec::Named("POWER8"),
    HostSpec::Named("POWER9"),
    HostSpec::Named("POWER10"),
    HostSpec::Named("POWER11"),
    HostSpec::Pvr(0x003f_0203),
    HostSpec::Pvr(0x004a_0201),
    HostSpec::Pvr(0x004b_0201),
    HostSpec::Pvr(0x004c_0100),
    HostSpec::Pvr(0x004d_0200),
    HostSpec::Pvr(0x004e_1200),
    HostSpec::Pvr(0x004e_1202),
    HostSpec::Pvr(0x0080_1200),
    HostSpec::Pvr(0x0082_1200),
];

struct World {
    maps: Vec<std::sync::Arc<LibvirtMap>>,
    tables: Vec<&'static QemuTable>,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| World {
        maps: vec![
            std::sync::Arc::new(LibvirtMap::from_compiled(embedded::ppc64()).unwrap()),
            std::sync::Arc::new(LibvirtMap::from_compiled(embedded::ppc64_libvirt_11_3()).unwrap()),
        ],
        tables: vec![QemuTable::newest().unwrap(), QemuTable::v7_2().unwrap()],
    })
}

/// The context `i` (map × table) and the hosts of `specs` it can place; `None` when a host
/// is unknown to the map or has no QEMU family there (POWER11 under 7.2 or 11.3).
fn pool(ctx: &Ppc64, specs: &[HostSpec]) -> Option<Vec<Cpu>> {
    let mut out = Vec::new();
    for s in specs {
        let cpu = match *s {
            HostSpec::Named(n) => {
                ctx.map().model(n)?;
                Cpu::host_named(n)
            }
            HostSpec::Pvr(p) => ctx.decode(Pvr::new(p)).ok()?.cpu(false),
        };
        ctx.host_family(&cpu)?;
        out.push(cpu);
    }
    Some(out)
}

fn ctx(i: usize) -> Ppc64 {
    let w = world();
    Ppc64::new(w.maps[i / 2].clone(), w.tables[i % 2])
}

fn specs() -> impl Strategy<Value = Vec<HostSpec>> {
    prop::collection::vec(prop::sample::select(HOSTS.to_vec()), 1..6)
}

#[test]
fn compat_levels_form_a_total_order() {
    for t in &world().tables {
        let modes = t.compat_modes();
        for (i, a) in modes.iter().enumerate() {
            for (j, b) in modes.iter().enumerate() {
                let r = a.level().relation(b.level());
                assert_ne!(r, Relation::Incompatible);
                assert_eq!(
                    a.level().cmp(&b.level()),
                    i.cmp(&j),
                    "chain order is table order"
                );
                assert_eq!(
                    a.level() <= b.level() && b.level() <= a.level(),
                    i == j,
                    "antisymmetric"
                );
                for c in modes {
                    if a.level() <= b.level() && b.level() <= c.level() {
                        assert!(a.level() <= c.level(), "transitive");
                    }
                }
                assert_eq!(a.level().meet(b.level()), modes[i.min(j)].level());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn compat_baseline_is_the_meet_of_host_tops(i in 0usize..4, s in specs()) {
        let ctx = ctx(i);
        let Some(hosts) = pool(&ctx, &s) else { return Ok(()) };
        let tops: Vec<Option<Level>> = hosts
            .iter()
            .map(|h| ctx.host_top_mode(h).unwrap().map(|m| m.level()))
            .collect();
        match ctx.compat_baseline(&hosts) {
            Ok(b) => {
                let meet = tops.iter().map(|t| t.unwrap()).reduce(Level::meet).unwrap();
                prop_assert_eq!(b.level(), meet);
            }
            Err(e) => {
                prop_assert!(tops.iter().any(Option::is_none), "{e}");
            }
        }
    }

    #[test]
    fn compat_baseline_runs_on_every_host(i in 0usize..4, s in specs()) {
        let ctx = ctx(i);
        let Some(hosts) = pool(&ctx, &s) else { return Ok(()) };
        let Ok(b) = ctx.compat_baseline(&hosts) else { return Ok(()) };
        let guest = Cpu::from_def(b.def().clone());
        for h in &hosts {
            let family = ctx.host_family(h).unwrap();
            prop_assert!(ctx.qemu().supports(family, b.mode()));
            let v = ctx.compare(h, &guest).unwrap();
            prop_assert!(v.is_compatible(), "{:?}", v.reasons());
        }
    }

    #[test]
    fn compat_baseline_is_the_greatest_common_mode(i in 0usize..4, s in specs()) {
        let ctx = ctx(i);
        let Some(hosts) = pool(&ctx, &s) else { return Ok(()) };
        let best = ctx.compat_baseline(&hosts).ok().map(|b| b.level());
        for m in ctx.qemu().compat_modes() {
            let nameable = ctx.map().compat_level(m.name()).is_some();
            let everywhere = hosts
                .iter()
                .all(|h| ctx.qemu().supports(ctx.host_family(h).unwrap(), m));
            if nameable && everywhere {
                prop_assert!(best.is_some_and(|b| m.level() <= b), "{} above baseline", m.name());
            }
        }
    }

    #[test]
    fn compat_baseline_is_commutative(i in 0usize..4, s in specs()) {
        let ctx = ctx(i);
        let Some(hosts) = pool(&ctx, &s) else { return Ok(()) };
        let mut rev = hosts.clone();
        rev.reverse();
        let a = ctx.compat_baseline(&hosts).map(|b| b.level()).map_err(|e| e.to_string());
        let b = ctx.compat_baseline(&rev).map(|b| b.level()).map_err(|e| e.to_string());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn adding_a_host_never_raises_the_compat_baseline(
        i in 0usize..4, s in specs(), extra in prop::sample::select(HOSTS.to_vec())
    ) {
        let ctx = ctx(i);
        let mut more = s.clone();
        more.push(extra);
        let (Some(hosts), Some(bigger)) = (pool(&ctx, &s), pool(&ctx, &more)) else {
            return Ok(());
        };
        if let Ok(b2) = ctx.compat_baseline(&bigger) {
            let b1 = ctx.compat_baseline(&hosts).unwrap();
            prop_assert!(b2.level() <= b1.level());
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pvr_parse_never_panics_and_round_trips(s in ".{0,12}", v in any::<u32>()) {
        let _ = Pvr::parse(&s);
        prop_assert_eq!(Pvr::parse(&Pvr::new(v).to_string()).unwrap(), Pvr::new(v));
    }

    #[test]
    fn cpuinfo_reading_never_panics(s in "(cpu|revision|pvr|[ :()0-9a-f\n]){0,40}") {
        let _ = Pvr::from_cpuinfo(&s);
    }

    #[test]
    fn qmp_session_never_panics_and_answers_every_line(
        lines in prop::collection::vec(
            prop_oneof![
                Just(r#"{"execute":"qmp_capabilities"}"#.to_string()),
                Just(r#"{"execute":"query-cpu-definitions","id":1}"#.to_string()),
                Just(r#"{"execute":"query-cpu-definitions","arguments":{"x":1}}"#.to_string()),
                Just(r#"{"execute":7}"#.to_string()),
                Just(r#"[1,2]"#.to_string()),
                Just(r#"{"arguments":[]}"#.to_string()),
                Just(r#"{"execute": nonsense}"#.to_string()),
                "[a-z-]{1,20}".prop_map(|c| format!("{{\"execute\":\"{c}\"}}")),
            ],
            0..12,
        ),
        newest in any::<bool>(),
    ) {
        let t = if newest { QemuTable::newest().unwrap() } else { QemuTable::v7_2().unwrap() };
        let out = cpucompat_ppc64::qmp::transcript(t, &lines.join("\n"));
        let replies = out.lines().count();
        let quit = lines.iter().position(|l| l.contains("\"quit\""));
        prop_assert_eq!(replies, 1 + quit.map_or(lines.len(), |q| q + 1));
    }
}

/// Every (compat guest, host model) pair of every map × table, exhaustively: compare says
/// identical exactly when libvirt's level rule holds (`N ≤ host generation`) and the host's
/// QEMU family (when QEMU has one) supports the mode, and QEMU knows the mode.
#[test]
fn compare_of_compat_guests_is_level_rule_and_family_support() {
    for i in 0..4 {
        let ctx = ctx(i);
        let (lo, hi) = ctx.map().compat_range().unwrap();
        for host in ctx.map().models() {
            let Some(gen) = host.generation().filter(|g| (lo..=hi).contains(g)) else {
                continue;
            };
            let h = Cpu::host_named(host.name());
            for n in lo..=hi {
                let mode = format!("power{n}");
                let mut def = Cpu::guest_named(&mode).def().clone();
                def.mode = cpucompat_xml::model::Mode::HostModel;
                def.match_ = None;
                let v = ctx.compare(&h, &Cpu::from_def(def)).unwrap();
                let qemu_ok = match (ctx.qemu().compat_mode(&mode), ctx.host_family(&h)) {
                    (None, _) => false,
                    (Some(m), Some(f)) => ctx.qemu().supports(f, m),
                    (Some(_), None) => true,
                };
                assert_eq!(
                    v.is_compatible(),
                    n <= gen && qemu_ok,
                    "{mode} on {} (ctx {i}): {:?}",
                    host.name(),
                    v.reasons()
                );
            }
        }
    }
}
