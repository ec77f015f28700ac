//! Project automation beyond plain cargo: code generation, fuzzing, benchmarks, CI setup.
fn main() {}
