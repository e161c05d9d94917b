//! Rust functions called from nk: a price list the host program owns, exposed to an nk
//! pricing script as `price(item)`; the engine keeps the host's state (the price list and
//! a count of lookups) and hands it to each call (`register_fn_with`).
//!
//! `cargo run --release --example host_function`

use std::collections::HashMap;

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
    /// The host's state: the price list and how often nk looked a price up.
    struct Shop {
        prices: HashMap<i64, f64>,
        lookups: u32,
    }
    let shop = Shop {
        prices: [(1, 2.5), (2, 10.0), (3, 0.75)].into(),
        lookups: 0,
    };
    let mut engine = Engine::new();
    // nk sees `price(i64) -> f64`; an unknown item is an nk runtime error.
    let shop = engine
        .register_fn_with("price", shop, |shop: &mut Shop, item: i64| {
            shop.lookups += 1;
            shop.prices
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
        Ok(t) => println!("total: {t:.2} ({} price lookups)", shop.with(|s| s.lookups)),
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
