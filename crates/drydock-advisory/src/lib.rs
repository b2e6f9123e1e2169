//! drydock-advisory (in progress).
