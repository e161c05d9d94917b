//! Bytes as a `.npy` file: `runtime::files::npy::parse` on the raw bytes, then on the bytes
//! wrapped as the header of a version 1.0 file (so mutations reach the header's dict parser
//! without having to keep the magic and the length field right). Must never panic or
//! allocate more than the input justifies; an accepted array must be consistent and must
//! survive `encode` → `parse` unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvm::runtime::files::npy::{self, Npy};

fn check(n: &Npy, input_len: usize) {
    assert!((1..=3).contains(&n.shape.len()), "rank {:?}", n.shape);
    let count: usize = n.shape.iter().product();
    assert_eq!(n.data.len(), count * n.dtype.size());
    // The data came from the input: nothing larger can have been accepted.
    assert!(n.data.len() <= input_len);
    if n.dtype == npy::Dtype::Bool {
        assert!(n.data.iter().all(|&b| b <= 1), "bool bytes not 0/1");
    }
    let again = npy::encode(n.dtype, &n.shape, &n.data, "fuzz.npy").expect("encode");
    let back = npy::parse(&again, "fuzz.npy").expect("what we write must read back");
    assert_eq!(&back, n);
}

fuzz_target!(|data: &[u8]| {
    match npy::parse(data, "fuzz.npy") {
        Ok(n) => check(&n, data.len()),
        Err(e) => assert!(e.to_string().starts_with("fuzz.npy: "), "{e}"),
    }
    if data.len() <= 60_000 {
        let mut wrapped = b"\x93NUMPY\x01\x00".to_vec();
        wrapped.extend_from_slice(&(data.len() as u16).to_le_bytes());
        wrapped.extend_from_slice(data);
        match npy::parse(&wrapped, "fuzz.npy") {
            Ok(n) => check(&n, wrapped.len()),
            Err(e) => assert!(e.to_string().starts_with("fuzz.npy: "), "{e}"),
        }
    }
});
