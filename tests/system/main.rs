//! The system suite: tests that need programs of the operating system besides a Rust
//! toolchain and python3 — Neovim (`nvim`) and `strace` (`apt-get install neovim
//! strace`). `cargo test` leaves it out; run it with `cargo test --test system`
//! (`.ci/run` installs both and runs it).

mod durability;
mod editor;
