//! drydock-image integration tests.

mod hostile;
