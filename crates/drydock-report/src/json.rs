//! `json`: the [`Report`] as is, pretty-printed, with a trailing newline.

use crate::Report;

pub(crate) fn write(report: &Report, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.push(b'\n');
    Ok(())
}
