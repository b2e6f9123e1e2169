//! `drydock cvss VECTOR`: score a CVSS vector, optionally re-scored for an environment.
//! (Owned by the drydock-cvss work; issue 8.)

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use drydock_cvss::{EnvProfile, Scores, Severity, Vector, discover};
use serde::Serialize;

/// Score a CVSS vector (v2, v3.0, v3.1, v4.0): base, temporal (v2, v3) or threat (v4), and
/// environmental scores with their severities.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  drydock cvss 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'
  drydock cvss 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' --env 'MAV:A/CR:H/IR:M/AR:L'
  drydock cvss '(AV:N/AC:L/Au:N/C:P/I:P/A:P)' --env-profile internal --format json

Environment profiles are named in drydock.toml (./drydock.toml, then
$XDG_CONFIG_HOME/drydock/drydock.toml, or --config / $DRYDOCK_CONFIG):

  [env-profiles.internal]
  description = \"instances are not on the internet\"
  metrics = \"MAV:A/CR:H/IR:M/AR:L\"

A profile is written once in v3/v4 terms and mapped to each version (v2 keeps CR/IR/AR,
CDP and TD; v4 takes MC/MI/MA as MVC/MVI/MVA); see docs/cvss.md.")]
pub struct CvssArgs {
    /// The vector, e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`; v2 vectors with or
    /// without parentheses or a `CVSS:2.0/` prefix; any case.
    pub vector: String,
    /// Environmental metrics to apply, e.g. `MAV:A/CR:H/IR:M/AR:L` (over --env-profile's).
    #[arg(long, value_name = "METRICS")]
    pub env: Option<String>,
    /// A named environment profile from drydock.toml's `[env-profiles.NAME]`.
    #[arg(long, value_name = "NAME")]
    pub env_profile: Option<String>,
    /// The config file [default: ./drydock.toml, then $XDG_CONFIG_HOME/drydock/drydock.toml].
    #[arg(long, value_name = "PATH", env = "DRYDOCK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output formats of `drydock cvss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// One JSON object.
    Json,
}

/// What `--format json` prints.
#[derive(Debug, Serialize)]
struct Output<'a> {
    vector: &'a Vector,
    environmental_vector: &'a Vector,
    #[serde(skip_serializing_if = "Option::is_none")]
    env_profile: Option<&'a str>,
    #[serde(flatten)]
    scores: Scores,
}

pub fn run(a: CvssArgs) -> anyhow::Result<ExitCode> {
    let vector: Vector = a
        .vector
        .parse()
        .with_context(|| format!("invalid CVSS vector `{}`", a.vector.trim()))?;
    let profile = resolve_profile(&a)?;
    let rescored = match &profile {
        Some(p) => {
            let skipped = p.not_applicable(vector.version());
            if !skipped.is_empty() {
                tracing::warn!(
                    "CVSS {} has no {}; left out of the environment",
                    vector.version(),
                    skipped.join(", ")
                );
            }
            vector
                .with_env(p)
                .context("cannot apply the environment to the vector")?
        }
        None => vector.clone(),
    };
    let out = Output {
        vector: &vector,
        environmental_vector: &rescored,
        env_profile: a.env_profile.as_deref(),
        scores: rescored.scores(),
    };
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        Format::Table => print!("{}", table(&out)),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--env-profile` from the config file, with `--env` layered over it.
fn resolve_profile(a: &CvssArgs) -> anyhow::Result<Option<EnvProfile>> {
    let named = match &a.env_profile {
        None => None,
        Some(name) => {
            let Some((path, profiles)) = discover(a.config.as_deref())? else {
                let looked: Vec<String> = drydock_cvss::config_path_candidates(None)
                    .iter()
                    .map(|p| format!("`{}`", p.display()))
                    .collect();
                bail!(
                    "--env-profile `{name}`: no config file (looked for {}; use --config)",
                    looked.join(", ")
                );
            };
            let Some(profile) = profiles.get(name) else {
                let known: Vec<&str> = profiles.names().collect();
                bail!(
                    "no env profile `{name}` in `{}` (defined: {})",
                    path.display(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            };
            Some(profile.clone())
        }
    };
    let inline = a
        .env
        .as_deref()
        .map(EnvProfile::parse)
        .transpose()
        .context("invalid --env")?;
    Ok(match (named, inline) {
        (Some(n), Some(i)) => Some(n.merged_with(&i)),
        (n, i) => n.or(i),
    })
}

fn table(out: &Output<'_>) -> String {
    let s = &out.scores;
    let cell = |score: Option<f64>, sev: Option<Severity>| match (score, sev) {
        (Some(score), Some(sev)) => format!("{score:>5.1}  {sev}"),
        _ => format!("{:>5}  -", "-"),
    };
    let mut rows = vec![
        ("version".to_owned(), format!("CVSS {}", s.version)),
        ("vector".to_owned(), out.vector.to_string()),
    ];
    if out.environmental_vector != out.vector {
        rows.push((
            "environmental vector".to_owned(),
            out.environmental_vector.to_string(),
        ));
    }
    if let Some(name) = out.env_profile {
        rows.push(("env profile".to_owned(), name.to_owned()));
    }
    rows.push((
        "base".to_owned(),
        cell(Some(s.base_score), Some(s.base_severity)),
    ));
    if s.version.major() == 4 {
        rows.push(("threat".to_owned(), cell(s.threat_score, s.threat_severity)));
    } else {
        rows.push((
            "temporal".to_owned(),
            cell(s.temporal_score, s.temporal_severity),
        ));
    }
    rows.push((
        "environmental".to_owned(),
        cell(s.environmental_score, s.environmental_severity),
    ));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (k, v) in rows {
        text.push_str(&format!("{k:<width$}  {v}\n"));
    }
    if let Some(env) = s.environmental_severity
        && env != s.base_severity
    {
        text.push_str(&format!(
            "severity {} -> {} in this environment\n",
            s.base_severity, env
        ));
    }
    text
}
