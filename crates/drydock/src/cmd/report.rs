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

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, proleptic Gregorian).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
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
