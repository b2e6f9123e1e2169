# Trivy-shaped JSON (`drydock image … --format trivy-json`) → GitLab's container-scanning report
# (gl-container-scanning-report.json), following GitLab's security-report schema 15.0.7
# (container-scanning-report-format.json). Usage:
#   jq -f to-gitlab.jq --arg version "$(drydock --version | cut -d' ' -f2)" report.json
def gl_time: sub("Z$"; "") | sub("\\.[0-9]+$"; "");
def gl_severity:
  {"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low"}[.] // "Unknown";
def analyzer: {id: "drydock", name: "drydock", vendor: {name: "drydock"}, version: $version};
. as $r
| ($r.Metadata.OS // {}) as $os
| {
    version: "15.0.7",
    scan: {
      analyzer: analyzer,
      scanner: analyzer,
      type: "container_scanning",
      start_time: ($r.CreatedAt | gl_time),
      end_time: ($r.CreatedAt | gl_time),
      status: "success"
    },
    vulnerabilities: [
      $r.Results[]? as $res
      | $res.Vulnerabilities[]?
      | {
          id: ([$r.ArtifactName, $res.Target, .VulnerabilityID, .PkgName, .InstalledVersion] | join("|") | @base64),
          name: (.Title // .VulnerabilityID),
          description: (.Description // .Title // .VulnerabilityID),
          severity: (.Severity | gl_severity),
          solution: (if .FixedVersion then "Upgrade \(.PkgName) to \(.FixedVersion)" else "No fixed version yet" end),
          identifiers: [
            {
              type: (if (.VulnerabilityID | startswith("CVE-")) then "cve" else "advisory" end),
              name: .VulnerabilityID,
              value: .VulnerabilityID
            } + (if .PrimaryURL then {url: .PrimaryURL} else {} end)
          ],
          links: [(.References // [])[] | {url: .}],
          location: {
            dependency: {package: {name: .PkgName}, version: .InstalledVersion},
            operating_system: (if $os.Family then "\($os.Family) \($os.Name // "")" else "unknown" end),
            image: $r.ArtifactName
          }
        }
    ],
    remediations: []
  }
