//! The `examples/` programs, run on the spec files: `scheduler_filter` (one guest against
//! many hosts) and `pool_baseline` (a streamed pool's baseline). Both use only the
//! library's public API; their answers are checked against the `cpucompat` binary's, an
//! independent client of the same library (`compare` exit status per host, `baseline`
//! output and error line for a pool).
//!
//! The example binaries are built by `cargo test` (examples are built with the tests);
//! when run alone (`cargo test --test examples`) the test builds them first with the
//! cargo that runs it, in the same profile.
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built example `name` (built, or found up to date, by the cargo running the test).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/examples-HASH → target/<profile>/examples/NAME
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir.join("examples").join(name);
    {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(repo())
            .args(["build", "--quiet", "--example", name]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    bin
}

/// What one run of a program did.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(bin: &Path, args: &[String]) -> Out {
    let o = Command::new(bin)
        .args(args)
        .output()
        .expect("run the example");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|x| x.to_string()).collect()
}

/// The `*.xml` files of a folder, sorted (what the examples read for a directory).
fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "xml"))
        .collect();
    v.sort();
    v
}

/// Runs `scheduler_filter [engine] GUEST HOSTS...` and checks every host's line against
/// `cpucompat compare [engine] HOST GUEST --format json`: runs with the same verdict (exit
/// 0), does not run with the same reasons (exit 1), or skipped with the binary's error
/// (exit 2). Returns (hosts, hosts that run).
fn filter(engine: &[&str], guest: &Path, named: &[PathBuf], hosts: &[PathBuf]) -> (usize, usize) {
    let bin = example("scheduler_filter");
    let mut args = strings(engine);
    args.push(s(guest));
    args.extend(named.iter().map(|p| s(p)));
    let out = run(&bin, &args);
    assert_eq!(out.stderr, "", "{args:?}");
    let mut lines = out.stdout.lines().peekable();
    let mut runs = 0;
    let gname = s(guest);
    for h in hosts {
        let name = s(h);
        let line = lines.next().unwrap_or_else(|| panic!("no line for {name}"));
        let mut cli: Vec<&str> = vec!["compare"];
        cli.extend(engine);
        cli.extend([name.as_str(), gname.as_str(), "--format", "json"]);
        let r = support::cpucompat(None, &cli, None);
        let head = format!("{name}: ");
        let said = line
            .strip_prefix(&head)
            .unwrap_or_else(|| panic!("{line:?} is not about {name}"));
        match r.code {
            0 | 1 => {
                let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
                let verdict = v["result"].as_str().expect("result");
                if r.code == 0 {
                    assert_eq!(said, format!("runs ({verdict})"), "{name}");
                    runs += 1;
                } else {
                    assert_eq!(said, "does not run", "{name}");
                    for reason in v["reasons"].as_array().expect("reasons") {
                        let want = format!(
                            "  - {}: {}",
                            reason["rule"].as_str().expect("rule"),
                            reason["message"].as_str().expect("message")
                        );
                        assert_eq!(lines.next(), Some(want.as_str()), "{name}");
                    }
                }
            }
            2 => {
                let msg = r
                    .stderr
                    .strip_prefix("cpucompat: error: ")
                    .and_then(|m| m.strip_suffix('\n'))
                    .unwrap_or_else(|| panic!("{}", r.stderr));
                assert_eq!(said, format!("skipped: {msg}"), "{name}");
            }
            c => panic!("compare {name}: exit {c}: {}", r.stderr),
        }
    }
    let summary = format!("{runs} of {} hosts can run {}", hosts.len(), s(guest));
    assert_eq!(lines.next(), Some(summary.as_str()));
    assert_eq!(lines.next(), None);
    assert_eq!(out.code, if runs > 0 { 0 } else { 1 }, "{args:?}");
    (hosts.len(), runs)
}

#[test]
fn scheduler_filter_answers_as_cpucompat_compare_for_every_host() {
    let cases = repo().join("specs/cases");
    let x86 = cases.join("x86/data");
    // The binary gets the engine the example builds from the guest (`--arch`), so a host of
    // another architecture is refused in the same words.
    let eng = ["--arch", "x86_64", "--cpu-map", "libvirt-11.3"];
    let mut totals = Vec::new();
    // A fleet of every x86 spec file (host CPUs, dumps, and files that are no host: those
    // are skipped with their error), for two guests.
    for guest in ["x86_64-Haswell.xml", "x86_64-guest.xml"] {
        let g = x86.join(guest);
        let t = filter(&eng, &g, std::slice::from_ref(&x86), &xml_files(&x86));
        totals.push((guest, t));
    }
    // Files and folders mixed, and a host that is not there.
    let kvm = repo().join("specs/kvm");
    let missing = x86.join("no-such-host.xml");
    let named = [
        x86.join("x86_64-host.xml"),
        kvm.join("intel-spr-pvm"),
        missing.clone(),
    ];
    let mut hosts = vec![named[0].clone()];
    hosts.extend(xml_files(&named[1]));
    hosts.push(missing);
    let t = filter(&eng, &x86.join("x86_64-Haswell.xml"), &named, &hosts);
    assert_eq!(
        t,
        (4, 1),
        "the recorded Sapphire Rapids host runs Haswell, the others do not"
    );
    totals.push(("x86_64-Haswell.xml (mixed)", t));
    // POWER and s390x: their spec folders as fleets.
    let ppc = cases.join("ppc64/data");
    let t = filter(
        &["--arch", "ppc64"],
        &ppc.join("ppc64-guest-exact.xml"),
        std::slice::from_ref(&ppc),
        &xml_files(&ppc),
    );
    totals.push(("ppc64-guest-exact.xml", t));
    let z = cases.join("s390x/data");
    let t = filter(
        &["--arch", "s390x"],
        &z.join("guest-z13.xml"),
        std::slice::from_ref(&z),
        &xml_files(&z),
    );
    totals.push(("guest-z13.xml", t));
    for (g, (n, r)) in &totals {
        println!("scheduler_filter {g}: {r} of {n} hosts run it");
    }
    assert!(totals.iter().all(|(_, (n, _))| *n > 0));
    assert!(
        totals.iter().any(|(_, (n, r))| r > &0 && r < n),
        "some fleet is split"
    );
}

#[test]
fn scheduler_filter_says_when_no_host_runs_the_guest_and_refuses_a_bad_guest() {
    let bin = example("scheduler_filter");
    let x86 = repo().join("specs/cases/x86/data");
    let host = s(&x86.join("x86_64-host.xml"));
    let out = run(&bin, &[s(&x86.join("x86_64-Haswell.xml")), host.clone()]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.ends_with(&format!(
        "0 of 1 hosts can run {}\n",
        s(&x86.join("x86_64-Haswell.xml"))
    )));
    // An unreadable guest: the binary's error, nothing on stdout.
    let bad = s(&x86.join("x86_64-bogus-feature.xml"));
    let out = run(&bin, &strings(&["--cpu-map", "libvirt-11.3", &bad, &host]));
    let cli = support::cpucompat(
        None,
        &["compare", "--cpu-map", "libvirt-11.3", &host, &bad],
        None,
    );
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert_eq!(
        out.stderr.strip_prefix("scheduler_filter: error: "),
        cli.stderr.strip_prefix("cpucompat: error: "),
    );
    let out = run(&bin, &[host]);
    assert_eq!(out.code, 2);
    assert!(out
        .stderr
        .starts_with("scheduler_filter: a guest and at least one host are needed\nusage: "));
}

/// Runs `pool_baseline ARGS` and `cpucompat baseline ARGS`: the same XML, or the same
/// error line, and the same exit status.
fn same_baseline(args: &[String]) -> bool {
    let out = run(&example("pool_baseline"), args);
    let mut cli: Vec<&str> = vec!["baseline"];
    cli.extend(args.iter().map(String::as_str));
    let r = support::cpucompat(None, &cli, None);
    assert_eq!(out.code, r.code, "{args:?}: {}", out.stderr);
    assert_eq!(out.stdout, r.stdout, "{args:?}");
    if r.code == 0 {
        assert!(out.stderr.starts_with("baseline of "), "{}", out.stderr);
    } else {
        assert_eq!(
            out.stderr.strip_prefix("pool_baseline: error: "),
            r.stderr.strip_prefix("cpucompat: error: "),
            "{args:?}"
        );
    }
    r.code == 0
}

#[test]
fn pool_baseline_prints_what_cpucompat_baseline_prints_for_every_spec_pool() {
    let cases = repo().join("specs/cases");
    let (mut ok, mut refused) = (0, 0);
    for (area, engine) in [
        ("x86", vec!["--cpu-map", "libvirt-11.3"]),
        ("ppc64", vec!["--arch", "ppc64"]),
    ] {
        let dir = cases.join(area);
        for op in support::cases::ops(&dir)
            .iter()
            .filter(|o| o.name == "Baseline")
        {
            let mut args = strings(&engine);
            args.extend(op.strings.iter().map(|f| s(&dir.join(f))));
            if op.flag("features") {
                args.push("--features".into());
            }
            if op.flag("migratable") {
                args.push("--migratable".into());
            }
            if same_baseline(&args) {
                ok += 1;
            } else {
                refused += 1;
            }
        }
    }
    let z = cases.join("s390x/data/pool.xml");
    for extra in [None, Some("--features")] {
        let mut args = vec![s(&z)];
        args.extend(extra.map(str::to_string));
        assert!(same_baseline(&args));
        ok += 1;
    }
    println!("pool_baseline: {ok} pools with a baseline, {refused} refused, as cpucompat baseline");
    assert!(ok >= 20 && refused >= 4, "{ok} {refused}");
}

#[test]
fn pool_baseline_streams_folders_of_hosts() {
    let kvm = repo().join("specs/kvm");
    // One machine's two descriptions (capabilities and domcapabilities' host-model).
    let dir = kvm.join("intel-spr-pvm");
    let out = run(&example("pool_baseline"), &[s(&dir)]);
    let files: Vec<String> = xml_files(&dir).iter().map(|f| s(f)).collect();
    assert_eq!(files.len(), 2);
    assert!(same_baseline(&files));
    let mut cli = vec!["baseline"];
    cli.extend(files.iter().map(String::as_str));
    let r = support::cpucompat(None, &cli, None);
    assert_eq!((out.code, &out.stdout), (0, &r.stdout));
    assert_eq!(out.stderr, "baseline of 2 CPUs\n");
    // Every host of the pool runs the baseline.
    let tmp = std::env::temp_dir().join(format!("cpucompat-examples-{}.xml", std::process::id()));
    std::fs::write(&tmp, &out.stdout).expect("write the baseline");
    for f in &files {
        let r = support::cpucompat(None, &["compare", f, &s(&tmp)], None);
        assert_eq!(r.code, 0, "{f}: {}{}", r.stdout, r.stderr);
    }
    let _ = std::fs::remove_file(&tmp);
    // Two folders, an AMD and an Intel machine: no common CPU, said as the binary says it,
    // naming the first CPU of the second folder.
    let dirs = [kvm.join("amd-epyc-pvm"), dir];
    let out = run(
        &example("pool_baseline"),
        &dirs.iter().map(|d| s(d)).collect::<Vec<_>>(),
    );
    let files: Vec<String> = dirs
        .iter()
        .flat_map(|d| xml_files(d))
        .map(|f| s(&f))
        .collect();
    assert!(!same_baseline(&files));
    assert_eq!(
        out.stderr,
        format!(
            "pool_baseline: error: {}:1:1: CPU vendors do not match\n",
            files[2]
        )
    );
    // A missing file: the binary's error.
    let missing = s(&kvm.join("no-such-host.xml"));
    assert!(!same_baseline(&[files[0].clone(), missing]));
}
