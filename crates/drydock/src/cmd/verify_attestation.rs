//! `drydock verify-attestation`: what an admission controller checks before a pod pulls an
//! image, from the command line: a signed scan attestation by a trusted key, about this digest,
//! recent enough, without denied severities.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use drydock_attest::statement::{SubjectRef, VULN_PREDICATE};
use drydock_attest::verify::{self, Policy};
use drydock_attest::{AttestError, Rejection};

use super::attest::RegistryArgs;

const EXAMPLES: &str = "\
Exit codes:
  0  verified: signed by a given key, about this digest, recent enough, no denied severity
  2  usage or input error (unreadable key or envelope, registry unreachable)
  3  not trustworthy: no attestation, no valid signature (tampered or another key), another
     subject, another payload or predicate type
  4  too old (--max-age), or dated in the future
  5  a vulnerability of a denied severity (--deny-severity)

Examples:
  # what a Kyverno policy checks, for an image in a registry
  drydock verify-attestation ghcr.io/org/app:1.4 --key drydock.pub --max-age 24h \\
      --deny-severity CRITICAL,HIGH

  # an envelope on disk (a CI artifact), for a digest
  drydock verify-attestation --envelope report.att.json --subject sha256:4f… --key drydock.pub";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct VerifyAttestationArgs {
    /// The image in a registry (`REF:TAG` or `REF@sha256:…`): its attestations are read from
    /// the `sha256-<hex>.att` tag of the digest the reference names now.
    #[arg(value_name = "IMAGE", required_unless_present = "envelope")]
    pub image: Option<String>,
    /// A trusted public key: SPKI PEM (`cosign.pub` shape) or a private key file; repeat for
    /// several (any one signature by any of them is enough).
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    /// Verify this DSSE envelope file instead of reading the registry (needs --subject).
    #[arg(
        long,
        value_name = "FILE",
        requires = "subject",
        conflicts_with = "image"
    )]
    pub envelope: Option<PathBuf>,
    /// The digest the envelope must be about: `sha256:<hex>` or `REF@sha256:<hex>`.
    #[arg(long, value_name = "DIGEST")]
    pub subject: Option<String>,
    /// Reject a scan that finished longer ago than this (`90m`, `24h`, `7d`).
    #[arg(long, value_name = "DURATION", value_parser = verify::parse_duration)]
    pub max_age: Option<jiff::SignedDuration>,
    /// Reject when the scan result has a vulnerability of one of these severities.
    #[arg(long, value_name = "SEVERITIES", value_delimiter = ',')]
    pub deny_severity: Vec<String>,
    /// The predicate type required: `vuln` (cosign's vulnerability predicate) or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "vuln")]
    pub predicate_type: String,
    /// Print the verified statement as JSON on standard output.
    #[arg(long)]
    pub print_statement: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

const SEVERITIES: [&str; 5] = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// The exit code of a rejection (see the help text).
pub fn exit_code(r: &Rejection) -> u8 {
    match r {
        Rejection::Stale { .. } | Rejection::Future { .. } => 4,
        Rejection::Denied { .. } => 5,
        _ => 3,
    }
}

pub fn run(args: VerifyAttestationArgs) -> anyhow::Result<ExitCode> {
    let keys = args
        .key
        .iter()
        .map(|k| drydock_attest::key::VerifyingKey::from_pem_file(k))
        .collect::<Result<Vec<_>, _>>()?;
    let mut deny = std::collections::BTreeSet::new();
    for s in &args.deny_severity {
        let up = s.trim().to_ascii_uppercase();
        if !SEVERITIES.contains(&up.as_str()) {
            anyhow::bail!(
                "unknown severity `{s}` in --deny-severity (use {})",
                SEVERITIES.join(", ")
            );
        }
        deny.insert(up);
    }
    let predicate_type = match args.predicate_type.as_str() {
        "vuln" => VULN_PREDICATE.to_string(),
        t if t.contains("://") => t.to_string(),
        t => anyhow::bail!("--type `{t}`: use `vuln` or a predicate type URI"),
    };
    let make_policy = |digest: drydock_image::Digest| {
        let mut p = Policy::new(digest);
        p.predicate_type = predicate_type.clone();
        p.max_age = args.max_age;
        p.deny = deny.clone();
        p
    };
    let (what, outcome) = match (&args.envelope, &args.image) {
        (Some(path), _) => {
            let subject: SubjectRef = args
                .subject
                .as_deref()
                .expect("clap: --envelope requires --subject")
                .parse()?;
            let bytes = std::fs::read(path)
                .with_context(|| format!("reading the envelope `{}`", path.display()))?;
            let envelope = drydock_attest::dsse::Envelope::from_json(&bytes)
                .with_context(|| format!("`{}`", path.display()))?;
            let policy = make_policy(subject.digest.clone());
            (
                format!("`{}` for `{}`", path.display(), subject.digest),
                verify::verify(&envelope, &keys, &policy),
            )
        }
        (None, Some(image)) => {
            let reference: drydock_registry::Reference = image.parse()?;
            let opts = args.registry.client_options()?;
            match drydock_attest::oci::fetch(&reference, &opts) {
                Ok((digest, envelopes)) => {
                    if let Some(s) = &args.subject {
                        let want: SubjectRef = s.parse()?;
                        if want.digest != digest {
                            anyhow::bail!(
                                "`{image}` names `{digest}` now, not the --subject `{}`",
                                want.digest
                            );
                        }
                    }
                    let policy = make_policy(digest.clone());
                    (
                        format!("`{reference}` ({digest}, {} attestations)", envelopes.len()),
                        verify::verify_newest(&envelopes, &keys, &policy),
                    )
                }
                Err(e) => (format!("`{reference}`"), Err(e)),
            }
        }
        (None, None) => unreachable!("clap: IMAGE or --envelope is required"),
    };
    match outcome {
        Ok(accepted) => {
            let counts: Vec<String> = accepted
                .severities
                .iter()
                .rev()
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            eprintln!(
                "verified {what}: scan finished {} ({} ago){}",
                accepted.trusted.finished,
                verify::human(jiff::Timestamp::now().duration_since(accepted.trusted.finished)),
                if counts.is_empty() {
                    ", no vulnerabilities".to_string()
                } else {
                    format!(", {}", counts.join(", "))
                }
            );
            if args.print_statement {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&accepted.trusted.statement)?
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(AttestError::Rejected(r)) => {
            eprintln!("drydock: verification failed for {what}: {r}");
            Ok(ExitCode::from(exit_code(&r)))
        }
        Err(e) => Err(e.into()),
    }
}
