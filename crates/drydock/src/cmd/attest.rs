//! `drydock attest`: sign a scan report as an in-toto attestation (cosign's vulnerability
//! predicate in a DSSE envelope), write it and/or push it next to the image.

use std::io::Read;
use std::path::{Path, PathBuf};
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
    /// The vulnerability DB the report was made with: recorded as the predicate's
    /// `scanner.db` (schema version, build time, sha256). Without it `scanner.db` is empty.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `drydock image --attest`: sign the scan's result as an attestation about the scanned image.
#[derive(Debug, Args)]
#[command(next_help_heading = "Attestation")]
pub struct ScanAttestArgs {
    /// After the scan, sign its result with this P-256 private key (PEM) as an in-toto
    /// attestation (cosign's vuln predicate) about the scanned image's digest (the index digest
    /// of a multi-platform image).
    #[arg(long = "attest", value_name = "KEY")]
    pub key: Option<PathBuf>,
    /// Where to write the DSSE envelope [default: beside the report file as `NAME.att.json`,
    /// else `drydock.att.json`].
    #[arg(long, value_name = "FILE", requires = "key")]
    pub attest_output: Option<PathBuf>,
    /// Also store the attestation in the image's repository, in cosign's layout (tag
    /// `sha256-<hex>.att`).
    #[arg(long, requires = "key")]
    pub attest_push: bool,
    /// What the attestation is about, when the scan cannot tell: `REF@sha256:<hex>` (a
    /// docker-archive has no push digest: give the one `docker push` printed), or `REF` alone
    /// to name the repository to push a local layout's attestation to.
    #[arg(long, value_name = "REF[@DIGEST]", requires = "key")]
    pub attest_subject: Option<String>,
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

/// The predicate's `scanner.db` for the DB at `path` (what `drydock db status` shows).
pub fn db_info(path: &std::path::Path) -> anyhow::Result<statement::Db> {
    let db = drydock_advisory::Db::open(path)
        .with_context(|| format!("opening the vulnerability DB `{}`", path.display()))?;
    let status = db.status()?;
    Ok(statement::Db::of_file(
        path,
        status.schema_version,
        &status.built_at_rfc3339,
    )?)
}

/// Makes the signed envelope of `report` (`drydock attest`, `drydock image --attest`).
pub fn envelope(
    report: &drydock_report::Report,
    subject: &SubjectRef,
    key: &SigningKey,
    db: statement::Db,
    v01: bool,
) -> anyhow::Result<Envelope> {
    let opts = StatementOptions {
        invocation: invocation(),
        db,
        v01,
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
    let db = match &args.db {
        Some(p) => db_info(p)?,
        None => statement::Db::default(),
    };
    let envelope = envelope(&report, &subject, &key, db, args.statement_v01)?;
    let push = if args.push {
        subject.repository.as_ref()
    } else {
        None
    };
    // Credentials are read (perhaps from stdin) only when they are needed.
    let opts = match push {
        Some(_) => args.registry.client_options()?,
        None => Default::default(),
    };
    deliver(&envelope, args.output.as_deref(), push, &opts)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `envelope` to `output` (standard output when neither a file nor a push is asked
/// for) and pushes it as an attestation of `push` (a reference with a digest).
fn deliver(
    envelope: &Envelope,
    output: Option<&Path>,
    push: Option<&drydock_registry::Reference>,
    opts: &drydock_registry::ClientOptions,
) -> anyhow::Result<()> {
    let json = envelope.to_json();
    match output {
        Some(path) => {
            std::fs::write(path, &json).with_context(|| format!("writing `{}`", path.display()))?
        }
        None if push.is_none() => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&json)?;
            out.write_all(b"\n")?;
        }
        None => {}
    }
    if let Some(reference) = push {
        let pushed = drydock_attest::oci::push(reference, envelope, VULN_PREDICATE, opts)?;
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
    Ok(())
}

/// The subject of a scan of `target` (as given on the command line) whose report is `report`:
/// - a registry image: the digest it was pinned to, else the manifest or index its tag names
///   (checked to be the image scanned);
/// - an OCI layout directory or archive: the manifest digest in the file (for a layout
///   directory, the index listing it when there is one);
/// - a docker-archive or rootfs tarball: none (no push digest exists): `--attest-subject`.
///
/// `--attest-subject REF@DIGEST` overrides; `REF` alone only names the repository.
fn scanned_subject(
    args: &ScanAttestArgs,
    target: &str,
    report: &drydock_report::Report,
    opts: &drydock_registry::ClientOptions,
) -> anyhow::Result<SubjectRef> {
    let given = args.attest_subject.as_deref();
    if let Some(s) = given
        && s.contains('@')
    {
        return Ok(s.parse()?);
    }
    let Some(t) = report.targets.first() else {
        anyhow::bail!("--attest: the report has no target");
    };
    let scanned = t
        .digest
        .as_deref()
        .map(drydock_image::Digest::parse)
        .transpose()?;
    if let Some(reference) = drydock_registry::remote_reference(target) {
        let reference = reference?;
        let scanned = scanned.context("--attest: the pulled image has no manifest digest")?;
        let digest = drydock_attest::oci::scanned_subject(&reference, &scanned, opts)?;
        let name = format!("{}/{}", reference.registry(), reference.repository());
        return Ok(format!("{name}@{digest}").parse()?);
    }
    let digest = match (t.kind.as_str(), scanned) {
        ("oci-layout", Some(d)) => {
            let dir = target_dir(target);
            drydock_attest::oci::layout_subject(dir, &d)
        }
        ("oci-archive", Some(d)) => d,
        (kind, _) => anyhow::bail!(
            "--attest: a {kind} has no registry digest (it is made when the image is pushed): push it, then give `--attest-subject REF@sha256:…` with the digest the push printed"
        ),
    };
    Ok(match given {
        Some(repo) => format!("{repo}@{digest}").parse()?,
        None => SubjectRef {
            repository: None,
            digest,
        },
    })
}

/// The layout directory of `LAYOUT` or `LAYOUT:TAG`.
fn target_dir(target: &str) -> &Path {
    let path = Path::new(target);
    match target.rsplit_once(':') {
        Some((dir, _)) if !path.exists() && Path::new(dir).is_dir() => Path::new(dir),
        _ => path,
    }
}

/// `drydock image --attest`: signs the scan's `report` of `target` and writes (and pushes) it.
/// `report_file` is where the report went, if to a file (the envelope goes beside it).
pub fn after_scan(
    args: &ScanAttestArgs,
    target: &str,
    report: &drydock_report::Report,
    db_path: &Path,
    registry: &drydock_scan::Registry,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    let Some(key_path) = &args.key else {
        return Ok(());
    };
    let opts = drydock_registry::ClientOptions {
        credentials: registry.credentials.clone(),
        insecure: registry.insecure,
        ca_file: registry.ca_file.clone(),
        ..Default::default()
    };
    let subject = scanned_subject(args, target, report, &opts)?;
    if args.attest_push && subject.repository.is_none() {
        anyhow::bail!(
            "--attest-push: `{target}` is not in a registry: name the repository to push to with `--attest-subject REF`"
        );
    }
    let key = SigningKey::from_pem_file(key_path)?;
    let envelope = envelope(report, &subject, &key, db_info(db_path)?, false)?;
    let output = match (&args.attest_output, report_file) {
        (Some(p), _) => p.clone(),
        (None, Some(r)) => {
            let stem = r.file_stem().unwrap_or(r.as_os_str()).to_string_lossy();
            r.with_file_name(format!("{stem}.att.json"))
        }
        (None, None) => PathBuf::from("drydock.att.json"),
    };
    let push = if args.attest_push {
        subject.repository.as_ref()
    } else {
        None
    };
    deliver(&envelope, Some(&output), push, &opts)?;
    eprintln!(
        "attestation about `{}` written to `{}`",
        subject.digest,
        output.display()
    );
    Ok(())
}
