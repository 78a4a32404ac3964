//! Rebuilds tel-store when a migration changes, because the migrations are embedded with `embed_migrations!`.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
