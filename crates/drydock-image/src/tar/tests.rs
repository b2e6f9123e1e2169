//! Archives built byte by byte, for the forms real writers produce and the ones attackers do.

use super::*;

fn octal(b: &mut [u8], n: u64) {
    let s = format!("{:0width$o}", n, width = b.len() - 1);
    b[..s.len()].copy_from_slice(s.as_bytes());
}

fn checksum(b: &mut [u8; 512]) {
    b[148..156].fill(b' ');
    let sum: u64 = b.iter().map(|&c| u64::from(c)).sum();
    let s = format!("{sum:06o}\0 ");
    b[148..156].copy_from_slice(s.as_bytes());
}

fn header(name: &[u8], flag: u8, size: u64, gnu: bool) -> [u8; 512] {
    let mut b = [0u8; 512];
    b[..name.len()].copy_from_slice(name);
    octal(&mut b[100..108], 0o644);
    octal(&mut b[124..136], size);
    b[156] = flag;
    if gnu {
        b[257..265].copy_from_slice(b"ustar  \0");
    } else {
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
    }
    checksum(&mut b);
    b
}

/// Appends a header and its data, padded to a block.
fn entry(out: &mut Vec<u8>, h: [u8; 512], data: &[u8]) {
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = [key.as_bytes(), b"=", value, b"\n"].concat();
    let mut len = body.len() + 2;
    while format!("{len} ").len() + body.len() != len {
        len += 1;
    }
    [format!("{len} ").into_bytes(), body].concat()
}

fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0u8; 1024]);
}

/// Every entry's path and content as extracted.
fn read_all(data: &[u8]) -> io::Result<Vec<(String, Kind, Vec<u8>)>> {
    let mut r = Reader::new(Stream(data));
    let mut out = Vec::new();
    while let Some(e) = r.next()? {
        let mut content = Vec::new();
        if e.kind == Kind::File {
            r.data(&e).read_to_end(&mut content)?;
            assert_eq!(content.len() as u64, e.size, "size of {:?}", e.path);
        }
        out.push((
            String::from_utf8_lossy(&e.path).into_owned(),
            e.kind,
            content,
        ));
    }
    Ok(out)
}

#[test]
fn plain_entries_and_ustar_prefix() {
    let mut t = Vec::new();
    entry(&mut t, header(b"etc/", b'5', 0, false), b"");
    entry(&mut t, header(b"etc/os-release", b'0', 5, false), b"hello");
    let mut h = header(b"installed", b'0', 2, false);
    h[345..356].copy_from_slice(b"lib/apk/db\0");
    checksum(&mut h);
    entry(&mut t, h, b"ok");
    entry(&mut t, header(b"bin/sh", b'2', 0, false), b"");
    end(&mut t);
    let got = read_all(&t).expect("valid");
    assert_eq!(got[0].1, Kind::Dir);
    assert_eq!(
        got[1],
        ("etc/os-release".into(), Kind::File, b"hello".to_vec())
    );
    assert_eq!(
        got[2],
        ("lib/apk/db/installed".into(), Kind::File, b"ok".to_vec())
    );
    assert_eq!(got[3].1, Kind::Symlink);
}

#[test]
fn gnu_long_names_and_pax_overrides() {
    let long = "d/".repeat(200) + "file";
    let mut t = Vec::new();
    let mut name = long.clone().into_bytes();
    name.push(0);
    entry(
        &mut t,
        header(b"././@LongLink", b'L', name.len() as u64, true),
        &name,
    );
    entry(&mut t, header(b"short", b'0', 3, true), b"abc");
    let pax = [pax_record("path", b"pax/named"), pax_record("size", b"4")].concat();
    entry(
        &mut t,
        header(b"PaxHeaders/x", b'x', pax.len() as u64, false),
        &pax,
    );
    entry(&mut t, header(b"ignored", b'0', 0, false), b"wxyz");
    end(&mut t);
    let got = read_all(&t).expect("valid");
    assert_eq!(got[0].0, long);
    assert_eq!(got[0].2, b"abc");
    assert_eq!(got[1], ("pax/named".into(), Kind::File, b"wxyz".to_vec()));
}

/// Issue 14 case 9: a long-name or PAX header was read whole into memory, whatever its size.
#[test]
fn issue14_extension_headers_are_bounded() {
    for flag in [b'L', b'K', b'x'] {
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"././@LongLink", flag, 3 << 30, true));
        t.extend_from_slice(&[b'a'; 4096]);
        let err = read_all(&t).expect_err("over the bound");
        assert!(
            err.to_string().contains("is over the 1048576-byte bound"),
            "{err}"
        );
    }
    // Global headers are skipped, never held.
    let mut t = Vec::new();
    entry(&mut t, header(b"g", b'g', 4000, false), &[b'a'; 4000]);
    entry(&mut t, header(b"f", b'0', 1, false), b"z");
    end(&mut t);
    assert_eq!(read_all(&t).expect("valid")[0].0, "f");
}

fn gnu_sparse_header(name: &[u8], chunks: &[(u64, u64)], real: u64, extended: bool) -> [u8; 512] {
    let stored: u64 = chunks.iter().map(|c| c.1).sum();
    let mut h = header(name, b'S', stored, true);
    for (i, &(off, len)) in chunks.iter().take(4).enumerate() {
        octal(&mut h[386 + 24 * i..398 + 24 * i], off);
        octal(&mut h[398 + 24 * i..410 + 24 * i], len);
    }
    h[482] = u8::from(extended);
    octal(&mut h[483..495], real);
    checksum(&mut h);
    h
}

/// Issue 14 case 1: sparse entries were skipped, hiding the files they hold.
#[test]
fn issue14_gnu_sparse_entries_read_with_holes() {
    let mut t = Vec::new();
    let h = gnu_sparse_header(b"lib/apk/db/installed", &[(0, 3), (8000, 2)], 10_000, false);
    entry(&mut t, h, b"abcde");
    end(&mut t);
    let got = read_all(&t).expect("valid");
    let mut want = vec![0u8; 10_000];
    want[..3].copy_from_slice(b"abc");
    want[8000..8002].copy_from_slice(b"de");
    assert_eq!(got[0], ("lib/apk/db/installed".into(), Kind::File, want));

    // Six chunks: four in the header, two in an extension block.
    let chunks: Vec<(u64, u64)> = (0..6).map(|i| (i * 100, 10)).collect();
    let mut t = Vec::new();
    t.extend_from_slice(&gnu_sparse_header(b"f", &chunks, 600, true));
    let mut ext = [0u8; 512];
    for (i, &(off, len)) in chunks[4..].iter().enumerate() {
        octal(&mut ext[24 * i..24 * i + 12], off);
        octal(&mut ext[24 * i + 12..24 * i + 24], len);
    }
    entry(&mut t, ext, &[b'x'; 60]);
    end(&mut t);
    let got = read_all(&t).expect("valid");
    assert_eq!(got[0].2.len(), 600);
    assert_eq!(got[0].2.iter().filter(|&&b| b == b'x').count(), 60);
    assert_eq!(&got[0].2[500..510], b"xxxxxxxxxx");
}

#[test]
fn issue14_pax_sparse_versions() {
    // 0.0: repeated offset/numbytes records.
    let pax = [
        pax_record("GNU.sparse.size", b"20"),
        pax_record("GNU.sparse.numblocks", b"1"),
        pax_record("GNU.sparse.offset", b"10"),
        pax_record("GNU.sparse.numbytes", b"3"),
        pax_record("GNU.sparse.name", b"etc/real-name"),
    ]
    .concat();
    let mut t = Vec::new();
    entry(&mut t, header(b"x", b'x', pax.len() as u64, false), &pax);
    entry(
        &mut t,
        header(b"GNUSparseFile.1/real-name", b'0', 3, false),
        b"abc",
    );
    // 0.1: one map record.
    let pax = [
        pax_record("GNU.sparse.size", b"6"),
        pax_record("GNU.sparse.map", b"0,1,5,1"),
    ]
    .concat();
    entry(&mut t, header(b"x", b'x', pax.len() as u64, false), &pax);
    entry(&mut t, header(b"zero-one", b'0', 2, false), b"AB");
    // 1.0: the map is text at the start of the data.
    let pax = [
        pax_record("GNU.sparse.major", b"1"),
        pax_record("GNU.sparse.minor", b"0"),
        pax_record("GNU.sparse.name", b"one-zero"),
        pax_record("GNU.sparse.realsize", b"1000"),
    ]
    .concat();
    entry(&mut t, header(b"x", b'x', pax.len() as u64, false), &pax);
    let mut data = b"2\n0\n2\n998\n2\n".to_vec();
    data.resize(512, 0);
    data.extend_from_slice(b"hiyo");
    entry(
        &mut t,
        header(b"GNUSparseFile.1/one-zero", b'0', data.len() as u64, false),
        &data,
    );
    end(&mut t);
    let got = read_all(&t).expect("valid");
    assert_eq!(got[0].0, "etc/real-name");
    assert_eq!(got[0].2, [&[0u8; 10][..], b"abc", &[0u8; 7]].concat());
    assert_eq!(got[1].2, b"A\0\0\0\0B");
    assert_eq!(got[2].0, "one-zero");
    let mut want = vec![0u8; 1000];
    want[..2].copy_from_slice(b"hi");
    want[998..].copy_from_slice(b"yo");
    assert_eq!(got[2].2, want);
}

#[test]
fn corrupt_archives_are_errors() {
    // A sparse map that does not add up to the stored bytes.
    let mut t = Vec::new();
    let mut h = gnu_sparse_header(b"f", &[(0, 3)], 10, false);
    octal(&mut h[124..136], 700);
    checksum(&mut h);
    entry(&mut t, h, &[0u8; 700]);
    end(&mut t);
    assert!(read_all(&t).is_err());
    // Overlapping chunks.
    let mut t = Vec::new();
    entry(
        &mut t,
        gnu_sparse_header(b"f", &[(0, 3), (1, 3)], 10, false),
        b"abcdef",
    );
    end(&mut t);
    assert!(read_all(&t).is_err());
    // Truncated data.
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"f", b'0', 5000, false));
    t.extend_from_slice(&[1u8; 100]);
    assert!(read_all(&t).is_err());
    // A bad checksum: not a tar.
    let mut h = header(b"f", b'0', 0, false);
    h[0] = b'g';
    assert!(read_all(&h).is_err());
    // Nothing at all is an empty archive.
    assert!(read_all(b"").expect("empty").is_empty());
}
