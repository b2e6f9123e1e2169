//! Tests of `drydock version`.
