# deploy/kubernetes/ manifests are validated offline against the Kubernetes schemas by
# `kubernetes-validate` (PyPI) in crates/drydock/tests/it/fleet.rs.
command -v kubernetes-validate >/dev/null 2>&1 || python3 -m pip install -q kubernetes-validate >/dev/null 2>&1
