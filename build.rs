// `sqlx::migrate!` embeds src/store/migrations at compile time but cannot tell cargo to
// rebuild when a new migration file appears there; this does.
fn main() {
    println!("cargo:rerun-if-changed=src/store/migrations");
}
