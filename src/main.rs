fn main() -> std::process::ExitCode {
    // Before anything reads a key: scripts (which hold no capabilities) then cannot read
    // this process's environment, memory or descriptors through /proc, even as its uid.
    if let Err(e) = aide_fleet::agent::make_non_dumpable() {
        eprintln!("warning: could not make aide-fleet non-dumpable: {e}");
    }
    aide_fleet::cli::main()
}
