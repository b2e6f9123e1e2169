//! drydock-forge integration tests: a stateful fake of GitHub, GitLab and Gitea on loopback,
//! a history store filled as `drydock fleet scan` fills it, a loopback webhook receiver.

mod alert;
mod failure;
mod fake;
mod history;
mod octokit;
mod rules;
mod scale;
mod sync;
mod triage;
