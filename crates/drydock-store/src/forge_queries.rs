//! Read-only queries the tracker sync and the alerts need: "what did this image have at its
//! previous successful scan?".

use crate::conn::Value;
use crate::{Store, StoreError};

/// The scan an image's findings are compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousScan {
    pub run_seq: i64,
    /// The reference scanned then: the same one, or (for a new tag) another reference of the
    /// same repository.
    pub reference: String,
}

impl Store {
    /// The newest successful scan before run `before_seq` of `reference`, else of any reference
    /// of `repository` (a new tag is compared with the repository's last scan: finding identity
    /// is per repository). `None`: the image was never scanned successfully before.
    pub fn previous_ok_scan(
        &mut self,
        reference: &str,
        repository: &str,
        before_seq: i64,
    ) -> Result<Option<PreviousScan>, StoreError> {
        let rows = self.conn.rows(
            "SELECT s.run_seq, r.reference FROM image_scans s JOIN image_refs r ON r.id = s.ref_id \
             WHERE r.reference = $1 AND s.status = 'ok' AND s.run_seq < $2 \
             ORDER BY s.run_seq DESC LIMIT 1",
            &[reference.into(), before_seq.into()],
        )?;
        let rows = if rows.is_empty() {
            self.conn.rows(
                "SELECT s.run_seq, r.reference FROM image_scans s \
                 JOIN image_refs r ON r.id = s.ref_id JOIN repositories p ON p.id = r.repository_id \
                 WHERE p.name = $1 AND s.status = 'ok' AND s.run_seq < $2 \
                 ORDER BY s.run_seq DESC, r.reference LIMIT 1",
                &[repository.into(), before_seq.into()],
            )?
        } else {
            rows
        };
        Ok(rows.first().and_then(|r| {
            Some(PreviousScan {
                run_seq: r.first().and_then(Value::int)?,
                reference: r.get(1).and_then(Value::text)?,
            })
        }))
    }
}
