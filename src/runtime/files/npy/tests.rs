//! Tests of the `.npy` reader and writer: NumPy-written fixtures (`tests/data/gen_npy.py`),
//! hostile headers, every prefix, random byte flips, and round trips (through NumPy when
//! it is installed).

use super::*;
use crate::runtime::files::test_util::TempDir;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/npy")).join(name)
}

/// The fixtures gen_npy.py writes: name, element type, shape (all values from [`value`]).
const FIXTURES: &[(&str, Dtype, &[usize])] = &[
    ("bool_c_1d", Dtype::Bool, &[5]),
    ("bool_f_3d", Dtype::Bool, &[2, 3, 2]),
    ("u8_c_1d", Dtype::U8, &[40]),
    ("u8_f_2d", Dtype::U8, &[3, 5]),
    ("i32_le_c_1d", Dtype::I32, &[6]),
    ("i32_be_c_2d", Dtype::I32, &[2, 3]),
    ("i32_be_f_3d", Dtype::I32, &[2, 3, 4]),
    ("i64_le_f_2d", Dtype::I64, &[3, 4]),
    ("i64_be_c_3d", Dtype::I64, &[2, 3, 4]),
    ("f32_le_f_3d", Dtype::F32, &[2, 3, 4]),
    ("f32_be_c_1d", Dtype::F32, &[5]),
    ("f64_le_c_2d", Dtype::F64, &[3, 2]),
    ("f64_be_f_3d", Dtype::F64, &[2, 2, 3]),
    ("f64_le_c_empty", Dtype::F64, &[0]),
    ("i32_le_c_empty_2d", Dtype::I32, &[2, 0]),
    ("f64_le_c_2d_v2", Dtype::F64, &[2, 3]),
    ("i64_le_f_2d_v3", Dtype::I64, &[3, 2]),
];

/// The little-endian bytes of element `k` (flat C-order index) of a fixture of `dtype`,
/// as gen_npy.py's `value` computes it.
fn value(dtype: Dtype, k: usize) -> Vec<u8> {
    let (ki, kf) = (k as i64, k as f64);
    match dtype {
        Dtype::Bool => vec![k.is_multiple_of(3) as u8],
        Dtype::U8 => vec![((k * 7) % 256) as u8],
        Dtype::I32 => ((ki * 7 - 20) as i32).to_le_bytes().to_vec(),
        Dtype::I64 => (ki * 1_000_000_007 - 5).to_le_bytes().to_vec(),
        Dtype::F32 => ((kf * 0.5 - 3.25) as f32).to_le_bytes().to_vec(),
        Dtype::F64 => (kf * 0.25 - 2.0 + kf * 1e-9).to_le_bytes().to_vec(),
    }
}

fn expected(dtype: Dtype, shape: &[usize]) -> Vec<u8> {
    (0..shape.iter().product()).flat_map(|k| value(dtype, k)).collect()
}

fn all_fixture_bytes() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = FIXTURES.iter().map(|f| f.0.to_string()).collect();
    names.extend(
        ["c16", "i2", "u4", "unicode", "object", "structured", "rank0", "rank4"]
            .iter()
            .map(|b| format!("bad_{b}")),
    );
    names
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(fixture(&format!("{n}.npy"))).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn numpy_fixtures_read_as_generated() {
    for &(name, dtype, shape) in FIXTURES {
        let npy = read(&fixture(&format!("{name}.npy"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(npy.dtype, dtype, "{name}");
        assert_eq!(npy.shape, shape, "{name}");
        assert_eq!(npy.data, expected(dtype, shape), "{name}");
        // The in-memory entry point agrees with the file reader.
        let bytes = std::fs::read(fixture(&format!("{name}.npy"))).unwrap();
        assert_eq!(parse(&bytes, name).unwrap(), npy, "{name}");
    }
}

#[test]
fn unsupported_dtypes_and_ranks_are_named() {
    let cases = [
        ("bad_c16", "dtype <c16 (complex128) is not supported; nk reads bool, u8, i32, i64, f32, f64"),
        ("bad_i2", "dtype <i2 (int16) is not supported"),
        ("bad_u4", "dtype <u4 (uint32) is not supported"),
        ("bad_unicode", "dtype <U2 (unicode string) is not supported"),
        ("bad_object", "dtype |O (object) is not supported"),
        ("bad_structured", "dtype of fields (a structured array) is not supported"),
        ("bad_rank0", "a 0-d array (shape ()) of f64 cannot be read; nk arrays have 1 to 3 axes"),
        ("bad_rank4", "an array of 4 axes (shape (1, 2, 1, 2)) cannot be read; nk arrays have 1 to 3 axes"),
    ];
    for (name, want) in cases {
        let path = fixture(&format!("{name}.npy"));
        let e = read(&path).unwrap_err().to_string();
        let prefix = format!("{}: ", path.display());
        assert!(e.starts_with(&prefix), "{e}");
        assert!(e[prefix.len()..].starts_with(want), "{name}: {e}");
    }
}

/// A version 1.0 file with this header text (padded as NumPy pads) and data.
fn with_header(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut h = dict.as_bytes().to_vec();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out
}

fn parse_err(bytes: &[u8]) -> String {
    let e = parse(bytes, "x.npy").unwrap_err().to_string();
    assert!(e.starts_with("x.npy: "), "{e}");
    e["x.npy: ".len()..].to_string()
}

#[test]
fn hostile_headers_are_errors_naming_the_problem() {
    let ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    assert_eq!(parse(&with_header(ok, &[0; 16]), "x").unwrap().shape, [2]);
    let cases: &[(&str, &[u8], &str)] = &[
        // A shape of 10^15 elements in a small file: refused before any allocation.
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000,), }",
            &[0; 16],
            "truncated .npy file: shape (1000000000000000,) of f64 needs 8000000000000000 bytes of data, the file has 16",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
            &[],
            "shape (4294967296, 4294967296, 4294967296) has more elements than any file could hold",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
            &[0; 16],
            "truncated .npy file: shape (3,) of f64 needs 24 bytes of data, the file has 16",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
            &[0; 16],
            "bytes after the array: shape (1,) of f64 needs 8 bytes of data, the file has 16",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, }",
            &[],
            "bad header: no 'shape' key",
        ),
        (
            "{'descr': '<f8', 'shape': (2,), }",
            &[],
            "bad header: no 'fortran_order' key",
        ),
        (
            "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &[],
            "bad header: key 'descr' appears twice",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
            &[],
            "bad header: unexpected key 'extra'",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }",
            &[],
            "bad header: negative length -2 in 'shape'",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
            &[],
            "bad header: a length in 'shape' is too large",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999999999999999999999999,), }",
            &[],
            "bad header: integer too large",
        ),
        (
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }",
            &[],
            "bad header: 'fortran_order' is 0, not True or False",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': [2], }",
            &[],
            "bad header: 'shape' is a list, not a tuple",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,), }",
            &[],
            "bad header: expected an integer",
        ),
        (
            "{'descr': 8, 'fortran_order': False, 'shape': (2,), }",
            &[],
            "bad header: 'descr' is 8, not a string",
        ),
        ("('descr', '<f8')", &[], "bad header: expected a dict"),
        ("{'descr': '<f8'", &[], "bad header: expected ',' or '}', found the end"),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk",
            &[],
            "bad header: unexpected text after the dict",
        ),
        (
            "{'descr': '<f8', 'fortran_order': Falsey, 'shape': (2,), }",
            &[],
            "bad header: unexpected name",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': ((((((((((((((((((1,),),),),),),),),),),),),),),),),),), }",
            &[],
            "bad header: nesting too deep",
        ),
        (
            "{'descr': '<f8\\n', 'fortran_order': False, 'shape': (2,), }",
            &[],
            "bad header: unsupported character in a string",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (02,), }",
            &[],
            "bad header: integer with a leading zero",
        ),
    ];
    for (dict, data, want) in cases {
        let e = parse_err(&with_header(dict, data));
        assert!(e.starts_with(want), "{dict}\n got: {e}\nwant: {want}");
    }
    // Not ASCII.
    let e = parse_err(&with_header("{'descr': '<f8\u{e9}', }", &[]));
    assert!(e.starts_with("the header is not ASCII text (byte 0xc3 at offset 24)"), "{e}");
    // A header length past the end of the file.
    let mut b = with_header(ok, &[0; 16]);
    b[8..10].copy_from_slice(&60000u16.to_le_bytes());
    assert!(parse_err(&b).starts_with("header of 60000 bytes is longer than"), "{}", parse_err(&b));
    b[8..10].copy_from_slice(&9000u16.to_le_bytes());
    assert!(parse_err(&b).starts_with("truncated .npy file: the header is 9000 bytes"), "{}", parse_err(&b));
    // A version 2.0 header length of 4 GiB.
    let mut b2 = b"\x93NUMPY\x02\x00\xff\xff\xff\xff{}".to_vec();
    assert!(parse_err(&b2).starts_with("header of 4294967295 bytes"), "{}", parse_err(&b2));
    b2[6] = 4;
    assert_eq!(parse_err(&b2), "unsupported .npy format version 4.0 (nk reads 1.0, 2.0 and 3.0)");
    assert_eq!(
        parse_err(b"PK\x03\x04 a zip file"),
        "not a .npy file (no \\x93NUMPY magic at its start)"
    );
    assert_eq!(parse_err(b""), "not a .npy file (no \\x93NUMPY magic at its start)");
}

#[test]
fn byte_order_marks_and_bool_bytes() {
    let dict = |d: &str| format!("{{'descr': '{d}', 'fortran_order': False, 'shape': (2,), }}");
    // Big-endian is converted; one-byte types take any order mark.
    let n = parse(&with_header(&dict(">i4"), &[0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]), "x").unwrap();
    assert_eq!(n.data, [2, 1, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
    for d in ["|u1", "<u1", ">u1", "u1"] {
        assert_eq!(parse(&with_header(&dict(d), &[7, 9]), "x").unwrap().data, [7, 9], "{d}");
    }
    // NumPy reads any nonzero byte of a bool array as True: nk's bools are 0 or 1.
    let b = parse(&with_header(&dict("|b1"), &[0, 2]), "x").unwrap();
    assert_eq!((b.dtype, b.data), (Dtype::Bool, vec![0, 1]));
}

#[test]
fn fortran_order_is_transposed_to_c_order() {
    // A (2, 3) i64 array in Fortran order holds column after column.
    let data: Vec<u8> = [0i64, 3, 1, 4, 2, 5].iter().flat_map(|v| v.to_le_bytes()).collect();
    let f = "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3), }";
    let n = parse(&with_header(f, &data), "x").unwrap();
    let c: Vec<u8> = (0i64..6).flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!((n.shape, n.data), (vec![2, 3], c));
}

#[test]
fn every_prefix_of_every_fixture_is_refused() {
    for (name, bytes) in all_fixture_bytes() {
        for len in 0..bytes.len() {
            assert!(parse(&bytes[..len], &name).is_err(), "{name}[..{len}] was accepted");
        }
    }
}

#[test]
fn random_byte_flips_never_panic() {
    // xorshift64*, seeded: the same flips on every run.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut accepted = 0;
    for (name, bytes) in all_fixture_bytes() {
        for _ in 0..400 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % b.len() as u64) as usize;
                b[at] = next() as u8;
            }
            if let Ok(n) = parse(&b, &name) {
                accepted += 1;
                assert_eq!(n.data.len(), n.shape.iter().product::<usize>() * n.dtype.size());
            }
        }
    }
    // Flips in the data (and the padding) leave a valid file: some must be accepted.
    assert!(accepted > 0);
}

fn sample(dtype: Dtype, shape: &[usize]) -> Vec<u8> {
    expected(dtype, shape)
}

#[test]
fn what_we_write_we_read_back() {
    let d = TempDir::new("npy-roundtrip");
    for (i, dtype) in Dtype::ALL.into_iter().enumerate() {
        for shape in [&[4][..], &[2, 3], &[2, 1, 3], &[0], &[3, 0, 2]] {
            let path = d.join(&format!("a{i}.npy"));
            let data = sample(dtype, shape);
            write(&path, dtype, shape, &data).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            // Version 1.0, data aligned to 64 bytes, header ending in '\n'.
            assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
            let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + hlen) % 64, 0);
            assert_eq!(bytes[10 + hlen - 1], b'\n');
            let back = read(&path).unwrap();
            assert_eq!((back.dtype, &back.shape[..], &back.data[..]), (dtype, shape, &data[..]));
            assert_eq!(encode(dtype, shape, &data, "x").unwrap(), bytes);
        }
    }
    assert_eq!(d.names().len(), Dtype::ALL.len());
    let e = write(&d.join("r0.npy"), Dtype::F64, &[], &[0; 8]).unwrap_err();
    assert!(e.to_string().ends_with("cannot write an array of 0 axes; nk arrays have 1 to 3"));
    let e = write(&d.join("bad.npy"), Dtype::F64, &[2], &[0; 8]).unwrap_err();
    assert!(e.to_string().ends_with("8 bytes of data do not fit shape (2,) of f64"));
    assert_eq!(d.names().len(), Dtype::ALL.len());
}

#[test]
fn headers_too_long_for_version_1_are_written_as_version_2() {
    for (len, version) in [(10, 1u8), (65_461, 1), (65_462, 2), (70_000, 2)] {
        let dict = "x".repeat(len);
        let h = frame_header(&dict);
        assert_eq!(h[6], version, "{len}");
        let prefix = if version == 1 { 10 } else { 12 };
        let stated = if version == 1 {
            u16::from_le_bytes([h[8], h[9]]) as usize
        } else {
            u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize
        };
        assert_eq!(prefix + stated, h.len(), "{len}");
        assert!(h.len().is_multiple_of(64) && h.ends_with(b"\n"), "{len}");
        assert_eq!(&h[prefix..prefix + len], dict.as_bytes());
    }
}

#[test]
fn numpy_reads_what_we_write() {
    let have_numpy = std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_numpy {
        eprintln!("note: numpy_reads_what_we_write skipped: python3 with numpy not found");
        return;
    }
    let d = TempDir::new("npy-numpy");
    let mut checks = String::from("import numpy as np, sys\nok = True\n");
    for &(name, dtype, shape) in FIXTURES {
        let path = d.join(&format!("{name}.npy"));
        write(&path, dtype, shape, &expected(dtype, shape)).unwrap();
        // NumPy compares with the fixture it wrote itself (same values, any byte order).
        checks.push_str(&format!(
            "a = np.load(r'{}'); b = np.load(r'{}')\n\
             if a.dtype != b.dtype.newbyteorder('<') or a.shape != b.shape or not np.array_equal(a, b) or not a.flags.c_contiguous:\n    \
             print('mismatch', r'{name}', a.dtype, b.dtype, a.shape, b.shape); ok = False\n",
            path.display(),
            fixture(&format!("{name}.npy")).display(),
        ));
    }
    checks.push_str("sys.exit(0 if ok else 1)\n");
    let out = std::process::Command::new("python3")
        .args(["-c", &checks])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_file_names_the_path() {
    let e = read(Path::new("/no/such/file.npy")).unwrap_err().to_string();
    assert_eq!(e, "/no/such/file.npy: cannot open: No such file or directory");
}
