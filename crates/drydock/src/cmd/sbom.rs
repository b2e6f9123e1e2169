//! `drydock sbom TARGET`: the inventory of a target, no vulnerability matching.

use std::process::ExitCode;

use clap::Args;
use drydock_report::{Format, Report, ReportKind};

use super::output::{self, OutputArgs};
use super::report::target_report;
use super::target::{self, TargetArgs};

/// Lists every package in an image or directory, with the layer and path it came from.
#[derive(Debug, Args)]
#[command(
    mut_arg("formats", |a| a.help(
        "Report format: table, json, cyclonedx (CycloneDX 1.6 JSON) or spdx-json (SPDX 2.3 JSON). \
         Repeat for several, each optionally to its own file: `--format cyclonedx=bom.json --format table`."
    )),
    mut_arg("template", |a| a.hide(true)),
    after_help = "Examples:
  drydock sbom alpine.tar
  drydock sbom ./oci-layout:1.0 --format cyclonedx --output sbom.cdx.json
  drydock sbom image.tar --platform linux/arm64 --format spdx-json=sbom.spdx.json --format table
  drydock sbom . --format cyclonedx --output bom.cdx.json      # a project checkout"
)]
pub struct SbomArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

const SBOM_FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::CycloneDx,
    Format::SpdxJson,
];

pub fn run(args: SbomArgs, platform_explicit: bool) -> anyhow::Result<ExitCode> {
    let sinks = args.output.sinks(SBOM_FORMATS)?;
    let (target, result) = target::inventory(&args.target, platform_explicit)?;
    let mut report = Report::new(ReportKind::Sbom, super::report::now_rfc3339());
    report.errors = target::warnings_of(&result);
    report.targets.push(target_report(&target, result));
    output::write_all(&report, &sinks, false)?;
    Ok(ExitCode::SUCCESS)
}
