//! Records the git commit drydock is built from (`DRYDOCK_COMMIT`) for `drydock --version`.

use std::process::Command;

fn main() {
    // A release build from a tarball can state it: `DRYDOCK_COMMIT=abc123 cargo build`.
    let commit = std::env::var("DRYDOCK_COMMIT")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=DRYDOCK_COMMIT={commit}");
    // A new commit moves HEAD's ref (or HEAD itself when detached).
    if let Ok(out) = Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .output()
        && out.status.success()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Ok(r) = Command::new("git")
            .args(["symbolic-ref", "-q", "HEAD"])
            .output()
            && r.status.success()
        {
            let name = String::from_utf8_lossy(&r.stdout).trim().to_string();
            println!("cargo:rerun-if-changed={dir}/{name}");
        }
    }
    println!("cargo:rerun-if-env-changed=DRYDOCK_COMMIT");
}
