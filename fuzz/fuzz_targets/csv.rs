//! Bytes as a CSV file: `runtime::files::csv::parse_csv` with 0 and 1 skipped lines. Must
//! never panic; an accepted table must be rows × columns numbers, and every error must name
//! the file, a line and a column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvm::runtime::files::csv::parse_csv;

fuzz_target!(|data: &[u8]| {
    for skip in [0, 1] {
        match parse_csv(data, skip, "fuzz.csv") {
            Ok((rows, cols, values)) => assert_eq!(values.len(), rows * cols),
            Err(e) => assert!(e.to_string().starts_with("fuzz.csv: line "), "{e}"),
        }
    }
});
