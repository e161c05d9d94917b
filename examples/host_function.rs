//! Rust functions called from nk: a price list the host program owns, exposed to an nk
//! pricing script as `price(item)`, and a closure that counts the calls.
//!
//! `cargo run --release --example host_function`

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use nvm::engine::Engine;

const SCRIPT: &str = "
fn line(item: i64, qty: i64) -> f64 {
    let p = price(item);
    if qty >= bulk_threshold() { p = p * 0.9; }
    return p * qty;
}
fn total(items: i64[], qtys: i64[]) -> f64 {
    let s = 0.0;
    for i in 0..len(items) { s += line(items[i], qtys[i]); }
    return s;
}
";

fn main() {
    let prices: HashMap<i64, f64> = [(1, 2.5), (2, 10.0), (3, 0.75)].into();
    let lookups = Rc::new(Cell::new(0_u32));
    let mut engine = Engine::new();
    let counter = lookups.clone();
    // nk sees `price(i64) -> f64`; an unknown item is an nk runtime error.
    engine
        .register_fn("price", move |item: i64| {
            counter.set(counter.get() + 1);
            prices
                .get(&item)
                .copied()
                .ok_or_else(|| format!("no price for item {item}"))
        })
        .expect("register price");
    engine
        .register_fn("bulk_threshold", || 10_i64)
        .expect("register bulk_threshold");
    if let Err(e) = engine.load_str("pricing", SCRIPT) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let items = ndarray::arr1(&[1_i64, 2, 3]);
    let qtys = ndarray::arr1(&[4_i64, 1, 20]);
    match engine.call::<f64>("total", (items, qtys)) {
        Ok(t) => println!("total: {t:.2} ({} price lookups)", lookups.get()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
    // An item the host does not know: the error names the nk call chain.
    match engine.call::<f64>(
        "total",
        (ndarray::arr1(&[1_i64, 9]), ndarray::arr1(&[1_i64, 1])),
    ) {
        Ok(t) => println!("unexpected total {t}"),
        Err(e) => println!("error, as expected:\n{e}"),
    }
}
