//! The README's commands as a newcomer pastes them: the fenced blocks are read out of `README.md`
//! and `docs/deploy.md` and run by bash, unchanged, in a fresh folder laid out like a clone — the
//! local server and its first requests, the one-machine AWS mode against moto, and the deploy
//! preparation up to `sam build`.
//!
//! Two things differ from a newcomer's machine, both in what the commands reach rather than in
//! the commands: `cargo` on PATH is a shim that runs the test build of the binary instead of
//! compiling a release build (`cargo run --release` starts `oz-api`; `cargo lambda build --bin X`
//! puts X where cargo-lambda puts a bootstrap), since a release build of the tree costs more
//! than CI's whole budget; and `sam deploy --guided` is not run, as it needs an AWS account.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::common::fixture;
use crate::common::lambda::binaries_dir;
use crate::common::lambda::template::Template;

/// The repository.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first ```sh block under the heading `heading` of `doc` (a path in the repository), after
/// the text `marker` when one is given.
fn block(doc: &str, heading: &str, marker: Option<&str>) -> String {
    let text = std::fs::read_to_string(repo().join(doc)).unwrap();
    let mut after = text
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("{doc} has no heading {heading:?}"))
        .1;
    if let Some(m) = marker {
        after = after
            .split_once(m)
            .unwrap_or_else(|| panic!("{doc}: no {m:?} under {heading}"))
            .1;
    }
    let body = after.split_once("```sh\n").expect("a sh block").1;
    body.split_once("\n```")
        .expect("the block ends")
        .0
        .to_string()
}

/// A folder laid out like a fresh clone: the tracked top-level entries linked from the
/// repository, nothing built, no `data/`; `.venv` is the project venv the tests already made
/// (what `scripts/python-tools` would make), and `bin/cargo` the shim.
struct FreshClone {
    dir: tempfile::TempDir,
}

impl FreshClone {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for entry in [
            "Cargo.toml",
            "Cargo.lock",
            "src",
            "shared",
            "functions",
            "models",
            "events",
            "scripts",
        ] {
            std::os::unix::fs::symlink(repo().join(entry), dir.path().join(entry)).unwrap();
        }
        // Copies, not links: SAM resolves a CodeUri against the template's real folder but
        // relative to the linked one, which only agrees when the two happen to line up.
        for file in ["template.yaml", "samconfig.toml"] {
            std::fs::copy(repo().join(file), dir.path().join(file)).unwrap();
        }
        let venv = std::env::var_os("OZ_VENV").map_or_else(|| repo().join(".venv"), PathBuf::from);
        assert!(
            venv.join("bin/moto_server").exists(),
            "the project venv ({}) comes first: scripts/test makes it",
            venv.display()
        );
        std::os::unix::fs::symlink(&venv, dir.path().join(".venv")).unwrap();
        let shim = dir.path().join(".shim");
        std::fs::create_dir(&shim).unwrap();
        let cargo = shim.join("cargo");
        std::fs::write(&cargo, CARGO_SHIM).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the shim writes each cargo command line it was given.
    fn shim_log(&self) -> PathBuf {
        self.path().join(".shim/calls")
    }

    /// `script` run by bash in the clone, in a newcomer's environment: PATH with the shim first
    /// (and the venv's tools, as when it is activated), HOME, nothing of the test's own.
    fn bash(&self, script: &str) -> Command {
        let real_cargo = which("cargo");
        let venv_bin = self.path().join(".venv/bin");
        let path = format!(
            "{}:{}:{}",
            self.path().join(".shim").display(),
            venv_bin.display(),
            std::env::var("PATH").unwrap()
        );
        let mut c = Command::new("bash");
        c.arg("-euo")
            .arg("pipefail")
            .arg("-c")
            .arg(script)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", std::env::var("HOME").unwrap())
            .env("SAM_CLI_TELEMETRY", "0")
            .env("SHIM_REAL_CARGO", real_cargo)
            .env("SHIM_BINARIES", binaries_dir())
            .env("SHIM_LOG", self.shim_log());
        for keep in ["RUSTUP_HOME", "CARGO_HOME", "TMPDIR", "LANG"] {
            if let Some(v) = std::env::var_os(keep) {
                c.env(keep, v);
            }
        }
        c
    }

    /// `script` started in its own process group (killed with it on drop).
    fn spawn(&self, script: &str) -> Group {
        use std::os::unix::process::CommandExt as _;
        let log = std::fs::File::create(self.path().join(".shim/server.log")).unwrap();
        let child = self
            .bash(script)
            .process_group(0)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Group {
            child,
            log: self.path().join(".shim/server.log"),
        }
    }

    /// `script` run to its end; its stdout, or a panic with everything it printed.
    fn run(&self, script: &str) -> String {
        let out = self.bash(script).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{script}\nexited {}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

/// `cargo` as the README's commands reach it in this test: a release build would cost more than
/// CI's budget, so `cargo run --release` runs the test build of the server and
/// `cargo lambda build … --bin X` places the test build of X where cargo-lambda writes its
/// bootstrap (`$CARGO_TARGET_DIR/lambda/X/bootstrap`). Everything else is the real cargo.
const CARGO_SHIM: &str = r#"#!/usr/bin/env bash
set -euo pipefail
echo "cargo $*" >> "$SHIM_LOG"
if [[ "${1:-}" == run && "${2:-}" == --release ]]; then
  shift 2
  [[ "${1:-}" == -- ]] && shift
  exec "$SHIM_BINARIES/oz-api" "$@"
fi
if [[ "${1:-}" == lambda && "${2:-}" == build ]]; then
  bin=""
  while [[ $# -gt 0 ]]; do
    if [[ "$1" == --bin ]]; then bin="$2"; shift; fi
    shift
  done
  [[ -n "$bin" ]] || { echo "cargo lambda build without --bin" >&2; exit 2; }
  target="${CARGO_TARGET_DIR:-target}"
  mkdir -p "$target/lambda/$bin"
  cp "$SHIM_BINARIES/$bin" "$target/lambda/$bin/bootstrap"
  exit 0
fi
exec "$SHIM_REAL_CARGO" "$@"
"#;

fn which(program: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} on PATH"))
}

/// A started command and everything it spawned.
struct Group {
    child: Child,
    log: PathBuf,
}

impl Group {
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `url` answers 200; panics with the output if the command ends first.
    async fn until_serving(&mut self, url: &str) {
        let client = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exited ({status}) before serving:\n{}", self.output());
            }
            if let Ok(r) = client.get(url).send().await
                && r.status() == 200
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "not serving after 120 s:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .stderr(std::process::Stdio::null())
            .status();
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none()
            && start.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(std::process::Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

/// The README's address: its commands talk to port 8080, so the test needs it free.
const SERVER: &str = "http://127.0.0.1:8080";

fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The README's "Then:" block against the running server: the token comes back, and a folder
/// with the newcomer's selfie (`selfie.jpg` in the current folder) is created.
fn first_requests(clone: &FreshClone) {
    let face = image::load_from_memory(&fixture("Tom_Hanks_54745.png")).unwrap();
    face.to_rgb8()
        .save(clone.path().join("selfie.jpg"))
        .unwrap();
    let then = block("README.md", "## Two commands", Some("Then:"));
    let out = clone.run(&then);
    let folder: serde_json::Value = out
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON answer:\n{out}"));
    assert!(folder["folder_id"].is_string(), "{out}");
    assert!(
        out.contains("photo_selfie"),
        "the selfie is in the folder: {out}"
    );
}

/// README "Two commands", the first line (the second is the test command that runs this), then
/// the requests the README shows after it.
#[tokio::test]
async fn readme_local_and_moto_commands_work_as_pasted() {
    assert!(
        port_free(8080) && port_free(5000),
        "the README's commands use ports 8080 and 5000: free them"
    );
    let clone = FreshClone::new();
    let local: String = block("README.md", "## Two commands", None)
        .lines()
        .filter(|l| !l.trim_start().starts_with("scripts/test"))
        .collect::<Vec<_>>()
        .join("\n");
    {
        let mut server = clone.spawn(&local);
        server.until_serving(&format!("{SERVER}/api/version")).await;
        first_requests(&clone);
    }
    assert!(
        clone.path().join("data/oz.sqlite3").exists(),
        "the first start creates ./data"
    );

    // docs/deploy.md: the whole thing on one machine against moto, in another fresh clone.
    let clone = FreshClone::new();
    let moto = block(
        "docs/deploy.md",
        "## The whole thing on one machine, against moto",
        None,
    );
    let mut server = clone.spawn(&moto);
    server.until_serving(&format!("{SERVER}/api/version")).await;
    first_requests(&clone);
    assert!(
        !clone.path().join("data").exists(),
        "AWS mode keeps nothing in ./data"
    );
    let log = server.output();
    assert!(
        log.contains("storage=Aws"),
        "the server says it runs on AWS storage:\n{log}"
    );
}

/// README "Deploy": the pip install and the exports as pasted, then `sam build` (SAM's
/// rust-cargolambda workflow over every function of the template, with the shim for
/// cargo-lambda's compile); `sam deploy --guided` needs an AWS account.
#[test]
fn readme_deploy_preparation_builds_every_function() {
    let clone = FreshClone::new();
    let deploy = block("README.md", "## Deploy", None);
    let prepared = deploy.replace(" && sam deploy --guided", "");
    assert_ne!(prepared, deploy, "the block ends in sam deploy --guided");
    clone.run(&prepared);
    let t = Template::read(&repo().join("template.yaml"));
    let calls = std::fs::read_to_string(clone.shim_log()).unwrap();
    let functions = t.resources("AWS::Serverless::Function");
    assert!(functions.len() >= 10, "every function of the template");
    for (id, r) in functions {
        let binary = r["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        let bootstrap = clone
            .path()
            .join(".aws-sam/build")
            .join(&id)
            .join("bootstrap");
        assert!(bootstrap.is_file(), "{id} has no {}", bootstrap.display());
        assert!(
            calls.lines().any(|l| l.contains("lambda build")
                && l.contains("--arm64")
                && l.contains(&format!("--bin {binary}"))),
            "sam build ran cargo lambda build --arm64 --bin {binary}:\n{calls}"
        );
    }
    assert!(
        clone.path().join(".aws-sam/build/template.yaml").is_file(),
        "sam build writes the built template"
    );
}
