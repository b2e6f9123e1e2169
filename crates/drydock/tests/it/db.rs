//! Tests of `drydock db`.
