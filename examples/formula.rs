//! nk as a formula language over an `ndarray`: the user types a formula in `x`, the program
//! evaluates it over a grid of points with native code.
//!
//! `cargo run --release --example formula -- "sin(x) * exp(-x / 4.0)"`

use ndarray::Array1;
use nvm::engine::Engine;

fn main() {
    let formula = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sin(x) * exp(-x / 4.0)".to_string());
    let mut engine = Engine::new();
    // The formula becomes the body of an elementwise nk function.
    let source = format!(
        "fn at(x: f64) -> f64 {{ return {formula}; }}\n\
         fn over(xs: f64[]) -> f64[] {{\n\
             let ys = zeros(len(xs));\n\
             for i in 0..len(xs) {{ ys[i] = at(xs[i]); }}\n\
             return ys;\n\
         }}\n"
    );
    if let Err(e) = engine.load_str("formula", &source) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let xs = Array1::linspace(0.0, 10.0, 11);
    match engine.call::<ndarray::ArrayD<f64>>("over", (xs.clone(),)) {
        Ok(ys) => {
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
