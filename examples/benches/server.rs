//! bridge-server's resident memory, idle and with 200 webhooks in flight at once (targets
//! 30 MB and 80 MB), measured by the reliability harness's `memory` scenario on the release
//! binaries, with the idle figure as the same run's baseline.
//!
//! Run: `cargo bench -p examples` (Linux: it reads `/proc`).

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used)]

use std::process::Command;

fn main() {
    let output = Command::new(env!("CARGO_BIN_EXE_reliability"))
        .args([
            "--scenario",
            "memory",
            "--tickets",
            "1000",
            "--concurrent",
            "200",
            "--server-binary",
            env!("CARGO_BIN_EXE_bridge-server"),
        ])
        .output()
        .expect("run the reliability harness");
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        println!("(a target was missed or the run failed: see above)");
    }
}
