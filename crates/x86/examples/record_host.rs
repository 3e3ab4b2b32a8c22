//! Records this machine (CPUID walk, `/dev/kvm` answers, `/dev/cpu/0/msr`, `/proc/cpuinfo`)
//! as a host-record JSON file (format: `src/host_record.rs`):
//! `cargo run -p cpucompat-x86 --example record_host -- "ABOUT TEXT" > host.json`.
use cpucompat_x86::HostRecord;

fn main() {
    let Some(mut rec) = HostRecord::live() else {
        eprintln!("not an x86_64 machine");
        std::process::exit(2);
    };
    rec.about = std::env::args().nth(1).unwrap_or_default();
    print!("{}", rec.to_json());
}
