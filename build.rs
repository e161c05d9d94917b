//! Generates the parser from grammar/nk.lalrpop (the only thing this build script does).
fn main() {
    println!("cargo:rerun-if-changed=grammar/nk.lalrpop");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(std::env::var("OUT_DIR").expect("OUT_DIR set by cargo"))
        .process()
        .expect("lalrpop failed to generate the nk parser");
}
