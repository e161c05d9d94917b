//! nk's data files through the binary, in both tiers: `.npy` written by nk read back by nk and
//! by NumPy (every element type, transposed arrays), `.npy` written by NumPy read by nk,
//! CSV round trips and errors with line and column, and bad files as errors, never crashes.
//! Each test runs in its own temporary folder (paths in nk are relative to the working
//! folder, as in NumPy).

mod support;
use support::{nvm, TempDir};

const TIERS: [&str; 2] = ["--tier=interp", "--tier=jit"];

/// Runs `src` as `prog.nk` in `dir` under `tier`.
fn run(dir: &TempDir, tier: &str, src: &str) -> support::Output {
    let prog = dir.file("prog.nk", src);
    nvm()
        .args(["run", tier, &prog])
        .current_dir(dir.path())
        .run()
}

fn numpy() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .status()
        .is_ok_and(|s| s.success())
}

/// No temporary file (`.NAME.tmp-...`) is left behind in `dir`.
fn no_leftovers(dir: &TempDir) {
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "temporary file left: {name}");
    }
}

#[test]
fn npy_round_trips_every_element_type_in_both_tiers() {
    let src = r#"
let m = reshape(arange(6), (2, 3));
save_npy("i64.npy", m);
save_npy("f64.npy", m * 0.5);
save_npy("f32.npy", astype(m, f32) / 3);
save_npy("i32.npy", astype(m, i32).T);
save_npy("u8.npy", astype(m * 100, u8));
save_npy("b.npy", m > 2);
save_npy("one.npy", arange(4) - 2);
print(load_npy("i64.npy", i64, 2), load_npy("f64.npy", f64, 2));
print(load_npy("f32.npy", f32, 2), load_npy("i32.npy", i32, 2));
print(load_npy("u8.npy", u8, 2), load_npy("b.npy", bool, 2), load_npy("one.npy", i64, 1));
"#;
    let want = "[[0, 1, 2], [3, 4, 5]] [[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]]\n\
                [[0.0, 0.33333334, 0.6666667], [1.0, 1.3333334, 1.6666666]] [[0, 3], [1, 4], [2, 5]]\n\
                [[0, 100, 200], [44, 144, 244]] [[false, false, false], [true, true, true]] [-2, -1, 0, 1]\n";
    for tier in TIERS {
        let d = TempDir::new("npy-round");
        let r = run(&d, tier, src);
        assert_eq!(
            (r.status, r.stdout.as_str()),
            (0, want),
            "{tier}: {}",
            r.stderr
        );
        no_leftovers(&d);
        if numpy() {
            // NumPy reads what nk wrote: same values, same dtypes, C order.
            let check = r#"
import numpy as np
m = np.arange(6).reshape(2, 3)
assert np.load("i64.npy").dtype == np.int64 and (np.load("i64.npy") == m).all()
assert (np.load("f64.npy") == m * 0.5).all()
assert np.load("f32.npy").dtype == np.float32
assert (np.load("f32.npy") == m.astype(np.float32) / np.float32(3)).all()
assert np.load("i32.npy").dtype == np.int32 and (np.load("i32.npy") == m.T).all()
assert np.load("u8.npy").dtype == np.uint8 and (np.load("u8.npy") == (m * 100).astype(np.uint8)).all()
assert np.load("b.npy").dtype == np.bool_ and (np.load("b.npy") == (m > 2)).all()
print("ok")
"#;
            let out = std::process::Command::new("python3")
                .args(["-c", check])
                .current_dir(d.path())
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "ok\n",
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            eprintln!("numpy not available: skipping the NumPy side of the round trip");
        }
    }
}

#[test]
fn npy_files_numpy_wrote_are_read_in_c_and_fortran_order() {
    if !numpy() {
        eprintln!("numpy not available: skipping");
        return;
    }
    let d = TempDir::new("npy-numpy");
    let make = r#"
import numpy as np
a = np.arange(12, dtype=np.float64).reshape(3, 4)
np.save("c.npy", a)
np.save("f.npy", np.asfortranarray(a))
np.save("be.npy", a.astype(">i4"))
np.save("c16.npy", a.astype(np.complex128))
"#;
    let st = std::process::Command::new("python3")
        .args(["-c", make])
        .current_dir(d.path())
        .status()
        .unwrap();
    assert!(st.success());
    let src = r#"
print(load_npy("c.npy", f64, 2) == load_npy("f.npy", f64, 2));
print(load_npy("be.npy", i32, 2));
"#;
    for tier in TIERS {
        let r = run(&d, tier, src);
        assert_eq!(r.status, 0, "{}", r.stderr);
        assert_eq!(
            r.stdout,
            "[[true, true, true, true], [true, true, true, true], [true, true, true, true]]\n\
             [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]\n"
        );
        // A dtype nk does not have, and the wrong type asked for: errors naming the file.
        let r = run(&d, tier, "print(load_npy(\"c16.npy\", f64, 2));");
        assert_eq!(r.status, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("c16.npy") && r.stderr.contains("complex"),
            "{}",
            r.stderr
        );
        let r = run(&d, tier, "print(load_npy(\"c.npy\", f32, 1));");
        assert_eq!(r.status, 1);
        assert!(
            r.stderr.contains("c.npy: the file holds f64 with shape (3, 4); load_npy asked for f32 with 1 dimension"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn bad_npy_files_are_errors_not_crashes() {
    let d = TempDir::new("npy-bad");
    // A lying header: 10^15 elements in a 100-byte file must not allocate.
    let mut huge = b"\x93NUMPY\x01\x00".to_vec();
    let dict = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000,), }";
    let mut header = dict.to_vec();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(b' ');
    }
    header.push(b'\n');
    huge.extend_from_slice(&(header.len() as u16).to_le_bytes());
    huge.extend_from_slice(&header);
    huge.extend_from_slice(&[0u8; 16]);
    std::fs::write(d.join("huge.npy"), &huge).unwrap();
    std::fs::write(d.join("junk.npy"), b"not a numpy file").unwrap();
    std::fs::write(d.join("short.npy"), &huge[..20]).unwrap();
    for tier in TIERS {
        for (file, want) in [
            ("huge.npy", "huge.npy"),
            ("junk.npy", "junk.npy"),
            ("short.npy", "short.npy"),
            ("missing.npy", "missing.npy"),
        ] {
            let r = run(&d, tier, &format!("print(load_npy(\"{file}\", f64, 1));"));
            assert_eq!(r.status, 1, "{tier} {file}: {}", r.stderr);
            assert!(r.stderr.contains(want), "{tier} {file}: {}", r.stderr);
            assert!(!r.stderr.contains("internal error"), "{}", r.stderr);
        }
    }
}

#[test]
fn csv_round_trips_and_reports_line_and_column() {
    for tier in TIERS {
        let d = TempDir::new("csv");
        let src = r#"
save_csv("a.csv", [[1.5, 2.0, -3.0], [0.1, 1e-05, 1e+16]]);
save_csv("v.csv", [1, 2, 3]);
print(load_csv("a.csv"), load_csv("v.csv"));
"#;
        let r = run(&d, tier, src);
        assert_eq!(r.status, 0, "{}", r.stderr);
        assert_eq!(
            r.stdout,
            "[[1.5, 2.0, -3.0], [0.1, 1e-05, 1e+16]] [[1.0, 2.0, 3.0]]\n"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("a.csv")).unwrap(),
            "1.5,2.0,-3.0\n0.1,1e-05,1e+16\n"
        );
        no_leftovers(&d);
        std::fs::write(d.join("h.csv"), "x,y\n1, 2\n3,  4\n").unwrap();
        let r = run(&d, tier, "print(load_csv(\"h.csv\", skip=1));");
        assert_eq!(
            (r.status, r.stdout.as_str()),
            (0, "[[1.0, 2.0], [3.0, 4.0]]\n"),
            "{}",
            r.stderr
        );
        std::fs::write(d.join("bad.csv"), "1,2\n3,abc\n").unwrap();
        let r = run(&d, tier, "print(load_csv(\"bad.csv\"));");
        assert_eq!(r.status, 1);
        assert!(
            r.stderr
                .contains("bad.csv: line 2, column 3: could not convert 'abc' to a number"),
            "{}",
            r.stderr
        );
        std::fs::write(d.join("ragged.csv"), "1,2\n3\n").unwrap();
        let r = run(&d, tier, "print(load_csv(\"ragged.csv\"));");
        assert_eq!(r.status, 1);
        assert!(r.stderr.contains("ragged.csv: line 2"), "{}", r.stderr);
    }
}

#[test]
fn a_failed_write_leaves_the_old_file_whole() {
    let d = TempDir::new("csv-atomic");
    std::fs::write(d.join("keep.csv"), "1,2\n").unwrap();
    // A 3-D array cannot be written as CSV: the old file stays as it was.
    let r = run(&d, TIERS[0], "save_csv(\"keep.csv\", zeros((2, 2, 2)));");
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains("save_csv writes 1-D or 2-D arrays"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(d.join("keep.csv")).unwrap(),
        "1,2\n"
    );
    // A folder that does not exist: an error naming the file.
    let r = run(&d, TIERS[1], "save_npy(\"no/such/dir/x.npy\", zeros(2));");
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("x.npy"), "{}", r.stderr);
    no_leftovers(&d);
}

#[test]
fn file_names_given_to_main_are_strings_known_at_run_time() {
    let d = TempDir::new("npy-main-path");
    let prog = d.file(
        "prog.nk",
        r#"
fn main(out: str, back: str) {
    save_npy(out, reshape(arange(6, dtype=i32), (2, 3)));
    let m = load_npy(back, i32, 2);
    print(out == back, m, sum(m));
    let path = "copy.csv";
    if out != back {
        path = back;
    }
    save_csv(path, astype(m, f64));
    print(path, load_csv(path));
}
"#,
    );
    for tier in TIERS {
        let r = nvm()
            .args(["run", tier, &prog, "a.npy", "a.npy"])
            .current_dir(d.path())
            .run();
        assert_eq!(r.status, 0, "{tier}: {}", r.stderr);
        assert_eq!(
            r.stdout,
            "true [[0, 1, 2], [3, 4, 5]] 15\ncopy.csv [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]\n",
            "{tier}"
        );
        // Another name, and a missing file: the error names the file given.
        let r = nvm()
            .args(["run", tier, &prog, "b.npy", "nowhere.npy"])
            .current_dir(d.path())
            .run();
        assert_eq!(r.status, 1, "{tier}: {}", r.stderr);
        assert!(r.stderr.contains("nowhere.npy"), "{tier}: {}", r.stderr);
        assert!(d.join("b.npy").exists(), "{tier}");
        // An empty file name is an error, not a write to the folder.
        let r = nvm()
            .args(["run", tier, &prog, "", "a.npy"])
            .current_dir(d.path())
            .run();
        assert_eq!(r.status, 1, "{tier}: {}", r.stderr);
        assert!(
            r.stderr.contains("file name must not be empty"),
            "{tier}: {}",
            r.stderr
        );
    }
    no_leftovers(&d);
}
