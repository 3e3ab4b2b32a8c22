//! The `cpucompat` binary: parse arguments, run, print the whole result or one error line.
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cpucompat::cli::Cli::parse();
    match cpucompat::run(cli) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.stdout.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                return ExitCode::from(2);
            }
            ExitCode::from(out.exit)
        }
        Err(e) => {
            eprintln!("cpucompat: error: {e}");
            ExitCode::from(2)
        }
    }
}
