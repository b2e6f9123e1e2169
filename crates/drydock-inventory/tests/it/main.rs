//! drydock-inventory's integration tests: analyzers run through `inventory` on real inputs.

mod hostile;
mod lang;
mod rpm;
