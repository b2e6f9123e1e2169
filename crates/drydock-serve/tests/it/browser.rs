//! Headless Chromium (see below).
