//! The migrations are compiled into the binary (`sqlx::migrate!`); without this, a new
//! migration file alone would not rebuild it and the server would run without it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
