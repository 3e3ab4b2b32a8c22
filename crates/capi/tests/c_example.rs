//! The C example (`examples/cpucompat_example.c`), compiled with `gcc -Wall -Werror`
//! against the committed header and the built `libcpucompat_c.so`, prints exactly what the
//! `cpucompat` command line prints for the same inputs (compare as JSON, baseline as XML,
//! models as JSON), fails the same way, and runs clean under valgrind (no leak, no
//! error; the suppressions in `valgrind.supp` cover only the process-lifetime catalogs, and
//! a forgotten free is still caught). Skips with a printed reason when gcc, valgrind or the `cpucompat` binary (built
//! by `cargo test --workspace`) is absent.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `target/<profile>`: where the test binary's `deps/` folder is.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn root() -> PathBuf {
    crate_dir().join("../..")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Where `cargo test` puts the freshly built `libcpucompat_c.so` (it is copied up to
/// `target/<profile>/` only by `cargo build`).
fn lib_dir() -> PathBuf {
    profile_dir().join("deps")
}

/// Compiles `source` into `exe`; panics with gcc's messages on a warning or an error.
fn compile(source: &Path, exe: &Path) {
    let lib = lib_dir();
    let out = Command::new("gcc")
        .args(["-Wall", "-Wextra", "-Werror", "-std=c99", "-o"])
        .arg(exe)
        .arg(source)
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg("-L")
        .arg(&lib)
        .arg("-lcpucompat_c")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "gcc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The example's compiled binary (once per test process).
fn example() -> Option<PathBuf> {
    if !have("gcc") {
        println!("skipped: gcc is not installed");
        return None;
    }
    let lib = lib_dir().join("libcpucompat_c.so");
    if !lib.exists() {
        println!("skipped: {} was not built", lib.display());
        return None;
    }
    let exe = profile_dir().join("cpucompat_example");
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| compile(&crate_dir().join("examples/cpucompat_example.c"), &exe));
    Some(exe)
}

fn cli() -> Option<PathBuf> {
    let exe = profile_dir().join("cpucompat");
    if exe.exists() {
        Some(exe)
    } else {
        println!(
            "skipped: {} is absent (cargo test --workspace builds it)",
            exe.display()
        );
        None
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What the command line answers for `example [options] files`: the three commands' stdout
/// up to the first failure, the exit status the example should give, and the error text.
fn expected(cli: &Path, options: &[&str], files: &[String]) -> (String, i32, String) {
    let run = |args: Vec<String>| -> Output {
        Command::new(cli)
            .current_dir(root())
            .args(args)
            .args(options)
            .output()
            .expect("run cpucompat")
    };
    let mut stdout = String::new();
    let steps = [
        [
            vec!["compare".into()],
            files[..2].to_vec(),
            vec!["--format".into(), "json".into()],
        ]
        .concat(),
        [
            vec!["baseline".into()],
            files.to_vec(),
            vec!["--format".into(), "xml".into()],
        ]
        .concat(),
        [
            vec!["models".into()],
            files[..1].to_vec(),
            vec!["--format".into(), "json".into()],
        ]
        .concat(),
    ];
    let mut exit = 0;
    for (i, step) in steps.into_iter().enumerate() {
        let out = run(step);
        let code = out.status.code().unwrap_or(-1);
        if code == 2 {
            let err = text(&out.stderr);
            let err = err.trim_end().trim_start_matches("cpucompat: error: ");
            return (stdout, 2, err.to_string());
        }
        stdout.push_str(&text(&out.stdout));
        if i == 0 && code == 1 {
            exit = 1;
        }
    }
    (stdout, exit, String::new())
}

fn run_example(exe: &Path, options: &[&str], files: &[String]) -> Output {
    let mut args: Vec<&str> = Vec::new();
    for pair in options.chunks(2) {
        match pair {
            ["--arch", a] => args.extend(["-a", a]),
            ["--cpu-map", m] => args.extend(["-m", m]),
            other => panic!("no example option for {other:?}"),
        }
    }
    Command::new(exe)
        .current_dir(root())
        .args(args)
        .args(files)
        .output()
        .expect("run the example")
}

/// The cases: options of both programs, and the files (host, guest, more to baseline).
fn cases() -> Vec<(Vec<&'static str>, Vec<String>)> {
    let x = |f: &str| format!("specs/cases/x86/data/{f}");
    let p = |f: &str| format!("specs/cases/ppc64/{f}");
    let s = |f: &str| format!("specs/cases/s390x/data/{f}");
    let m11 = vec!["--arch", "x86_64", "--cpu-map", "libvirt-11.3"];
    vec![
        // superset; baseline of three files.
        (
            m11.clone(),
            vec![
                x("x86_64-host.xml"),
                x("x86_64-exact-require.xml"),
                x("x86_64-baseline-Westmere+Nehalem.xml"),
            ],
        ),
        // incompatible (a forbidden feature the host has): exit 1.
        (
            m11.clone(),
            vec![x("x86_64-host.xml"), x("x86_64-exact-forbid.xml")],
        ),
        // an unknown model: the error, its file and position.
        (
            m11.clone(),
            vec![x("x86_64-host.xml"), x("x86_64-bogus-model.xml")],
        ),
        // a `cpuid -r` dump as the host, the default (12.8) map.
        (
            vec!["--arch", "x86_64"],
            vec![
                x("x86_64-cpuid-Xeon-Gold-6148.cpuid-r.txt"),
                x("x86_64-cpuid-EPYC-7601-32-Core.cpuid-r.txt"),
            ],
        ),
        // POWER: a compat-mode guest with too many threads.
        (
            vec!["--arch", "ppc64"],
            vec![
                p("hosts/host-POWER9.xml"),
                p("hosts/guest-compat-power7-smt8.xml"),
            ],
        ),
        // s390x.
        (
            vec!["--arch", "s390x"],
            vec![s("host-z14.xml"), s("guest-z13.xml")],
        ),
    ]
}

#[test]
fn the_c_example_prints_what_the_command_line_prints() {
    let (Some(exe), Some(cli)) = (example(), cli()) else {
        return;
    };
    for (options, files) in cases() {
        let (stdout, exit, err) = expected(&cli, &options, &files);
        let out = run_example(&exe, &options, &files);
        assert_eq!(text(&out.stdout), stdout, "stdout of {files:?}");
        assert_eq!(out.status.code(), Some(exit), "exit of {files:?}");
        let stderr = text(&out.stderr);
        if exit == 2 {
            assert_eq!(
                stderr.trim_end(),
                format!("cpucompat_example: {err}"),
                "stderr of {files:?}"
            );
        } else {
            assert_eq!(stderr, "", "stderr of {files:?}");
        }
    }
}

/// valgrind's leak summary numbers: (definitely, indirectly, possibly, suppressed) bytes.
fn leak_summary(stderr: &str) -> [u64; 4] {
    let bytes = |what: &str| {
        stderr
            .lines()
            .find_map(|l| l.split(what).nth(1))
            .and_then(|rest| rest.trim().split(' ').next())
            .map_or(0, |n| n.replace(',', "").parse().unwrap_or(0))
    };
    [
        bytes("definitely lost:"),
        bytes("indirectly lost:"),
        bytes("possibly lost:"),
        bytes("suppressed:"),
    ]
}

fn valgrind(exe: &Path, options: &[&str], files: &[String]) -> (Option<i32>, String) {
    let mut cmd = Command::new("valgrind");
    cmd.current_dir(root())
        .arg("--leak-check=full")
        .arg("--error-exitcode=1")
        .arg(format!(
            "--suppressions={}",
            crate_dir().join("valgrind.supp").display()
        ))
        .arg(exe);
    for pair in options.chunks(2) {
        if let ["--cpu-map", m] = pair {
            cmd.args(["-m", m]);
        } else if let ["--arch", a] = pair {
            cmd.args(["-a", a]);
        }
    }
    let out = cmd.args(files).output().expect("run valgrind");
    (out.status.code(), text(&out.stderr))
}

#[test]
fn valgrind_finds_no_leak_and_no_error() {
    let Some(exe) = example() else { return };
    if !have("valgrind") {
        println!("skipped: valgrind is not installed");
        return;
    }
    let cases = cases();
    // A success, and a failure half-way (the error path frees everything too).
    for (options, files) in [&cases[0], &cases[2]] {
        let (code, stderr) = valgrind(&exe, options, files);
        let expect = if files[1].contains("bogus") { 2 } else { 0 };
        assert_eq!(code, Some(expect), "valgrind on {files:?}:\n{stderr}");
        let [definite, indirect, possible, _] = leak_summary(&stderr);
        assert_eq!((definite, indirect, possible), (0, 0, 0), "{stderr}");
        assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    }
    // What the suppression file hides is the process-lifetime catalog: the same bytes
    // whether one CPU or three are baselined.
    let one = valgrind(&exe, &cases[0].0, &cases[0].1[..2]);
    let three = valgrind(&exe, &cases[0].0, &cases[0].1);
    assert_eq!(leak_summary(&one.1)[3], leak_summary(&three.1)[3]);
}

#[test]
fn valgrind_still_reports_a_forgotten_free() {
    let Some(_) = example() else { return };
    if !have("valgrind") {
        println!("skipped: valgrind is not installed");
        return;
    }
    let source = std::fs::read_to_string(crate_dir().join("examples/cpucompat_example.c"))
        .expect("read the example");
    let leaky = source.replace("    cpucompat_engine_free(engine);\n", "");
    assert_ne!(leaky, source, "the example frees its engine");
    let dir = profile_dir();
    let (src, exe) = (dir.join("leaky_example.c"), dir.join("leaky_example"));
    std::fs::write(&src, leaky).expect("write the leaky example");
    compile(&src, &exe);
    let (options, files) = &cases()[0];
    let (code, stderr) = valgrind(&exe, options, files);
    assert_eq!(code, Some(1), "valgrind fails the leaky program:\n{stderr}");
    let [definite, indirect, ..] = leak_summary(&stderr);
    assert!(definite > 0 && indirect > 0, "{stderr}");
}

#[test]
fn the_readme_example_compiles_and_runs() {
    if example().is_none() {
        return;
    }
    let readme = std::fs::read_to_string(crate_dir().join("README.md")).expect("README.md");
    let start = readme.find("```c\n").expect("a C block in the README") + 5;
    let end = start + readme[start..].find("```").expect("the block's end");
    let dir = profile_dir();
    let (src, exe) = (dir.join("readme_example.c"), dir.join("readme_example"));
    std::fs::write(&src, &readme[start..end]).expect("write the README example");
    compile(&src, &exe);
    let out = Command::new(&exe).output().expect("run the README example");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("runs: no\n{\n  \"result\": \"incompatible\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("<model fallback='allow'>Haswell</model>"),
        "{stdout}"
    );
}
