//! Prints the normalized form of every CPU definition of a file (a debugging aid).
//!
//! `cargo run -p cpucompat-xml --example reprint -- FILE`
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: reprint FILE");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    match cpucompat_xml::parse_cpus(&text) {
        Ok(v) => v
            .iter()
            .for_each(|c| print!("{}", cpucompat_xml::write_cpu(c))),
        Err(e) => eprintln!("{path}:{e}"),
    }
}
