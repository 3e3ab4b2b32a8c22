//! The pool picture: `pool --format dot` renders with Graphviz, and `pool --format html`
//! is one self-contained page that headless Chromium draws with the diagram in it (the
//! screenshot holds pixels of the class colour, the baseline colour and the border of the
//! class that holds the pool down). Each test skips, saying why, when its tool is absent;
//! with `CPUCOMPAT_FLEET_STRICT=1` (`.ci/fleet.sh`) a skip is a failure.
#[path = "fleet/corpus.rs"]
mod corpus;
#[path = "fleet/png.rs"]
mod png;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small pool of real CPUs with a chain, a fork and one class holding it down.
fn pool_args() -> Vec<String> {
    let d = "specs/cases/x86/data";
    [
        "x86_64-cpuid-Core-i5-650-host.xml",
        "x86_64-cpuid-Core-i7-2600-host.xml",
        "x86_64-cpuid-Core-i7-2600-xsaveopt-host.xml",
        "x86_64-cpuid-Core-i7-3770-host.xml",
        "x86_64-cpuid-Core-i7-3740QM-host.xml",
        "x86_64-cpuid-Core-i7-4600U-host.xml",
        "x86_64-cpuid-Core-i7-5600U-host.xml",
        "x86_64-cpuid-Core-i7-7700-host.xml",
        "x86_64-cpuid-Cooperlake-host.xml",
    ]
    .iter()
    .map(|f| format!("{d}/{f}"))
    .collect()
}

/// Skips with `why`, or fails under `CPUCOMPAT_FLEET_STRICT=1`.
fn skip(why: &str) {
    assert!(
        std::env::var_os("CPUCOMPAT_FLEET_STRICT").is_none(),
        "CPUCOMPAT_FLEET_STRICT is set and the test would skip: {why}"
    );
    eprintln!("skipped: {why}");
}

fn run(args: &[&str]) -> support::Run {
    support::cpucompat(Some(corpus::root()), args, None)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cpucompat-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn dot_output_renders_with_graphviz() {
    if Command::new("dot").arg("-V").output().is_err() {
        skip("Graphviz `dot` is not installed");
        return;
    }
    let mut args = vec!["pool", "--format", "dot"];
    let files = pool_args();
    args.extend(files.iter().map(String::as_str));
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("digraph pool {\n  rankdir=BT;"));
    // The baseline is below the Westmere, the only class holding the pool down.
    assert!(r.stdout.contains("\"baseline\" -> \"C1\";"), "{}", r.stdout);
    assert!(r.stdout.contains("penwidth=3"));
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(r.stdout.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "dot warned");
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.contains("<svg"));
    // Every class and the baseline are drawn, and every edge.
    for id in [
        "baseline", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9",
    ] {
        assert!(
            svg.contains(&format!("<title>{id}</title>")),
            "{id} not drawn"
        );
    }
    let edges = r.stdout.matches(" -> ").count();
    assert_eq!(svg.matches("class=\"edge\"").count(), edges);
}

fn chromium() -> Option<&'static str> {
    let p = "/usr/bin/chromium";
    Path::new(p).exists().then_some(p)
}

/// Runs headless Chromium on `page`, writing `png`; `None` (with a note) when it fails.
fn screenshot(page: &Path, png: &Path, profile: &Path) -> Option<()> {
    let bin = chromium()?;
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                eprintln!("chromium did not finish in 120 s");
                return None;
            }
        }
    }
    png.exists().then_some(())
}

fn count(img: &png::Image, rgb: [u8; 3]) -> usize {
    img.rgba
        .iter()
        .filter(|p| (0..3).all(|i| p[i].abs_diff(rgb[i]) <= 2))
        .count()
}

#[test]
fn html_page_is_self_contained_and_chromium_draws_the_diagram() {
    let mut args = vec!["pool", "--format", "html", "--split", "2"];
    let files = pool_args();
    args.extend(files.iter().map(String::as_str));
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = &r.stdout;
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // Nothing is fetched: no script, no external source, no link, no URL but SVG's
    // namespace.
    for bad in ["<script", "src=", "<link", "url(http", "@import"] {
        assert!(!page.contains(bad), "the page has {bad}");
    }
    assert_eq!(page.matches("http").count(), 1);
    // The tables and the snippets are there.
    for want in [
        "<h2>Classes</h2>",
        "<h2>Split into 2 sub-pools</h2>",
        "[libvirt]",
        "cpu-model.node.kubevirt.io/",
    ] {
        assert!(page.contains(want), "no {want}");
    }
    let Some(_) = chromium() else {
        skip("the screenshot: /usr/bin/chromium is not installed");
        return;
    };
    let dir = scratch("html");
    let html = dir.join("pool.html");
    std::fs::write(&html, page).unwrap();
    let shot = dir.join("pool.png");
    if screenshot(&html, &shot, &dir.join("profile")).is_none() {
        let _ = std::fs::remove_dir_all(&dir);
        skip("the screenshot: chromium could not write one");
        return;
    }
    let img = png::decode(&std::fs::read(&shot).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((img.width, img.height), (1200, 1000));
    let class = count(&img, [0x2a, 0x9d, 0x8f]);
    let base = count(&img, [0x26, 0x46, 0x53]);
    let border = count(&img, [0xe7, 0x6f, 0x51]);
    eprintln!("class-colour pixels {class}, baseline {base}, holding border {border}");
    // Nine class boxes of 250 × 54 (less their text), one baseline box, one thick border.
    assert!(class > 9 * 8_000, "class colour: {class} pixels");
    assert!(base > 8_000, "baseline colour: {base} pixels");
    assert!(border > 1_000, "holding border: {border} pixels");
}

#[test]
fn png_reader_reads_the_committed_screenshot() {
    let p = corpus::root().join("docs/fleet-pool.png");
    let img = png::decode(&std::fs::read(&p).expect("docs/fleet-pool.png")).unwrap();
    assert!(img.width >= 800 && img.height >= 600);
    assert!(count(&img, [0x2a, 0x9d, 0x8f]) > 10_000);
}
