//! JSON text exactly as Python's `json.dumps(value, indent=2)` writes it, so that our
//! output of MLE-bench's aggregation is byte-identical to its script's: floats in
//! `repr` form (`50.0`, `16.666666666666668`, `1e-05`), ASCII-only strings.

/// `json.dumps(value, indent=2)`.
pub fn dumps(value: &PyValue) -> String {
    let mut out = String::new();
    write(value, 0, &mut out);
    out
}

/// A JSON value with ordered keys and floats kept apart from integers, as Python has them.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    Int(i64),
    Float(f64),
    Object(PyObject),
}

/// Keys in insertion order, like a Python dict.
pub type PyObject = Vec<(String, PyValue)>;

fn write(value: &PyValue, depth: usize, out: &mut String) {
    match value {
        PyValue::Int(i) => out.push_str(&i.to_string()),
        PyValue::Float(x) => out.push_str(&float_repr(*x)),
        PyValue::Object(items) if items.is_empty() => out.push_str("{}"),
        PyValue::Object(items) => {
            out.push('{');
            for (i, (key, item)) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&"  ".repeat(depth + 1));
                write_str(key, out);
                out.push_str(": ");
                write(item, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
    }
}

/// `json.dumps` with `ensure_ascii=True`.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `float.__repr__` (and so `json.dumps`): the shortest digits that round-trip,
/// in positional notation when the decimal exponent is in [-4, 16), else scientific with
/// a signed exponent of at least two digits; `NaN`/`Infinity` as `json.dumps` spells them.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `d[.ddd]e<exp>`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    // Python's rule on decpt = exp + 1: scientific when decpt <= -4 or decpt > 16.
    let decpt = exp + 1;
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{esign}{:02}", exp.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
    } else {
        let decpt = decpt as usize;
        if digits.len() <= decpt {
            format!("{digits}{}.0", "0".repeat(decpt - digits.len()))
        } else {
            format!("{}.{}", &digits[..decpt], &digits[decpt..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_repr() {
        for (x, want) in [
            (50.0, "50.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (100.0 / 6.0, "16.666666666666668"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.2345e16, "1.2345e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (123.456, "123.456"),
            (0.001234, "0.001234"),
            (-2.5e-300, "-2.5e-300"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(float_repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn objects_indent_like_json_dumps() {
        let v = PyValue::Object(vec![
            ("a".into(), PyValue::Int(3)),
            (
                "m".into(),
                PyValue::Object(vec![("x".into(), PyValue::Float(1.0))]),
            ),
            ("e".into(), PyValue::Object(vec![])),
            ("é\"".into(), PyValue::Int(0)),
        ]);
        assert_eq!(
            dumps(&v),
            "{\n  \"a\": 3,\n  \"m\": {\n    \"x\": 1.0\n  },\n  \"e\": {},\n  \"\\u00e9\\\"\": 0\n}"
        );
    }
}
