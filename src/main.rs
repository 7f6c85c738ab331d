use std::process::ExitCode;

fn main() -> ExitCode {
    golive::cli::run()
}
