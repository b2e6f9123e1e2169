# Headless Chromium (Debian's `chromium`, no browser download) for drydock-report's HTML tests:
# a screenshot at 1280 px and at 600 px, the page's width at 600 px and its filter
# (crates/drydock-report/tests/it/screenshot.rs); the `drydock publish` site's pages, filter,
# links and screenshots (crates/drydock-triage/tests/site.rs).
apt_need chromium chromium
export DRYDOCK_CHROMIUM=/usr/bin/chromium
