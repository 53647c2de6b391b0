//! Marks this package's targets with `cfg(hellobench_tuned)`: the stock tier's test files,
//! compiled here as this package's tests, then exercise the tuned server (see Cargo.toml).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(hellobench_tuned)");
    println!("cargo::rustc-cfg=hellobench_tuned");
}
