//! `drydock serve`: the dashboard and REST API over the history store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

const EXAMPLES: &str = "\
Examples:
  # browse the default store on http://127.0.0.1:8080/ (reads open on loopback, no writes)
  drydock serve

  # a team's PostgreSQL store, triage from the browser and the API with tokens
  printf %s \"$TOKEN\" | sha256sum     # put the hash, never the token, in tokens.yaml
  drydock serve --store postgres://drydock@db/drydock --listen 0.0.0.0:8080 --tokens tokens.yaml

  # a read-only dashboard
  drydock serve --store history.db --read-only

tokens.yaml:
  tokens:
    - name: alice
      sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      role: triager        # viewer, triager or admin
      expires: 2027-06-30  # optional: the last day the token works";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ServeArgs {
    /// The history store: a SQLite file or `postgres://…` (default:
    /// `~/.local/share/drydock/history.db`).
    #[arg(long, value_name = "PATH|URL", env = "DRYDOCK_STORE")]
    pub store: Option<String>,
    /// Address to listen on. A non-loopback address needs --tokens.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Tokens file (YAML: name, sha256 of the token, role viewer|triager|admin, optional
    /// expires). Without it, nobody can write and only loopback is served.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// Serve reads only: no triage forms, writes answer 403.
    #[arg(long)]
    pub read_only: bool,
}

pub fn run(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = match a.store {
        Some(s) => s,
        None => drydock_serve::default_store()?,
    };
    drydock_serve::run(drydock_serve::Config {
        store,
        listen: a.listen,
        tokens: a.tokens,
        read_only: a.read_only,
    })?;
    Ok(ExitCode::SUCCESS)
}
