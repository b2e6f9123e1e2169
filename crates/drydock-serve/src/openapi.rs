//! The OpenAPI 3.1 document of the API, served at `/api/openapi.json`. The tests call every
//! operation it lists and check the answers against the schemas named here.

use serde_json::{Value, json};

fn list_params() -> Value {
    json!([
        { "$ref": "#/components/parameters/severity" },
        { "$ref": "#/components/parameters/state" },
        { "$ref": "#/components/parameters/package" },
        { "$ref": "#/components/parameters/ecosystem" },
        { "$ref": "#/components/parameters/q" },
        { "$ref": "#/components/parameters/sort" },
        { "$ref": "#/components/parameters/order" },
        { "$ref": "#/components/parameters/page" },
        { "$ref": "#/components/parameters/per_page" }
    ])
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(a), Some(b)) = (base.as_array_mut(), extra.as_array()) {
        a.extend(b.iter().cloned());
    }
    base
}

fn ok(schema: &str) -> Value {
    json!({
        "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } },
        "400": { "$ref": "#/components/responses/Error" },
        "401": { "$ref": "#/components/responses/Error" },
        "404": { "$ref": "#/components/responses/Error" }
    })
}

fn get(summary: &str, params: Value, schema: &str) -> Value {
    json!({ "get": { "summary": summary, "parameters": params, "responses": ok(schema) } })
}

fn page_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "total", "page", "per_page", "pages"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "total": { "type": "integer" },
            "page": { "type": "integer", "minimum": 1 },
            "per_page": { "type": "integer", "minimum": 1, "maximum": crate::view::MAX_PER_PAGE },
            "pages": { "type": "integer", "minimum": 1 }
        }
    })
}

fn string_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

pub fn document() -> Value {
    let release = json!({ "name": "release", "in": "path", "required": true, "schema": { "type": "string" } });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "drydock serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read the history store (runs, releases, images, findings, triage) and write triage. Reads are open on loopback; otherwise, and for every write, send `Authorization: Bearer TOKEN`."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "parameters": {
                "severity": string_param("severity", "Comma-separated: CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN"),
                "state": string_param("state", "Comma-separated: untriaged, in_triage, affected, waiting, not_affected, false_positive, accepted, expired"),
                "package": string_param("package", "Substring of the package name"),
                "ecosystem": string_param("ecosystem", "deb, apk, rpm, npm, pypi, golang, cargo, …"),
                "q": string_param("q", "Text in the vulnerability id, package, image or advisory title"),
                "sort": { "name": "sort", "in": "query", "required": false, "schema": { "type": "string", "enum": crate::view::SORTS } },
                "order": { "name": "order", "in": "query", "required": false, "schema": { "type": "string", "enum": ["asc", "desc"] } },
                "page": { "name": "page", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "default": 1 } },
                "per_page": { "name": "per_page", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": crate::view::MAX_PER_PAGE, "default": crate::view::DEFAULT_PER_PAGE } },
                "release_q": string_param("release", "Only the images of this release (its newest complete run)")
            },
            "responses": {
                "Error": { "description": "An error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } },
                "Run": { "type": "object", "required": ["seq", "run_id", "started_at", "status", "images_ok", "images_failed", "findings"],
                    "properties": { "seq": { "type": "integer" }, "run_id": { "type": "string" }, "started_at": { "type": "integer" }, "started": { "type": "string" }, "status": { "type": "string", "enum": ["running", "complete"] }, "images_ok": { "type": "integer" }, "images_failed": { "type": "integer" }, "findings": { "type": "integer" }, "drydock_version": { "type": "string" }, "db_built_at": { "type": ["string", "null"] } } },
                "Counts": { "type": "object", "required": ["total", "by_severity", "by_state"],
                    "properties": { "total": { "type": "integer" }, "by_severity": { "type": "object", "additionalProperties": { "type": "integer" } }, "by_state": { "type": "object", "additionalProperties": { "type": "integer" } } } },
                "Finding": { "type": "object", "required": ["reference", "repository", "vuln_id", "package", "ecosystem", "installed", "severity", "state", "first_seen_run", "new"],
                    "properties": { "reference": { "type": "string" }, "repository": { "type": "string" }, "releases": { "type": "array", "items": { "type": "string" } }, "vuln_id": { "type": "string" }, "advisory_id": { "type": "string" }, "package": { "type": "string" }, "ecosystem": { "type": "string" }, "installed": { "type": "string" }, "fixed": { "type": ["string", "null"] }, "severity": { "type": "string" }, "status": { "type": "string" }, "layer": { "type": ["string", "null"] }, "path": { "type": ["string", "null"] }, "first_seen_run": { "type": "integer" }, "first_seen_at": { "type": "integer" }, "new": { "type": "boolean" }, "state": { "type": "string" }, "triage_id": { "type": ["integer", "null"] }, "expires": { "type": ["string", "null"] }, "title": { "type": ["string", "null"] }, "url": { "type": ["string", "null"] } } },
                "FindingPage": page_of("Finding"),
                "RunPage": page_of("Run"),
                "Overview": { "type": "object", "required": ["run", "releases", "needs_triage", "new_since_last_run", "expiring_soon"],
                    "properties": { "run": { "oneOf": [{ "$ref": "#/components/schemas/Run" }, { "type": "null" }] }, "releases": { "type": "array", "items": { "type": "object", "required": ["name", "images", "images_failed", "counts", "blocking", "trend"] } }, "needs_triage": { "type": "integer" }, "new_since_last_run": { "type": "integer" }, "expiring_soon": { "type": "integer" } } },
                "FindingList": { "type": "object", "required": ["run", "counts", "findings"],
                    "properties": { "run": { "oneOf": [{ "$ref": "#/components/schemas/Run" }, { "type": "null" }] }, "counts": { "$ref": "#/components/schemas/Counts" }, "findings": { "$ref": "#/components/schemas/FindingPage" } } },
                "Release": { "type": "object", "required": ["release", "run", "counts", "images_failed", "images"],
                    "properties": { "release": { "type": "string" }, "run": { "$ref": "#/components/schemas/Run" }, "counts": { "$ref": "#/components/schemas/Counts" }, "images_failed": { "type": "integer" }, "images": { "type": "object", "required": ["items", "total", "page", "per_page", "pages"] } } },
                "Readiness": { "type": "object", "required": ["release", "run", "ready", "failed_images", "blocking"],
                    "properties": { "release": { "type": "string" }, "run": { "$ref": "#/components/schemas/Run" }, "ready": { "type": "boolean" }, "failed_images": { "type": "array", "items": { "type": "string" } }, "blocking": { "$ref": "#/components/schemas/FindingPage" } } },
                "Image": { "type": "object", "required": ["reference", "repository", "latest", "findings_run", "counts", "findings", "history"],
                    "properties": { "reference": { "type": "string" }, "repository": { "type": "string" }, "latest": { "type": "object" }, "findings_run": { "type": ["integer", "null"] }, "counts": { "$ref": "#/components/schemas/Counts" }, "findings": { "$ref": "#/components/schemas/FindingPage" }, "history": { "type": "array" } } },
                "Vulnerability": { "type": "object", "required": ["vuln_id", "advisory", "run", "images", "packages", "repositories", "releases", "triage"],
                    "properties": { "vuln_id": { "type": "string" }, "advisory": { "type": ["object", "null"] }, "run": { "oneOf": [{ "$ref": "#/components/schemas/Run" }, { "type": "null" }] }, "images": { "$ref": "#/components/schemas/FindingPage" }, "packages": { "type": "array" }, "repositories": { "type": "array" }, "releases": { "type": "array" }, "triage": { "type": "array", "items": { "$ref": "#/components/schemas/TriageRecord" } } } },
                "TriageRecord": { "type": "object", "required": ["id", "scope", "package", "vuln_id", "state", "created_by", "created_at", "updated_by", "updated_at"],
                    "properties": { "id": { "type": "integer" }, "scope": { "type": "string", "enum": ["image", "release", "all"] }, "repository": { "type": "string" }, "release": { "type": "string" }, "ecosystem": { "type": "string" }, "package": { "type": "string" }, "vuln_id": { "type": "string" }, "state": { "type": "string" }, "justification": { "type": "string" }, "reason": { "type": "string" }, "notes": { "type": "string" }, "owner": { "type": "string" }, "approver": { "type": "string" }, "expires": { "type": "string", "format": "date" }, "created_by": { "type": "string" }, "created_at": { "type": "integer" }, "updated_by": { "type": "string" }, "updated_at": { "type": "integer" } } },
                "TriageEvent": { "type": "object", "required": ["id", "triage_id", "at", "actor", "field"],
                    "properties": { "id": { "type": "integer" }, "triage_id": { "type": "integer" }, "at": { "type": "integer" }, "actor": { "type": "string" }, "field": { "type": "string" }, "old_value": { "type": ["string", "null"] }, "new_value": { "type": ["string", "null"] } } },
                "TriageWithTrail": { "type": "object", "required": ["record", "events"],
                    "properties": { "record": { "$ref": "#/components/schemas/TriageRecord" }, "events": { "type": "array", "items": { "$ref": "#/components/schemas/TriageEvent" } } } },
                "ExpiringPage": page_of("TriageRecord"),
                "TriageWrite": { "type": "object", "additionalProperties": false, "required": ["scope", "package", "vuln_id", "state"],
                    "properties": { "scope": { "type": "string", "enum": ["image", "release", "all"] }, "repository": { "type": "string" }, "release": { "type": "string" }, "ecosystem": { "type": "string" }, "package": { "type": "string" }, "vuln_id": { "type": "string" }, "state": { "type": "string", "enum": ["in_triage", "affected", "not_affected", "false_positive", "accepted", "waiting"] }, "justification": { "type": "string" }, "reason": { "type": "string" }, "notes": { "type": "string" }, "owner": { "type": "string" }, "approver": { "type": "string" }, "expires": { "type": "string", "format": "date" } } },
                "TriageWritten": { "type": "object", "required": ["created", "changed", "record", "events"],
                    "properties": { "created": { "type": "boolean" }, "changed": { "type": "boolean" }, "record": { "$ref": "#/components/schemas/TriageRecord" }, "events": { "type": "array", "items": { "$ref": "#/components/schemas/TriageEvent" } } } }
            }
        },
        "security": [ {}, { "bearer": [] } ],
        "paths": {
            "/api/overview": get("Per release of the newest complete run: counts by severity and state, readiness, trend", json!([]), "Overview"),
            "/api/runs": get("Runs, newest first", json!([{ "$ref": "#/components/parameters/page" }, { "$ref": "#/components/parameters/per_page" }]), "RunPage"),
            "/api/releases/{release}": get("A release's images with counts per severity; failed images first", with(json!([release.clone()]), list_params()), "Release"),
            "/api/readiness/{release}": get("Every finding of a release neither gone nor settled by triage, and its failed images", with(json!([release]), list_params()), "Readiness"),
            "/api/image": get("An image's findings (newest successful scan) and scan history", with(json!([{ "name": "ref", "in": "query", "required": true, "schema": { "type": "string" } }]), list_params()), "Image"),
            "/api/findings": get("Findings of the newest complete run", with(json!([{ "$ref": "#/components/parameters/release_q" }]), list_params()), "FindingList"),
            "/api/findings/{vuln}": get("One vulnerability: advisory, every affected image, triage records with audit trails", with(json!([{ "name": "vuln", "in": "path", "required": true, "schema": { "type": "string" } }]), list_params()), "Vulnerability"),
            "/api/needs-triage": get("Findings untriaged, in triage, or whose record expired", with(json!([{ "$ref": "#/components/parameters/release_q" }]), list_params()), "FindingList"),
            "/api/new": get("Findings first seen in the newest complete run", with(json!([{ "$ref": "#/components/parameters/release_q" }]), list_params()), "FindingList"),
            "/api/expiring": get("Triage records expiring within `days` (expired ones included)", json!([{ "name": "days", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "maximum": 3650, "default": 14 } }, { "$ref": "#/components/parameters/page" }, { "$ref": "#/components/parameters/per_page" }]), "ExpiringPage"),
            "/api/triage/{id}": get("One triage record and its audit trail", json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]), "TriageWithTrail"),
            "/api/triage": { "post": {
                "summary": "Create or replace a triage record (the rules of `drydock triage set`); every changed field is audited under the token's name",
                "security": [ { "bearer": [] } ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TriageWrite" } } } },
                "responses": {
                    "200": { "description": "Updated (or unchanged)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TriageWritten" } } } },
                    "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TriageWritten" } } } },
                    "400": { "$ref": "#/components/responses/Error" },
                    "401": { "$ref": "#/components/responses/Error" },
                    "403": { "$ref": "#/components/responses/Error" },
                    "415": { "$ref": "#/components/responses/Error" },
                    "422": { "$ref": "#/components/responses/Error" }
                }
            } },
            "/api/openapi.json": { "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1" } } } },
            "/healthz": { "get": { "summary": "The store answers", "responses": { "200": { "description": "ok" }, "503": { "description": "the store is unreachable" } } } }
        }
    })
}
