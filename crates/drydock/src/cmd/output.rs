//! `--format` / `--output`: which report formats go where.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use drydock_report::{Format, Report, WriteOptions};

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format: table, json, sarif, cyclonedx, spdx-json, csv, markdown, html, junit,
    /// trivy-json (Trivy's JSON shape). Repeat for several, each optionally to its own file:
    /// `--format json=out.json --format table`.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=FILE]")]
    pub formats: Vec<String>,
    /// With `--format template` (Trivy's): `@…/sarif.tpl` writes SARIF, `@…/html.tpl` HTML,
    /// `@…/junit.tpl` JUnit; drydock has no template engine, so other templates are an error.
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,
    /// Write the report to FILE instead of stdout (for a `--format` without its own `=FILE`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// One resolved output.
#[derive(Debug)]
pub struct Sink {
    pub format: Format,
    pub path: Option<PathBuf>,
}

impl OutputArgs {
    /// Resolves the flags; `allowed` limits the formats a command supports.
    pub fn sinks(&self, allowed: &[Format]) -> anyhow::Result<Vec<Sink>> {
        let mut sinks = Vec::new();
        for spec in &self.formats {
            let (name, path) = match spec.split_once('=') {
                Some((n, p)) if !p.is_empty() => (n, Some(PathBuf::from(p))),
                Some((n, _)) => anyhow::bail!("`--format {n}=` needs a file name after `=`"),
                None => (spec.as_str(), None),
            };
            let format: Format = if name.eq_ignore_ascii_case("template") {
                template_format(self.template.as_deref())?
            } else {
                name.parse().map_err(|e| anyhow::anyhow!("{e}"))?
            };
            if !allowed.contains(&format) {
                let names: Vec<String> = allowed.iter().map(|f| f.to_string()).collect();
                anyhow::bail!(
                    "format `{name}` is not available here (use one of: {})",
                    names.join(", ")
                );
            }
            sinks.push(Sink { format, path });
        }
        if self.template.is_some() && !self.formats.iter().any(|f| f.starts_with("template")) {
            anyhow::bail!("`--template` goes with `--format template`");
        }
        if sinks.is_empty() {
            sinks.push(Sink {
                format: Format::Table,
                path: None,
            });
        }
        let to_stdout = sinks.iter().filter(|s| s.path.is_none()).count();
        if let Some(out) = &self.output {
            if to_stdout > 1 {
                anyhow::bail!(
                    "`--output` names one file but {to_stdout} formats have no `=FILE` of their own"
                );
            }
            if let Some(s) = sinks.iter_mut().find(|s| s.path.is_none()) {
                s.path = Some(out.clone());
            }
        } else if to_stdout > 1 {
            anyhow::bail!(
                "{to_stdout} formats would all go to stdout: give each but one a file (`--format json=out.json`)"
            );
        }
        Ok(sinks)
    }
}

/// The format Trivy's `--format template --template @contrib/X.tpl` stands for: the templates
/// Trivy ships for SARIF, HTML and JUnit are formats drydock writes itself.
fn template_format(template: Option<&str>) -> anyhow::Result<Format> {
    let Some(t) = template else {
        anyhow::bail!(
            "`--format template` needs `--template @FILE` (drydock maps Trivy's sarif.tpl, html.tpl and junit.tpl to its own formats)"
        );
    };
    let file = t
        .trim_start_matches('@')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(t)
        .to_ascii_lowercase();
    match file.as_str() {
        "sarif.tpl" => Ok(Format::Sarif),
        "html.tpl" => Ok(Format::Html),
        "junit.tpl" => Ok(Format::Junit),
        _ => {
            let names: Vec<String> = Format::ALL.iter().map(|f| f.to_string()).collect();
            anyhow::bail!(
                "`--template {t}`: drydock has no template engine; it writes Trivy's sarif.tpl, html.tpl and junit.tpl as `--format sarif|html|junit`, and these formats: {}",
                names.join(", ")
            )
        }
    }
}

/// Colours on a terminal, off with `NO_COLOR` or when stdout is not a tty.
pub fn color_for(sink: &Sink) -> bool {
    sink.path.is_none()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// The terminal's width for a table written to it; `None` for a file or a pipe (titles whole).
/// `COLUMNS` overrides what the terminal says.
pub fn width_for(sink: &Sink) -> Option<usize> {
    if sink.path.is_some() || !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// Writes the report to every sink.
pub fn write_all(report: &Report, sinks: &[Sink], show_suppressed: bool) -> anyhow::Result<()> {
    for sink in sinks {
        let opts = WriteOptions {
            color: color_for(sink),
            show_suppressed,
            width: width_for(sink),
        };
        match &sink.path {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create `{}`", path.display()))?;
                let mut w = std::io::BufWriter::new(file);
                drydock_report::write(report, sink.format, &opts, &mut w)?;
                w.flush()
                    .with_context(|| format!("cannot write `{}`", path.display()))?;
            }
            None => {
                let stdout = std::io::stdout();
                let mut w = std::io::BufWriter::new(stdout.lock());
                if let Err(e) = drydock_report::write(report, sink.format, &opts, &mut w) {
                    if matches!(&e, drydock_report::ReportError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
                    {
                        return Ok(());
                    }
                    return Err(e.into());
                }
                if let Err(e) = w.flush() {
                    // A closed pipe (`| head`) is not an error worth a message.
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        return Err(e.into());
                    }
                }
            }
        }
    }
    Ok(())
}
