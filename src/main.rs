fn main() -> std::process::ExitCode {
    aide_fleet::cli::main()
}
