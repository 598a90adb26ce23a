//! Builds the small C helper for Redis-exact number formatting: INCRBYFLOAT
//! is defined by C `long double` arithmetic and `%.17Lf`, which Rust has no
//! type for (see src/server/numeric.c).

fn main() {
    println!("cargo:rerun-if-changed=src/server/numeric.c");
    cc::Build::new()
        .file("src/server/numeric.c")
        .opt_level(2)
        .warnings(true)
        .compile("sonde_numeric");
}
