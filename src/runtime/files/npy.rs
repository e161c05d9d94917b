//! NumPy's `.npy` format (numpy.lib.format, "NEP 1"): read versions 1.0, 2.0 and 3.0, write
//! 1.0 (2.0 when the header would not fit 1.0's 16-bit length).
//!
//! ```text
//! magic "\x93NUMPY" | major u8 | minor u8 | header length (u16 LE in 1.0; u32 LE in 2.0, 3.0)
//! header: a Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
//!         padded with spaces and a final '\n' so that the data starts at a multiple of 64
//! data:   shape product × itemsize bytes, C order (or Fortran order when fortran_order)
//! ```
//!
//! Element types: `|b1` (bool), `|u1` (u8), `<i4`/`>i4` (i32), `<i8`/`>i8` (i64), `<f4`/`>f4`
//! (f32), `<f8`/`>f8` (f64). Any other dtype (object, complex, structured, strings,
//! `i2`, `u4`, ...) is an error naming it.
//!
//! What the reader returns ([`Npy`]): **little-endian bytes in C order** — big-endian data
//! is byte-swapped on read, and a Fortran-order file is transposed on read (one copy), so
//! the caller never sees either; bool bytes other than 0 are read as 1 (NumPy reads any
//! nonzero byte as `True`). Ranks 1 to 3 are read; a 0-d array (shape `()`) and ranks above
//! 3 are refused, since nk arrays have 1 to 3 axes. The writer takes the same form and
//! writes C order, little-endian.
//!
//! Hostile input: the header is parsed by the small strict parser below (a Python literal of
//! strings, integers, `True`/`False`, tuples and lists, nesting bounded); the header length
//! is checked against the bytes present, and the shape's byte count (checked arithmetic)
//! against the data actually present *before* anything of that size is allocated. Trailing
//! bytes after the data are refused (NumPy ignores them; here they mean the header lies).
//!
//! Why no crate: `ndarray-npy` (available offline) reads into `ndarray` arrays and reports
//! its own errors, which would cost a copy and a translation of every message into nk's
//! terms; `npyz`/`py_literal` are not in the offline registry. The header grammar we accept
//! is a few dozen lines, and owning it lets each error name the file and the problem.

use std::io::Read;
use std::path::Path;

use super::{display_name, open_regular, write_atomically, write_err, FileError};

/// The element types nk reads and writes (the dtype layer maps them to its `Prim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    Bool,
    U8,
    I32,
    I64,
    F32,
    F64,
}

impl Dtype {
    /// Every element type, in nk's order.
    pub const ALL: [Dtype; 6] = [
        Dtype::Bool,
        Dtype::U8,
        Dtype::I32,
        Dtype::I64,
        Dtype::F32,
        Dtype::F64,
    ];

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 => 1,
            Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
        }
    }

    /// nk's name of the type: `bool u8 i32 i64 f32 f64`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "bool",
            Dtype::U8 => "u8",
            Dtype::I32 => "i32",
            Dtype::I64 => "i64",
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }

    /// The little-endian `descr` NumPy writes for it: `|b1 |u1 <i4 <i8 <f4 <f8`.
    pub fn descr(self) -> &'static str {
        match self {
            Dtype::Bool => "|b1",
            Dtype::U8 => "|u1",
            Dtype::I32 => "<i4",
            Dtype::I64 => "<i8",
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
        }
    }
}

/// An array read from a `.npy` file: its element type, its shape (1 to 3 axes) and its
/// elements as little-endian bytes in C (row-major) order, `shape product × dtype.size()`
/// of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Npy {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The longest header read, as NumPy's `max_header_size` default: ours are about 128 bytes.
pub const MAX_HEADER: usize = 10_000;

/// What a header says (after checking it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    dtype: Dtype,
    big_endian: bool,
    fortran: bool,
    shape: Vec<usize>,
    /// Where the data starts: the prefix plus the header's length.
    data_start: usize,
    /// The data's byte count (shape product × itemsize; checked arithmetic).
    data_len: u64,
}

/// Reads a `.npy` file (see the module's doc for what comes back). The file's length is
/// compared with what its header claims before the data is read or allocated.
pub fn read(path: &Path) -> Result<Npy, FileError> {
    let name = display_name(path);
    let (mut file, file_len) = open_regular(path)?;
    // The prefix and the header: at most 12 + MAX_HEADER bytes, whatever the file says.
    let mut head = Vec::new();
    (&mut file)
        .take((12 + MAX_HEADER) as u64)
        .read_to_end(&mut head)
        .map_err(|e| FileError::io(&name, "cannot read", &e))?;
    let h = parse_header(&head, file_len, &name)?;
    // The header's claim matches the file's length, so this allocation is backed by data.
    let oom = || FileError::new(&name, format!("out of memory reading {} bytes", h.data_len));
    let mut data = Vec::new();
    data.try_reserve_exact(usize::try_from(h.data_len).map_err(|_| oom())?)
        .map_err(|_| oom())?;
    data.extend_from_slice(&head[h.data_start.min(head.len())..]);
    // One byte more than expected, so a file that grew since its metadata was read is seen.
    file.take((h.data_len + 1).saturating_sub(data.len() as u64))
        .read_to_end(&mut data)
        .map_err(|e| FileError::io(&name, "cannot read", &e))?;
    decode(&h, data, &name)
}

/// Parses `.npy` bytes (a whole file's contents); `name` is the file name messages use.
/// The entry point of the fuzz target.
pub fn parse(bytes: &[u8], name: &str) -> Result<Npy, FileError> {
    let h = parse_header(bytes, bytes.len() as u64, name)?;
    let raw = &bytes[h.data_start..];
    let mut data = Vec::new();
    data.try_reserve_exact(raw.len())
        .map_err(|_| FileError::new(name, format!("out of memory reading {} bytes", raw.len())))?;
    data.extend_from_slice(raw);
    decode(&h, data, name)
}

/// Writes `data` (little-endian bytes in C order, as [`Npy::data`]) as a `.npy` file of
/// that dtype and shape (1 to 3 axes), atomically ([`write_atomically`]).
pub fn write(path: &Path, dtype: Dtype, shape: &[usize], data: &[u8]) -> Result<(), FileError> {
    let name = display_name(path);
    let header = encode_header(dtype, shape, data.len(), &name)?;
    write_atomically(path, |w| {
        w.write_all(&header).map_err(write_err(&name))?;
        w.write_all(data).map_err(write_err(&name))
    })
}

/// The whole `.npy` file [`write`] writes, in memory.
pub fn encode(dtype: Dtype, shape: &[usize], data: &[u8], name: &str) -> Result<Vec<u8>, FileError> {
    let mut out = encode_header(dtype, shape, data.len(), name)?;
    out.extend_from_slice(data);
    Ok(out)
}

/// Magic, version, length and the padded header dict for this array.
fn encode_header(
    dtype: Dtype,
    shape: &[usize],
    data_len: usize,
    name: &str,
) -> Result<Vec<u8>, FileError> {
    if !(1..=3).contains(&shape.len()) {
        return Err(FileError::new(
            name,
            format!(
                "cannot write an array of {} axes; nk arrays have 1 to 3",
                shape.len()
            ),
        ));
    }
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if count.and_then(|c| c.checked_mul(dtype.size())) != Some(data_len) {
        // A caller's bug, not the user's; still an error rather than a corrupt file.
        return Err(FileError::new(
            name,
            format!(
                "{data_len} bytes of data do not fit shape {} of {}",
                shape_text(shape),
                dtype.name()
            ),
        ));
    }
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.descr(),
        shape_text(shape)
    );
    Ok(frame_header(&dict))
}

/// Magic, version, header length and `dict` padded with spaces and a final `\n`, so that
/// the data starts at a multiple of 64 bytes (NumPy's `ARRAY_ALIGN`). Version 1.0 has a
/// 16-bit header length; 2.0, used only when 1.0's cannot hold it, a 32-bit one.
fn frame_header(dict: &str) -> Vec<u8> {
    let (version, prefix) = if 10 + dict.len() < 65_536 - 64 {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let unpadded = prefix + dict.len() + 1;
    let header_len = dict.len() + 1 + (64 - unpadded % 64) % 64;
    let mut out = Vec::with_capacity(prefix + header_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(prefix + header_len - 1, b' ');
    out.push(b'\n');
    out
}

/// Python's text of a shape tuple: `(3,)`, `(2, 3)`, `()`.
fn shape_text<T: std::fmt::Display>(shape: &[T]) -> String {
    crate::runtime::format::format_shape(shape)
}

/// Checks the prefix and parses the header. `head` holds at least the file's first bytes
/// (maybe not all of it); `file_len` is the whole file's length.
fn parse_header(head: &[u8], file_len: u64, name: &str) -> Result<Header, FileError> {
    let err = |what: String| FileError::new(name, what);
    if head.len() < 6 || &head[..6] != MAGIC {
        return Err(err("not a .npy file (no \\x93NUMPY magic at its start)".into()));
    }
    if head.len() < 8 {
        return Err(err("truncated .npy file: it ends inside the format version".into()));
    }
    let (major, minor) = (head[6], head[7]);
    let (prefix, header_len) = match major {
        1 => {
            if head.len() < 10 {
                return Err(err("truncated .npy file: it ends inside the header length".into()));
            }
            (10, u16::from_le_bytes([head[8], head[9]]) as usize)
        }
        2 | 3 => {
            if head.len() < 12 {
                return Err(err("truncated .npy file: it ends inside the header length".into()));
            }
            (12, u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize)
        }
        _ => {
            return Err(err(format!(
                "unsupported .npy format version {major}.{minor} (nk reads 1.0, 2.0 and 3.0)"
            )))
        }
    };
    if minor != 0 {
        return Err(err(format!(
            "unsupported .npy format version {major}.{minor} (nk reads 1.0, 2.0 and 3.0)"
        )));
    }
    if header_len > MAX_HEADER {
        return Err(err(format!(
            "header of {header_len} bytes is longer than the {MAX_HEADER} bytes nk reads (NumPy's limit)"
        )));
    }
    let data_start = prefix + header_len;
    if (data_start as u64) > file_len || data_start > head.len() {
        return Err(err(format!(
            "truncated .npy file: the header is {header_len} bytes but the file has only {} after the header length",
            file_len.saturating_sub(prefix as u64)
        )));
    }
    let text = &head[prefix..data_start];
    // Versions 1.0 and 2.0 are latin-1 and 3.0 is UTF-8, but a header of a supported array
    // is plain ASCII: anything else is a garbled header (or a structured dtype's field
    // names, which are refused anyway).
    if let Some(i) = text.iter().position(|&b| !(b.is_ascii_graphic() || b == b' ' || b == b'\n' || b == b'\r' || b == b'\t')) {
        return Err(err(format!(
            "the header is not ASCII text (byte 0x{:02x} at offset {})",
            text[i],
            prefix + i
        )));
    }
    // ASCII, so this cannot fail.
    let text = std::str::from_utf8(text).map_err(|_| err("the header is not ASCII text".into()))?;
    let dict = literal::parse_dict(text).map_err(|e| err(format!("bad header: {e}")))?;

    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in dict {
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran,
            "shape" => &mut shape,
            _ => {
                return Err(err(format!(
                    "bad header: unexpected key '{}' (a .npy header has 'descr', 'fortran_order' and 'shape')",
                    literal::escape(&key)
                )))
            }
        };
        if slot.is_some() {
            return Err(err(format!(
                "bad header: key '{}' appears twice",
                literal::escape(&key)
            )));
        }
        *slot = Some(value);
    }
    let missing = |k: &str| err(format!("bad header: no '{k}' key"));
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran = match fortran.ok_or_else(|| missing("fortran_order"))? {
        literal::Value::Bool(b) => b,
        v => {
            return Err(err(format!(
                "bad header: 'fortran_order' is {}, not True or False",
                v.describe()
            )))
        }
    };
    let dims = match shape.ok_or_else(|| missing("shape"))? {
        literal::Value::Tuple(items) => items,
        v => {
            return Err(err(format!(
                "bad header: 'shape' is {}, not a tuple",
                v.describe()
            )))
        }
    };
    let mut shape = Vec::with_capacity(dims.len().min(4));
    for d in &dims {
        match d {
            literal::Value::Int(n) if (0..=u64::MAX as i128).contains(n) => shape.push(*n as u64),
            literal::Value::Int(n) if *n < 0 => {
                return Err(err(format!("bad header: negative length {n} in 'shape'")))
            }
            literal::Value::Int(_) => {
                return Err(err("bad header: a length in 'shape' is too large".into()))
            }
            v => {
                return Err(err(format!(
                    "bad header: 'shape' holds {}, not an integer",
                    v.describe()
                )))
            }
        }
    }
    let (dtype, big_endian) = dtype_of(&descr, name)?;
    if shape.is_empty() {
        return Err(err(format!(
            "a 0-d array (shape ()) of {} cannot be read; nk arrays have 1 to 3 axes",
            dtype.name()
        )));
    }
    if shape.len() > 3 {
        return Err(err(format!(
            "an array of {} axes (shape {}) cannot be read; nk arrays have 1 to 3 axes",
            shape.len(),
            shape_text(&shape)
        )));
    }
    let too_many = || {
        err(format!(
            "shape {} has more elements than any file could hold",
            shape_text(&shape)
        ))
    };
    let count = shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(too_many)?;
    let data_len = count
        .checked_mul(dtype.size() as u64)
        .ok_or_else(too_many)?;
    let present = file_len - data_start as u64;
    if present != data_len {
        let what = if present < data_len {
            "truncated .npy file"
        } else {
            "bytes after the array"
        };
        return Err(err(format!(
            "{what}: shape {} of {} needs {data_len} bytes of data, the file has {present}",
            shape_text(&shape),
            dtype.name()
        )));
    }
    let shape = shape
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| too_many()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Header {
        dtype,
        big_endian,
        fortran,
        shape,
        data_start,
        data_len,
    })
}

/// The element type and byte order of a `descr`, or an error naming the dtype.
fn dtype_of(descr: &literal::Value, name: &str) -> Result<(Dtype, bool), FileError> {
    let unsupported = |what: String| {
        FileError::new(
            name,
            format!("dtype {what} is not supported; nk reads bool, u8, i32, i64, f32, f64"),
        )
    };
    let s = match descr {
        literal::Value::Str(s) => s,
        literal::Value::List(_) => return Err(unsupported("of fields (a structured array)".into())),
        v => {
            return Err(FileError::new(
                name,
                format!("bad header: 'descr' is {}, not a string", v.describe()),
            ))
        }
    };
    let (order, code) = match s.as_bytes().first() {
        Some(b'<' | b'>' | b'|' | b'=') => (s.as_bytes()[0], &s[1..]),
        _ => (b'=', s.as_str()),
    };
    let dtype = match code {
        "b1" => Dtype::Bool,
        "u1" => Dtype::U8,
        "i4" => Dtype::I32,
        "i8" => Dtype::I64,
        "f4" => Dtype::F32,
        "f8" => Dtype::F64,
        _ => {
            let text = literal::escape(s);
            return Err(unsupported(match numpy_name(code) {
                Some(n) => format!("{text} ({n})"),
                None => text,
            }));
        }
    };
    let big_endian = match order {
        b'>' => true,
        b'<' => false,
        // `|` (not applicable) and `=` (native): the writer's order, which we take as ours.
        _ => cfg!(target_endian = "big"),
    };
    Ok((dtype, big_endian))
}

/// NumPy's name of a type code (`c16` → `complex128`), for messages.
fn numpy_name(code: &str) -> Option<String> {
    let (kind, rest) = code.split_at(code.len().min(1));
    let bytes: Option<u32> = rest.parse().ok();
    let bits = bytes.and_then(|b| b.checked_mul(8));
    Some(match kind {
        "b" => "bool".into(),
        "i" => format!("int{}", bits?),
        "u" => format!("uint{}", bits?),
        "f" => format!("float{}", bits?),
        "c" => format!("complex{}", bits?),
        "O" => "object".into(),
        "U" => "unicode string".into(),
        "S" | "a" => "byte string".into(),
        "V" => "void".into(),
        "M" => "datetime64".into(),
        "m" => "timedelta64".into(),
        _ => return None,
    })
}

/// The data of a checked header (`data`: the bytes after the header, whose length was
/// checked against the header, but is checked again here) as little-endian bytes in C
/// order: byte-swapped in place, transposed into a new buffer if in Fortran order.
fn decode(h: &Header, mut data: Vec<u8>, name: &str) -> Result<Npy, FileError> {
    if data.len() as u64 != h.data_len {
        return Err(FileError::new(
            name,
            format!(
                "the file changed while being read: {} bytes of data, expected {}",
                data.len(),
                h.data_len
            ),
        ));
    }
    let size = h.dtype.size();
    if h.fortran && h.shape.iter().filter(|&&d| d > 1).count() > 1 {
        let mut c = Vec::new();
        c.try_reserve_exact(data.len()).map_err(|_| {
            FileError::new(name, format!("out of memory reading {} bytes", data.len()))
        })?;
        fortran_to_c(&data, &h.shape, size, &mut c);
        data = c;
    }
    if h.big_endian && size > 1 {
        for e in data.chunks_exact_mut(size) {
            e.reverse();
        }
    }
    if h.dtype == Dtype::Bool {
        for b in &mut data {
            *b = (*b != 0) as u8;
        }
    }
    Ok(Npy {
        dtype: h.dtype,
        shape: h.shape.clone(),
        data,
    })
}

/// Appends the elements of a Fortran-order (column-major) buffer to `out` in C order: the
/// element at C index (i, j, k) sits at i + j·d0 + k·d0·d1 in `raw`.
fn fortran_to_c(raw: &[u8], shape: &[usize], size: usize, out: &mut Vec<u8>) {
    // Strides of the Fortran layout in elements, for each axis.
    let mut strides = [0usize; 3];
    let mut s = 1;
    for (axis, &d) in shape.iter().enumerate() {
        strides[axis] = s;
        s *= d;
    }
    let dims = [
        shape[0],
        shape.get(1).copied().unwrap_or(1),
        shape.get(2).copied().unwrap_or(1),
    ];
    for i in 0..dims[0] {
        for j in 0..dims[1] {
            for k in 0..dims[2] {
                let at = (i * strides[0] + j * strides[1] + k * strides[2]) * size;
                out.extend_from_slice(&raw[at..at + size]);
            }
        }
    }
}

/// The strict parser of the header's Python literal: a dict of string keys, with values
/// that are strings, integers, `True`/`False`, tuples or lists (NumPy's `safe_eval` accepts
/// more; no `.npy` writer produces more). Nesting is bounded; integers are checked.
mod literal {
    use std::fmt;

    /// Deepest nesting of tuples and lists accepted.
    const MAX_DEPTH: usize = 16;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Value {
        Str(String),
        /// Integers up to 2^96 or so in magnitude (larger is an error while parsing).
        Int(i128),
        Bool(bool),
        Tuple(Vec<Value>),
        List(Vec<Value>),
    }

    impl Value {
        /// A short description for messages: `'<f8'`, `3`, `True`, `a tuple`, `a list`.
        pub fn describe(&self) -> String {
            match self {
                Value::Str(s) => format!("'{}'", escape(s)),
                Value::Int(n) => n.to_string(),
                Value::Bool(b) => if *b { "True" } else { "False" }.into(),
                Value::Tuple(_) => "a tuple".into(),
                Value::List(_) => "a list".into(),
            }
        }
    }

    /// A string shown in a message, cut to 40 characters.
    pub fn escape(s: &str) -> String {
        let mut out: String = s.chars().take(40).collect();
        if s.chars().count() > 40 {
            out.push_str("...");
        }
        out
    }

    #[derive(Debug)]
    pub struct SyntaxError {
        at: usize,
        what: String,
    }

    impl fmt::Display for SyntaxError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} at character {} of the dict", self.what, self.at + 1)
        }
    }

    /// Parses `{key: value, ...}` (trailing comma allowed) followed only by whitespace.
    /// Keys come back in their order, duplicates included (the caller refuses them).
    pub fn parse_dict(text: &str) -> Result<Vec<(String, Value)>, SyntaxError> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        p.ws();
        if p.peek() != Some(b'{') {
            return Err(p.error("expected a dict '{...}'"));
        }
        p.i += 1;
        let mut entries = Vec::new();
        loop {
            p.ws();
            if p.eat(b'}') {
                break;
            }
            let key = match p.peek() {
                Some(b'\'' | b'"') => p.string()?,
                _ => return Err(p.error("expected a string key or '}'")),
            };
            p.ws();
            if !p.eat(b':') {
                return Err(p.error("expected ':'"));
            }
            let value = p.value(0)?;
            entries.push((key, value));
            p.ws();
            if p.eat(b'}') {
                break;
            }
            if !p.eat(b',') {
                return Err(p.error("expected ',' or '}'"));
            }
        }
        p.ws();
        if p.i != p.s.len() {
            return Err(p.error("unexpected text after the dict"));
        }
        Ok(entries)
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn peek(&self) -> Option<u8> {
            self.s.get(self.i).copied()
        }

        fn eat(&mut self, c: u8) -> bool {
            if self.peek() == Some(c) {
                self.i += 1;
                true
            } else {
                false
            }
        }

        fn ws(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.i += 1;
            }
        }

        fn error(&self, what: &str) -> SyntaxError {
            SyntaxError {
                at: self.i,
                what: match self.peek() {
                    None => format!("{what}, found the end"),
                    Some(c) => format!("{what}, found '{}'", c as char),
                },
            }
        }

        fn value(&mut self, depth: usize) -> Result<Value, SyntaxError> {
            self.ws();
            match self.peek() {
                Some(b'\'' | b'"') => self.string().map(Value::Str),
                Some(b'(') => self.sequence(b')', depth).map(Value::Tuple),
                Some(b'[') => self.sequence(b']', depth).map(Value::List),
                Some(b'-' | b'+' | b'0'..=b'9') => self.int(),
                Some(b'T' | b'F') => {
                    for (word, b) in [("True", true), ("False", false)] {
                        if self.s[self.i..].starts_with(word.as_bytes()) {
                            self.i += word.len();
                            if self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                                return Err(self.error("unexpected name"));
                            }
                            return Ok(Value::Bool(b));
                        }
                    }
                    Err(self.error("expected a value"))
                }
                _ => Err(self.error("expected a value")),
            }
        }

        /// `(a, b)`, `(a,)`, `()`, `[a, b]`, `[]`: a trailing comma allowed; a
        /// parenthesized single value without comma is that value's tuple of one (no
        /// `.npy` header writes one, and it is no less clear).
        fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, SyntaxError> {
            if depth >= MAX_DEPTH {
                return Err(self.error("nesting too deep"));
            }
            self.i += 1;
            let mut items = Vec::new();
            loop {
                self.ws();
                if self.eat(close) {
                    return Ok(items);
                }
                items.push(self.value(depth + 1)?);
                self.ws();
                if self.eat(close) {
                    return Ok(items);
                }
                if !self.eat(b',') {
                    return Err(self.error(&format!("expected ',' or '{}'", close as char)));
                }
            }
        }

        /// A string in single or double quotes, without escapes (no header needs one).
        fn string(&mut self) -> Result<String, SyntaxError> {
            let quote = self.s[self.i];
            let start = self.i;
            self.i += 1;
            while let Some(c) = self.peek() {
                self.i += 1;
                if c == quote {
                    let body = &self.s[start + 1..self.i - 1];
                    return Ok(String::from_utf8_lossy(body).into_owned());
                }
                if c == b'\\' || c == b'\n' {
                    self.i -= 1;
                    return Err(self.error("unsupported character in a string"));
                }
            }
            Err(SyntaxError {
                at: start,
                what: "unterminated string".into(),
            })
        }

        /// An integer: optional sign, decimal digits (no leading zeros, as Python 3), and
        /// an optional `L` (Python 2 wrote long integers so in version 1.0 headers).
        fn int(&mut self) -> Result<Value, SyntaxError> {
            let start = self.i;
            let negative = self.peek() == Some(b'-');
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.i += 1;
            }
            let digits_start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            let digits = &self.s[digits_start..self.i];
            if digits.is_empty() {
                return Err(self.error("expected digits"));
            }
            if digits.len() > 1 && digits[0] == b'0' {
                return Err(SyntaxError {
                    at: start,
                    what: "integer with a leading zero".into(),
                });
            }
            if self.peek() == Some(b'L') {
                self.i += 1;
            }
            if self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_') {
                return Err(self.error("expected an integer"));
            }
            if digits.len() > 28 {
                return Err(SyntaxError {
                    at: start,
                    what: "integer too large".into(),
                });
            }
            let n = digits
                .iter()
                .fold(0i128, |a, &d| a * 10 + (d - b'0') as i128);
            Ok(Value::Int(if negative { -n } else { n }))
        }
    }
}

#[cfg(test)]
mod tests;
