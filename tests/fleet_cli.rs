//! The fleet commands as a user runs them: `pool`, `place`, `migrate`, `upgrade-check`,
//! `levels` — exit statuses, one-line errors, text at most 100 columns, JSON, the baseline
//! `pool --format xml` prints being `baseline`'s, the platform snippets.
mod support;

use support::{assert_error, cpucompat, Run};

const X: &str = "specs/cases/x86/data";
const F: &str = "specs/cases/fleet/data";
const P: &str = "specs/cases/ppc64/hosts";

fn run(args: &[&str]) -> Run {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    cpucompat(Some(root), args, None)
}

fn x(f: &str) -> String {
    format!("{X}/x86_64-cpuid-{f}-host.xml")
}

fn intel() -> Vec<String> {
    [
        "Core-i5-650",
        "Core-i7-2600",
        "Core-i7-3770",
        "Core-i7-4600U",
        "Core-i7-5600U",
        "Core-i7-7700",
        "Cooperlake",
        "Atom-N450",
    ]
    .iter()
    .map(|f| x(f))
    .collect()
}

fn with<'a>(head: &[&'a str], files: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(files.iter().map(String::as_str))
        .collect()
}

fn narrow(r: &Run) {
    for l in r.stdout.lines() {
        assert!(
            l.chars().count() <= 100,
            "{} columns: {l}",
            l.chars().count()
        );
    }
}

#[test]
fn pool_text_fits_in_100_columns_on_every_architecture() {
    let files = intel();
    for extra in [&[][..], &["--split", "3"], &["--level", "v3"], &["-v"]] {
        let mut args = with(&["pool"], &files);
        args.extend(extra);
        let r = run(&args);
        assert!(r.code <= 1, "{}", r.stderr);
        narrow(&r);
    }
    let ppc = run(&[
        "pool",
        &format!("{P}/cpudata-power8.xml"),
        &format!("{P}/cpudata-power10.xml"),
    ]);
    assert_eq!(ppc.code, 0, "{}", ppc.stderr);
    assert!(ppc
        .stdout
        .contains("baseline:      host-model, compat mode power8\n"));
    narrow(&ppc);
    let z = run(&[
        "pool",
        &format!("{F}/s390x-host-z13.xml"),
        &format!("{F}/s390x-host-gen16a.xml"),
        "--split",
        "2",
    ]);
    assert_eq!(z.code, 0, "{}", z.stderr);
    narrow(&z);
}

#[test]
fn pool_names_what_holds_it_down_and_prints_the_baseline() {
    let files = intel();
    let r = run(&with(&["pool"], &files));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(
        "pool:          8 hosts in 8 CPU classes (x86_64)\ncatalog:       libvirt cpu_map (libvirt-cpu_map-12.8.0)\n"
    ));
    assert!(r.stdout.contains("held down by:  C8\n"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains("C8 (n270-v1) 1 host: specs/cases/x86/data/x86_64-cpuid-Atom-N450-host.xml\n"));
    // The text ends with the baseline, exactly as `baseline` prints it, and `--format xml`
    // is that baseline alone.
    let b = run(&with(&["baseline"], &files));
    assert_eq!(b.code, 0);
    assert!(r.stdout.ends_with(&b.stdout));
    let xml = run(&with(&["pool", "--format", "xml"], &files));
    assert_eq!(xml.stdout, b.stdout);
    let xf = run(&with(
        &["pool", "--format", "xml", "--features", "--migratable"],
        &files,
    ));
    let bf = run(&with(&["baseline", "--features", "--migratable"], &files));
    assert_eq!(xf.stdout, bf.stdout);
}

#[test]
fn pool_json_is_the_documented_shape() {
    let files = intel();
    let r = run(&with(&["pool", "--format", "json", "--split", "2"], &files));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    for key in [
        "arch",
        "catalog",
        "hosts",
        "classes",
        "level",
        "baseline",
        "baseline_error",
        "cluster_mode",
        "held_down_by",
        "split",
        "platforms",
        "diagram",
    ] {
        assert!(v.get(key).is_some(), "no {key}");
    }
    assert_eq!(v["arch"], "x86_64");
    assert_eq!(v["hosts"], 8);
    assert_eq!(v["held_down_by"], serde_json::json!(["C8"]));
    let gained = v["classes"][7]["without"]["gained"].as_array().unwrap();
    assert_eq!(gained.len(), 11);
    assert!(gained.contains(&serde_json::json!("pse36")));
    assert_eq!(v["split"]["exact"], true);
    assert_eq!(v["split"]["pools"].as_array().unwrap().len(), 2);
    assert_eq!(v["platforms"]["nova"]["cpu_mode"], "custom");
    assert!(v["baseline"]["xml"]
        .as_str()
        .unwrap()
        .starts_with("<cpu mode='custom'"));
}

#[test]
fn pool_level_leaves_hosts_out_with_exit_1() {
    let files = intel();
    let r = run(&with(&["pool", "--level", "x86-64-v3"], &files));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("level:         x86-64-v3: 4 hosts left out: C1, C2, C3, C8\n"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("baseline:      Haswell-noTSX, 74 features, x86-64-v3\n"));
    let all = run(&["pool", "--level", "v2", &x("Core-i7-3770")]);
    assert_eq!(all.code, 0);
    assert!(all
        .stdout
        .contains("level:         every host reaches x86-64-v2\n"));
}

#[test]
fn pool_snippets_for_nova_kubevirt_and_libvirt() {
    let files: Vec<String> = ["Core-i7-4600U", "Core-i7-7700"]
        .iter()
        .map(|f| x(f))
        .collect();
    let nova = run(&with(&["pool", "--format", "nova"], &files));
    assert_eq!(nova.code, 0, "{}", nova.stderr);
    assert!(
        nova.stdout.contains(
            "\n[libvirt]\ncpu_mode = custom\ncpu_models = SandyBridge-v1,IvyBridge-v1,Haswell-v2\n"
        ),
        "{}",
        nova.stdout
    );
    assert!(nova.stdout.contains("\ncpu_model_extra_flags = +"));
    // invtsc blocks migration: it is never a cluster flag.
    assert!(!nova.stdout.contains("invtsc"));
    let kv = run(&with(&["pool", "--format", "kubevirt"], &files));
    assert!(kv.stdout.contains(
        "      model: Haswell-v2\n      features:\n      - {name: dtes64, policy: require}\n"
    ));
    assert!(kv
        .stdout
        .contains("#     cpu-model.node.kubevirt.io/Haswell-v2: \"true\"\n"));
    let lv = run(&with(&["pool", "--format", "libvirt"], &files));
    assert!(lv.stdout.starts_with(
        "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Haswell-v2</model>\n"
    ));
    // Every host runs the element.
    for h in &files {
        let dir = std::env::temp_dir().join(format!("cpucompat-fleet-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let g = dir.join("guest.xml");
        std::fs::write(&g, &lv.stdout).unwrap();
        let c = run(&["compare", h, g.to_str().unwrap()]);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(c.code, 0, "{}", c.stdout);
    }
    // An obsolete cluster mode is flagged for KubeVirt.
    let old = run(&[
        "pool",
        "--format",
        "kubevirt",
        &x("Atom-N450"),
        &x("Core2-E6850"),
    ]);
    assert!(old.stdout.contains("# warning: "), "{}", old.stdout);
    let ppc = run(&["pool", "--format", "nova", &format!("{P}/host-POWER9.xml")]);
    assert_error(
        &ppc,
        "Nova gets no POWER snippet: the compat mode is libvirt's (--format libvirt)",
    );
}

#[test]
fn what_if_names_the_guests_that_suffer_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("cpucompat-fleet-guests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for g in [
        "x86-guest-no-avx.xml",
        "x86-guest-no-avx2.xml",
        "x86-domain-skylake.xml",
    ] {
        std::fs::copy(root.join(F).join(g), dir.join(g)).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a guest").unwrap();
    let r = run(&[
        "pool",
        &x("Core-i5-650"),
        &x("Core-i7-3770"),
        &x("Core-i7-4600U"),
        "--remove",
        "C1",
        "--add",
        &x("Cooperlake"),
        "--guests",
        dir.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, 1, "{}", r.stderr);
    narrow(&r);
    assert!(r.stdout.starts_with("what if: before  3 hosts, 3 classes: baseline Westmere (52 features, x86-64-v2), cluster mode\n                 Westmere-v1\n"), "{}", r.stdout);
    let flat = r.stdout.replace("\n      ", " ");
    assert!(
        flat.contains(
            "x86-guest-no-avx.xml: cannot-start (starts on 1 → 0 hosts, migration targets 0 → 0)"
        ),
        "{flat}"
    );
    assert!(flat.contains("x86-guest-no-avx2.xml: loses-migration-targets (starts on 2 → 1 hosts, migration targets 1 → 0)"));
    assert!(r.stdout.contains("x86-domain-skylake.xml: can-start"));
    let bad = run(&["pool", &x("Core-i5-650"), "--remove", "C2"]);
    assert_error(&bad, "no class C2 in the pool");
}

#[test]
fn place_and_migrate_exit_0_when_a_host_fits() {
    let r = run(&[
        "place",
        &format!("{F}/x86-domain-skylake.xml"),
        &x("Core-i7-4600U"),
        &x("Cooperlake"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    narrow(&r);
    assert!(r.stdout.contains("hosts:   1 of 2 hosts run it\n"));
    assert!(r.stdout.contains(
        "  libvirt-missing: Host CPU does not provide required features: rdseed, adx, smap,"
    ));
    let none = run(&[
        "place",
        &format!("{F}/x86-domain-skylake.xml"),
        &x("Core-i5-650"),
    ]);
    assert_eq!(none.code, 1);
    let m = run(&[
        "migrate",
        &format!("{F}/x86-domain-passthrough.xml"),
        "--from",
        &x("Core-i7-5600U"),
        "--to",
        &x("Core-i7-4600U"),
        &x("Core-i7-5600U-arat"),
    ]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    assert!(m
        .stdout
        .contains("warning: libvirt does not check host-passthrough CPUs when migrating"));
    let j = run(&[
        "migrate",
        &format!("{F}/x86-guest-invtsc.xml"),
        "--from",
        &x("Core-i7-4600U"),
        "--to",
        &x("Core-i7-4600U"),
        "--format",
        "json",
    ]);
    assert_eq!(j.code, 1);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["source"]["reasons"][0]["rule"], "libvirt-invtsc");
    assert_eq!(v["fitting_hosts"], 0);
    let ok = run(&[
        "migrate",
        &format!("{F}/x86-guest-invtsc.xml"),
        "--from",
        &x("Core-i7-4600U"),
        "--to",
        &x("Core-i7-4600U"),
        "--tsc-frequency",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
}

#[test]
fn fleet_errors_are_one_line_with_exit_2() {
    let g = format!("{F}/x86-domain-skylake.xml");
    assert_error(
        &run(&["pool", &x("Core-i5-650"), "--level", "v9"]),
        "unknown x86-64 level 'v9': expected v1, v2, v3 or v4",
    );
    assert_error(
        &run(&["place", &g, "nope.xml"]),
        "nope.xml: cannot read: no such file or directory",
    );
    assert_error(
        &run(&["place", &g, &x("Core-i5-650"), "--format", "dot"]),
        "place prints text or json",
    );
    assert_error(
        &run(&["pool", &x("Core-i5-650"), "--split", "2"]),
        "cannot split 1 CPU class into 2 sub-pools",
    );
    assert_error(
        &run(&["pool", &format!("{P}/host-POWER9.xml"), "--level", "v2"]),
        "x86-64 levels are an x86 notion: --level does not apply",
    );
    assert_error(
        &run(&["upgrade-check", "--from", "11.3", "--to", "7.2"]),
        "--from and --to must both be libvirt versions (11.3, 12.8) or both QEMU releases (7.2, newest)",
    );
    assert_error(
        &run(&["upgrade-check", "--from", "7.2", "--to", "newest"]),
        "QEMU tables are per architecture: name it with --arch s390x or --arch ppc64",
    );
    assert_error(
        &run(&["upgrade-check", "--from", "11.2", "--to", "12.8"]),
        "unknown version '11.2': expected libvirt 11.3 or 12.8, or QEMU 7.2 or newest",
    );
    let bad = run(&[
        "place",
        &format!("{X}/x86_64-bogus-model.xml"),
        &x("Core-i5-650"),
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad
        .stderr
        .starts_with("cpucompat: error: specs/cases/x86/data/x86_64-bogus-model.xml:"));
    assert_eq!(bad.stdout, "");
}

#[test]
fn upgrade_check_lists_model_changes_and_exits_1_when_a_guest_suffers() {
    let up = run(&["upgrade-check", "--from", "11.3", "--to", "12.8"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    narrow(&up);
    assert!(up
        .stdout
        .contains("models whose expansion changed: 0\nmodels added (26): SapphireRapids-v4,"));
    let down = run(&[
        "upgrade-check",
        "--from",
        "12.8",
        "--to",
        "11.3",
        &format!("{F}/guest-epyc-turin.xml"),
        "--hosts",
        &x("EPYC-7601-32-Core"),
    ]);
    assert_eq!(down.code, 1);
    assert!(
        down.stdout.contains(
            "guest-epyc-turin.xml (EPYC-Turin): invalid\n    starts on 0 hosts, 0 targets → -"
        ),
        "{}",
        down.stdout
    );
    let ppc = run(&[
        "upgrade-check",
        "--arch",
        "ppc64",
        "--from",
        "7.2",
        "--to",
        "newest",
    ]);
    assert_eq!(ppc.code, 0);
    narrow(&ppc);
    assert!(ppc.stdout.contains("  POWER11:\n    compat_modes: (none) → power6 power7 power8 power9 power10 power11\n    family: (none) → POWER11\n"), "{}", ppc.stdout);
}

#[test]
fn levels_of_models_and_hosts() {
    let r = run(&["levels"]);
    assert_eq!(r.code, 0);
    narrow(&r);
    assert!(r.stdout.ends_with("v4 47, v3 45, v2 45, v1 20, below 19\n"));
    assert!(
        r.stdout
            .contains("\nHaswell-v4                 v2     f16c, abm\n"),
        "{}",
        r.stdout
    );
    let h = run(&[
        "levels",
        &x("Core-i7-4600U"),
        &format!("{X}/x86_64-cpuid-Core-i7-4600U.xml"),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&h.stdout).unwrap();
    assert_eq!(v[0]["x86_level"], "v3");
    assert_eq!(v[1]["x86_level"], "v3");
    assert_eq!(
        v[0]["next_level_lacks"],
        serde_json::json!(["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"])
    );
}
