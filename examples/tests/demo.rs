//! The README's first command: the demo runs to the end and tells the whole story.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn the_demo_runs_the_whole_story_and_exits_0() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for expected in [
        "comments delivered: 1",
        "Sam (Support): Hi Jane! Your replacement part **shipped today**",
        "already delivered: 1, sent now: 0",
        "Jane: Great, thank you! Will it need tools?",
        "unlinked from the thread",
        "Sam (Support): No tools needed, it clicks in.",
        "Done: every message crossed exactly once.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}
