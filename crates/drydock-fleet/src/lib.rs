//! Fleets (in progress).
