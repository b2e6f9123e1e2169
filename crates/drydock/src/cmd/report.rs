//! Building the report model from a scanned target.

use drydock_image::Target;
use drydock_inventory::InventoryResult;
use drydock_report::{LayerSummary, TargetReport};

use super::target::target_kind;

pub fn target_report(target: &Target, result: InventoryResult) -> TargetReport {
    let mut t = TargetReport::new(target.name(), target_kind(target));
    if let Target::Image(img) = target {
        t.digest = img
            .manifest_digest
            .as_ref()
            .or(img.config_digest.as_ref())
            .map(|d| d.to_string());
        t.platform = img.platform.clone();
    }
    t.layers = result
        .layers
        .iter()
        .filter(|l| l.diff_id.is_some())
        .map(|l| LayerSummary {
            index: l.index,
            digest: l.digest.as_ref().map(|d| d.to_string()),
            diff_id: l.diff_id.as_ref().map(|d| d.to_string()),
            size: l.size,
            created_by: l.created_by.clone(),
        })
        .collect();
    t.set_inventory(result.inventory.os, result.inventory.packages);
    t
}

/// Now, RFC 3339 UTC, to the second. `SOURCE_DATE_EPOCH` pins it (reproducible reports, tests).
pub fn now_rfc3339() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    rfc3339(secs)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`; beyond jiff's range (the years -9999 to 9999)
/// it stops at that range's first or last second.
pub fn rfc3339(secs: i64) -> String {
    use jiff::Timestamp;
    let secs = secs.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(secs)
        .expect("clamped into jiff's range")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
