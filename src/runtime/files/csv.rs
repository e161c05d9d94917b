//! Comma-separated numbers: [`read_csv`] for `load_csv` (a 2-D `f64` table) and
//! [`write_csv`] for `save_csv` (numbers formatted by the caller, in `print`'s format).
//!
//! The format read: lines separated by `\n` (a `\r` before it is dropped), fields separated
//! by `,`; each field a number as Python's `float()` reads it, spaces and tabs around it
//! allowed: `1`, `-2.5`, `1e-05`, `.5`, `5.`, `+3`, `nan`, `inf`, `-inf`, `infinity`
//! (any case). Python's `float()` also takes digit-group underscores (`1_000`); they are
//! refused here, as `numpy.loadtxt` refuses them. No quoting, no comments. Blank lines at
//! the end of the file are allowed; a blank line before a row is an error (`numpy.loadtxt`
//! skips blank lines anywhere; inside a table nk takes one for a mistake), as is a row with
//! another number of fields than the first, and an empty field. Errors name the file,
//! the line and the column (1-based, in characters; the column of the field's first
//! character other than a space).
//!
//! Why not the `csv` crate (available offline): it handles quoting, which nk's numeric
//! files do not need, and it reports byte positions of records, not the column of the
//! offending field; a numeric table is a split on `\n` and `,`, and doing it here keeps
//! positions in the user's terms.

use std::path::Path;

use super::{display_name, read_limited, write_atomically, write_err, FileError};

/// The largest CSV file read (2^36 bytes = 64 GiB); its table can hold no more numbers than
/// half its bytes, so the `f64` table is at most 4× the file.
const MAX_FILE: u64 = 1 << 36;

/// Reads a CSV file of numbers after skipping its first `skip` lines: (rows, columns,
/// values in row-major order). A file with no rows (empty, or only skipped and blank lines)
/// is `(0, 0, [])`.
pub fn read_csv(path: &Path, skip: usize) -> Result<(usize, usize, Vec<f64>), FileError> {
    let name = display_name(path);
    let bytes = read_limited(path, MAX_FILE)?;
    parse_csv(&bytes, skip, &name)
}

/// [`read_csv`] on a file's contents; `name` is the file name messages use.
pub fn parse_csv(
    bytes: &[u8],
    skip: usize,
    name: &str,
) -> Result<(usize, usize, Vec<f64>), FileError> {
    let at = |line: usize, col: usize, what: String| {
        FileError::new(name, format!("line {line}, column {col}: {what}"))
    };
    let mut values = Vec::new();
    let mut cols = 0;
    let mut rows = 0;
    // The first blank line after the header, if rows follow it (an error once they do).
    let mut blank: Option<usize> = None;
    let mut lines = bytes.split(|&b| b == b'\n').enumerate();
    for _ in 0..skip {
        if lines.next().is_none() {
            break;
        }
    }
    for (i, line) in lines {
        let number = i + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|e| {
            let col = String::from_utf8_lossy(&line[..e.valid_up_to()]).chars().count() + 1;
            at(number, col, "the text is not UTF-8".into())
        })?;
        if line.trim_matches([' ', '\t']).is_empty() {
            blank.get_or_insert(number);
            continue;
        }
        if let Some(b) = blank {
            return Err(at(b, 1, "empty line".into()));
        }
        let mut count = 0;
        let mut col = 1; // column of the current field's first character
        for field in line.split(',') {
            count += 1;
            if rows > 0 && count > cols {
                return Err(at(
                    number,
                    col,
                    format!("row has more than {cols} fields (line {} has {cols})", first_row(bytes, skip)),
                ));
            }
            let lead = field.chars().take_while(|c| *c == ' ' || *c == '\t').count();
            let text = field.trim_matches([' ', '\t']);
            let c = col + lead;
            if text.is_empty() {
                return Err(at(number, col, "empty field".into()));
            }
            let v = parse_number(text).ok_or_else(|| {
                at(number, c, format!("could not convert '{}' to a number", shorten(text)))
            })?;
            values
                .try_reserve(1)
                .map_err(|_| FileError::new(name, "out of memory reading the file"))?;
            values.push(v);
            col += field.chars().count() + 1;
        }
        if rows == 0 {
            cols = count;
        } else if count < cols {
            return Err(at(
                number,
                col - 1,
                format!("row has {count} fields, line {} has {cols}", first_row(bytes, skip)),
            ));
        }
        rows += 1;
    }
    Ok((rows, cols, values))
}

/// The line number of the first row (only for messages, so its cost does not matter).
fn first_row(bytes: &[u8], skip: usize) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .skip(skip)
        .find(|(_, l)| !l.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r'))
        .map_or(1, |(i, _)| i + 1)
}

/// A field as Python's `float()` reads it, without underscores (the caller has trimmed
/// it). Rust's `f64` parser takes the same forms — optional sign, digits with an optional
/// `.` and exponent, `inf`, `infinity`, `nan` in any case — and rounds correctly; it also
/// takes nothing Python refuses.
fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

/// A field shown in a message, cut to 30 characters.
fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(30).collect();
    if text.chars().count() > 30 {
        s.push_str("...");
    }
    s
}

/// Writes `rows` lines of `cols` fields each, `field(r, c)` giving the text of each (the
/// caller formats numbers as `print` does), separated by `,`, each line ended by `\n`;
/// atomically ([`write_atomically`]).
pub fn write_csv(
    path: &Path,
    rows: usize,
    cols: usize,
    mut field: impl FnMut(usize, usize) -> String,
) -> Result<(), FileError> {
    let name = display_name(path);
    write_atomically(path, |w| {
        let mut line = String::new();
        for r in 0..rows {
            line.clear();
            for c in 0..cols {
                if c > 0 {
                    line.push(',');
                }
                line.push_str(&field(r, c));
            }
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(write_err(&name))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::files::test_util::TempDir;

    fn ok(text: &str, skip: usize) -> (usize, usize, Vec<f64>) {
        parse_csv(text.as_bytes(), skip, "t.csv").unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str, skip: usize) -> String {
        parse_csv(text.as_bytes(), skip, "t.csv").unwrap_err().to_string()
    }

    #[test]
    fn numbers_as_python_float_reads_them() {
        let (r, c, v) = ok("1, 2.5 ,-3e2\n .5,5.,+7\n", 0);
        assert_eq!((r, c, v), (2, 3, vec![1.0, 2.5, -300.0, 0.5, 5.0, 7.0]));
        let (_, _, v) = ok("nan,inf,-inf,Infinity,NaN,-0.0,1e-05", 0);
        assert!(v[0].is_nan() && v[4].is_nan());
        assert_eq!(&v[1..4], [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY]);
        assert!(v[5] == 0.0 && v[5].is_sign_negative());
        assert_eq!(v[6], 1e-5);
        // Correct rounding.
        assert_eq!(ok("0.1,2.2250738585072014e-308", 0).2, [0.1, 2.2250738585072014e-308]);
    }

    #[test]
    fn line_endings_header_and_trailing_blank_lines() {
        assert_eq!(ok("a,b\r\n1,2\r\n3,4\r\n", 1), (2, 2, vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!(ok("x\ny\n1\n2\n\n  \n", 2), (2, 1, vec![1.0, 2.0]));
        assert_eq!(ok("", 0), (0, 0, vec![]));
        assert_eq!(ok("\n\n", 0), (0, 0, vec![]));
        assert_eq!(ok("h1\nh2", 5), (0, 0, vec![]));
        assert_eq!(ok("\t1\t,2", 0), (1, 2, vec![1.0, 2.0]));
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(
            err("1,2\n3,x4\n", 0),
            "t.csv: line 2, column 3: could not convert 'x4' to a number"
        );
        assert_eq!(
            err("h\n1,2\n3,  abc", 1),
            "t.csv: line 3, column 5: could not convert 'abc' to a number"
        );
        assert_eq!(err("1,,2", 0), "t.csv: line 1, column 3: empty field");
        assert_eq!(err("1,2,", 0), "t.csv: line 1, column 5: empty field");
        assert_eq!(err("1,2\n3, \n", 0), "t.csv: line 2, column 3: empty field");
        assert_eq!(
            err("1,2\n3,4,5\n", 0),
            "t.csv: line 2, column 5: row has more than 2 fields (line 1 has 2)"
        );
        assert_eq!(
            err("hdr\n1,2,3\n4,5\n", 1),
            "t.csv: line 3, column 4: row has 2 fields, line 2 has 3"
        );
        assert_eq!(err("1\n\n2\n", 0), "t.csv: line 2, column 1: empty line");
        assert_eq!(
            err("1_000", 0),
            "t.csv: line 1, column 1: could not convert '1_000' to a number"
        );
        assert_eq!(
            err("1,0x10", 0),
            "t.csv: line 1, column 3: could not convert '0x10' to a number"
        );
        // Columns count characters, not bytes.
        assert_eq!(
            err("1,\u{e9}t\u{e9}", 0),
            "t.csv: line 1, column 3: could not convert '\u{e9}t\u{e9}' to a number"
        );
        assert_eq!(
            parse_csv(b"1,2\n3,\xff", 0, "t.csv").unwrap_err().to_string(),
            "t.csv: line 2, column 3: the text is not UTF-8"
        );
        let long = format!("1,{}", "9".repeat(40) + "z");
        assert!(err(&long, 0).ends_with("could not convert '999999999999999999999999999999...' to a number"));
    }

    #[test]
    fn write_then_read() {
        let d = TempDir::new("csv");
        let p = d.join("m.csv");
        let m = [[1.5, -2.0, 1e-5], [f64::NAN, f64::INFINITY, 3.0]];
        write_csv(&p, 2, 3, |r, c| crate::runtime::format::format_f64(m[r][c])).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "1.5,-2.0,1e-05\nnan,inf,3.0\n");
        let (r, c, v) = read_csv(&p, 0).unwrap();
        assert_eq!((r, c), (2, 3));
        assert_eq!(v[..3], [1.5, -2.0, 1e-5]);
        assert!(v[3].is_nan());
        write_csv(&p, 0, 0, |_, _| unreachable!()).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "");
        assert_eq!(d.names(), ["m.csv"]);
        let e = read_csv(&d.join("none.csv"), 0).unwrap_err().to_string();
        assert!(e.ends_with("none.csv: cannot open: No such file or directory"), "{e}");
    }
}
