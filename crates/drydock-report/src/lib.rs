//! drydock-report (in progress).
