//! nk as a formula language over an `ndarray`: the user types a formula in `x`, the program
//! evaluates it over a grid of points with native code, writing straight into the
//! program's own output array (lent to nk by `&mut`: no copy in either direction).
//!
//! `cargo run --release --example formula -- "sin(x) * exp(-x / 4.0)"`

use ndarray::Array1;
use nvm::engine::Engine;

fn main() {
    let formula = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sin(x) * exp(-x / 4.0)".to_string());
    let mut engine = Engine::new();
    // The formula becomes the body of an nk function, applied to every point.
    let source = format!(
        "fn at(x: f64) -> f64 {{ return {formula}; }}\n\
         fn over(xs: f64[], ys: f64[]) {{\n\
             for i in 0..len(xs) {{ ys[i] = at(xs[i]); }}\n\
         }}\n"
    );
    if let Err(e) = engine.load_str("formula", &source) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let mut xs = Array1::linspace(0.0, 10.0, 11);
    let mut ys = Array1::<f64>::zeros(xs.len());
    match engine.call::<()>("over", (&mut xs, &mut ys)) {
        Ok(()) => {
            for (x, y) in xs.iter().zip(ys.iter()) {
                println!("{x:5.1}  {y:+.6}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
