//! `drydock attest`: sign a scan report as an in-toto attestation (cosign's vulnerability
//! predicate in a DSSE envelope), write it and/or push it next to the image.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use drydock_attest::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use drydock_attest::key::SigningKey;
use drydock_attest::statement::{self, Invocation, StatementOptions, SubjectRef, VULN_PREDICATE};

const EXAMPLES: &str = "\
Examples:
  # scan by digest, then sign the report for that digest and push it as cosign does
  drydock image ghcr.io/org/app@sha256:4f… --format json --output report.json
  drydock attest report.json --subject ghcr.io/org/app@sha256:4f… --key drydock.key --push

  # keep the envelope as a file (a CI artifact) instead
  drydock attest report.json --subject sha256:4f… --key drydock.key --output report.att.json

  # a key pair (the public half is what admission policies and verify-attestation take)
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out drydock.key
  openssl pkey -in drydock.key -pubout -out drydock.pub";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct AttestArgs {
    /// The JSON report of `drydock image` or `drydock fs` (`--format json`); `-` reads stdin.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// What the attestation is about, by digest: `REF@sha256:<hex>` (the digest pods pull: the
    /// index digest of a multi-platform image), or a bare `sha256:<hex>` when not pushing.
    #[arg(long, value_name = "REF@DIGEST")]
    pub subject: String,
    /// The signing key: a PEM P-256 private key, PKCS#8 (`openssl genpkey`) or SEC1.
    #[arg(long, value_name = "FILE", env = "DRYDOCK_ATTEST_KEY")]
    pub key: PathBuf,
    /// Write the DSSE envelope to FILE (default: standard output, unless --push).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Store the attestation in the subject's repository, in cosign's layout (tag
    /// `sha256-<hex>.att`, one layer per attestation, appended to those already there).
    #[arg(long)]
    pub push: bool,
    /// Write an in-toto Statement v0.1 (as `cosign attest` does) instead of v1.
    #[arg(long)]
    pub statement_v01: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How to reach the registry (the same flags as the scan commands).
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Registry user name (else `DRYDOCK_USERNAME`, else Docker's `config.json` and helpers).
    #[arg(
        long,
        value_name = "USER",
        env = "DRYDOCK_USERNAME",
        help_heading = "Registry"
    )]
    pub username: Option<String>,
    /// Read the registry password from stdin (else `DRYDOCK_PASSWORD`).
    #[arg(long, requires = "username", help_heading = "Registry")]
    pub password_stdin: bool,
    /// Allow plain HTTP and HTTPS without certificate verification for the registry.
    #[arg(long, help_heading = "Registry")]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file for the registry.
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub registry_ca: Option<PathBuf>,
}

impl RegistryArgs {
    pub fn client_options(&self) -> anyhow::Result<drydock_registry::ClientOptions> {
        let credentials =
            super::target::explicit_credentials(self.username.as_deref(), self.password_stdin)?;
        Ok(drydock_registry::ClientOptions {
            credentials,
            insecure: self.insecure,
            ca_file: self.registry_ca.clone(),
            ..Default::default()
        })
    }
}

/// Where the scan ran, from the CI system's environment (GitHub Actions, GitLab CI); empty
/// elsewhere.
fn invocation() -> Invocation {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(server), Some(repo), Some(run)) = (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        return Invocation {
            uri: format!("{server}/{repo}/actions/runs/{run}"),
            event_id: run,
            builder_id: "https://github.com/actions/runner".into(),
            ..Default::default()
        };
    }
    if let (Some(url), Some(id)) = (var("CI_JOB_URL"), var("CI_JOB_ID")) {
        return Invocation {
            uri: url,
            event_id: id,
            builder_id: "gitlab-ci".into(),
            ..Default::default()
        };
    }
    Invocation::default()
}

/// Makes the signed envelope of `report` (used by `drydock attest`).
pub fn envelope(
    report: &drydock_report::Report,
    subject: &SubjectRef,
    key: &SigningKey,
    v01: bool,
) -> anyhow::Result<Envelope> {
    let opts = StatementOptions {
        invocation: invocation(),
        v01,
        ..Default::default()
    };
    let st = statement::vuln_statement(report, subject, &opts)?;
    let body = serde_json::to_vec(&st).context("serializing the statement")?;
    Ok(Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &body, key))
}

pub fn run(args: AttestArgs) -> anyhow::Result<ExitCode> {
    let subject: SubjectRef = args.subject.parse()?;
    if args.push && subject.repository.is_none() {
        anyhow::bail!(
            "--push needs the image's repository: --subject REF@{} (got a bare digest)",
            subject.digest
        );
    }
    let bytes = if args.report.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("reading the report from stdin")?;
        b
    } else {
        std::fs::read(&args.report)
            .with_context(|| format!("reading the report `{}`", args.report.display()))?
    };
    let report: drydock_report::Report = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "`{}` is not a drydock JSON report (`drydock image … --format json`)",
            args.report.display()
        )
    })?;
    let key = SigningKey::from_pem_file(&args.key)?;
    let envelope = envelope(&report, &subject, &key, args.statement_v01)?;
    let json = envelope.to_json();
    match &args.output {
        Some(path) => {
            std::fs::write(path, &json).with_context(|| format!("writing `{}`", path.display()))?
        }
        None if !args.push => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&json)?;
            out.write_all(b"\n")?;
        }
        None => {}
    }
    if args.push {
        let reference = subject
            .repository
            .as_ref()
            .expect("checked above: --push has a repository");
        let opts = args.registry.client_options()?;
        let pushed = drydock_attest::oci::push(reference, &envelope, VULN_PREDICATE, &opts)?;
        eprintln!(
            "{} `{}` ({} attestation{} there, manifest {})",
            if pushed.already_there {
                "already in"
            } else {
                "pushed to"
            },
            pushed.tag,
            pushed.layers,
            if pushed.layers == 1 { "" } else { "s" },
            pushed.manifest_digest
        );
    }
    Ok(ExitCode::SUCCESS)
}
