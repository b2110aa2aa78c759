//! `index.html`.
use crate::report::charts::Inputs;
/// stub
pub fn index(_input: &Inputs<'_>, _charts: &[&str]) -> String {
    String::new()
}
