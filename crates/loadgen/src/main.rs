use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = loadgen::cli::Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(loadgen::cli::main(args))
}
