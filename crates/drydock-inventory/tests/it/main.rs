//! drydock-inventory's integration tests: analyzers run through `inventory` on real inputs.

mod rpm;
mod lang;
