//! drydock-inventory's integration tests: analyzers run through `inventory` on real inputs.

mod lang;
mod rpm;
